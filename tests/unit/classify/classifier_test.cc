#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <numeric>

#include "crema/classify/classifier.h"
#include "crema/classify/evaluation.h"
#include "crema/text/normalize.h"
#include "test_util.h"

namespace crema::classify {
namespace {

using testing::read_bytes;
using testing::TempDir;
using testing::write_text;

// A small synthetic labelled set: the labels follow the templates, which is all a test of
// the training machinery needs.
std::string synthetic_jsonl() {
  const char* places[] = {"leogane", "delmas", "carrefour", "jacmel", "gressier", "petionville"};
  const char* resources[] = {"water", "food", "shelter", "medical"};
  const char* words[] = {"water", "rice and food", "tents for shelter", "medicine"};
  std::string out;
  for (int i = 0; i < 90; ++i) {
    const char* place = places[i % 6];
    const int r = i % 4;
    out += std::string("{\"text\":\"We urgently need ") + words[r] + " in " + place +
           ", please help\",\"label\":\"request\",\"resources\":[\"" + resources[r] + "\"]}\n";
    out += std::string("{\"text\":\"I can offer ") + words[(r + 1) % 4] + " to families in " + place +
           " for free\",\"label\":\"offer\",\"resources\":[\"" + resources[(r + 1) % 4] + "\"]}\n";
    out += std::string("{\"text\":\"Thoughts and prayers with everyone in ") + place +
           " tonight\",\"label\":\"irrelevant\",\"resources\":[]}\n";
  }
  return out;
}

TrainOptions small_options(const TempDir& dir, const std::string& out) {
  TrainOptions o = testing::tiny_fasttext_options(dir.file("train.jsonl"), dir.file(out));
  o.epochs = 10;
  o.learning_rate = 0.5;
  o.threads = 1;
  return o;
}

class TrainedModel : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(dir_.file("train.jsonl"), synthetic_jsonl());
    auto result = train_classifiers(small_options(dir_, "model"));
    ASSERT_TRUE(result) << result.error().message;
    model_dir_ = dir_.file("model");
  }
  TempDir dir_;
  std::string model_dir_;
};

TEST_F(TrainedModel, WritesEverythingAndClassifies) {
  for (const char* f : {"actionable.ftz", "resources.ftz", "manifest.json", "decision.txt", "actionable.report.txt",
                        "actionable.report.json", "resources.report.txt", "resources.report.json"}) {
    EXPECT_TRUE(std::filesystem::exists(model_dir_ + "/" + f)) << f;
  }
  const std::string manifest = read_bytes(model_dir_ + "/manifest.json");
  EXPECT_NE(manifest.find("\"actionable.ftz\":\"" + sha256_hex(read_bytes(model_dir_ + "/actionable.ftz")) + "\""),
            std::string::npos);
  EXPECT_NE(manifest.find(sha256_hex(read_bytes(dir_.file("train.jsonl")))), std::string::npos);
  auto classifier = Classifier::load(model_dir_);
  ASSERT_TRUE(classifier) << classifier.error().message;
  const Classification c = (*classifier)->classify("We urgently need water in leogane, please help");
  EXPECT_EQ(c.label, Label::kRequest);
  EXPECT_NEAR(std::accumulate(c.probs.begin(), c.probs.end(), 0.0f), 1.0f, 1e-4f);
  ASSERT_FALSE(c.resources.empty());
  EXPECT_EQ(c.resources[0], "water");
  EXPECT_GE(c.resource_probs[0], kResourceThreshold);
  EXPECT_EQ((*classifier)->classify("Thoughts and prayers with everyone in jacmel tonight").label,
            Label::kIrrelevant);
  // Empty and odd inputs are fine.
  const Classification empty = (*classifier)->classify("");
  EXPECT_NEAR(std::accumulate(empty.probs.begin(), empty.probs.end(), 0.0f), 1.0f, 1e-4f);
  (void)(*classifier)->classify("__label__offer \n\t \xff");
}

TEST_F(TrainedModel, BatchMatchesSingle) {
  auto classifier = Classifier::load(model_dir_);
  ASSERT_TRUE(classifier);
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) {
    texts.push_back(i % 2 ? "I can offer food to families in delmas" : "need medicine in jacmel " + std::to_string(i));
  }
  std::vector<std::string_view> views(texts.begin(), texts.end());
  std::vector<Classification> out(texts.size());
  (*classifier)->classify_batch(views, out, 4);
  for (size_t i = 0; i < texts.size(); ++i) {
    const Classification one = (*classifier)->classify(texts[i]);
    EXPECT_EQ(out[i].label, one.label);
    EXPECT_EQ(out[i].probs, one.probs);
    EXPECT_EQ(out[i].resources, one.resources);
  }
}

TEST_F(TrainedModel, RetrainingIsBitForBitReproducible) {
  auto again = train_classifiers(small_options(dir_, "again"));
  ASSERT_TRUE(again) << again.error().message;
  for (const char* f : {"actionable.ftz", "resources.ftz", "manifest.json", "actionable.report.json"}) {
    EXPECT_EQ(sha256_hex(read_bytes(model_dir_ + "/" + f)), sha256_hex(read_bytes(dir_.file("again/") + f))) << f;
  }
  TrainOptions other = small_options(dir_, "other");
  other.seed = 7;
  ASSERT_TRUE(train_classifiers(other));
  EXPECT_NE(sha256_hex(read_bytes(model_dir_ + "/actionable.ftz")),
            sha256_hex(read_bytes(dir_.file("other/actionable.ftz"))));
}

TEST_F(TrainedModel, EvaluateMatchesTrainingReport) {
  auto eval = evaluate_classifiers(model_dir_, dir_.file("train.jsonl"), true, 42, 2);
  ASSERT_TRUE(eval) << eval.error().message;
  EXPECT_EQ(eval->actionable.to_json() + "\n", read_bytes(model_dir_ + "/actionable.report.json"));
  EXPECT_EQ(eval->actionable.n, 54);  // 20% of 270 rows
  auto all = evaluate_classifiers(model_dir_, dir_.file("train.jsonl"), false, 42, 2);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->actionable.n, 270);
  EXPECT_GT(all->actionable.macro_f1, 0.9);
}

TEST_F(TrainedModel, PerLanguageRowsInReports) {
  // The synthetic rows carry no "lang": they all count as "und".
  auto eval = evaluate_classifiers(model_dir_, dir_.file("train.jsonl"), false, 42, 2);
  ASSERT_TRUE(eval);
  ASSERT_EQ(eval->actionable.languages.size(), 1u);
  EXPECT_EQ(eval->actionable.languages[0].lang, "und");
  EXPECT_EQ(eval->actionable.languages[0].n, 270);
  EXPECT_DOUBLE_EQ(eval->actionable.languages[0].macro_f1, eval->actionable.macro_f1);
  EXPECT_NE(eval->actionable.to_text().find("per language"), std::string::npos);
  EXPECT_NE(eval->actionable.to_json().find("\"languages\":[{\"lang\":\"und\",\"n\":270"), std::string::npos);
  // A directory without decision.txt (written before it existed) is a plain softmax-4 one.
  std::filesystem::remove(model_dir_ + "/decision.txt");
  auto plain = evaluate_classifiers(model_dir_, dir_.file("train.jsonl"), false, 42, 2);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->actionable.to_json(), eval->actionable.to_json());
}

// A tiny glove-sif file (docs/encoders.md layout) with 4-d vectors for a few words.
std::string tiny_glove() {
  const std::vector<std::string> words{"need", "water", "offer", "food", "prayers", "help", "free"};
  const uint32_t dim = 4, n = static_cast<uint32_t>(words.size());
  std::string vocab;
  for (const auto& w : words) vocab += w + "\n";
  std::string out = "CRGLOVE1";
  const auto put = [&out](const void* p, size_t k) { out.append(static_cast<const char*>(p), k); };
  const uint32_t version = 1, zero = 0;
  const float a = 1e-3f;
  const uint64_t vb = vocab.size();
  put(&version, 4), put(&dim, 4), put(&n, 4), put(&zero, 4), put(&a, 4), put(&zero, 4), put(&vb, 8);
  for (uint32_t i = 0; i < n; ++i) {
    const float scale = 0.01f;
    put(&scale, 4);
  }
  for (uint32_t i = 0; i < n; ++i) {
    const float weight = 1.0f;
    put(&weight, 4);
  }
  for (uint32_t d = 0; d < dim; ++d) {
    const float pc = d == 0 ? 1.0f : 0.0f;
    put(&pc, 4);
  }
  for (uint32_t i = 0; i < n * dim; ++i) out.push_back(static_cast<char>(static_cast<int>(i % 50) - 25));
  return out + vocab;
}

TEST(TrainGrid, CascadeWinsOrLosesOnValidationAndLoads) {
  TempDir dir;
  write_text(dir.file("train.jsonl"), synthetic_jsonl());
  write_text(dir.file("glove.bin"), tiny_glove());
  TrainOptions o = small_options(dir, "grid");
  o.tune = true;
  o.pretrained_path = dir.file("glove.bin");
  o.dim = 4;
  auto result = train_classifiers(o);
  ASSERT_TRUE(result) << result.error().message;
  const std::string manifest = read_bytes(dir.file("grid/manifest.json"));
  // 2 types x 2 prior x 2 pretrained x 2 char variants (8 settings each on plain words).
  for (const char* v : {"\"variant\":\"softmax-4\"", "\"variant\":\"cascade+prior+pretrained+char\"",
                        "\"variant\":\"softmax-4+prior+char\"", "\"variant\":\"cascade+pretrained\""}) {
    EXPECT_NE(manifest.find(v), std::string::npos) << v;
  }
  EXPECT_NE(manifest.find("\"variants\":["), std::string::npos);
  EXPECT_FALSE(result->chosen.empty());
  auto rule = parse_decision_rule(read_bytes(dir.file("grid/decision.txt")), "decision.txt");
  ASSERT_TRUE(rule) << rule.error().message;
  const bool cascade = result->chosen.rfind("cascade", 0) == 0;
  EXPECT_EQ(rule->type == ModelType::kCascade, cascade);
  EXPECT_EQ(std::filesystem::exists(dir.file("grid/actionable.ftz")), !cascade);
  EXPECT_EQ(std::filesystem::exists(dir.file("grid/request.ftz")), cascade);
  auto classifier = Classifier::load(dir.file("grid"));
  ASSERT_TRUE(classifier) << classifier.error().message;
  EXPECT_GT(result->actionable.macro_f1, 0.9);
  // Grid points trained concurrently give the same files.
  TrainOptions parallel = o;
  parallel.out_dir = dir.file("grid2");
  parallel.grid_threads = 3;
  ASSERT_TRUE(train_classifiers(parallel));
  for (const char* f : {"decision.txt", "resources.ftz", "actionable.report.json"}) {
    EXPECT_EQ(read_bytes(dir.file("grid/") + f), read_bytes(dir.file("grid2/") + f)) << f;
  }
  // No temporary training or vector files are left behind.
  for (const auto& entry : std::filesystem::directory_iterator(dir.file("grid"))) {
    EXPECT_NE(entry.path().filename().string().front(), '.') << entry.path();
  }
}

TEST(TrainGrid, BadPretrainedFileIsAnError) {
  TempDir dir;
  write_text(dir.file("train.jsonl"), synthetic_jsonl());
  std::string glove = tiny_glove();
  TrainOptions o = small_options(dir, "m");
  o.pretrained = GridChoice::kOn;
  o.pretrained_path = dir.file("glove.bin");
  write_text(o.pretrained_path, glove.substr(0, glove.size() - 3));
  auto r = train_classifiers(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
  write_text(o.pretrained_path, "CRGLOVE1" + std::string(40, '\xff'));
  EXPECT_FALSE(train_classifiers(o));
  // A good file: dim follows the file (4), not options.dim (8).
  write_text(o.pretrained_path, glove);
  auto ok = train_classifiers(o);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_NE(read_bytes(dir.file("m/manifest.json")).find("\"pretrained_dim\":4"), std::string::npos);
  auto info = check_fasttext_model(read_bytes(dir.file("m/actionable.ftz")), "a");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->dim, 4);
}

class CascadeModel : public ::testing::Test {
 protected:
  static TrainOptions options(const TempDir& dir, const std::string& out) {
    TrainOptions o = small_options(dir, out);
    o.softmax = GridChoice::kOff;
    o.cascade = GridChoice::kOn;
    return o;
  }
  void SetUp() override {
    write_text(dir_.file("train.jsonl"), synthetic_jsonl() +
                                             "{\"text\":\"We need volunteers to hand out the food we collected\","
                                             "\"label\":\"request_and_offer\",\"resources\":[\"volunteers\"]}\n");
    auto result = train_classifiers(options(dir_, "model"));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->chosen, "cascade");
    model_dir_ = dir_.file("model");
  }
  TempDir dir_;
  std::string model_dir_;
};

TEST_F(CascadeModel, WritesTwoBinaryModelsAndClassifies) {
  EXPECT_FALSE(std::filesystem::exists(model_dir_ + "/actionable.ftz"));
  for (const char* f : {"request.ftz", "offer.ftz", "decision.txt", "resources.ftz", "manifest.json"}) {
    EXPECT_TRUE(std::filesystem::exists(model_dir_ + "/" + f)) << f;
  }
  auto rule = parse_decision_rule(read_bytes(model_dir_ + "/decision.txt"), "decision.txt");
  ASSERT_TRUE(rule);
  EXPECT_EQ(rule->type, ModelType::kCascade);
  auto info = check_fasttext_model(read_bytes(model_dir_ + "/request.ftz"), "request.ftz");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->labels.size(), 2u);
  auto classifier = Classifier::load(model_dir_);
  ASSERT_TRUE(classifier) << classifier.error().message;
  const Classification req = (*classifier)->classify("We urgently need water in leogane, please help");
  const Classification off = (*classifier)->classify("I can offer food to families in delmas for free");
  const Classification irr = (*classifier)->classify("Thoughts and prayers with everyone in jacmel tonight");
  EXPECT_EQ(req.label, Label::kRequest);
  EXPECT_EQ(off.label, Label::kOffer);
  EXPECT_EQ(irr.label, Label::kIrrelevant);
  for (const Classification* c : {&req, &off, &irr}) {
    EXPECT_NEAR(std::accumulate(c->probs.begin(), c->probs.end(), 0.0f), 1.0f, 1e-4f);
  }
  auto eval = evaluate_classifiers(model_dir_, dir_.file("train.jsonl"), true, 42, 2);
  ASSERT_TRUE(eval);
  EXPECT_EQ(eval->actionable.to_json() + "\n", read_bytes(model_dir_ + "/actionable.report.json"));
}

TEST_F(CascadeModel, RetrainingIsBitForBitReproducible) {
  ASSERT_TRUE(train_classifiers(options(dir_, "again")));
  for (const char* f : {"request.ftz", "offer.ftz", "decision.txt", "manifest.json"}) {
    EXPECT_EQ(sha256_hex(read_bytes(model_dir_ + "/" + f)), sha256_hex(read_bytes(dir_.file("again/") + f))) << f;
  }
}

TEST_F(CascadeModel, BrokenDirectoriesAreErrors) {
  const std::string d = dir_.file("broken");
  std::filesystem::copy(model_dir_, d);
  // The cascade's files must be its own: a 4-class model in place of request.ftz.
  TrainOptions soft = small_options(dir_, "soft");
  ASSERT_TRUE(train_classifiers(soft));
  std::filesystem::copy_file(dir_.file("soft/actionable.ftz"), d + "/request.ftz",
                             std::filesystem::copy_options::overwrite_existing);
  auto r = Classifier::load(d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(r.error().message.find("request.ftz"), std::string::npos);
  // A missing offer model.
  std::filesystem::copy_file(model_dir_ + "/request.ftz", d + "/request.ftz",
                             std::filesystem::copy_options::overwrite_existing);
  ASSERT_TRUE(Classifier::load(d));
  std::filesystem::remove(d + "/offer.ftz");
  r = Classifier::load(d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("offer.ftz"), std::string::npos);
  // A corrupt or oversized decision file.
  std::filesystem::copy_file(model_dir_ + "/offer.ftz", d + "/offer.ftz");
  write_text(d + "/decision.txt", "format 1\ntype cascade\nthreshold request 2\nthreshold offer 0.5\n");
  r = Classifier::load(d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(r.error().message.find("decision.txt"), std::string::npos);
  write_text(d + "/decision.txt", std::string(1 << 20, 'x'));
  EXPECT_FALSE(Classifier::load(d));
  // Truncated binary models are corrupt, never a crash.
  const std::string good = read_bytes(model_dir_ + "/offer.ftz");
  write_text(d + "/decision.txt", read_bytes(model_dir_ + "/decision.txt"));
  for (size_t len = 0; len < good.size(); len += 173) {
    write_text(d + "/offer.ftz", good.substr(0, len));
    r = Classifier::load(d);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
  }
}

void put_i32(std::string& s, size_t at, int32_t v) { std::memcpy(s.data() + at, &v, 4); }
void put_i64(std::string& s, size_t at, int64_t v) { std::memcpy(s.data() + at, &v, 8); }

// Loads `bytes` as the actionable model of a fresh directory.
Result<std::unique_ptr<Classifier>> load_as_actionable(const TempDir& dir, const std::string& bytes) {
  const std::string d = dir.file("hostile");
  std::filesystem::create_directories(d);
  std::filesystem::remove(d + "/resources.ftz");
  write_text(d + "/actionable.ftz", bytes);
  return Classifier::load(d);
}

void expect_corrupt(const Result<std::unique_ptr<Classifier>>& r, const std::string& what) {
  ASSERT_FALSE(r) << what;
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt) << what << ": " << r.error().message;
  EXPECT_NE(r.error().message.find("actionable.ftz"), std::string::npos) << r.error().message;
}

TEST_F(TrainedModel, TruncatedFilesAreCorrupt) {
  const std::string good = read_bytes(model_dir_ + "/actionable.ftz");
  ASSERT_TRUE(load_as_actionable(dir_, good));
  for (size_t len = 0; len < good.size(); len += (len < 600 ? 1 : 61)) {
    expect_corrupt(load_as_actionable(dir_, good.substr(0, len)), "length " + std::to_string(len));
  }
  for (size_t cut = 1; cut <= 16; ++cut) {
    expect_corrupt(load_as_actionable(dir_, good.substr(0, good.size() - cut)), "cut " + std::to_string(cut));
  }
  expect_corrupt(load_as_actionable(dir_, good + "x"), "trailing byte");
}

TEST_F(TrainedModel, RandomBytesAreCorrupt) {
  SplitMix64 rng(5);
  const std::string good = read_bytes(model_dir_ + "/actionable.ftz");
  for (int i = 0; i < 60; ++i) {
    std::string junk(static_cast<size_t>(rng.below(4000)), '\0');
    for (char& c : junk) c = static_cast<char>(rng.next());
    expect_corrupt(load_as_actionable(dir_, junk), "random");
    // Random bytes behind a valid magic, version and arguments.
    expect_corrupt(load_as_actionable(dir_, good.substr(0, 64) + junk), "random after header");
  }
}

TEST_F(TrainedModel, HugeOrInconsistentSizesAreCorrupt) {
  const std::string good = read_bytes(model_dir_ + "/actionable.ftz");
  // Layout: magic 0, version 4, args 8..63 (dim 8, wordNgrams 28, loss 32, model 36, bucket 40),
  // dictionary header: size 64, nwords 68, nlabels 72, ntokens 76, pruneidx_size 84.
  struct Patch {
    const char* what;
    size_t at;
    int64_t value;
    bool wide;
  };
  const Patch patches[] = {
      {"magic", 0, 1234, false},         {"version", 4, 11, false},
      {"dim", 8, 0x7fffffff, false},     {"dim 0", 8, 0, false},
      {"word ngrams", 28, 0, false},     {"loss hs", 32, 1, false},
      {"model cbow", 36, 1, false},
      {"bucket 0", 40, 0, false},        {"size", 64, 0x7fffffff, false},
      {"nwords", 68, 0x7ffffff0, false}, {"nwords 0", 68, 0, false},
      {"nlabels", 72, -5, false},        {"prune size", 84, int64_t{1} << 40, true},
      {"prune size -2", 84, -2, true},
  };
  for (const Patch& p : patches) {
    std::string bad = good;
    if (p.wide) {
      put_i64(bad, p.at, p.value);
    } else {
      put_i32(bad, p.at, static_cast<int32_t>(p.value));
    }
    expect_corrupt(load_as_actionable(dir_, bad), p.what);
  }
  // A resources (one-vs-all) model where the 4-class model belongs.
  expect_corrupt(load_as_actionable(dir_, read_bytes(model_dir_ + "/resources.ftz")), "swapped models");
}

TEST_F(TrainedModel, FlippedBytesNeverCrash) {
  const std::string good = read_bytes(model_dir_ + "/actionable.ftz");
  SplitMix64 rng(9);
  int loaded = 0;
  for (int i = 0; i < 300; ++i) {
    std::string bad = good;
    const size_t at = rng.below(std::min<uint64_t>(bad.size(), i % 2 ? bad.size() : 2000));
    bad[at] = static_cast<char>(rng.next());
    auto r = load_as_actionable(dir_, bad);
    if (r) {
      ++loaded;
      const Classification c = (*r)->classify("need water in delmas");
      EXPECT_LE(static_cast<int>(c.label), 3);
    } else {
      EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
    }
  }
  EXPECT_GT(loaded, 0);  // most flips land in weights and still load
}

TEST_F(TrainedModel, UnquantizedModelsLoadToo) {
  TrainOptions o = small_options(dir_, "dense");
  o.quantize = false;
  ASSERT_TRUE(train_classifiers(o));
  auto classifier = Classifier::load(dir_.file("dense"));
  ASSERT_TRUE(classifier) << classifier.error().message;
  EXPECT_EQ((*classifier)->classify("We urgently need food in delmas, please help").label, Label::kRequest);
  const std::string good = read_bytes(dir_.file("dense/actionable.ftz"));
  for (size_t len = 0; len < good.size(); len += 997) expect_corrupt(load_as_actionable(dir_, good.substr(0, len)), "dense");
  // Unpruned: the input matrix must have nwords + bucket rows.
  std::string bad = good;
  put_i32(bad, 40, 0x7fffffff);
  expect_corrupt(load_as_actionable(dir_, bad), "dense bucket");
}

TEST(ClassifierLoad, MissingFiles) {
  TempDir dir;
  auto r = Classifier::load(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("actionable.ftz"), std::string::npos);
  write_text(dir.file("actionable.ftz"), "");
  r = Classifier::load(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
}

TEST(TrainClassifiers, RejectsBadInput) {
  TempDir dir;
  write_text(dir.file("one.jsonl"), "{\"text\":\"a\",\"label\":\"request\",\"resources\":[]}\n");
  TrainOptions o;
  o.data_path = dir.file("one.jsonl");
  o.out_dir = dir.file("m");
  auto r = train_classifiers(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  o.data_path = dir.file("missing.jsonl");
  EXPECT_FALSE(train_classifiers(o));
  o.data_path = dir.file("one.jsonl");
  o.quantize_cutoff = 10;
  EXPECT_FALSE(train_classifiers(o));
}

// The committed built-in models.
class BuiltinModels : public ::testing::Test {
 protected:
  static std::string dir() { return std::string(CREMA_SOURCE_DIR) + "/models/classifier"; }
  Classification classify(const Classifier& c, const char* raw) { return c.classify(text::normalize_text(raw)); }
};

TEST_F(BuiltinModels, ClearPosts) {
  auto classifier = Classifier::load(dir());
  ASSERT_TRUE(classifier) << classifier.error().message;
  const Classifier& c = **classifier;
  const Classification water =
      classify(c, "We urgently need drinking water and food in Carrefour, please send help");
  const Classification offer = classify(c, "I can offer free rides and shelter to anyone who lost their home");
  const Classification prayers = classify(c, "Thoughts and prayers to everyone affected by the earthquake");
  for (const Classification* x : {&water, &offer, &prayers}) {
    EXPECT_NEAR(std::accumulate(x->probs.begin(), x->probs.end(), 0.0f), 1.0f, 1e-4f);
  }
  const auto p = [](const Classification& x, Label l) { return x.probs[static_cast<size_t>(l)]; };
  EXPECT_EQ(water.label, Label::kRequest);
  EXPECT_GT(p(water, Label::kRequest), p(water, Label::kOffer));
  EXPECT_TRUE(std::find(water.resources.begin(), water.resources.end(), "water") != water.resources.end() ||
              std::find(water.resources.begin(), water.resources.end(), "food") != water.resources.end());
  EXPECT_EQ(prayers.label, Label::kIrrelevant);
  EXPECT_GT(p(prayers, Label::kIrrelevant), p(prayers, Label::kRequest));
  EXPECT_GT(p(offer, Label::kOffer), p(prayers, Label::kOffer));
}

TEST_F(BuiltinModels, QualityFloorOnHeldOutSplit) {
  // The 20% test split of the committed labels (docs/annotation.md, two passes +
  // adjudication) was never seen in training; synthetic rows are train-only.
  auto eval = evaluate_classifiers(dir(), std::string(CREMA_SOURCE_DIR) + "/data/labels/crema_labels.jsonl", true,
                                   42, 2);
  ASSERT_TRUE(eval) << eval.error().message;
  EXPECT_GT(eval->actionable.n, 900);
  EXPECT_GE(eval->actionable.macro_f1, 0.50);
  EXPECT_GE(eval->actionable.classes[static_cast<size_t>(Label::kRequest)].f1, 0.70);
  // Offer floor 0.33: the test split since the second labelling round holds 62 offers, many of
  // them the harder posts that round was enriched for (0.364 measured; the earlier split: 0.444).
  EXPECT_GE(eval->actionable.classes[static_cast<size_t>(Label::kOffer)].f1, 0.33);
  EXPECT_GE(eval->actionable.classes[static_cast<size_t>(Label::kIrrelevant)].f1, 0.85);
  EXPECT_GE(eval->resources.macro_f1, 0.25);
  EXPECT_EQ(eval->actionable.to_json() + "\n", read_bytes(dir() + "/actionable.report.json"));
}

}  // namespace
}  // namespace crema::classify
