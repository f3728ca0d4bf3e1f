// Property tests of normalize() as seeded random loops (RapidCheck is not wired into the
// shared test target). Inputs are built from fragments that exercise every rewrite and their
// interactions: entity pieces, mojibake characters, URL/mention prefixes, emoji parts,
// controls, invalid bytes.
#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string>
#include <vector>

#include "crema/text/normalize.h"

namespace crema::text {
namespace {

const std::vector<std::string>& fragments() {
  static const std::vector<std::string> kFragments = {
      "a", "Z", "9", " ", "  ", "\n", "\t", "\r\n", ".", ",", ")", "(", "!", "?", ";", ":", "_",
      "&", "&amp;", "amp;", "&lt;", "&#", "x", "#", "41;", "&#x1F622;", "&nbsp;", "&eacute;",
      "&#0;", "&#146;", "&amp", "lt;", "&zwj;", "&#x200D;", "&#8205;", "&shy;",
      "http://", "https://", "www.", "HTTP://", "h", "ttp://", "example.com", "/a_(b)",
      "@", "@bob", "bob", "user@mail.com", "@abcdefghijklmnop", "@USER", "HTTPURL",
      "\xC3\x83", "\xC2\xA9", "\xC3\xA2", "\xE2\x82\xAC", "\xE2\x84\xA2", "\xC3\x82",
      "\xC2\xA0", "\xC3\xA9", "\xC3\x89", "\xE2\x80\x99", "\xE2\x80\xA6", "\xC3\xB0",
      "\xC5\xB8", "\xCB\x9C", "\xC2\xA2", "\xC3\x90", "\xC2\xBF", "\xC3\x91", "\xC2\x81",
      "\xC2\x85", "\xC2\x9D", "\xC6\x92",
      "\xF0\x9F\x98\xA2", "\xF0\x9F\x91\x8D", "\xF0\x9F\x8F\xBD", "\xE2\x80\x8D", "\xEF\xB8\x8F",
      "\xF0\x9F\x87\xBA", "\xF0\x9F\x87\xB8", "\xE2\x83\xA3", "\xE2\x9D\xA4",
      "\xF3\xA0\x81\xA7", "\xF0\x9F\x8F\xB4",
      "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7", "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D",
      "\xE4\xBD\xA0\xE5\xA5\xBD", "\xE0\xA4\xA8\xE0\xA4\xAE", "\xE2\x80\x8B", "\xE2\x80\x8C",
      "\xEF\xBB\xBF", "\xE2\x80\xA8", "\xE3\x80\x80",
      std::string("\0", 1), "\x01", "\x1F", "\x7F", "\x80", "\xFF", "\xC3", "\xE2\x82",
      "\xF0\x9F", "\xED\xA0\x80", "\xC0\xAF",
  };
  return kFragments;
}

std::string random_input(std::mt19937& rng) {
  std::uniform_int_distribution<int> count(0, 24);
  std::uniform_int_distribution<int> kind(0, 9);
  std::uniform_int_distribution<size_t> pick(0, fragments().size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s;
  const int n = count(rng);
  for (int i = 0; i < n; ++i) {
    if (kind(rng) == 0) {
      s.push_back(static_cast<char>(byte(rng)));
    } else {
      s += fragments()[pick(rng)];
    }
  }
  return s;
}

std::string escaped(const std::string& s) {
  std::string out;
  for (const char ch : s) {
    const auto b = static_cast<unsigned char>(ch);
    if (b >= 0x20 && b < 0x7F && ch != '\\') {
      out.push_back(ch);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02X", b);
      out += buf;
    }
  }
  return out;
}

constexpr int kIterations = 20000;

TEST(NormalizeProperty, Idempotent) {
  std::mt19937 rng(1234);
  for (int i = 0; i < kIterations; ++i) {
    const std::string raw = random_input(rng);
    const std::string once = normalize_text(raw);
    const std::string twice = normalize_text(once);
    ASSERT_EQ(twice, once) << "raw: " << escaped(raw) << "\nonce: " << escaped(once);
  }
}

TEST(NormalizeProperty, OutputIsValidUtf8AndClean) {
  std::mt19937 rng(99);
  for (int i = 0; i < kIterations; ++i) {
    const std::string raw = random_input(rng);
    const std::string out = normalize_text(raw);
    ASSERT_TRUE(is_valid_utf8(out)) << escaped(raw);
    if (!out.empty()) {
      ASSERT_NE(out.front(), ' ') << escaped(raw);
      ASSERT_NE(out.back(), ' ') << escaped(raw);
    }
    ASSERT_EQ(out.find("  "), std::string::npos) << escaped(raw);
    for (const char ch : out) {
      const auto b = static_cast<unsigned char>(ch);
      ASSERT_TRUE(b >= 0x20 && b != 0x7F) << escaped(raw);
    }
  }
}

TEST(NormalizeProperty, OffsetsMonotoneAndInRange) {
  std::mt19937 rng(7);
  for (int i = 0; i < kIterations; ++i) {
    const std::string raw = random_input(rng);
    const NormalizedText n = normalize(raw);
    ASSERT_EQ(n.offsets.size(), n.text.size() + 1) << escaped(raw);
    ASSERT_EQ(n.offsets.back(), raw.size()) << escaped(raw);
    for (size_t k = 0; k + 1 < n.offsets.size(); ++k) {
      ASSERT_LT(n.offsets[k], raw.size()) << escaped(raw);
      ASSERT_LE(n.offsets[k], n.offsets[k + 1]) << escaped(raw) << " at " << k;
    }
  }
}

// Output bytes copied from the input map to identical input bytes.
TEST(NormalizeProperty, CopiedAsciiMapsToSameByte) {
  std::mt19937 rng(31);
  for (int i = 0; i < kIterations; ++i) {
    const std::string raw = random_input(rng);
    const NormalizedText n = normalize(raw);
    for (size_t k = 0; k < n.text.size(); ++k) {
      const char out = n.text[k];
      const char in = raw[n.offsets[k]];
      // Letters and digits come from the same byte, an entity's '&', a replacement's first
      // byte, a multi-byte source (emoji, mojibake) or a digit before a keycap.
      if (out >= 'a' && out <= 'z' && in != out) {
        const auto b = static_cast<unsigned char>(in);
        const bool keycap_base = (in >= '0' && in <= '9') || in == '#' || in == '*';
        ASSERT_TRUE(in == '&' || in == '@' || keycap_base || b >= 0x80) << escaped(raw) << " at " << k;
      }
    }
  }
}

TEST(NormalizeProperty, FastPathMatchesMappedPath) {
  std::mt19937 rng(2024);
  for (int i = 0; i < kIterations; ++i) {
    const std::string raw = random_input(rng);
    ASSERT_EQ(normalize_text(raw), normalize(raw).text) << escaped(raw);
  }
}

TEST(NormalizeProperty, PureRandomBytes) {
  std::mt19937 rng(55);
  std::uniform_int_distribution<int> len(0, 64);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < kIterations; ++i) {
    std::string raw(static_cast<size_t>(len(rng)), '\0');
    for (char& ch : raw) ch = static_cast<char>(byte(rng));
    const NormalizedText n = normalize(raw);
    ASSERT_TRUE(is_valid_utf8(n.text)) << escaped(raw);
    ASSERT_EQ(normalize_text(n.text), n.text) << escaped(raw);
    ASSERT_EQ(normalize_text(raw), n.text) << escaped(raw);
  }
}

}  // namespace
}  // namespace crema::text
