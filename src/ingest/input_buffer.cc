#include "input_buffer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace crema::ingest::detail {

InputBuffer::~InputBuffer() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

Status InputBuffer::open(const std::string& path, size_t max_buffer) {
  path_ = path;
  max_buffer_ = std::max(max_buffer, kChunk);
  if (path == "-") {
    fd_ = STDIN_FILENO;
    owns_fd_ = false;
  } else {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      const int e = errno;
      return make_error(e == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIoError,
                        "cannot open '" + path + "': " + std::strerror(e));
    }
    owns_fd_ = true;
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    return make_error(ErrorCode::kIoError, "cannot stat '" + path + "': " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) return make_error(ErrorCode::kInvalidArgument, "'" + path + "' is a directory");
  seekable_ = S_ISREG(st.st_mode);
  size_bytes_ = seekable_ ? static_cast<uint64_t>(st.st_size) : 0;
  // A small file gets a buffer its size (opening many small files stays cheap); the buffer
  // grows on demand when a record does not fit.
  const size_t initial = seekable_ ? static_cast<size_t>(std::clamp<uint64_t>(size_bytes_ + 1, 4096, kChunk)) : kChunk;
  buf_.assign(initial + kPadding, '\0');
  return {};
}

Result<size_t> InputBuffer::fill() {
  if (eof_) return 0;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    base_offset_ += begin_;
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == capacity()) {
    if (capacity() >= max_buffer_) return 0;
    buf_.resize(std::min(capacity() * 2, max_buffer_) + kPadding, '\0');
  }
  while (true) {
    const ssize_t n = ::read(fd_, buf_.data() + end_, capacity() - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(ErrorCode::kIoError, "read error on '" + path_ + "': " + std::strerror(errno));
    if (n == 0) eof_ = true;
    end_ += static_cast<size_t>(n);
    return static_cast<size_t>(n);
  }
}

Status InputBuffer::seek(uint64_t offset) {
  if (seekable_) {
    if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) {
      return make_error(ErrorCode::kIoError, "cannot seek in '" + path_ + "': " + std::strerror(errno));
    }
    base_offset_ = offset;
    begin_ = end_ = 0;
    eof_ = false;
    return {};
  }
  if (offset < offset_of(begin_)) {
    return make_error(ErrorCode::kUnsupported, "cannot seek backwards in '" + path_ + "' (not a regular file)");
  }
  while (offset_of(end_) < offset) {
    begin_ = end_;
    auto n = fill();
    if (!n) return tl::unexpected(n.error());
    if (*n == 0 && eof_) {
      return make_error(ErrorCode::kInvalidArgument,
                        "cannot seek to byte " + std::to_string(offset) + " of '" + path_ + "': input ends first");
    }
  }
  begin_ = static_cast<size_t>(offset - base_offset_);
  return {};
}

}  // namespace crema::ingest::detail
