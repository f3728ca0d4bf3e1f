#include "crema/ingest/reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "crema/common/json_writer.h"
#include "crema/common/time.h"
#include "fields.h"
#include "input_buffer.h"
#include "json_post.h"
#include "utf8_util.h"

namespace crema::ingest {
namespace {

using detail::InputBuffer;
using detail::trim;

constexpr size_t kExcerptBytes = 200;

std::string format_number(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

Status check_string_field(std::string_view name, std::string_view value) {
  if (const void* nul = std::memchr(value.data(), 0, value.size())) {
    return make_error(ErrorCode::kParseError,
                      "NUL byte in " + std::string(name) + " at byte " +
                          std::to_string(static_cast<const char*>(nul) - value.data()));
  }
  if (!detail::valid_utf8(value)) {
    return make_error(ErrorCode::kParseError, "invalid UTF-8 in " + std::string(name) + " at byte " +
                                                  std::to_string(detail::find_invalid_utf8(value)));
  }
  return {};
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_blank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

Reject make_reject(const std::string& file, uint64_t line, std::string id, std::string reason,
                   std::string_view record) {
  Reject r;
  r.source = SourceRef{file, line};
  r.id = std::move(id);
  r.reason = std::move(reason);
  r.excerpt = detail::utf8_excerpt(record, kExcerptBytes);
  return r;
}

// Shared state of both readers: the buffer, line counting, BOM, the resume position.
class BufferedReader : public PostReader {
 public:
  explicit BufferedReader(const ReaderOptions& options) : options_(options) {}

  Status open_input(const std::string& path) {
    // Room for one whole record plus a chunk, so a record at the limit still fits.
    if (auto ok = input_.open(path, options_.max_record_bytes + InputBuffer::kChunk); !ok) return ok;
    return skip_bom();
  }

  uint64_t position() const override { return position_; }
  uint64_t line() const override { return position_line_; }
  uint64_t size_bytes() const override { return input_.size_bytes(); }

 protected:
  // At offset 0: strips a UTF-8 BOM; refuses gzip data with a hint.
  Status skip_bom() {
    if (input_.offset_of(input_.begin()) != 0) return {};
    while (input_.end() - input_.begin() < 3 && !input_.eof()) {
      auto n = input_.fill();
      if (!n) return tl::unexpected(n.error());
    }
    const char* p = input_.data() + input_.begin();
    const size_t avail = input_.end() - input_.begin();
    if (avail >= 3 && std::memcmp(p, "\xEF\xBB\xBF", 3) == 0) input_.set_begin(input_.begin() + 3);
    if (avail >= 2 && static_cast<unsigned char>(p[0]) == 0x1F && static_cast<unsigned char>(p[1]) == 0x8B) {
      return make_error(ErrorCode::kUnsupported, "'" + input_.path() +
                                                     "' is gzip-compressed; decompress it first "
                                                     "(e.g. zcat FILE | crema ... -)");
    }
    return {};
  }

  Status seek_input(uint64_t offset, uint64_t line) {
    if (auto ok = input_.seek(offset); !ok) return ok;
    line_ = line;
    position_ = offset;
    position_line_ = line;
    reset_scan();
    return skip_bom();
  }

  virtual void reset_scan() = 0;

  void mark_position(size_t buffer_index) {
    position_ = input_.offset_of(buffer_index);
    position_line_ = line_;
  }

  ReaderOptions options_;
  InputBuffer input_;
  uint64_t line_ = 0;  // lines consumed so far
  uint64_t position_ = 0;
  uint64_t position_line_ = 0;
};

class JsonlReader final : public BufferedReader {
 public:
  using BufferedReader::BufferedReader;

  Result<bool> next(Record& record) override {
    record.post.reset();
    record.reject.reset();
    while (true) {
      const size_t begin = input_.begin();
      char* base = input_.data();
      const size_t from = begin + scanned_;
      const void* nl = std::memchr(base + from, '\n', input_.end() - from);
      size_t line_end = 0;
      size_t next_begin = 0;
      if (nl != nullptr) {
        line_end = static_cast<size_t>(static_cast<const char*>(nl) - base);
        next_begin = line_end + 1;
      } else {
        scanned_ = input_.end() - begin;
        if (input_.end() - begin > options_.max_record_bytes) return skip_long_line(record);
        if (!input_.eof()) {
          auto n = input_.fill();
          if (!n) return tl::unexpected(n.error());
          continue;
        }
        if (begin == input_.end()) return false;
        line_end = next_begin = input_.end();
      }
      scanned_ = 0;
      input_.set_begin(next_begin);
      ++line_;
      size_t len = line_end - begin;
      if (len > 0 && base[begin + len - 1] == '\r') --len;
      const std::string_view text(base + begin, len);
      if (is_blank(text)) continue;
      mark_position(next_begin);
      if (len > options_.max_record_bytes) {
        record.reject = make_reject(input_.path(), line_, "", too_long(len), text);
        return true;
      }
      Post post;
      post.source = SourceRef{input_.path(), line_};
      if (parser_.parse(text.data(), text.size(), options_.require_time, post, reason_)) {
        record.post = std::move(post);
      } else {
        record.reject = make_reject(input_.path(), line_, std::move(post.id), reason_, text);
      }
      return true;
    }
  }

  Status seek(uint64_t offset, uint64_t line) override { return seek_input(offset, line); }

 private:
  void reset_scan() override { scanned_ = 0; }

  std::string too_long(uint64_t bytes) const {
    return "line too long: " + std::to_string(bytes) + " bytes exceeds max_record_bytes (" +
           std::to_string(options_.max_record_bytes) + ")";
  }

  // The unread line is over the limit: reject it and drop the rest of it chunk by chunk,
  // without ever holding it whole.
  Result<bool> skip_long_line(Record& record) {
    const uint64_t line = ++line_;
    const std::string excerpt(input_.data() + input_.begin(),
                              std::min(input_.end() - input_.begin(), kExcerptBytes + 4));
    uint64_t skipped = 0;
    while (true) {
      char* base = input_.data();
      const size_t begin = input_.begin();
      const void* nl = std::memchr(base + begin, '\n', input_.end() - begin);
      if (nl != nullptr) {
        const auto at = static_cast<size_t>(static_cast<const char*>(nl) - base);
        skipped += at - begin;
        input_.set_begin(at + 1);
        break;
      }
      skipped += input_.end() - begin;
      input_.discard_all();
      if (input_.eof()) break;
      auto n = input_.fill();
      if (!n) return tl::unexpected(n.error());
    }
    scanned_ = 0;
    mark_position(input_.begin());
    record.reject = make_reject(input_.path(), line, "", too_long(skipped), excerpt);
    return true;
  }

  detail::JsonPostParser parser_;
  std::string reason_;
  size_t scanned_ = 0;  // bytes after begin() already searched for '\n'
};

// RFC 4180 CSV (quoting on) or TSV (tab separated, no quoting).
class DelimitedReader final : public BufferedReader {
 public:
  DelimitedReader(const ReaderOptions& options, bool csv)
      : BufferedReader(options), delim_(csv ? ',' : '\t'), quoting_(csv) {}

  Status read_header() {
    std::string_view rec;
    bool long_record = false;
    while (true) {
      auto got = read_record(rec, long_record);
      if (!got) return tl::unexpected(got.error());
      if (!*got) {
        return make_error(ErrorCode::kInvalidArgument, "'" + input_.path() + "': empty input, expected a header row");
      }
      if (long_record) {
        return make_error(ErrorCode::kInvalidArgument, "'" + input_.path() + "': header row is longer than max_record_bytes");
      }
      if (!is_blank(rec)) break;
    }
    std::string why;
    if (!split(rec, why)) return make_error(ErrorCode::kInvalidArgument, "'" + input_.path() + "' header: " + why);
    header_.clear();
    for (const std::string& f : fields_) header_.emplace_back(trim(f));
    header_end_ = input_.offset_of(input_.begin());
    header_lines_ = line_;
    mark_position(input_.begin());
    return map_columns();
  }

  Result<bool> next(Record& record) override {
    record.post.reset();
    record.reject.reset();
    while (true) {
      std::string_view rec;
      bool long_record = false;
      const uint64_t first_line = line_ + 1;
      auto got = read_record(rec, long_record);
      if (!got) return tl::unexpected(got.error());
      if (!*got) return false;
      if (!long_record && is_blank(rec)) continue;
      mark_position(input_.begin());
      if (long_record) {
        record.reject = make_reject(input_.path(), first_line, "",
                                    "record too long: " + std::to_string(long_size_) +
                                        " bytes exceeds max_record_bytes (" +
                                        std::to_string(options_.max_record_bytes) + ")",
                                    long_excerpt_);
        return true;
      }
      to_post(rec, first_line, record);
      return true;
    }
  }

  Status seek(uint64_t offset, uint64_t line) override {
    if (offset < header_end_) return seek_input(header_end_, header_lines_);
    return seek_input(offset, line);
  }

 private:
  enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };

  void reset_scan() override {
    scanned_ = 0;
    state_ = State::kFieldStart;
    newlines_ = 0;
  }

  // Advances the record scanner over [from, end); returns the index of the '\n' that ends
  // the record, or end.
  size_t scan(const char* base, size_t from, size_t end) {
    if (!quoting_) {
      const void* nl = std::memchr(base + from, '\n', end - from);
      return nl == nullptr ? end : static_cast<size_t>(static_cast<const char*>(nl) - base);
    }
    for (size_t i = from; i < end; ++i) {
      const char c = base[i];
      switch (state_) {
        case State::kFieldStart:
        case State::kUnquoted:
          if (c == '\n') return i;
          if (c == delim_) state_ = State::kFieldStart;
          else if (c == '"' && state_ == State::kFieldStart) state_ = State::kQuoted;
          else state_ = State::kUnquoted;
          break;
        case State::kQuoted:
          if (c == '"') state_ = State::kQuoteInQuoted;
          else if (c == '\n') ++newlines_;
          break;
        case State::kQuoteInQuoted:
          if (c == '\n') return i;
          state_ = c == '"' ? State::kQuoted : c == delim_ ? State::kFieldStart : State::kUnquoted;
          break;
      }
    }
    return end;
  }

  // Reads the next raw record (without its line terminator). Returns false at end of input.
  // An over-long record is skipped to its end: long_record is set, long_size_ and
  // long_excerpt_ describe it and rec is empty.
  Result<bool> read_record(std::string_view& rec, bool& long_record) {
    long_record = false;
    while (true) {
      const size_t begin = input_.begin();
      const size_t stop = scan(input_.data(), begin + scanned_, input_.end());
      if (stop < input_.end() || (input_.eof() && begin < input_.end())) {
        const size_t next_begin = stop < input_.end() ? stop + 1 : stop;
        line_ += 1 + newlines_;
        size_t len = stop - begin;
        if (len > 0 && input_.data()[begin + len - 1] == '\r') --len;
        rec = std::string_view(input_.data() + begin, len);
        input_.set_begin(next_begin);
        reset_scan();
        if (len > options_.max_record_bytes) {
          long_record = true;
          long_size_ = len;
          long_excerpt_.assign(rec.substr(0, kExcerptBytes + 4));
          rec = {};
        }
        return true;
      }
      scanned_ = stop - begin;
      if (input_.eof()) return false;
      if (stop - begin > options_.max_record_bytes) return skip_long_record(long_record);
      auto n = input_.fill();
      if (!n) return tl::unexpected(n.error());
    }
  }

  Result<bool> skip_long_record(bool& long_record) {
    long_record = true;
    long_excerpt_.assign(input_.data() + input_.begin(), std::min(input_.end() - input_.begin(), kExcerptBytes + 4));
    long_size_ = 0;
    while (true) {
      const size_t begin = input_.begin();
      const size_t stop = scan(input_.data(), begin + scanned_, input_.end());
      if (stop < input_.end()) {
        long_size_ += stop - begin;
        input_.set_begin(stop + 1);
        break;
      }
      long_size_ += input_.end() - begin;
      input_.discard_all();
      scanned_ = 0;
      if (input_.eof()) break;
      auto n = input_.fill();
      if (!n) return tl::unexpected(n.error());
    }
    line_ += 1 + newlines_;
    reset_scan();
    return true;
  }

  // Splits one record into fields_. Returns false with why on malformed quoting.
  bool split(std::string_view rec, std::string& why) {
    size_t count = 0;
    auto next_field = [&]() -> std::string& {
      if (fields_.size() <= count) fields_.emplace_back();
      std::string& f = fields_[count++];
      f.clear();
      return f;
    };
    size_t i = 0;
    while (true) {
      std::string& field = next_field();
      if (quoting_ && i < rec.size() && rec[i] == '"') {
        ++i;
        while (true) {
          if (i >= rec.size()) {
            why = "unterminated quoted field " + std::to_string(count);
            return false;
          }
          const void* q = std::memchr(rec.data() + i, '"', rec.size() - i);
          const size_t at = q == nullptr ? rec.size() : static_cast<size_t>(static_cast<const char*>(q) - rec.data());
          field.append(rec.substr(i, at - i));
          i = at;
          if (i >= rec.size()) continue;
          if (i + 1 < rec.size() && rec[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (i < rec.size() && rec[i] != delim_) {
          why = "unexpected character after the closing quote of field " + std::to_string(count);
          return false;
        }
      } else {
        const void* d = std::memchr(rec.data() + i, delim_, rec.size() - i);
        const size_t at = d == nullptr ? rec.size() : static_cast<size_t>(static_cast<const char*>(d) - rec.data());
        field.assign(rec.substr(i, at - i));
        i = at;
      }
      if (i >= rec.size()) break;
      ++i;  // the delimiter
    }
    fields_.resize(count);
    return true;
  }

  std::string header_list() const {
    std::string out;
    for (size_t i = 0; i < header_.size() && i < 50; ++i) {
      if (i > 0) out += ", ";
      out += detail::utf8_excerpt(header_[i], 60);
    }
    if (header_.size() > 50) out += ", ...";
    return out;
  }

  Status map_columns() {
    const ColumnMap defaults;
    const ColumnMap& c = options_.columns;
    struct Entry {
      const char* field;
      const std::string& name;
      const std::string& default_name;
      int& index;
    };
    const Entry entries[] = {
        {"id", c.id, defaults.id, col_.id},
        {"text", c.text, defaults.text, col_.text},
        {"created_at", c.created_at, defaults.created_at, col_.created_at},
        {"lang", c.lang, defaults.lang, col_.lang},
        {"lat", c.lat, defaults.lat, col_.lat},
        {"lon", c.lon, defaults.lon, col_.lon},
        {"place", c.place, defaults.place, col_.place},
        {"user", c.user, defaults.user, col_.user},
        {"kind", c.kind, defaults.kind, col_.kind},
    };
    for (const Entry& e : entries) {
      e.index = -1;
      if (e.name.empty()) continue;
      const auto it = std::find(header_.begin(), header_.end(), e.name);
      if (it != header_.end()) {
        e.index = static_cast<int>(it - header_.begin());
        continue;
      }
      // A required column, or one the user named explicitly, must exist.
      const bool required = std::strcmp(e.field, "id") == 0 || std::strcmp(e.field, "text") == 0;
      if (required || e.name != e.default_name) {
        return make_error(ErrorCode::kInvalidArgument,
                          "'" + input_.path() + "': no column '" + e.name + "' for " + e.field +
                              " in the header (columns: " + header_list() + ")");
      }
    }
    return {};
  }

  std::string_view cell(int index) const {
    return index < 0 ? std::string_view() : std::string_view(fields_[static_cast<size_t>(index)]);
  }

  void to_post(std::string_view rec, uint64_t first_line, Record& record) {
    auto reject = [&](std::string id, std::string reason) {
      record.reject = make_reject(input_.path(), first_line, std::move(id), std::move(reason), rec);
    };
    std::string why;
    if (!split(rec, why)) return reject("", why);
    const std::string id =
        static_cast<size_t>(col_.id) < fields_.size() ? std::string(trim(fields_[static_cast<size_t>(col_.id)])) : "";
    if (fields_.size() != header_.size()) {
      return reject(id, "row has " + std::to_string(fields_.size()) + " fields, header has " +
                            std::to_string(header_.size()));
    }
    Post post;
    post.source = SourceRef{input_.path(), first_line};
    post.id = id;
    post.text = std::string(cell(col_.text));
    const std::string_view time = trim(cell(col_.created_at));
    if (time.empty()) {
      if (options_.require_time) return reject(id, "missing created_at");
    } else {
      auto ms = parse_timestamp(time);
      if (!ms) return reject(id, ms.error().message);
      post.created_at_ms = *ms;
    }
    const std::string_view lang = trim(cell(col_.lang));
    post.lang = lang == "und" ? std::string() : std::string(lang);
    auto lat = detail::parse_coordinate(cell(col_.lat), "lat");
    if (!lat) return reject(id, lat.error().message);
    auto lon = detail::parse_coordinate(cell(col_.lon), "lon");
    if (!lon) return reject(id, lon.error().message);
    if (lat->has_value() != lon->has_value()) return reject(id, "only one of lat/lon given");
    if (lat->has_value()) post.geo = GeoPoint{**lat, **lon};
    post.place = std::string(trim(cell(col_.place)));
    post.user = std::string(trim(cell(col_.user)));
    auto kind = detail::parse_kind(cell(col_.kind));
    if (!kind) return reject(id, kind.error().message);
    post.kind = *kind;
    if (auto ok = validate_post(post); !ok) return reject(id, ok.error().message);
    record.post = std::move(post);
  }

  struct Columns {
    int id = -1, text = -1, created_at = -1, lang = -1, lat = -1, lon = -1, place = -1, user = -1, kind = -1;
  };

  const char delim_;
  const bool quoting_;
  std::vector<std::string> header_;
  std::vector<std::string> fields_;
  Columns col_;
  uint64_t header_end_ = 0;
  uint64_t header_lines_ = 0;
  size_t scanned_ = 0;
  State state_ = State::kFieldStart;
  uint64_t newlines_ = 0;  // newlines inside quotes in the record being scanned
  uint64_t long_size_ = 0;
  std::string long_excerpt_;
};

Format format_from_path(const std::string& path) {
  std::string lower = lower_ascii(path);
  if (lower.ends_with(".csv")) return Format::kCsv;
  if (lower.ends_with(".tsv") || lower.ends_with(".tab")) return Format::kTsv;
  return Format::kJsonl;
}

}  // namespace

Result<Format> parse_format(std::string_view name) {
  const std::string n = lower_ascii(trim(name));
  if (n == "auto") return Format::kAuto;
  if (n == "jsonl" || n == "json" || n == "ndjson") return Format::kJsonl;
  if (n == "csv") return Format::kCsv;
  if (n == "tsv") return Format::kTsv;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown format '" + std::string(name) + "' (expected auto, jsonl, json, csv or tsv)");
}

Result<ColumnMap> parse_column_map(std::string_view spec) {
  ColumnMap map;
  static constexpr std::string_view kValid = "id, text, created_at, lang, lat, lon, place, user, kind";
  while (!trim(spec).empty()) {
    const size_t comma = spec.find(',');
    const std::string_view item = trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return make_error(ErrorCode::kInvalidArgument,
                        "bad column mapping '" + std::string(item) + "': expected field=column");
    }
    const std::string field(trim(item.substr(0, eq)));
    const std::string column(trim(item.substr(eq + 1)));
    std::string* target = field == "id"           ? &map.id
                          : field == "text"       ? &map.text
                          : field == "created_at" ? &map.created_at
                          : field == "lang"       ? &map.lang
                          : field == "lat"        ? &map.lat
                          : field == "lon"        ? &map.lon
                          : field == "place"      ? &map.place
                          : field == "user"       ? &map.user
                          : field == "kind"       ? &map.kind
                                                  : nullptr;
    if (target == nullptr) {
      return make_error(ErrorCode::kInvalidArgument,
                        "unknown field '" + field + "' in column mapping (valid: " + std::string(kValid) + ")");
    }
    if (column.empty() && (field == "id" || field == "text")) {
      return make_error(ErrorCode::kInvalidArgument, "the " + field + " column cannot be empty");
    }
    *target = column;
  }
  return map;
}

std::string reject_to_json(const Reject& reject) {
  JsonWriter w;
  w.begin_object();
  w.key("file").value(reject.source.file);
  w.key("line").value(reject.source.line);
  w.key("id").value(reject.id);
  w.key("reason").value(reject.reason);
  w.key("excerpt").value(reject.excerpt);
  w.end_object();
  return w.take();
}

Status validate_post(const Post& post) {
  if (trim(post.id).empty()) return make_error(ErrorCode::kParseError, "empty id");
  if (auto ok = check_string_field("id", post.id); !ok) return ok;
  if (auto ok = check_string_field("text", post.text); !ok) return ok;
  if (trim(post.text).empty()) return make_error(ErrorCode::kParseError, "empty text");
  if (auto ok = check_string_field("lang", post.lang); !ok) return ok;
  if (auto ok = check_string_field("place", post.place); !ok) return ok;
  if (auto ok = check_string_field("user", post.user); !ok) return ok;
  if (post.geo) {
    const double lat = post.geo->lat;
    const double lon = post.geo->lon;
    if (!std::isfinite(lat) || !std::isfinite(lon)) {
      return make_error(ErrorCode::kParseError, "lat/lon is not a finite number");
    }
    if (lat < -90 || lat > 90) {
      return make_error(ErrorCode::kParseError, "lat " + format_number(lat) + " out of range [-90, 90]");
    }
    if (lon < -180 || lon > 180) {
      return make_error(ErrorCode::kParseError, "lon " + format_number(lon) + " out of range [-180, 180]");
    }
  }
  return {};
}

Result<Post> parse_json_post(std::string_view json, const SourceRef& source) {
  return parse_json_post(json, source, true);
}

Result<Post> parse_json_post(std::string_view json, const SourceRef& source, bool require_time) {
  thread_local detail::JsonPostParser parser;
  thread_local std::string padded;
  padded.assign(json);
  padded.resize(json.size() + InputBuffer::kPadding, '\0');
  Post post;
  post.source = source;
  std::string reason;
  if (!parser.parse(padded.data(), json.size(), require_time, post, reason)) {
    return make_error(ErrorCode::kParseError, std::move(reason));
  }
  return post;
}

Result<std::unique_ptr<PostReader>> PostReader::open(const std::string& path, const ReaderOptions& options) {
  if (options.max_record_bytes == 0) {
    return make_error(ErrorCode::kInvalidArgument, "max_record_bytes must be positive");
  }
  const Format format = options.format == Format::kAuto ? format_from_path(path) : options.format;
  if (format == Format::kJsonl) {
    auto reader = std::make_unique<JsonlReader>(options);
    if (auto ok = reader->open_input(path); !ok) return tl::unexpected(ok.error());
    return std::unique_ptr<PostReader>(std::move(reader));
  }
  auto reader = std::make_unique<DelimitedReader>(options, format == Format::kCsv);
  if (auto ok = reader->open_input(path); !ok) return tl::unexpected(ok.error());
  if (auto ok = reader->read_header(); !ok) return tl::unexpected(ok.error());
  return std::unique_ptr<PostReader>(std::move(reader));
}

}  // namespace crema::ingest
