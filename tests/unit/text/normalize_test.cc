#include "crema/text/normalize.h"

#include <gtest/gtest.h>

#include <string>

#include "../../../src/text/html_entities.h"

namespace crema::text {
namespace {

std::string norm(std::string_view raw) { return normalize(raw).text; }

TEST(Normalize, EmptyAndWhitespaceOnly) {
  EXPECT_EQ(norm(""), "");
  EXPECT_EQ(norm(" \t\n\r  "), "");
  EXPECT_EQ(norm("\xC2\xA0\xE2\x80\xA8\xE3\x80\x80"), "");  // NBSP, LINE SEPARATOR, ideographic space
  const NormalizedText empty = normalize("");
  ASSERT_EQ(empty.offsets.size(), 1u);
  EXPECT_EQ(empty.offsets[0], 0u);
}

TEST(Normalize, WhitespaceCollapsesAndTrims) {
  EXPECT_EQ(norm("  a \n\n b\t\tc  "), "a b c");
  EXPECT_EQ(norm("a\xC2\xA0\xC2\xA0z"), "a z");
  EXPECT_EQ(norm("line1\xE2\x80\xA8line2\xC2\x85line3"), "line1 line2 line3");
}

TEST(Normalize, ControlAndZeroWidthDropped) {
  EXPECT_EQ(norm(std::string("a\0b", 3)), "ab");
  EXPECT_EQ(norm("a\x01\x1F\x7F" "b"), "ab");
  EXPECT_EQ(norm("a\xC2\x80\xC2\x9F" "b"), "ab");        // C1 controls
  EXPECT_EQ(norm("zero\xE2\x80\x8Bwidth\xEF\xBB\xBF"), "zerowidth");  // ZWSP, BOM
  EXPECT_EQ(norm("\xE2\x80\x8F\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7"), "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7");
  // ZWNJ is orthographic in Persian and Hindi and is kept.
  EXPECT_EQ(norm("\xD9\x85\xDB\x8C\xE2\x80\x8C\xD8\xAE\xD9\x88\xD8\xA7\xD9\x87\xD9\x85"),
            "\xD9\x85\xDB\x8C\xE2\x80\x8C\xD8\xAE\xD9\x88\xD8\xA7\xD9\x87\xD9\x85");
  // A lone ZWJ outside an emoji sequence is invisible and dropped.
  EXPECT_EQ(norm("a\xE2\x80\x8D" "b"), "ab");
}

TEST(Normalize, InvalidUtf8BecomesReplacement) {
  EXPECT_EQ(norm("caf\xE9"), "caf\xEF\xBF\xBD");
  EXPECT_EQ(norm("\xFF\xFE"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(norm("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(norm("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  EXPECT_EQ(norm("ok\xF0\x9F\x98"), "ok\xEF\xBF\xBD");                     // truncated
  EXPECT_TRUE(is_valid_utf8(norm("\x80\xBF\xC2 \xE0\x80 \xF4\x90\x80\x80")));
}

TEST(Normalize, Urls) {
  EXPECT_EQ(norm("see http://example.com/a?b=1&c=2 now"), "see HTTPURL now");
  EXPECT_EQ(norm("HTTPS://Example.com/x."), "HTTPURL.");
  EXPECT_EQ(norm("go to www.redcross.org, please!"), "go to HTTPURL, please!");
  EXPECT_EQ(norm("(see https://t.co/abc)"), "(see HTTPURL)");
  EXPECT_EQ(norm("wiki https://en.wikipedia.org/wiki/Foo_(bar) ok"), "wiki HTTPURL ok");
  EXPECT_EQ(norm("(https://en.wikipedia.org/wiki/Foo_(bar))"), "(HTTPURL)");
  EXPECT_EQ(norm("end http://x.co/y?!"), "end HTTPURL?!");
  EXPECT_EQ(norm("two http://a.com\nhttp://b.com"), "two HTTPURL HTTPURL");
  EXPECT_EQ(norm("https://t.co/xyz\xE2\x80\xA6"), "HTTPURL\xE2\x80\xA6");
  EXPECT_EQ(norm("awww.cute"), "awww.cute");
  EXPECT_EQ(norm("http:// alone"), "http:// alone");
  EXPECT_EQ(norm("www. alone"), "www. alone");
}

TEST(Normalize, MentionsAndEmails) {
  EXPECT_EQ(norm("@FEMA please help"), "@USER please help");
  EXPECT_EQ(norm("thanks @red_cross_1!"), "thanks @USER!");
  EXPECT_EQ(norm("RT @a: hi"), "RT @USER: hi");
  EXPECT_EQ(norm("mail help@example.org now"), "mail help@example.org now");
  EXPECT_EQ(norm("@abcdefghijklmnop"), "@abcdefghijklmnop");  // 16 chars: not a handle
  EXPECT_EQ(norm("@abcdefghijklmno"), "@USER");               // 15 chars
  EXPECT_EQ(norm("@ alone"), "@ alone");
  EXPECT_EQ(norm("#HurricaneHarvey #help"), "#HurricaneHarvey #help");
}

TEST(Normalize, HtmlEntities) {
  EXPECT_EQ(detail::html_entity_count(), 253u);
  EXPECT_EQ(norm("fish &amp; chips &lt;3 &gt; &quot;x&quot; &apos;y&#39;"),
            "fish & chips <3 > \"x\" 'y'");
  EXPECT_EQ(norm("caf&eacute; &Eacute;T&Eacute; &euro;5 &hellip;"), "caf\xC3\xA9 \xC3\x89T\xC3\x89 \xE2\x82\xAC" "5 \xE2\x80\xA6");
  EXPECT_EQ(norm("a&nbsp;&nbsp;b"), "a b");
  EXPECT_EQ(norm("&#x41;&#66;&#X43;"), "ABC");
  EXPECT_EQ(norm("&#146;"), "\xE2\x80\x99");  // Windows-1252 range, as HTML5 does
  EXPECT_EQ(norm("&#0; &#xD800; &#x110000;"), "\xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD");
  EXPECT_EQ(norm("&foo; &amp &EACUTE; &#; &#x;"), "&foo; &amp &EACUTE; &#; &#x;");
  EXPECT_EQ(norm("&amp;lt;b&amp;gt;"), "<b>");  // double-escaped
  EXPECT_EQ(norm("&#64;FEMA"), "@USER");         // decoded before mention detection
  EXPECT_EQ(norm("http://a.com/?x=1&amp;y=2 ok"), "HTTPURL ok");
  EXPECT_EQ(norm("&#x1F622;"), ":crying_face:");
}

TEST(Normalize, MojibakeRepaired) {
  EXPECT_EQ(norm("caf\xC3\x83\xC2\xA9"), "caf\xC3\xA9");                       // cafÃ© -> café
  EXPECT_EQ(norm("It\xC3\xA2\xE2\x82\xAC\xE2\x84\xA2s"), "It\xE2\x80\x99s");    // Itâ€™s -> It’s
  EXPECT_EQ(norm("\xC3\xA2\xE2\x82\xAC\xC5\x93hi\xC3\xA2\xE2\x82\xAC\xC2\x9D"),  // â€œhiâ€\x9D
            "\xE2\x80\x9Chi\xE2\x80\x9D");
  // ðŸ˜¢ -> 😢 -> its name.
  EXPECT_EQ(norm("sad \xC3\xB0\xC5\xB8\xCB\x9C\xC2\xA2"), "sad :crying_face:");
  // Ð¿Ñ€Ð¸Ð²ÐµÑ‚ -> привет
  EXPECT_EQ(norm("\xC3\x90\xC2\xBF\xC3\x91\xE2\x82\xAC\xC3\x90\xC2\xB8\xC3\x90\xC2\xB2\xC3\x90\xC2\xB5\xC3\x91\xE2\x80\x9A"),
            "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");
  // Double mojibake: cafÃƒÂ© -> café.
  EXPECT_EQ(norm("caf\xC3\x83\xC6\x92\xC3\x82\xC2\xA9"), "caf\xC3\xA9");
  // Mojibake hidden behind an entity.
  EXPECT_EQ(norm("caf\xC3\x83&copy;"), "caf\xC3\xA9");
}

TEST(Normalize, CorrectTextUntouchedByMojibakeRepair) {
  for (const char* s : {
           "caf\xC3\xA9 na\xC3\xAFve \xC3\x91" "and\xC3\xBA",      // café naïve Ñandú
           "JOS\xC3\x89\xE2\x80\x99S",                          // JOSÉ’S
           "ESPA\xC3\x91" "A\xE2\x80\x9D",                      // ESPAÑA”
           "ol\xC3\xA9\xE2\x80\xA6",                            // olé…
           "caf\xC3\xA9\xE2\x80\x9D\xE2\x80\xA6",               // café”…
           "PI\xC3\x91\xE2\x80\xA6",                            // PIÑ…
           "\xC3\x80 bient\xC3\xB4t, \xC3\x87" "a va",          // À bientôt, Ça va
           "\xC2\xBD price \xE2\x82\xAC" "5 Stra\xC3\x9F" "e",  // ½ price €5 Straße
           "S\xC3\xA3o Paulo d\xC3\xA9j\xC3\xA0 vu",            // São Paulo déjà vu
           "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82",  // привет
           "\xE4\xBD\xA0\xE5\xA5\xBD",                          // 你好
           "\xC3\x98resund \xC3\x90 \xC3\x9E",                  // Øresund Ð Þ
       }) {
    EXPECT_EQ(norm(s), s) << s;
  }
}

TEST(Normalize, MojibakeRepairCanBeDisabled) {
  NormalizeOptions options;
  options.repair_mojibake = false;
  EXPECT_EQ(normalize_text("espa\xC3\x83\xC2\xB1" "a", options), "espa\xC3\x83\xC2\xB1" "a");
  EXPECT_EQ(normalize_text("espa\xC3\x83\xC2\xB1" "a"), "espa\xC3\xB1" "a");
}

TEST(Normalize, Emoji) {
  EXPECT_EQ(norm("so sad\xF0\x9F\x98\xA2"), "so sad :crying_face:");
  EXPECT_EQ(norm("\xF0\x9F\x98\xA2\xF0\x9F\x98\xA2"), ":crying_face: :crying_face:");
  EXPECT_EQ(norm("lol\xF0\x9F\x98\x82lol"), "lol :face_with_tears_of_joy: lol");
  // Skin tone dropped, variation selector skipped.
  EXPECT_EQ(norm("\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD"), ":thumbs_up_sign:");
  EXPECT_EQ(norm("\xE2\x9D\xA4\xEF\xB8\x8F"), ":heavy_black_heart:");
  // ZWJ family: each member named.
  EXPECT_EQ(norm("\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7"),
            ":man: :woman: :girl:");
  // Flags from regional indicator pairs.
  EXPECT_EQ(norm("\xF0\x9F\x87\xBA\xF0\x9F\x87\xB8\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7"),
            ":flag_US: :flag_FR:");
  EXPECT_EQ(norm("call 9\xEF\xB8\x8F\xE2\x83\xA3"), "call :keycap_9:");
  EXPECT_EQ(norm("#\xE2\x83\xA3"), ":keycap_#:");
  NormalizeOptions options;
  options.emoji_names = false;
  EXPECT_EQ(normalize_text("ok \xF0\x9F\x98\xA2", options), "ok \xF0\x9F\x98\xA2");
}

TEST(Normalize, OptionsDisableReplacements) {
  NormalizeOptions options;
  options.replace_urls = false;
  options.replace_mentions = false;
  options.decode_html = false;
  EXPECT_EQ(normalize_text("@bob http://x.com &amp;", options), "@bob http://x.com &amp;");
}

// For every output byte, offsets point at the raw bytes that produced it.
TEST(NormalizeOffsets, ExactBytesMapOneToOne) {
  const std::string raw = "  h\xC3\xA9llo   w\xC3\xB6rld ";
  const NormalizedText n = normalize(raw);
  ASSERT_EQ(n.text, "h\xC3\xA9llo w\xC3\xB6rld");
  ASSERT_EQ(n.offsets.size(), n.text.size() + 1);
  EXPECT_EQ(n.offsets.back(), raw.size());
  for (size_t i = 0; i < n.text.size(); ++i) {
    if (n.text[i] == ' ') {
      EXPECT_TRUE(raw[n.offsets[i]] == ' ');
    } else {
      EXPECT_EQ(raw[n.offsets[i]], n.text[i]) << "byte " << i;
    }
  }
}

TEST(NormalizeOffsets, ReplacementsMapToTheirStart) {
  const std::string raw = "hi @bob see https://x.co/a. &amp; \xF0\x9F\x98\xA2!";
  const NormalizedText n = normalize(raw);
  ASSERT_EQ(n.text, "hi @USER see HTTPURL. & :crying_face: !");
  const auto at = [&](std::string_view needle) { return n.text.find(needle); };
  const size_t user = at("@USER");
  for (size_t k = 0; k < 5; ++k) EXPECT_EQ(n.offsets[user + k], raw.find("@bob"));
  const size_t url = at("HTTPURL");
  for (size_t k = 0; k < 7; ++k) EXPECT_EQ(n.offsets[url + k], raw.find("https"));
  EXPECT_EQ(n.offsets[url + 7], raw.find(". &"));  // the period after the URL
  const size_t amp = at("& ");
  EXPECT_EQ(n.offsets[amp], raw.find("&amp;"));
  const size_t emoji = at(":crying_face:");
  for (size_t k = 0; k < 13; ++k) EXPECT_EQ(n.offsets[emoji + k], raw.find("\xF0\x9F\x98\xA2"));
  EXPECT_EQ(n.offsets[n.text.size() - 1], raw.size() - 1);  // the '!'
}

TEST(NormalizeOffsets, DecodedEntityBytesMapToAmpersand) {
  const std::string raw = "x &eacute;&#x1F600; y";
  const NormalizedText n = normalize(raw);
  ASSERT_EQ(n.text, "x \xC3\xA9 :grinning_face: y");
  EXPECT_EQ(n.offsets[2], 2u);
  EXPECT_EQ(n.offsets[3], 2u);
  const size_t emoji = n.text.find(":grinning");
  EXPECT_EQ(n.offsets[emoji], raw.find("&#x1F600;"));
}

TEST(NormalizeOffsets, MojibakeAndInvalidBytesMapToTheirStart) {
  const std::string raw = "caf\xC3\x83\xC2\xA9 \xFF";
  const NormalizedText n = normalize(raw);
  ASSERT_EQ(n.text, "caf\xC3\xA9 \xEF\xBF\xBD");
  EXPECT_EQ(n.offsets[3], 3u);
  EXPECT_EQ(n.offsets[4], 3u);
  EXPECT_EQ(n.offsets[6], 8u);
  EXPECT_EQ(n.offsets[7], 8u);
  EXPECT_EQ(n.offsets[8], 8u);
}

TEST(IsValidUtf8, AcceptsAndRejects) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\xA2\xF4\x8F\xBF\xBF"));
  EXPECT_TRUE(is_valid_utf8(std::string("a\0b", 3)));
  EXPECT_FALSE(is_valid_utf8("\xC3"));
  EXPECT_FALSE(is_valid_utf8("\x80"));
  EXPECT_FALSE(is_valid_utf8("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xF8\x88\x80\x80\x80"));
}

}  // namespace
}  // namespace crema::text
