// crema/common/result.h: the error type every module returns across its boundary.
//
// No exception escapes the library: functions that can fail return Result<T>
// (tl::expected<T, Error>). Error carries a code a program can branch on and a message a
// person can act on (it names the file, record or field and the reason).
#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace crema {

enum class ErrorCode {
  kInvalidArgument,  // the caller passed something unusable (bad flag value, bad shape)
  kNotFound,         // a file, model or record that should exist does not
  kIoError,          // the OS refused a read or write
  kCorrupt,          // a file exists but its bytes are not what the format requires
  kParseError,       // an input record could not be parsed
  kUnsupported,      // a valid request this build cannot serve
  kInternal,         // a broken invariant: a bug in crema
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

template <typename T>
using Result = tl::expected<T, Error>;

// Status is Result<void>: success carries no value.
using Status = Result<void>;

inline tl::unexpected<Error> make_error(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

// Short name of a code, e.g. "not_found", for logs and JSON.
const char* error_code_name(ErrorCode code);

}  // namespace crema
