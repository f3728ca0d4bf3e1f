// src/store/export_internal.h: what the store's exports share — crash-safe output files,
// CSV and number formatting, and the streaming post/match writers behind both
// Store::export_* (crema run) and export_store() (crema export).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crema/store/export.h"
#include "sqlite.h"

namespace crema::store::detail {

// A file that appears at `path` complete or not at all (temp + fsync + rename + fsync of
// the directory). Destroyed uncommitted, it removes the temp file.
class AtomicOutput {
 public:
  static Result<AtomicOutput> create(const std::string& path);
  AtomicOutput(AtomicOutput&& other) noexcept;
  AtomicOutput& operator=(AtomicOutput&&) = delete;
  ~AtomicOutput();

  // Appends; writes to the file once 1 MiB has gathered.
  Status write(std::string_view data);
  Status commit();
  const std::string& path() const { return path_; }

 private:
  static constexpr size_t kFlushBytes = size_t{1} << 20;
  explicit AtomicOutput(const std::string& path) : path_(path), tmp_(path + ".tmp") {}
  Status flush();

  std::string path_, tmp_, buffer_;
  int fd_ = -1;
};

// Coordinates at full precision (shortest round-trip form); JsonWriter's 7 significant
// digits would round longitudes above 100° to ~10 m.
std::string coordinate_text(double v);
// Scores and probabilities, as JsonWriter writes them (7 significant digits).
std::string score_text(double v);

// RFC 4180: quote a field holding a comma, quote, CR or LF; double the quotes inside.
void append_csv_field(std::string& out, std::string_view field);
// Fields joined by commas, ended by CRLF.
void append_csv_row(std::string& out, std::initializer_list<std::string_view> fields);
void append_csv_row(std::string& out, std::span<const std::string> fields);

// error with " (exporting PATH)" appended to its message.
Error exporting(Error error, const std::string& path);

// Which posts a pass reads (kind kMatches is not a post kind).
struct PostQuery {
  ExportKind kind = ExportKind::kPosts;
  std::optional<Label> label;
  std::optional<int64_t> since_ms, until_ms;
};

struct PostPassSettings {
  bool unmask_pii = false;
  PostLayout layout = PostLayout::kFull;
  int threads = 1;
  const PiiMasker* masker = nullptr;  // required unless unmask_pii with layout kRun
  ProgressFn progress;
};

struct PostPassResult {
  std::vector<uint64_t> rows;  // per output, in the order given
  uint64_t masked_spans = 0;
};

// One pass over the posts of `query` (insertion order) writing every (format, path) output
// (formats must be supported for query.kind). Each output is committed only when the
// whole pass succeeded.
Result<PostPassResult> export_posts(sqlite::Database& db, const PostQuery& query,
                                    std::span<const std::pair<ExportFormat, std::string>> outputs,
                                    const PostPassSettings& settings);

// The match table as JSONL (one line per request, crema match's shape) or CSV, requests in
// insertion order; since/until filter by the request's created_at_ms.
Result<uint64_t> export_matches(sqlite::Database& db, ExportFormat format, const std::string& path,
                                std::optional<int64_t> since_ms, std::optional<int64_t> until_ms);

}  // namespace crema::store::detail
