// src/ingest/json_post.h: one JSON record -> Post, for every supported shape (private).
#pragma once

#include <cstddef>
#include <string>

#include <simdjson.h>

#include "crema/common/post.h"

namespace crema::ingest::detail {

// Reusable parser (keeps simdjson's buffers between records). Not thread-safe.
class JsonPostParser {
 public:
  // Parses data[0, size). The SIMDJSON_PADDING bytes after data + size must be readable.
  // On failure returns false and sets reason; post.id is set when the id could be read.
  bool parse(const char* data, size_t size, bool require_time, Post& post, std::string& reason);

 private:
  simdjson::dom::parser parser_;
};

}  // namespace crema::ingest::detail
