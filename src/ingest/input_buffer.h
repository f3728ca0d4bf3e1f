// src/ingest/input_buffer.h: large-chunk buffered reading of a file or stdin (private).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "crema/common/result.h"

namespace crema::ingest::detail {

// Owns a file descriptor and a growable buffer. Unread bytes are buf[begin, end); the
// buffer always has kPadding readable bytes past its end so simdjson can parse in place.
class InputBuffer {
 public:
  static constexpr size_t kChunk = 1 << 20;
  static constexpr size_t kPadding = 64;  // >= SIMDJSON_PADDING

  InputBuffer() = default;
  ~InputBuffer();
  InputBuffer(const InputBuffer&) = delete;
  InputBuffer& operator=(const InputBuffer&) = delete;

  // Opens path ("-" = stdin). max_buffer bounds how far the buffer may grow.
  Status open(const std::string& path, size_t max_buffer);

  // Reads more bytes, first moving the unread bytes to the front (and growing the buffer
  // when it is full and below max_buffer). Returns the number of bytes read; 0 at EOF or
  // when the buffer is full.
  Result<size_t> fill();

  // Drops every unread byte.
  void discard_all() { begin_ = end_; }

  // Repositions to an absolute byte offset: lseek where possible, else (pipes) by reading
  // forward; backwards on a pipe is an error.
  Status seek(uint64_t offset);

  char* data() { return buf_.data(); }
  size_t begin() const { return begin_; }
  size_t end() const { return end_; }
  void set_begin(size_t b) { begin_ = b; }
  bool eof() const { return eof_; }
  size_t capacity() const { return buf_.empty() ? 0 : buf_.size() - kPadding; }
  // Absolute input offset of buffer index i.
  uint64_t offset_of(size_t i) const { return base_offset_ + i; }
  uint64_t size_bytes() const { return size_bytes_; }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  bool owns_fd_ = false;
  std::string path_;
  std::vector<char> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
  size_t max_buffer_ = kChunk;
  uint64_t base_offset_ = 0;
  uint64_t size_bytes_ = 0;
  bool eof_ = false;
  bool seekable_ = false;
};

}  // namespace crema::ingest::detail
