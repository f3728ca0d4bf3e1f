// Tokenizer behaviour: special tokens, truncation, padding, offsets, and hostile files.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "crema/nn/tokenizer.h"

namespace crema::nn {
namespace {

const std::filesystem::path kDir = std::filesystem::path(CREMA_TESTDATA_DIR) / "nn" / "tokenizers";

std::unique_ptr<Tokenizer> load(const char* name) {
  auto t = load_tokenizer(kDir / name);
  EXPECT_TRUE(t) << t.error().message;
  return t ? std::move(*t) : nullptr;
}

TEST(Tokenizer, BertSpecialTokensTruncationAndOffsets) {
  auto tok = load("bert-base-uncased");
  ASSERT_NE(tok, nullptr);
  const std::string text = "Need WATER in Café!";
  const auto e = tok->encode(text);
  ASSERT_GE(e.ids.size(), 4u);
  EXPECT_EQ(e.ids.front(), 101);
  EXPECT_EQ(e.ids.back(), 102);
  EXPECT_EQ(e.special_mask.front(), 1);
  // "need" "water" "in" "cafe" "!": offsets point at the original bytes.
  EXPECT_EQ(text.substr(e.offsets[2].first, e.offsets[2].second - e.offsets[2].first), "WATER");
  EXPECT_EQ(text.substr(e.offsets[4].first, e.offsets[4].second - e.offsets[4].first), "Café");
  const auto t = tok->encode(text, 4);
  ASSERT_EQ(t.ids.size(), 4u);
  EXPECT_EQ(t.ids.back(), 102);
  EXPECT_EQ(tok->encode(text, 0, false).ids.size(), e.ids.size() - 2);
  EXPECT_EQ(tok->num_special_tokens(), 2u);
  EXPECT_EQ(tok->pad_id(), 0);
}

TEST(Tokenizer, BatchPadsWithPadIdAndMasks) {
  auto tok = load("bytelevel-bpe");
  ASSERT_NE(tok, nullptr);
  const std::string_view texts[] = {"flood in the city", "help", ""};
  const auto b = tok->encode_batch(texts, 0);
  ASSERT_EQ(b.batch, 3u);
  const size_t n1 = tok->encode("help").ids.size();
  EXPECT_EQ(b.lengths[1], n1);
  EXPECT_EQ(b.lengths[2], 2u);  // <s> </s>
  EXPECT_EQ(b.seq_len, b.lengths[0]);
  ASSERT_LT(n1, b.seq_len);
  EXPECT_EQ(b.ids[1 * b.seq_len + n1], tok->pad_id());
  EXPECT_EQ(b.attention_mask[1 * b.seq_len + n1 - 1], 1);
  EXPECT_EQ(b.attention_mask[1 * b.seq_len + n1], 0);
  const auto fixed = tok->encode_batch(texts, 8, Padding::kMaxLen);
  EXPECT_EQ(fixed.seq_len, 8u);
  EXPECT_EQ(tok->pad_id(), 1);
}

TEST(Tokenizer, ByteLevelOffsetsSkipTheSpace) {
  auto tok = load("bytelevel-bpe");
  ASSERT_NE(tok, nullptr);
  const std::string text = "a flood";
  const auto e = tok->encode(text, 0, false);
  ASSERT_FALSE(e.offsets.empty());
  EXPECT_EQ(e.offsets.back().second, text.size());
  EXPECT_NE(text[e.offsets.back().first], ' ');
}

TEST(Tokenizer, IllFormedUtf8IsNotACrash) {
  for (const char* name : {"bert-base-uncased", "bytelevel-bpe", "unigram-json", "wordpiece-seq", "spm-bpe-model"}) {
    auto tok = load(name);
    ASSERT_NE(tok, nullptr);
    const std::string bad = "ok \xC3\x28 \xE2\x82 \xFF\xFE end\xF0";
    const auto e = tok->encode(bad);
    EXPECT_GE(e.ids.size(), 3u) << name;
    for (const auto& [b, end] : e.offsets) EXPECT_LE(end, bad.size()) << name;
  }
}

TEST(Tokenizer, AddedTokensSplitBeforeNormalization) {
  auto tok = load("bert-base-uncased");
  ASSERT_NE(tok, nullptr);
  const auto e = tok->encode("a [MASK] b", 0, false);
  ASSERT_EQ(e.ids.size(), 3u);
  EXPECT_EQ(e.ids[1], 103);
  EXPECT_EQ(tok->token_to_id("[MASK]"), 103);
  EXPECT_EQ(tok->id_to_token(101), "[CLS]");
}

// Hugging Face's Rust Punctuation(Isolated) gives every punctuation character its own
// split ("//" -> "/", "/"); tokenizers.js groups runs, so this is pinned here.
TEST(Tokenizer, PunctuationIsolatedSplitsEveryCharacter) {
  const std::string json = R"({"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "/": 1, "##/": 2, "a": 3}},
    "pre_tokenizer": {"type": "Punctuation", "behavior": "Isolated"}})";
  auto tok = parse_tokenizer_json(json);
  ASSERT_TRUE(tok) << tok.error().message;
  EXPECT_EQ((*tok)->encode("a//", 0, false).ids, (std::vector<int32_t>{3, 1, 1}));
}

struct Hostile {
  const char* name;
  const char* json;
  const char* expect;  // substring of the error message
};

class HostileJson : public ::testing::TestWithParam<Hostile> {};

TEST_P(HostileJson, GivesAClearError) {
  const auto& h = GetParam();
  auto tok = parse_tokenizer_json(h.json, "t.json");
  ASSERT_FALSE(tok) << h.name;
  EXPECT_NE(tok.error().message.find(h.expect), std::string::npos) << tok.error().message;
  EXPECT_EQ(tok.error().message.rfind("t.json", 0), 0u) << tok.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Tokenizer, HostileJson,
    ::testing::Values(
        Hostile{"truncated", R"({"model": {"type": "WordPiece", "vocab": {"a": 0)", "not valid JSON"},
        Hostile{"no model", R"({"normalizer": null})", "no \"model\""},
        Hostile{"unknown model", R"({"model": {"type": "Magic", "vocab": {}}})", "unknown model type \"Magic\""},
        Hostile{"unknown normalizer", R"({"normalizer": {"type": "Rot13"}, "model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}})",
                "unknown normalizer type \"Rot13\""},
        Hostile{"unknown pre-tokenizer", R"({"pre_tokenizer": {"type": "Zap"}, "model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}})",
                "unknown pre_tokenizer type \"Zap\""},
        Hostile{"wrong type", R"({"model": {"type": "WordPiece", "vocab": ["a"]}})", "model.vocab is not an object"},
        Hostile{"huge id", R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 99999999999}}})", "outside the vocabulary"},
        Hostile{"negative id", R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": -1}}})", "outside the vocabulary"},
        Hostile{"duplicate id", R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 0}}})", "used twice"},
        Hostile{"unk missing", R"({"model": {"type": "WordPiece", "vocab": {"a": 0}}})", "unk_token '[UNK]' is not in the vocab"},
        Hostile{"merge unknown token", R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a c"]}})",
                "names a token missing from the vocab"},
        Hostile{"merge result unknown", R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}})",
                "makes 'ab', which is not in the vocab"},
        Hostile{"bad merge", R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [17]}})", "neither"},
        Hostile{"unigram unk", R"({"model": {"type": "Unigram", "unk_id": 5, "vocab": [["a", -1.0]]}})", "unk_id 5"},
        Hostile{"unigram entry", R"({"model": {"type": "Unigram", "vocab": [["a"]]}})", "not [piece, score]"},
        Hostile{"special id", R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}, "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 7], "cls": ["[CLS]", 0]}})",
                "outside the vocabulary"},
        Hostile{"template name", R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}, "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "X", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {}}})",
                "missing from special_tokens"},
        Hostile{"charsmap", R"({"normalizer": {"type": "Precompiled", "precompiled_charsmap": "AAAA"}, "model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}})",
                "Precompiled"},
        Hostile{"bad regex", R"({"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(("}, "behavior": "Isolated"}, "model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}})",
                "regex"},
        Hostile{"added id", R"({"added_tokens": [{"id": 1000000, "content": "x"}], "model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}})",
                "outside the vocabulary"}),
    [](const auto& info) {
      std::string n = info.param.name;
      for (auto& c : n) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return n;
    });

TEST(Tokenizer, MissingAndDamagedFolders) {
  auto none = load_tokenizer(std::filesystem::path(CREMA_TESTDATA_DIR) / "nn" / "no-such-folder");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
  const auto tmp = std::filesystem::path(::testing::TempDir()) / "crema_bad_spm";
  std::filesystem::create_directories(tmp);
  {
    std::FILE* f = std::fopen((tmp / "spiece.model").c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("this is not a protobuf", f);
    std::fclose(f);
  }
  auto bad = load_tokenizer(tmp);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("spiece.model"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace crema::nn
