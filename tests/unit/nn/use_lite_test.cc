#include "crema/nn/use_lite.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "crema/common/file_io.h"

namespace crema::nn {
namespace {

const std::string kModelDir = std::string(CREMA_SOURCE_DIR) + "/models/use-lite";

struct Reference {
  std::vector<std::string> sentences;
  std::vector<std::vector<int32_t>> ids;
  std::vector<std::vector<float>> embeddings;
};

// tests/testdata/nn/use_lite_reference.json: made with tfjs 4.22.0 and
// @tensorflow-models/universal-sentence-encoder 1.3.3 (see its PROVENANCE.md).
Reference load_reference() {
  Reference ref;
  auto bytes = read_file(std::string(CREMA_TESTDATA_DIR) + "/nn/use_lite_reference.json");
  EXPECT_TRUE(bytes.has_value());
  if (!bytes) return ref;
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(*bytes);
  for (const auto s : root["sentences"].get_array()) ref.sentences.emplace_back(std::string_view(s.get_string()));
  for (const auto row : root["token_ids"].get_array()) {
    ref.ids.emplace_back();
    for (const auto v : row.get_array()) ref.ids.back().push_back(static_cast<int32_t>(int64_t(v)));
  }
  for (const auto row : root["embeddings"].get_array()) {
    ref.embeddings.emplace_back();
    for (const auto v : row.get_array()) ref.embeddings.back().push_back(static_cast<float>(double(v)));
  }
  return ref;
}

double cosine(const float* a, const float* b, size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; ++i) {
    ab += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

TEST(UseLiteTokenizer, MatchesTheJsReferenceOnAllSentences) {
  const Reference ref = load_reference();
  ASSERT_EQ(ref.sentences.size(), 16u);
  auto tok = UseLiteTokenizer::load(kModelDir + "/vocab.json");
  ASSERT_TRUE(tok.has_value()) << tok.error().message;
  for (size_t i = 0; i < ref.sentences.size(); ++i)
    EXPECT_EQ(tok->encode(ref.sentences[i]), ref.ids[i]) << "sentence " << i << ": " << ref.sentences[i];
}

TEST(UseLiteTokenizer, Quirks) {
  // ids 0-5 reserved (0 is U+FFFD, one UTF-16 unit, as in the real vocab); "▁ab" (6),
  // "▁a" (7), "b" (8), "▁" (9) with a null score, "x" (10), "a" (11), "▁x" (12, null).
  const std::string vocab = R"([["\ufffd",0],["<s>",0],["</s>",0],["e1",0],["e2",0],["e3",0],
    ["\u2581ab",-2.0],["\u2581a",-1.0],["b",-1.0],["\u2581",null],["x",-0.5],["a",-3.0],
    ["\u2581x",null]])";
  auto tok = UseLiteTokenizer::parse(vocab, "inline");
  ASSERT_TRUE(tok.has_value()) << tok.error().message;
  // Tie: "▁ab" (-2) vs "▁a"+"b" (-2): the later, shorter candidate wins.
  EXPECT_EQ(tok->encode("ab"), (std::vector<int32_t>{7, 8}));
  EXPECT_EQ(tok->encode("ab a"), (std::vector<int32_t>{7, 8, 7}));
  // JS treats a running best of exactly 0 as unset: "▁x" (null, so 0) is replaced by the
  // worse "▁" + "x" (-0.5).
  EXPECT_EQ(tok->encode("x"), (std::vector<int32_t>{9, 10}));
  // Unknown characters become id 0, and a run of them one id; the null-score "▁" is free.
  EXPECT_EQ(tok->encode("x zzz"), (std::vector<int32_t>{9, 10, 9, 0}));
  EXPECT_EQ(tok->encode(""), std::vector<int32_t>{});
  // NFKC folds the full-width letter onto "x".
  EXPECT_EQ(tok->encode("\xef\xbd\x98"), (std::vector<int32_t>{9, 10}));
  // A non-BMP character is two UTF-16 units with no piece: still one merged id 0.
  EXPECT_EQ(tok->encode("\xf0\x9f\x99\x8f"), (std::vector<int32_t>{9, 0}));
}

TEST(UseLiteTokenizer, BadVocabularies) {
  EXPECT_EQ(UseLiteTokenizer::parse("{", "v.json").error().code, ErrorCode::kCorrupt);
  EXPECT_EQ(UseLiteTokenizer::parse("{}", "v.json").error().code, ErrorCode::kCorrupt);
  const auto bad = UseLiteTokenizer::parse(R"([["a",0],["b",0],["c",0],["d",0],["e",0],["f",0],["g","x"]])", "v.json");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("entry 6"), std::string::npos) << bad.error().message;
  EXPECT_EQ(UseLiteTokenizer::load("/nonexistent/vocab.json").error().code, ErrorCode::kNotFound);
}

class UseLiteModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto fp32 = UseLiteModel::load(kModelDir, Precision::kFp32);
    ASSERT_TRUE(fp32.has_value()) << fp32.error().message;
    fp32_ = fp32->release();
    auto int8 = UseLiteModel::load(kModelDir, Precision::kInt8);
    ASSERT_TRUE(int8.has_value()) << int8.error().message;
    int8_ = int8->release();
  }
  static void TearDownTestSuite() {
    delete fp32_;
    delete int8_;
  }
  static UseLiteModel* fp32_;
  static UseLiteModel* int8_;
};
UseLiteModel* UseLiteModelTest::fp32_ = nullptr;
UseLiteModel* UseLiteModelTest::int8_ = nullptr;

std::vector<float> embed_all(const UseLiteModel& m, const std::vector<std::string>& texts, int threads) {
  std::vector<std::string_view> views(texts.begin(), texts.end());
  std::vector<float> out(texts.size() * UseLiteModel::kDim);
  auto st = m.embed(views, out, threads);
  EXPECT_TRUE(st.has_value()) << st.error().message;
  return out;
}

TEST_F(UseLiteModelTest, ReproducesTheTfjsReference) {
  const Reference ref = load_reference();
  ASSERT_EQ(ref.embeddings.size(), 16u);
  const auto out = embed_all(*fp32_, ref.sentences, 1);
  double min_cos = 1;
  for (size_t i = 0; i < ref.sentences.size(); ++i) {
    const double c = cosine(out.data() + i * 512, ref.embeddings[i].data(), 512);
    EXPECT_GE(c, 0.9999) << "sentence " << i << ": " << ref.sentences[i];
    min_cos = std::min(min_cos, c);
  }
  std::printf("use-lite (bundled copy) vs tfjs: min cosine %.7f\n", min_cos);
}

TEST_F(UseLiteModelTest, BatchingAndThreadsDoNotChangeResults) {
  const Reference ref = load_reference();
  const auto all = embed_all(*fp32_, ref.sentences, 2);
  for (size_t i = 0; i < ref.sentences.size(); ++i) {
    const auto one = embed_all(*fp32_, {ref.sentences[i]}, 1);
    for (size_t d = 0; d < 512; ++d) ASSERT_NEAR(one[d], all[i * 512 + d], 1e-5) << i;
  }
}

TEST_F(UseLiteModelTest, Int8StaysCloseToFp32) {
  const Reference ref = load_reference();
  const auto a = embed_all(*fp32_, ref.sentences, 1);
  const auto b = embed_all(*int8_, ref.sentences, 1);
  double min_cos = 1;
  for (size_t i = 0; i < ref.sentences.size(); ++i) min_cos = std::min(min_cos, cosine(&a[i * 512], &b[i * 512], 512));
  EXPECT_GE(min_cos, 0.99);
  std::printf("use-lite int8 vs fp32: min cosine %.5f\n", min_cos);
}

TEST_F(UseLiteModelTest, ClipsLongTextsAndRejectsBadIds) {
  std::vector<std::vector<int32_t>> ids = {std::vector<int32_t>(300, 42), std::vector<int32_t>(128, 42)};
  std::vector<float> out(2 * 512);
  ASSERT_TRUE(fp32_->embed_ids(ids, out).has_value());
  for (size_t d = 0; d < 512; ++d) ASSERT_NEAR(out[d], out[512 + d], 1e-6);  // rows differ only in GEMM blocking
  ids = {{8002}};
  out.resize(512);
  EXPECT_EQ(fp32_->embed_ids(ids, out).error().code, ErrorCode::kInvalidArgument);
  out.resize(3);
  ids = {{7}};
  EXPECT_EQ(fp32_->embed_ids(ids, out).error().code, ErrorCode::kInvalidArgument);
}

// The original TF.js folder, when this machine has it (CREMA_USE_LITE_TFJS=<dir>): the
// native port of the fp32 weights against the reference, before any conversion.
TEST(UseLiteTfjs, OriginalWeightsReproduceTheReference) {
  const char* dir = std::getenv("CREMA_USE_LITE_TFJS");
  if (!dir) GTEST_SKIP() << "set CREMA_USE_LITE_TFJS to the TF.js folder to run this";
  auto m = UseLiteModel::load_tfjs(dir, Precision::kFp32);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  const Reference ref = load_reference();
  const auto out = embed_all(**m, ref.sentences, 1);
  for (size_t i = 0; i < ref.sentences.size(); ++i)
    EXPECT_GE(cosine(out.data() + i * 512, ref.embeddings[i].data(), 512), 0.9999) << i;
}

}  // namespace
}  // namespace crema::nn
