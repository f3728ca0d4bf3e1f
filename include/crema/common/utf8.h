// crema/common/utf8.h: the one UTF-8 well-formedness rule every module uses on outside bytes.
#pragma once

#include <cstddef>
#include <string_view>

namespace crema {

// Length (1-4) of the well-formed UTF-8 sequence that starts at s[i], or 0 when the bytes
// there are ill-formed: a stray continuation byte, an overlong form, a surrogate, a value
// above U+10FFFF, or a sequence cut short. When 0 is returned and maximal_subpart is given,
// *maximal_subpart is the length (>= 1) of the maximal ill-formed subpart at s[i]: the bytes
// Unicode's "one U+FFFD per maximal subpart" replacement skips. Requires i < s.size().
size_t utf8_sequence_length(std::string_view s, size_t i, size_t* maximal_subpart = nullptr);

}  // namespace crema
