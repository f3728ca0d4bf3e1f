// crema/ingest/reader.h: reading posts from files and streams, with every bad record
// turned into a Reject that names the source, line and reason (never a crash, never a
// silent drop).
//
// Formats:
//  - JSONL, one object per line, in any of these shapes (detected per record):
//    generic  {id, text, created_at, lang?, lat?, lon?, place?, user?, kind?}
//    Twitter v1.1 {id_str|id, full_text|text|extended_tweet.full_text, created_at,
//                  lang, coordinates.coordinates [lon,lat], place.full_name, user.screen_name}
//    Twitter v2   {data: {id, text, created_at, lang, geo.coordinates.coordinates}, includes?}
//                 or the flat v2 tweet object {id, text, created_at, author_id, geo}
//  - CSV / TSV (RFC 4180 quoting, header row) mapped by a ColumnMap.
// Input is "-" for stdin (streaming). Lines over ReaderOptions::max_record_bytes are
// rejected without being held in memory whole.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "crema/common/post.h"
#include "crema/common/result.h"

namespace crema::ingest {

enum class Format { kAuto, kJsonl, kCsv, kTsv };

// Parses "auto", "jsonl", "json", "csv", "tsv".
Result<Format> parse_format(std::string_view name);

// Which CSV/TSV column holds which field. Empty = field absent.
struct ColumnMap {
  std::string id = "id";
  std::string text = "text";
  std::string created_at = "created_at";
  std::string lang = "lang";
  std::string lat = "lat";
  std::string lon = "lon";
  std::string place = "place";
  std::string user = "user";
  std::string kind = "kind";
};

// Parses "--columns id=tweet_id,text=message,created_at=date" on top of the defaults.
// Unknown field names are an error that lists the valid ones.
Result<ColumnMap> parse_column_map(std::string_view spec);

struct ReaderOptions {
  Format format = Format::kAuto;  // kAuto: .csv -> CSV, .tsv/.tab -> TSV, else JSONL
  ColumnMap columns;
  size_t max_record_bytes = 1 << 20;  // 1 MiB
  // When false, a record without created_at gets created_at_ms = 0 instead of a reject
  // (classify-only data has no times). An unparseable time is always a reject.
  bool require_time = true;
};

// A record that could not become a Post.
struct Reject {
  SourceRef source;
  std::string id;       // the record's id if it could be read, else empty
  std::string reason;   // e.g. "invalid JSON at byte 17: unclosed string", "missing text"
  std::string excerpt;  // first <= 200 bytes of the record, made valid UTF-8
};

// One rejects.jsonl line (no trailing newline):
// {"file":…,"line":…,"id":…,"reason":…,"excerpt":…}
std::string reject_to_json(const Reject& reject);

// Parses one JSON object in any supported shape. Errors are parse errors whose message is
// the reject reason. `source` only fills Post::source.
Result<Post> parse_json_post(std::string_view json, const SourceRef& source = {});
// Same, with ReaderOptions::require_time's meaning for a missing created_at.
// Thread-safe (one parser per thread).
Result<Post> parse_json_post(std::string_view json, const SourceRef& source, bool require_time);

// Validates a post's fields (non-empty id and text, valid UTF-8, lat/lon in range);
// shared by every format. Returns the reject reason on failure.
Status validate_post(const Post& post);

// Pull-based reader over one input. Not thread-safe.
class PostReader {
 public:
  virtual ~PostReader() = default;

  // Opens path ("-" = stdin). Fails if the file cannot be opened or, for CSV/TSV, if the
  // header lacks the id or text column.
  static Result<std::unique_ptr<PostReader>> open(const std::string& path,
                                                  const ReaderOptions& options = {});

  // Reads the next record into exactly one of post / reject. Returns false at end of
  // input; an error only when the stream itself fails (I/O error).
  struct Record {
    std::optional<Post> post;
    std::optional<Reject> reject;
  };
  virtual Result<bool> next(Record& record) = 0;

  // Skips forward to just after byte offset `offset` (a value previously returned by
  // position()), restoring the line counter to `line`. Used by --resume. Not for stdin.
  virtual Status seek(uint64_t offset, uint64_t line) = 0;

  // Byte offset just past the last record returned, and its line number.
  virtual uint64_t position() const = 0;
  virtual uint64_t line() const = 0;
  // Total size in bytes, 0 when unknown (stdin, pipes). For progress bars.
  virtual uint64_t size_bytes() const = 0;
};

}  // namespace crema::ingest
