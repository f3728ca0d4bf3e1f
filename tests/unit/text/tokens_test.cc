#include <gtest/gtest.h>

#include "crema/text/normalize.h"

namespace crema::text {
namespace {

using Tokens = std::vector<std::string>;

TEST(WordTokens, LatinAndPlaceholders) {
  EXPECT_EQ(word_tokens("Need WATER in Sydney!! HTTPURL @USER"),
            (Tokens{"need", "water", "in", "sydney", "httpurl", "user"}));
  EXPECT_EQ(word_tokens(""), Tokens{});
  EXPECT_EQ(word_tokens("  ...  "), Tokens{});
  EXPECT_EQ(word_tokens("Ça va, NIÑOS?"), (Tokens{"ça", "va", "niños"}));
}

TEST(WordTokens, OtherScripts) {
  // Devanagari vowel signs stay inside their word.
  EXPECT_EQ(word_tokens("हमें पानी चाहिए"), (Tokens{"हमें", "पानी", "चाहिए"}));
  EXPECT_EQ(word_tokens("نحتاج مكاناً"), (Tokens{"نحتاج", "مكاناً"}));
  // Ideographs are one token each.
  EXPECT_EQ(word_tokens("需要水"), (Tokens{"需", "要", "水"}));
}

TEST(WordTokens, InvalidUtf8DoesNotCrash) {
  const Tokens t = word_tokens("ok \xFF\xFE bad \xC3");
  EXPECT_EQ(t.front(), "ok");
}

}  // namespace
}  // namespace crema::text
