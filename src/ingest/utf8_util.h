// src/ingest/utf8_util.h: UTF-8 checks and repairs shared by the readers (private).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace crema::ingest::detail {

inline constexpr size_t kNoError = static_cast<size_t>(-1);

// Byte offset of the first byte that does not start a well-formed UTF-8 sequence (overlongs,
// surrogates and values above U+10FFFF count as ill-formed), or kNoError.
size_t find_invalid_utf8(std::string_view s);

// Length of the well-formed UTF-8 sequence starting at s[0], or 0 if ill-formed/empty.
size_t utf8_sequence_length(std::string_view s);

// True when s is well-formed UTF-8 (fast path: simdjson's validator).
bool valid_utf8(std::string_view s);

// The first <= max_bytes bytes of s, cut at a character boundary, with ill-formed bytes
// replaced by U+FFFD (so the result may be up to 3 bytes longer per replaced byte).
std::string utf8_excerpt(std::string_view s, size_t max_bytes);

}  // namespace crema::ingest::detail
