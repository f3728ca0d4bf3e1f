#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include "crema/text/normalize.h"

namespace crema::text {
namespace {

bool is_ideograph(UChar32 c) {
  const UScriptCode script = static_cast<UScriptCode>(u_getIntPropertyValue(c, UCHAR_SCRIPT));
  return u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC) || script == USCRIPT_HIRAGANA ||
         script == USCRIPT_KATAKANA || script == USCRIPT_THAI || script == USCRIPT_LAO ||
         script == USCRIPT_KHMER || script == USCRIPT_MYANMAR;
}

void append_utf8(std::string& out, UChar32 c) {
  char buf[U8_MAX_LENGTH];
  int32_t len = 0;
  UBool error = false;
  U8_APPEND(buf, len, U8_MAX_LENGTH, c, error);
  if (!error) out.append(buf, static_cast<size_t>(len));
}

}  // namespace

std::vector<std::string> word_tokens(std::string_view s) {
  std::vector<std::string> tokens;
  std::string current;
  const auto* bytes = reinterpret_cast<const uint8_t*>(s.data());
  const auto length = static_cast<int32_t>(s.size());
  int32_t i = 0;
  while (i < length) {
    UChar32 c = 0;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) c = 0xFFFD;
    // Marks (Devanagari vowel signs, Arabic harakat) belong to the word they follow.
    const bool word_char = u_isalnum(c) || (u_getCombiningClass(c) > 0) ||
                           u_charType(c) == U_NON_SPACING_MARK || u_charType(c) == U_COMBINING_SPACING_MARK;
    if (word_char && is_ideograph(c)) {
      if (!current.empty()) tokens.push_back(std::move(current));
      current.clear();
      std::string single;
      append_utf8(single, c);
      tokens.push_back(std::move(single));
      continue;
    }
    if (word_char) {
      append_utf8(current, u_tolower(c));
    } else if (!current.empty()) {
      tokens.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

}  // namespace crema::text
