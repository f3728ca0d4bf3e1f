// Fuzz target: arbitrary bytes written to a temp file and read to the end by PostReader.
// The first byte picks the format (mostly CSV; also TSV and JSONL, whose line reader shares
// the buffering) and a small max_record_bytes so the over-long-record path runs too.
// Invariants: every record is exactly one of post/reject, posts pass validate_post, record
// line numbers never go backwards, and reading always terminates.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "crema/ingest/reader.h"

namespace {

const std::string& temp_path() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    std::string name = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/crema_ingest_csv_fuzz_XXXXXX";
    const int fd = ::mkstemp(name.data());
    if (fd < 0) std::abort();
    ::close(fd);
    return name;
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  crema::ingest::ReaderOptions options;
  const uint8_t mode = data[0];
  options.format = (mode & 3) == 2   ? crema::ingest::Format::kTsv
                   : (mode & 3) == 3 ? crema::ingest::Format::kJsonl
                                     : crema::ingest::Format::kCsv;
  options.max_record_bytes = 16 + (mode >> 2) * 8;
  options.require_time = (mode & 4) != 0;
  {
    std::FILE* f = std::fopen(temp_path().c_str(), "wb");
    if (f == nullptr) std::abort();
    std::fwrite(data + 1, 1, size - 1, f);
    std::fclose(f);
  }
  auto reader = crema::ingest::PostReader::open(temp_path(), options);
  if (!reader) return 0;  // e.g. no header row or no id column
  crema::ingest::PostReader::Record record;
  uint64_t last_line = 0;
  for (size_t n = 0;; ++n) {
    if (n > size + 2) std::abort();  // more records than bytes: the reader is stuck
    auto more = (*reader)->next(record);
    if (!more) std::abort();  // a regular file never fails to read
    if (!*more) break;
    if (record.post.has_value() == record.reject.has_value()) std::abort();
    const uint64_t line = record.post ? record.post->source.line : record.reject->source.line;
    if (line <= last_line && n > 0) std::abort();
    last_line = line;
    if (record.post && !crema::ingest::validate_post(*record.post)) std::abort();
    if (record.reject && record.reject->reason.empty()) std::abort();
    if ((*reader)->position() > (*reader)->size_bytes()) std::abort();
  }
  return 0;
}
