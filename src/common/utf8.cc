#include "crema/common/utf8.h"

#include <cstdint>

namespace crema {

size_t utf8_sequence_length(std::string_view s, size_t i, size_t* maximal_subpart) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) return 1;
  size_t n = 0;
  // The allowed range of the second byte rules out overlongs, surrogates and > U+10FFFF.
  uint8_t lo = 0x80;
  uint8_t hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    if (maximal_subpart != nullptr) *maximal_subpart = 1;
    return 0;
  }
  for (size_t k = 1; k < n; ++k) {
    const bool ok = i + k < s.size() && [&] {
      const auto b = static_cast<uint8_t>(s[i + k]);
      return k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    }();
    if (!ok) {
      if (maximal_subpart != nullptr) *maximal_subpart = k;
      return 0;
    }
  }
  return n;
}

}  // namespace crema
