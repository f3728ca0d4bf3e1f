// src/engine/input.h: reads the inputs of a job in batches, splitting records into posts
// and rejects and writing rejects.jsonl. Private to the engine.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "crema/ingest/reader.h"
#include "crema/store/store.h"

namespace crema::engine {

struct InputBatch {
  std::vector<Post> posts;
  std::vector<ingest::Reject> rejects;
  store::Checkpoint checkpoint;  // where the input stands after this batch
  bool end_of_input = false;
};

// Reads up to max_records records from reader into batch (cleared first).
Status read_batch(ingest::PostReader& reader, const std::string& input, size_t max_records, InputBatch& batch);

// Appends rejects to a JSONL file (one line each), flushing after every call.
class RejectsFile {
 public:
  // Truncates the file unless append is set.
  static Result<std::unique_ptr<RejectsFile>> open(const std::string& path, bool append);
  ~RejectsFile();
  RejectsFile(const RejectsFile&) = delete;
  RejectsFile& operator=(const RejectsFile&) = delete;
  Status write(const std::vector<ingest::Reject>& rejects);

 private:
  explicit RejectsFile(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
  std::FILE* file_;
  std::string path_;
};

// Stage progress across several inputs: bytes done over bytes total where sizes are known.
uint64_t total_input_bytes(const std::vector<std::string>& inputs);

}  // namespace crema::engine
