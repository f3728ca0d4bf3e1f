// Crash-safe export files, CSV/number formatting, and the matches writer.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "crema/common/json_writer.h"
#include "export_internal.h"

namespace crema::store::detail {

Result<AtomicOutput> AtomicOutput::create(const std::string& path) {
  AtomicOutput out(path);
  out.fd_ = ::open(out.tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out.fd_ < 0) return make_error(ErrorCode::kIoError, "cannot create " + out.tmp_ + ": " + std::strerror(errno));
  out.buffer_.reserve(kFlushBytes + 4096);
  return out;
}

AtomicOutput::AtomicOutput(AtomicOutput&& other) noexcept
    : path_(std::move(other.path_)), tmp_(std::move(other.tmp_)), buffer_(std::move(other.buffer_)),
      fd_(std::exchange(other.fd_, -1)) {}

AtomicOutput::~AtomicOutput() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(tmp_.c_str());
  }
}

Status AtomicOutput::write(std::string_view data) {
  buffer_.append(data);
  if (buffer_.size() >= kFlushBytes) return flush();
  return {};
}

Status AtomicOutput::commit() {
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

Status AtomicOutput::flush() {
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

std::string coordinate_text(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::string("0");
}

std::string score_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", v);
  return buf;
}

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

void append_csv_row(std::string& out, std::span<const std::string> fields) {
  bool first = true;
  for (const std::string& f : fields) {
    if (!first) out.push_back(',');
    first = false;
    append_csv_field(out, f);
  }
  out += "\r\n";
}

Error exporting(Error error, const std::string& path) {
  error.message += " (exporting " + path + ")";
  return error;
}

Result<uint64_t> export_matches(sqlite::Database& db, ExportFormat format, const std::string& path,
                                std::optional<int64_t> since_ms, std::optional<int64_t> until_ms) {
  // Matches grouped by request (requests in insertion order, then by id for requests not
  // in the posts table), offers by rank.
  std::string sql =
      "SELECT m.request_id, m.rank, m.offer_id, m.score, m.s_text, m.w_time, m.w_loc, m.km "
      "FROM matches m LEFT JOIN posts p ON p.id = m.request_id";
  if (since_ms || until_ms) {
    sql += " WHERE 1";
    if (since_ms) sql += " AND p.created_at_ms >= ?1";
    if (until_ms) sql += " AND p.created_at_ms < ?2";
  }
  sql += " ORDER BY p.seq, m.request_id, m.rank";
  auto stmt = db.cached(sql, "preparing the matches export");
  if (!stmt) return tl::unexpected(stmt.error());
  sqlite::Statement& s = **stmt;
  if (since_ms) s.bind(1, *since_ms);
  if (until_ms) s.bind(2, *until_ms);
  auto out = AtomicOutput::create(path);
  if (!out) return tl::unexpected(out.error());
  uint64_t rows = 0;
  if (format == ExportFormat::kCsv) {
    std::string line;
    append_csv_row(line, {"request_id", "rank", "offer_id", "score", "s_text", "w_time", "w_loc", "km"});
    if (auto status = out->write(line); !status) return tl::unexpected(status.error());
    for (;;) {
      auto row = s.step();
      if (!row) return tl::unexpected(exporting(row.error(), path));
      if (!*row) break;
      const std::string rank = std::to_string(s.column_int64(1));
      const std::string scores[4] = {score_text(s.column_double(3)), score_text(s.column_double(4)),
                                     score_text(s.column_double(5)), score_text(s.column_double(6))};
      const std::string km = s.column_is_null(7) ? std::string() : score_text(s.column_double(7));
      line.clear();
      append_csv_row(line, {s.column_text(0), rank, s.column_text(2), scores[0], scores[1], scores[2], scores[3], km});
      if (auto status = out->write(line); !status) return tl::unexpected(status.error());
      ++rows;
    }
  } else {
    JsonWriter w;
    std::string current;  // request whose line is open in w
    auto close_line = [&]() -> Status {
      if (current.empty()) return {};
      w.end_array().end_object();
      std::string line = w.take();
      line.push_back('\n');
      w.clear();
      ++rows;
      return out->write(line);
    };
    for (;;) {
      auto row = s.step();
      if (!row) return tl::unexpected(exporting(row.error(), path));
      if (!*row) break;
      const std::string_view request = s.column_text(0);
      if (request != current) {
        if (auto status = close_line(); !status) return tl::unexpected(status.error());
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
    if (auto status = close_line(); !status) return tl::unexpected(status.error());
  }
  if (auto status = out->commit(); !status) return tl::unexpected(status.error());
  return rows;
}

}  // namespace crema::store::detail
