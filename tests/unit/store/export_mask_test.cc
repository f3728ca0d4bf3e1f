// PII masking of exports: replace_spans, handles, contact values and PiiMasker.
#include <gtest/gtest.h>

#include <string>

#include "crema/store/export.h"
#include "crema/text/normalize.h"

namespace crema::store {
namespace {

const std::string kDots = "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2";  // "•••"

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// --- replace_spans ---

TEST(ReplaceSpans, ReplacesSpansGivenInAnyOrder) {
  EXPECT_EQ(replace_spans("call 123 or 456 now", {{12, 15, "B"}, {5, 8, "A"}}), "call A or B now");
  EXPECT_EQ(replace_spans("abc", {}), "abc");
  EXPECT_EQ(replace_spans("", {{0, 3, "X"}}), "");
}

TEST(ReplaceSpans, AdjacentSpansStaySeparate) {
  EXPECT_EQ(replace_spans("aaabbb", {{0, 3, "A"}, {3, 6, "B"}}), "AB");
}

TEST(ReplaceSpans, OverlappingSpansMergeUnderTheFirstStart) {
  // [2,6) and [4,9) overlap: one replacement, the earlier span's, covering [2,9).
  EXPECT_EQ(replace_spans("0123456789", {{4, 9, "B"}, {2, 6, "A"}}), "01A9");
  // A nested span disappears into the one that holds it.
  EXPECT_EQ(replace_spans("0123456789", {{3, 5, "in"}, {1, 8, "out"}}), "0out89");
  // Same start: the longer span names the group.
  EXPECT_EQ(replace_spans("0123456789", {{2, 4, "short"}, {2, 7, "long"}}), "01long789");
  // A chain of overlaps merges transitively.
  EXPECT_EQ(replace_spans("0123456789", {{1, 3, "A"}, {2, 5, "B"}, {4, 7, "C"}}), "0A789");
}

TEST(ReplaceSpans, ClipsAndIgnoresEmptySpans) {
  EXPECT_EQ(replace_spans("hello", {{3, 99, "X"}}), "helX");
  EXPECT_EQ(replace_spans("hello", {{9, 12, "X"}, {2, 2, "Y"}, {4, 1, "Z"}}), "hello");
}

TEST(ReplaceSpans, WidensToWholeUtf8Characters) {
  // "ñ" is C3 B1, "💧" is F0 9F 92 A7. Spans that start or end inside them cover them whole.
  const std::string text = "a\xC3\xB1" "b\xF0\x9F\x92\xA7" "c";
  EXPECT_EQ(replace_spans(text, {{2, 3, "X"}}), "aXb\xF0\x9F\x92\xA7" "c");      // inside ñ
  EXPECT_EQ(replace_spans(text, {{5, 7, "X"}}), "a\xC3\xB1" "bXc");             // inside the emoji
  EXPECT_EQ(replace_spans(text, {{3, 6, "X"}}), "a\xC3\xB1" "Xc");              // b + part of the emoji
  EXPECT_TRUE(text::is_valid_utf8(replace_spans(text, {{2, 6, "X"}})));
}

TEST(ReplaceSpans, OffsetsInsideMultiByteText) {
  // Devanagari before and after the span: bytes outside it are copied unchanged.
  const std::string before = "\xE0\xA4\xAA\xE0\xA4\xBE\xE0\xA4\xA8\xE0\xA5\x80 ";  // "पानी "
  const std::string phone = "+977-9841567230";
  const std::string after = " \xE0\xA4\x9A\xE0\xA4\xBE\xE0\xA4\xB9\xE0\xA4\xBF\xE0\xA4\x8F";  // " चाहिए"
  const std::string text = before + phone + after;
  const auto start = static_cast<uint32_t>(before.size());
  EXPECT_EQ(replace_spans(text, {{start, start + static_cast<uint32_t>(phone.size()), "P"}}), before + "P" + after);
}

// --- handles and contact values ---

TEST(MaskHandle, EmptyStaysEmpty) {
  EXPECT_EQ(mask_handle(""), "");
  EXPECT_EQ(mask_handle("maria_lopez"), kDots);
}

TEST(MaskContactValue, EveryKind) {
  extract::Contact phone;
  phone.kind = extract::ContactKind::kPhone;
  phone.value = "+9779841567230";
  EXPECT_EQ(mask_contact_value("+9779841567230"), extract::mask_contact(phone));
  EXPECT_FALSE(contains(mask_contact_value("+9779841567230"), "9841567"));
  EXPECT_TRUE(mask_contact_value("+9779841567230").ends_with("230"));
  EXPECT_FALSE(contains(mask_contact_value("01234567890"), "4567"));   // a national number kept as digits
  EXPECT_EQ(mask_contact_value("maria@example.org"), "m" + kDots + "@example.org");
  EXPECT_EQ(mask_contact_value("https://example.org/donate/form?id=7"), "https://example.org/" + kDots);
}

// --- PiiMasker ---

class PiiMaskerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto m = PiiMasker::create();
    ASSERT_TRUE(m) << m.error().message;
    masker_ = new PiiMasker(std::move(*m));
  }
  static void TearDownTestSuite() {
    delete masker_;
    masker_ = nullptr;
  }
  static PiiMasker* masker_;
};
PiiMasker* PiiMaskerTest::masker_ = nullptr;

TEST_F(PiiMaskerTest, InternationalPhone) {
  const MaskedText m = masker_->mask("Need 500 tents, call +977-9841567230 (Ram)", "");
  EXPECT_FALSE(contains(m.text, "9841567")) << m.text;
  EXPECT_TRUE(contains(m.text, "Need 500 tents, call +97")) << m.text;
  EXPECT_TRUE(contains(m.text, "230 (Ram)")) << m.text;
  ASSERT_EQ(m.contacts.size(), 1u);
  EXPECT_EQ(m.contacts[0].kind, extract::ContactKind::kPhone);
  EXPECT_EQ(m.contacts[0].value, "+9779841567230");
}

TEST_F(PiiMaskerTest, NationalPhoneReadWithTheRegion) {
  const MaskedText m = masker_->mask("pani chahiye 9841567230 Chautara", "NP");
  EXPECT_FALSE(contains(m.text, "9841567230")) << m.text;
  EXPECT_FALSE(contains(m.text, "41567")) << m.text;
  EXPECT_EQ(m.contacts.size(), 1u);
}

TEST_F(PiiMaskerTest, Email) {
  const MaskedText m = masker_->mask("write to Maria.Lopez@example.org today", "");
  // mask_contact keeps the first letter of the lower-cased address.
  EXPECT_EQ(m.text, "write to m" + kDots + "@example.org today");
  ASSERT_EQ(m.contacts.size(), 1u);
  EXPECT_EQ(m.contacts[0].kind, extract::ContactKind::kEmail);
}

TEST_F(PiiMaskerTest, UrlKeepsItsHost) {
  const MaskedText m = masker_->mask("form at https://example.org/donate/form?who=maria now", "");
  EXPECT_EQ(m.text, "form at https://example.org/" + kDots + " now");
}

TEST_F(PiiMaskerTest, Mentions) {
  const MaskedText m = masker_->mask("RT @RedCrossNepal: thanks @ram_b! mail ram@example.org", "");
  EXPECT_FALSE(contains(m.text, "RedCrossNepal")) << m.text;
  EXPECT_FALSE(contains(m.text, "ram_b")) << m.text;
  EXPECT_TRUE(contains(m.text, "RT @" + kDots + ": thanks @" + kDots + "!")) << m.text;
  // The e-mail's "@" is not a mention: the address is masked as an e-mail.
  EXPECT_TRUE(contains(m.text, "r" + kDots + "@example.org")) << m.text;
  // The normaliser's placeholder is no person.
  EXPECT_EQ(masker_->mask("hi @USER", "").text, "hi @USER");
}

TEST_F(PiiMaskerTest, ContactsInsideMultiByteText) {
  const std::string text = "\xF0\x9F\x92\xA7\xE0\xA4\xAA\xE0\xA4\xBE\xE0\xA4\xA8\xE0\xA5\x80 +977-9841567230 "
                           "\xE2\x9C\x93 mar\xC3\xAD" "a@example.org \xE0\xA4\x9A";
  const MaskedText m = masker_->mask(text, "");
  EXPECT_TRUE(text::is_valid_utf8(m.text));
  EXPECT_FALSE(contains(m.text, "9841567")) << m.text;
  EXPECT_TRUE(m.text.starts_with("\xF0\x9F\x92\xA7\xE0\xA4\xAA\xE0\xA4\xBE\xE0\xA4\xA8\xE0\xA5\x80 +97")) << m.text;
  EXPECT_TRUE(m.text.ends_with(" \xE0\xA4\x9A")) << m.text;
  for (const auto& span : m.spans) {
    EXPECT_LE(span.end, text.size());
    EXPECT_LT(span.start, span.end);
  }
}

TEST_F(PiiMaskerTest, OverlappingFindingsAreMaskedOnce) {
  // The URL holds an @mention and a long digit run: one URL mask covers all three.
  const MaskedText m = masker_->mask("see https://medium.com/@someone/123456789012 please", "");
  EXPECT_EQ(m.text, "see https://medium.com/" + kDots + " please");
  EXPECT_GE(m.spans.size(), 2u);
}

TEST_F(PiiMaskerTest, DigitBackstopCatchesNumbersTheExtractorSkips) {
  // Ten digits without a trunk 0 and no region: not a phone to libphonenumber, masked anyway.
  const MaskedText m = masker_->mask("call 555 123 4567 for water", "");
  EXPECT_FALSE(contains(m.text, "555 123")) << m.text;
  EXPECT_TRUE(contains(m.text, "567 for water")) << m.text;
}

TEST_F(PiiMaskerTest, DigitBackstopSplitsGluedAndJoinedNumbers) {
  // Two numbers joined by "- ", the second glued to a word: both masked (from data/sample).
  const MaskedText m = masker_->mask("CAMPAGNOLA E. (RE) TEL.052275484- 3923556690Fate ...", "");
  EXPECT_FALSE(contains(m.text, "2275")) << m.text;
  EXPECT_FALSE(contains(m.text, "35566")) << m.text;
  EXPECT_TRUE(contains(m.text, "Fate ...")) << m.text;
  EXPECT_FALSE(contains(masker_->mask("Volontariato Modena 059/212003", "").text, "212003"));
  // A lone run of more than 15 digits is an id, not a phone.
  EXPECT_EQ(masker_->mask("status 204030861119729664 ok", "").text, "status 204030861119729664 ok");
}

TEST_F(PiiMaskerTest, AmountsDatesAndTimesStay) {
  for (const std::string text : {"2100 blankets and 50-100 tents", "on 2013-09-12 10:30 at the school",
                                 "Rs 10,000,000 raised", "3.5 MT of rice", "year 2013",
                                 "#terremoto Ml:4.3 2012-05-23 21:41:18 UTC", "dal 20.05.2012 ore 04.7", "on 12/09/2013 10:30"}) {
    EXPECT_EQ(masker_->mask(text, "").text, text);
  }
}

TEST_F(PiiMaskerTest, DerivedTextGetsTheSameMasks) {
  const std::string raw = "Call +977-9841567230\n  or ram@example.org, @ram_b https://x.org/a";
  const MaskedText m = masker_->mask(raw, "");
  const std::string normalized = "Call +977-9841567230 or ram@example.org, @USER HTTPURL";
  const std::string masked = masker_->mask_derived(normalized, m, raw);
  EXPECT_FALSE(contains(masked, "9841567")) << masked;
  EXPECT_FALSE(contains(masked, "ram@")) << masked;
  EXPECT_TRUE(contains(masked, "@USER HTTPURL")) << masked;
  // A phone split by a newline in the raw text is found with one space in the derived one.
  const std::string raw2 = "call +977 984\n1567230";
  const MaskedText m2 = masker_->mask(raw2, "");
  EXPECT_FALSE(contains(masker_->mask_derived("call +977 984 1567230", m2, raw2), "1567230"));
}

TEST_F(PiiMaskerTest, HostileTextNeverCrashes) {
  std::string long_text(100000, 'a');
  long_text += " +977-9841567230";  // beyond the extractor's 64 KiB cut: the backstop masks it
  EXPECT_FALSE(contains(masker_->mask(long_text, "").text, "9841567"));
  const std::string junk = "\xFF\xFE@\x80 +++999999999999999999 @ @@ \xC3";
  const MaskedText m = masker_->mask(junk, "ZZ");
  EXPECT_FALSE(m.text.empty());
  EXPECT_EQ(masker_->mask("", "").text, "");
}

}  // namespace
}  // namespace crema::store
