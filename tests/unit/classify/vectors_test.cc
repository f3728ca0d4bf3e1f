#include "crema/classify/vectors.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "crema/classify/classifier.h"
#include "crema/classify/evaluation.h"
#include "test_util.h"

namespace crema::classify {
namespace {

using testing::read_bytes;
using testing::TempDir;
using testing::tiny_fasttext_options;
using testing::write_text;

// Unlabelled lines in two languages; every word occurs often enough for min_count 2.
std::string tiny_corpus() {
  const char* places[] = {"leogane", "delmas", "jacmel", "gressier"};
  const char* needs[] = {"water", "food", "tents", "medicine"};
  std::string out;
  for (int i = 0; i < 60; ++i) {
    out += std::string("We need ") + needs[i % 4] + " in " + places[(i / 4) % 4] + "\tNou bezwen dlo nan " +
           places[(i / 4) % 4] + "\n";
    out += std::string("Volunteers bring ") + needs[(i + 1) % 4] + " to " + places[i % 4] + " today\n";
  }
  return out;
}

VectorTrainOptions small_options(const TempDir& dir) {
  VectorTrainOptions o;
  o.inputs = {dir.file("corpus.txt")};
  o.out_path = dir.file("crisis.vec");
  o.dim = 6;
  o.epochs = 3;
  o.min_count = 2;
  o.min_char_ngram = 3;
  o.max_char_ngram = 5;
  return o;
}

// Labelled posts for the holdout: the labels only need to let the split fill every part.
std::string labelled_jsonl() {
  std::string out;
  for (int i = 0; i < 40; ++i) {
    const std::string n = std::to_string(i);
    out += "{\"text\":\"We need water at camp " + n + "\",\"label\":\"request\"}\n";
    out += "{\"text\":\"Thoughts with camp " + n + " tonight\",\"label\":\"irrelevant\"}\n";
  }
  return out;
}

TEST(TrainVectors, RightDimensionAndSameBytesWithOneThread) {
  TempDir dir;
  write_text(dir.file("corpus.txt"), tiny_corpus());
  auto result = train_vectors(small_options(dir));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->records, 120);
  EXPECT_EQ(result->held_out, 0);
  EXPECT_EQ(result->lines, 180);  // 60 records hold two texts
  EXPECT_EQ(result->dim, 6);
  const std::string vec = read_bytes(dir.file("crisis.vec"));
  EXPECT_EQ(sha256_hex(vec), result->sha256);
  std::istringstream in(vec);
  int64_t words = 0, dim = 0;
  in >> words >> dim;
  EXPECT_EQ(words, result->words);
  EXPECT_EQ(dim, 6);
  std::string line;
  std::getline(in, line);
  std::set<std::string> seen;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string word;
    row >> word;
    seen.insert(word);
    int values = 0;
    for (double v = 0; row >> v;) ++values;
    EXPECT_EQ(values, 6) << line;
  }
  EXPECT_EQ(static_cast<int64_t>(seen.size()), words);
  // The classifiers' tokens (lower-cased), the Kreyol text included, and no end-of-line token.
  EXPECT_TRUE(seen.count("water") && seen.count("bezwen") && seen.count("leogane"));
  EXPECT_FALSE(seen.count("We") || seen.count("</s>"));
  // No corpus file is left behind, and a second run writes the same bytes.
  EXPECT_FALSE(std::filesystem::exists(dir.file("crisis.vec.corpus.tmp")));
  VectorTrainOptions again = small_options(dir);
  again.out_path = dir.file("again.vec");
  ASSERT_TRUE(train_vectors(again));
  EXPECT_EQ(read_bytes(dir.file("again.vec")), vec);
}

TEST(TrainVectors, HoldoutDropsRecordsWithValidationOrTestPosts) {
  TempDir dir;
  write_text(dir.file("labels.jsonl"), labelled_jsonl());
  auto posts = load_labelled(dir.file("labels.jsonl"));
  ASSERT_TRUE(posts);
  const Split split = stratified_split(*posts, 42);
  ASSERT_FALSE(split.validation.empty());
  ASSERT_FALSE(split.test.empty());
  // Every labelled post as a record, upper-cased with extra spaces (the match is on the
  // normalised tokens), and each validation post also as the second text of a record.
  std::string corpus = tiny_corpus();
  for (const LabelledPost& post : *posts) {
    std::string upper;
    for (char c : post.text) upper += c == ' ' ? std::string("  ") : std::string(1, static_cast<char>(std::toupper(c)));
    corpus += upper + "\n";
  }
  for (size_t i : split.validation) corpus += "some other text\t" + (*posts)[i].text + "\n";
  write_text(dir.file("corpus.txt"), corpus);
  VectorTrainOptions o = small_options(dir);
  o.holdout_labels = dir.file("labels.jsonl");
  auto result = train_vectors(o);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->held_out, static_cast<int64_t>(2 * split.validation.size() + split.test.size()));
  EXPECT_EQ(result->records, static_cast<int64_t>(120 + posts->size() + split.validation.size()));
  // Another seed makes another split, and the holdout follows it.
  o.seed = 7;
  const Split other_split = stratified_split(*posts, 7);
  std::set<size_t> other_held(other_split.validation.begin(), other_split.validation.end());
  other_held.insert(other_split.test.begin(), other_split.test.end());
  int64_t expected = static_cast<int64_t>(other_held.size());
  for (size_t i : split.validation) expected += static_cast<int64_t>(other_held.count(i));
  auto other = train_vectors(o);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->held_out, expected);
}

TEST(TrainVectors, RejectsBadInput) {
  TempDir dir;
  write_text(dir.file("corpus.txt"), tiny_corpus());
  VectorTrainOptions o = small_options(dir);
  o.dim = 0;
  EXPECT_EQ(train_vectors(o).error().code, ErrorCode::kInvalidArgument);
  o = small_options(dir);
  o.min_char_ngram = 4;
  o.max_char_ngram = 3;
  EXPECT_EQ(train_vectors(o).error().code, ErrorCode::kInvalidArgument);
  o = small_options(dir);
  o.inputs = {dir.file("missing.txt")};
  EXPECT_FALSE(train_vectors(o));
  o = small_options(dir);
  write_text(dir.file("empty.txt"), "\n \t \n");
  o.inputs = {dir.file("empty.txt")};
  EXPECT_EQ(train_vectors(o).error().code, ErrorCode::kInvalidArgument);
  o = small_options(dir);
  o.min_count = 1000;  // no word reaches it: fastText's empty vocabulary is an error, not a crash
  EXPECT_FALSE(train_vectors(o));
}

// A labelled set for the classifier trained on the vectors, and a small, fast trainer over it.
TrainOptions classifier_options(const TempDir& dir) {
  std::string labelled;
  for (int i = 0; i < 30; ++i) {
    labelled += "{\"text\":\"We need water in leogane\",\"label\":\"request\",\"resources\":[\"water\"]}\n";
    labelled += "{\"text\":\"Volunteers bring food to delmas today\",\"label\":\"offer\",\"resources\":[\"food\"]}\n";
    labelled += "{\"text\":\"Thoughts with jacmel\",\"label\":\"irrelevant\",\"resources\":[]}\n";
  }
  write_text(dir.file("train.jsonl"), labelled);
  return tiny_fasttext_options(dir.file("train.jsonl"), dir.file("model"));
}

TEST(TrainVectors, VecFileIsAPretrainedInputOfTheClassifier) {
  TempDir dir;
  write_text(dir.file("corpus.txt"), tiny_corpus());
  ASSERT_TRUE(train_vectors(small_options(dir)));
  TrainOptions t = classifier_options(dir);
  t.epochs = 5;
  t.pretrained = GridChoice::kOn;
  t.pretrained_path = dir.file("crisis.vec");
  auto ok = train_classifiers(t);
  ASSERT_TRUE(ok) << ok.error().message;
  // The model's dim follows the .vec file (6), not options.dim (8).
  EXPECT_NE(read_bytes(dir.file("model/manifest.json")).find("\"pretrained_dim\":6"), std::string::npos);
  // A .vec file whose rows do not match its header is rejected, naming the file.
  std::string vec = read_bytes(dir.file("crisis.vec"));
  write_text(dir.file("bad.vec"), vec.substr(0, vec.rfind(' ')) + "\n");
  t.pretrained_path = dir.file("bad.vec");
  auto bad = train_classifiers(t);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(bad.error().message.find("bad.vec"), std::string::npos);
}

TEST(TrainVectors, DomainVectorsAreAThirdPretrainedGridPoint) {
  TempDir dir;
  write_text(dir.file("corpus.txt"), tiny_corpus());
  VectorTrainOptions v = small_options(dir);
  ASSERT_TRUE(train_vectors(v));
  v.out_path = dir.file("other.vec");
  v.dim = 4;
  v.seed = 7;
  ASSERT_TRUE(train_vectors(v));
  TrainOptions t = classifier_options(dir);
  t.tune = true;
  t.cascade = GridChoice::kOff;
  t.prior_correction = GridChoice::kOff;
  t.char_ngrams = GridChoice::kOff;
  t.pretrained_path = dir.file("other.vec");
  t.domain_vectors_path = dir.file("crisis.vec");
  auto ok = train_classifiers(t);
  ASSERT_TRUE(ok) << ok.error().message;
  const std::string manifest = read_bytes(dir.file("model/manifest.json"));
  for (const char* variant : {"\"variant\":\"softmax-4\"", "\"variant\":\"softmax-4+pretrained\"",
                              "\"variant\":\"softmax-4+domain\""}) {
    EXPECT_NE(manifest.find(variant), std::string::npos) << variant;
  }
  EXPECT_NE(manifest.find("\"domain_vectors\":true"), std::string::npos);
  EXPECT_NE(manifest.find("\"sha256\":\"" + sha256_hex(read_bytes(dir.file("crisis.vec"))) + "\""), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.file("model/.domain.vec")));
}

}  // namespace
}  // namespace crema::classify
