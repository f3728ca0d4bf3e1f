#include "input.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace crema::engine {

Status read_batch(ingest::PostReader& reader, const std::string& input, size_t max_records, InputBatch& batch) {
  batch.posts.clear();
  batch.rejects.clear();
  batch.end_of_input = false;
  ingest::PostReader::Record record;
  for (size_t n = 0; n < max_records; ++n) {
    record.post.reset();
    record.reject.reset();
    auto more = reader.next(record);
    if (!more) return tl::unexpected(more.error());
    if (!*more) {
      batch.end_of_input = true;
      break;
    }
    if (record.post) batch.posts.push_back(std::move(*record.post));
    if (record.reject) batch.rejects.push_back(std::move(*record.reject));
  }
  batch.checkpoint = store::Checkpoint{input, reader.position(), reader.line()};
  return {};
}

Result<std::unique_ptr<RejectsFile>> RejectsFile::open(const std::string& path, bool append) {
  std::FILE* file = std::fopen(path.c_str(), append ? "ab" : "wb");
  if (file == nullptr) {
    return make_error(ErrorCode::kIoError, "cannot open " + path + ": " + std::strerror(errno));
  }
  return std::unique_ptr<RejectsFile>(new RejectsFile(file, path));
}

RejectsFile::~RejectsFile() { std::fclose(file_); }

Status RejectsFile::write(const std::vector<ingest::Reject>& rejects) {
  for (const auto& reject : rejects) {
    const std::string line = ingest::reject_to_json(reject) + "\n";
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
      return make_error(ErrorCode::kIoError, "cannot write " + path_);
    }
  }
  if (std::fflush(file_) != 0) return make_error(ErrorCode::kIoError, "cannot flush " + path_);
  return {};
}

uint64_t total_input_bytes(const std::vector<std::string>& inputs) {
  uint64_t total = 0;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (input == "-") return 0;
    const auto size = std::filesystem::file_size(input, ec);
    if (ec) return 0;
    total += size;
  }
  return total;
}

}  // namespace crema::engine
