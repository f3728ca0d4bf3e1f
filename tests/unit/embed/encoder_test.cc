#include "crema/embed/encoder.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crema/embed/tfidf_stats.h"

namespace crema::embed {
namespace {

EncoderOptions repo_models() { return EncoderOptions{std::string(CREMA_SOURCE_DIR) + "/models"}; }

std::vector<float> encode(const Encoder& enc, std::vector<std::string_view> texts, int threads = 1) {
  std::vector<float> out(texts.size() * enc.dim());
  auto st = enc.encode(texts, out, threads);
  EXPECT_TRUE(st.has_value());
  return out;
}

float cosine(const std::vector<float>& v, size_t dim, size_t a, size_t b) {
  float s = 0;
  for (size_t d = 0; d < dim; ++d) s += v[a * dim + d] * v[b * dim + d];
  return s;
}

double norm(const std::vector<float>& v, size_t dim, size_t row) {
  double s = 0;
  for (size_t d = 0; d < dim; ++d) s += static_cast<double>(v[row * dim + d]) * v[row * dim + d];
  return std::sqrt(s);
}

TEST(Encoders, NamesAndErrors) {
  EXPECT_EQ(encoder_names(), (std::vector<std::string>{"glove-sif", "tfidf", "use-lite", "use-lite-int8"}));
  auto bad = make_encoder("bert", repo_models());
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("glove-sif"), std::string::npos);
  EXPECT_FALSE(make_encoder("tfidf-300", repo_models()).has_value());  // not a power of two
  auto def = make_encoder(default_encoder_name(), repo_models());
  ASSERT_TRUE(def.has_value()) << def.error().message;
  auto missing = make_encoder("tfidf", EncoderOptions{"/nonexistent/models"});
  ASSERT_FALSE(missing.has_value());
}

class BuiltIn : public ::testing::TestWithParam<const char*> {};

TEST_P(BuiltIn, RowsAreUnitOrZeroAndThreadSafe) {
  auto enc = make_encoder(GetParam(), repo_models());
  ASSERT_TRUE(enc.has_value()) << enc.error().message;
  const Encoder& e = **enc;
  EXPECT_EQ(e.name(), GetParam());
  std::vector<std::string_view> texts = {"We need drinking water and food in Windsor", "", "   ,,, !!", "offering free shelter tonight",
                                         "water"};
  for (int i = 0; i < 50; ++i) texts.push_back(i % 2 ? "need blankets and clothes" : "can donate blood today");
  const auto one = encode(e, texts, 1);
  const auto four = encode(e, texts, 4);
  EXPECT_EQ(one, four);
  EXPECT_NEAR(norm(one, e.dim(), 0), 1.0, 1e-5);
  EXPECT_EQ(norm(one, e.dim(), 1), 0.0);
  EXPECT_EQ(norm(one, e.dim(), 2), 0.0);
  EXPECT_NEAR(norm(one, e.dim(), 3), 1.0, 1e-5);
  std::vector<float> wrong(3);
  EXPECT_FALSE(e.encode(texts, wrong, 1).has_value());
}

TEST_P(BuiltIn, RelatedTextsAreCloser) {
  auto enc = make_encoder(GetParam(), repo_models());
  ASSERT_TRUE(enc.has_value());
  const size_t dim = (*enc)->dim();
  const auto v = encode(**enc, {"we urgently need drinking water for our family", "I can bring bottled drinking water to families",
                                "concert tickets for sale tonight", "we urgently need drinking water for our family"});
  EXPECT_NEAR(cosine(v, dim, 0, 3), 1.0, 1e-5);
  EXPECT_GT(cosine(v, dim, 0, 1), cosine(v, dim, 0, 2) + 0.1);
}

INSTANTIATE_TEST_SUITE_P(Embed, BuiltIn, ::testing::Values("tfidf", "glove-sif"));

TEST(Tfidf, CharGramsHelpWithTyposAndScripts) {
  auto enc = make_encoder("tfidf", repo_models());
  ASSERT_TRUE(enc.has_value());
  const size_t dim = (*enc)->dim();
  const auto v = encode(**enc, {"evacuation shelter", "evacuaton sheltr", "football match",
                                "نحتاج مأوى للعائلة", "نحتاج مأوى", "家庭需要住所"});
  EXPECT_GT(cosine(v, dim, 0, 1), 0.15);  // no shared word, many shared char n-grams
  EXPECT_GT(cosine(v, dim, 0, 1), cosine(v, dim, 0, 2) + 0.2);
  EXPECT_GT(cosine(v, dim, 3, 4), 0.5);  // Arabic
  EXPECT_NEAR(norm(v, dim, 5), 1.0, 1e-5);  // CJK characters make tokens
  auto small = make_encoder("tfidf-256", repo_models());
  ASSERT_TRUE(small.has_value());
  EXPECT_EQ((*small)->dim(), 256u);
  EXPECT_EQ((*small)->name(), "tfidf-256");
}

TEST(Tfidf, StatsRoundTrip) {
  const std::string dir = testing::TempDir() + "/crema_tfidf_stats";
  std::filesystem::create_directories(dir + "/tfidf");
  std::vector<std::string_view> docs = {"need water", "need food", "need shelter", "have water"};
  auto info = write_tfidf_stats(docs, dir + "/tfidf/idf.bin");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->documents, 4u);
  EXPECT_NEAR(info->idf_max, std::log(5.0) + 1, 1e-5);
  auto enc = make_encoder("tfidf", EncoderOptions{dir});
  ASSERT_TRUE(enc.has_value());
  const size_t dim = (*enc)->dim();
  // "need" is in every document (low IDF), so texts sharing only it are less alike than
  // texts sharing the rarer "water".
  const auto v = encode(**enc, {"need water", "need food", "have water"});
  EXPECT_GT(cosine(v, dim, 0, 2), cosine(v, dim, 0, 1));
  // Truncated file: kCorrupt.
  std::filesystem::resize_file(dir + "/tfidf/idf.bin", 1000);
  auto bad = make_encoder("tfidf", EncoderOptions{dir});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kCorrupt);
}

// A hand-made glove-sif file (format in docs/encoders.md).
struct TinyGlove {
  uint32_t dim = 2;
  std::vector<std::string> words = {"water", "food", "need"};
  std::vector<float> scales = {0.01F, 0.01F, 0.01F};
  std::vector<float> weights = {1.0F, 1.0F, 0.5F};
  std::vector<float> pc = {0.0F, 1.0F};
  std::vector<int8_t> rows = {100, 0, 0, 100, 50, 50};

  std::string bytes() const {
    std::string vocab;
    for (const auto& w : words) vocab += w + "\n";
    std::string out("CRGLOVE1");
    auto put = [&out](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); };
    const uint32_t h[4] = {1, dim, static_cast<uint32_t>(words.size()), 0};
    put(h, sizeof(h));
    const float a = 1e-3F;
    const uint32_t zero = 0;
    put(&a, 4);
    put(&zero, 4);
    const uint64_t vb = vocab.size();
    put(&vb, 8);
    put(scales.data(), scales.size() * 4);
    put(weights.data(), weights.size() * 4);
    put(pc.data(), pc.size() * 4);
    put(rows.data(), rows.size());
    out += vocab;
    return out;
  }
};

std::string write_glove(const std::string& name, const std::string& bytes) {
  const std::string dir = testing::TempDir() + "/" + name;
  std::filesystem::create_directories(dir + "/glove-sif");
  std::ofstream(dir + "/glove-sif/glove-sif.bin", std::ios::binary) << bytes;
  return dir;
}

TEST(GloveSif, HandComputedVectors) {
  auto enc = make_encoder("glove-sif", EncoderOptions{write_glove("glove_ok", TinyGlove{}.bytes())});
  ASSERT_TRUE(enc.has_value()) << enc.error().message;
  EXPECT_EQ((*enc)->dim(), 2u);
  // "Need water!": water (1, 0)*1 + need (0.5, 0.5)*0.5 = (1.25, 0.25); the pc (0, 1)
  // projection is removed -> (1.25, 0) -> (1, 0). "food" = (0, 1) minus its projection = 0.
  const auto v = encode(**enc, {"need water", "food", "unknown words"});
  EXPECT_NEAR(v[0], 1.0F, 1e-6);
  EXPECT_NEAR(v[1], 0.0F, 1e-6);
  EXPECT_EQ(v[2], 0.0F);
  EXPECT_EQ(v[3], 0.0F);
  EXPECT_EQ(v[4], 0.0F);
  EXPECT_EQ(v[5], 0.0F);
}

TEST(GloveSif, HostileFilesAreCorruptNotCrashes) {
  const std::string good = TinyGlove{}.bytes();
  std::vector<std::string> bad;
  for (size_t n : {0UL, 7UL, 39UL, 40UL, good.size() - 1}) bad.push_back(good.substr(0, n));  // truncated
  bad.push_back(good + "x");                                                          // trailing bytes
  std::string magic = good;
  magic[0] = 'X';
  bad.push_back(magic);
  std::string dims = good;
  const uint32_t huge = 0xFFFFFFFF;
  std::memcpy(dims.data() + 12, &huge, 4);  // dim
  bad.push_back(dims);
  std::string words = good;
  std::memcpy(words.data() + 16, &huge, 4);  // word count
  bad.push_back(words);
  std::string vocab = good;
  vocab[vocab.size() - 3] = '\n';  // "need\n" -> "ne\nd\n": an extra line
  bad.push_back(vocab);
  TinyGlove empty_word;
  empty_word.words = {"water", "", "needs"};
  bad.push_back(empty_word.bytes());
  TinyGlove nan_scale;
  nan_scale.scales[1] = NAN;
  bad.push_back(nan_scale.bytes());
  for (size_t i = 0; i < bad.size(); ++i) {
    auto enc = make_encoder("glove-sif", EncoderOptions{write_glove("glove_bad" + std::to_string(i), bad[i])});
    ASSERT_FALSE(enc.has_value()) << "case " << i;
    EXPECT_EQ(enc.error().code, ErrorCode::kCorrupt) << "case " << i << ": " << enc.error().message;
  }
}

}  // namespace
}  // namespace crema::embed
