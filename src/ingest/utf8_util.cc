#include "utf8_util.h"

#include <cstdint>

#include <simdjson.h>

#include "crema/common/utf8.h"

namespace crema::ingest::detail {

size_t utf8_sequence_length(std::string_view s) { return s.empty() ? 0 : crema::utf8_sequence_length(s, 0); }

size_t find_invalid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<uint8_t>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t len = utf8_sequence_length(s.substr(i));
    if (len == 0) return i;
    i += len;
  }
  return kNoError;
}

bool valid_utf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

std::string utf8_excerpt(std::string_view s, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(s.size(), max_bytes) + 8);
  size_t i = 0;
  while (i < s.size() && i < max_bytes) {
    const auto b = static_cast<uint8_t>(s[i]);
    if (b < 0x80) {
      out.push_back(s[i]);
      ++i;
      continue;
    }
    const size_t len = utf8_sequence_length(s.substr(i));
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (i + len > max_bytes) break;  // do not split a character at the cut
    out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

}  // namespace crema::ingest::detail
