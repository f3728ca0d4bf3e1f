#include "crema/common/utf8.h"

#include <gtest/gtest.h>

namespace crema {
namespace {

size_t len(std::string_view s, size_t i = 0) { return utf8_sequence_length(s, i); }
size_t subpart(std::string_view s) {
  size_t n = 99;
  EXPECT_EQ(utf8_sequence_length(s, 0, &n), 0U) << s;
  return n;
}

TEST(Utf8SequenceLength, WellFormed) {
  EXPECT_EQ(len("a"), 1U);
  EXPECT_EQ(len("\xC3\xA9"), 2U);          // é
  EXPECT_EQ(len("\xE2\x82\xAC"), 3U);      // €
  EXPECT_EQ(len("\xF0\x9F\x98\xA2"), 4U);  // 😢
  EXPECT_EQ(len("\xF4\x8F\xBF\xBF"), 4U);  // U+10FFFF
  EXPECT_EQ(len("x\xC3\xA9", 1), 2U);
}

TEST(Utf8SequenceLength, IllFormedAndMaximalSubparts) {
  EXPECT_EQ(subpart("\x80"), 1U);              // stray continuation
  EXPECT_EQ(subpart("\xC0\xAF"), 1U);          // overlong lead
  EXPECT_EQ(subpart("\xE0\x80\x80"), 1U);      // overlong 3-byte
  EXPECT_EQ(subpart("\xED\xA0\x80"), 1U);      // surrogate
  EXPECT_EQ(subpart("\xF4\x90\x80\x80"), 1U);  // above U+10FFFF
  EXPECT_EQ(subpart("\xF5"), 1U);
  EXPECT_EQ(subpart("\xE2\x82"), 2U);          // cut short at the end
  EXPECT_EQ(subpart("\xF0\x9F\x98x"), 3U);     // cut short by ASCII
  EXPECT_EQ(subpart("\xC3"), 1U);
}

}  // namespace
}  // namespace crema
