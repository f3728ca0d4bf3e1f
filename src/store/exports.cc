// Exports of the store as JSONL and CSV: streamed row by row from one read snapshot,
// written to path.tmp and renamed over path only when complete.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "crema/common/json_writer.h"
#include "crema/common/time.h"
#include "store_impl.h"

namespace crema::store {
namespace {

// A file that appears at `path` complete or not at all (temp + fsync + rename + fsync of
// the directory). Destroyed uncommitted, it removes the temp file.
class AtomicOutput {
 public:
  static Result<AtomicOutput> create(const std::string& path) {
    AtomicOutput out(path);
    out.fd_ = ::open(out.tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out.fd_ < 0) return make_error(ErrorCode::kIoError, "cannot create " + out.tmp_ + ": " + std::strerror(errno));
    out.buffer_.reserve(kFlushBytes + 4096);
    return out;
  }
  AtomicOutput(AtomicOutput&& other) noexcept
      : path_(std::move(other.path_)), tmp_(std::move(other.tmp_)), buffer_(std::move(other.buffer_)),
        fd_(std::exchange(other.fd_, -1)) {}
  AtomicOutput& operator=(AtomicOutput&&) = delete;
  ~AtomicOutput() {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(tmp_.c_str());
    }
  }

  // Appends; writes to the file once 1 MiB has gathered.
  Status write(std::string_view data) {
    buffer_.append(data);
    if (buffer_.size() >= kFlushBytes) return flush();
    return {};
  }

  Status commit() {
    if (auto status = flush(); !status) return status;
    const int fd = std::exchange(fd_, -1);
    if (::fsync(fd) != 0) {
      const std::string reason = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp_.c_str());
      return make_error(ErrorCode::kIoError, "cannot flush " + tmp_ + ": " + reason);
    }
    if (::close(fd) != 0 || ::rename(tmp_.c_str(), path_.c_str()) != 0) {
      const std::string reason = std::strerror(errno);
      ::unlink(tmp_.c_str());
      return make_error(ErrorCode::kIoError, "cannot move " + tmp_ + " to " + path_ + ": " + reason);
    }
    // Make the rename itself durable.
    const std::filesystem::path parent = std::filesystem::path(path_).parent_path();
    const std::filesystem::path dir = parent.empty() ? std::filesystem::path(".") : parent;
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
      ::fsync(dir_fd);
      ::close(dir_fd);
    }
    return {};
  }

 private:
  static constexpr size_t kFlushBytes = size_t{1} << 20;
  explicit AtomicOutput(const std::string& path) : path_(path), tmp_(path + ".tmp") {}

  Status flush() {
    size_t done = 0;
    while (done < buffer_.size()) {
      const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return make_error(ErrorCode::kIoError, "cannot write " + tmp_ + ": " + std::strerror(errno));
      }
      done += static_cast<size_t>(n);
    }
    buffer_.clear();
    return {};
  }

  std::string path_, tmp_, buffer_;
  int fd_ = -1;
};

// Coordinates at full precision (shortest round-trip form); JsonWriter's 7 significant
// digits would round longitudes above 100° to ~10 m.
std::string coordinate_text(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::string("0");
}

// Scores and probabilities, as JsonWriter writes them (7 significant digits).
std::string score_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", v);
  return buf;
}

// RFC 4180: quote a field holding a comma, quote, CR or LF; double the quotes inside.
void append_csv_field(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void append_csv_row(std::string& out, std::initializer_list<std::string_view> fields) {
  bool first = true;
  for (std::string_view f : fields) {
    if (!first) out.push_back(',');
    first = false;
    append_csv_field(out, f);
  }
  out += "\r\n";
}

// Every post in insertion order. resources is re-serialised by SQLite's json(), which
// also fails loudly on a damaged value instead of passing it through.
constexpr const char* kExportPosts = R"sql(
SELECT id, created_at_ms, lang, label, p_request, p_offer, p_request_and_offer, p_irrelevant,
       json(resources), (SELECT group_concat(value, ';') FROM json_each(posts.resources)),
       duplicate_of, lat, lon, place, user, text, normalized
FROM posts ORDER BY seq)sql";

// Matches grouped by request (requests in insertion order, then by id for requests not in
// the posts table), offers by rank.
constexpr const char* kExportMatches = R"sql(
SELECT m.request_id, m.rank, m.offer_id, m.score, m.s_text, m.w_time, m.w_loc, m.km
FROM matches m LEFT JOIN posts p ON p.id = m.request_id
ORDER BY p.seq, m.request_id, m.rank)sql";

Status with_context(Status status, const std::string& path) {
  if (status) return status;
  Error e = status.error();
  e.message += " (exporting " + path + ")";
  return tl::unexpected(e);
}

}  // namespace

Status SqliteStore::export_posts_jsonl(const std::string& path) {
  auto out = AtomicOutput::create(path);
  if (!out) return tl::unexpected(out.error());
  auto stmt = db_.cached(kExportPosts, "preparing the posts export");
  if (!stmt) return tl::unexpected(stmt.error());
  sqlite::Statement& s = **stmt;
  JsonWriter w;
  for (;;) {
    auto row = s.step();
    if (!row) return with_context(tl::unexpected(row.error()), path);
    if (!*row) break;
    w.clear();
    w.begin_object();
    w.key("id").value(s.column_text(0));
    w.key("created_at").value(format_timestamp(s.column_int64(1)));
    w.key("lang").value(s.column_text(2));
    w.key("label").value(s.column_text(3));
    w.key("probs").begin_object();
    for (int k = 0; k < kNumLabels; ++k) w.key(label_name(static_cast<Label>(k))).value(s.column_double(4 + k));
    w.end_object();
    w.key("resources").raw(s.column_is_null(8) ? std::string_view("[]") : s.column_text(8));
    w.key("duplicate_of");
    if (s.column_is_null(10)) {
      w.null();
    } else {
      w.value(s.column_text(10));
    }
    for (int col : {11, 12}) {
      w.key(col == 11 ? "lat" : "lon");
      if (s.column_is_null(11) || s.column_is_null(12)) {
        w.null();
      } else {
        w.raw(coordinate_text(s.column_double(col)));
      }
    }
    for (int col : {13, 14}) {
      w.key(col == 13 ? "place" : "user");
      if (s.column_is_null(col)) {
        w.null();
      } else {
        w.value(s.column_text(col));
      }
    }
    w.key("text").value(s.column_text(15));
    w.key("normalized").value(s.column_text(16));
    w.end_object();
    std::string line = w.take();
    line.push_back('\n');
    if (auto status = out->write(line); !status) return status;
  }
  return out->commit();
}

Status SqliteStore::export_posts_csv(const std::string& path) {
  auto out = AtomicOutput::create(path);
  if (!out) return tl::unexpected(out.error());
  auto stmt = db_.cached(kExportPosts, "preparing the posts export");
  if (!stmt) return tl::unexpected(stmt.error());
  sqlite::Statement& s = **stmt;
  std::string line;
  append_csv_row(line, {"id", "created_at", "lang", "label", "p_request", "p_offer", "p_request_and_offer",
                        "p_irrelevant", "resources", "duplicate_of", "lat", "lon", "place", "user", "text",
                        "normalized"});
  if (auto status = out->write(line); !status) return status;
  for (;;) {
    auto row = s.step();
    if (!row) return with_context(tl::unexpected(row.error()), path);
    if (!*row) break;
    const bool located = !s.column_is_null(11) && !s.column_is_null(12);
    const std::string created = format_timestamp(s.column_int64(1));
    const std::string probs[kNumLabels] = {score_text(s.column_double(4)), score_text(s.column_double(5)),
                                           score_text(s.column_double(6)), score_text(s.column_double(7))};
    const std::string lat = located ? coordinate_text(s.column_double(11)) : std::string();
    const std::string lon = located ? coordinate_text(s.column_double(12)) : std::string();
    line.clear();
    append_csv_row(line, {s.column_text(0), created, s.column_text(2), s.column_text(3), probs[0], probs[1], probs[2],
                          probs[3], s.column_text(9), s.column_text(10), lat, lon, s.column_text(13),
                          s.column_text(14), s.column_text(15), s.column_text(16)});
    if (auto status = out->write(line); !status) return status;
  }
  return out->commit();
}

Status SqliteStore::export_matches_jsonl(const std::string& path) {
  auto out = AtomicOutput::create(path);
  if (!out) return tl::unexpected(out.error());
  auto stmt = db_.cached(kExportMatches, "preparing the matches export");
  if (!stmt) return tl::unexpected(stmt.error());
  sqlite::Statement& s = **stmt;
  JsonWriter w;
  std::string current;  // request whose line is open in w
  auto close_line = [&]() -> Status {
    if (current.empty()) return {};
    w.end_array().end_object();
    std::string line = w.take();
    line.push_back('\n');
    w.clear();
    return out->write(line);
  };
  for (;;) {
    auto row = s.step();
    if (!row) return with_context(tl::unexpected(row.error()), path);
    if (!*row) break;
    const std::string_view request = s.column_text(0);
    if (request != current) {
      if (auto status = close_line(); !status) return status;
      current.assign(request);
      w.begin_object().key("request_id").value(request).key("offers").begin_array();
    }
    w.begin_object().key("id").value(s.column_text(2));
    w.key("score").value(s.column_double(3)).key("s_text").value(s.column_double(4));
    w.key("w_time").value(s.column_double(5)).key("w_loc").value(s.column_double(6));
    w.key("km");
    if (s.column_is_null(7)) {
      w.null();
    } else {
      w.value(s.column_double(7));
    }
    w.end_object();
  }
  if (auto status = close_line(); !status) return status;
  return out->commit();
}

Status SqliteStore::export_matches_csv(const std::string& path) {
  auto out = AtomicOutput::create(path);
  if (!out) return tl::unexpected(out.error());
  auto stmt = db_.cached(kExportMatches, "preparing the matches export");
  if (!stmt) return tl::unexpected(stmt.error());
  sqlite::Statement& s = **stmt;
  std::string line;
  append_csv_row(line, {"request_id", "rank", "offer_id", "score", "s_text", "w_time", "w_loc", "km"});
  if (auto status = out->write(line); !status) return status;
  for (;;) {
    auto row = s.step();
    if (!row) return with_context(tl::unexpected(row.error()), path);
    if (!*row) break;
    const std::string rank = std::to_string(s.column_int64(1));
    const std::string scores[4] = {score_text(s.column_double(3)), score_text(s.column_double(4)),
                                   score_text(s.column_double(5)), score_text(s.column_double(6))};
    const std::string km = s.column_is_null(7) ? std::string() : score_text(s.column_double(7));
    line.clear();
    append_csv_row(line, {s.column_text(0), rank, s.column_text(2), scores[0], scores[1], scores[2], scores[3], km});
    if (auto status = out->write(line); !status) return status;
  }
  return out->commit();
}

}  // namespace crema::store
