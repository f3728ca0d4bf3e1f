#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "crema/classify/classifier.h"
#include "crema/classify/evaluation.h"
#include "crema/classify/linear_head.h"
#include "crema/common/hash.h"
#include "test_util.h"

namespace crema::classify {
namespace {

using testing::read_bytes;
using testing::TempDir;
using testing::write_text;

// A keyword encoder: [mentions "need", mentions "spare", number of words / 10].
class ToyEncoder final : public FeatureEncoder {
 public:
  size_t dim() const override { return 3; }
  Status encode(std::span<const std::string_view> texts, std::span<float> out, int) const override {
    for (size_t i = 0; i < texts.size(); ++i) {
      const std::string_view t = texts[i];
      out[i * 3] = t.find("need") != std::string_view::npos ? 1.0f : 0.0f;
      out[i * 3 + 1] = t.find("spare") != std::string_view::npos ? 1.0f : 0.0f;
      out[i * 3 + 2] = static_cast<float>(std::count(t.begin(), t.end(), ' ') + 1) / 10.0f;
    }
    return {};
  }
};

void install_toy_factory() {
  set_feature_encoder_factory([](std::string_view name) -> Result<std::unique_ptr<FeatureEncoder>> {
    if (name != "toy") return make_error(ErrorCode::kInvalidArgument, "unknown encoder '" + std::string(name) + "'");
    return std::unique_ptr<FeatureEncoder>(std::make_unique<ToyEncoder>());
  });
}

Label label_of(bool need, bool spare) {
  return need && spare ? Label::kRequestAndOffer : need ? Label::kRequest : spare ? Label::kOffer : Label::kIrrelevant;
}

// Separable rows: the label is a function of the first two features.
void toy_rows(size_t n, std::vector<float>& x, std::vector<Label>& y) {
  SplitMix64 rng(7);
  for (size_t i = 0; i < n; ++i) {
    const bool need = rng.below(2) == 1, spare = rng.below(3) == 0;
    x.push_back(need ? 1.0f : 0.0f);
    x.push_back(spare ? 1.0f : 0.0f);
    x.push_back(static_cast<float>(rng.below(20)) / 10.0f);
    y.push_back(label_of(need, spare));
  }
}

TEST(LinearHead, LearnsASeparableToySet) {
  std::vector<float> x;
  std::vector<Label> y;
  toy_rows(400, x, y);
  LinearHeadTrainOptions o;
  o.l2 = 1e-4;
  auto head = train_linear_head(x, 3, y, o);
  ASSERT_TRUE(head) << head.error().message;
  size_t right = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const auto p = head->probs(std::span<const float>(x).subspan(i * 3, 3));
    right += biased_argmax(p, {}) == y[i] ? 1 : 0;
    float sum = 0;
    for (float v : p) sum += v;
    EXPECT_NEAR(sum, 1.0f, 1e-5f);
  }
  EXPECT_EQ(right, y.size());
}

TEST(LinearHead, TrainingIsDeterministicWhateverTheThreads) {
  std::vector<float> x;
  std::vector<Label> y;
  toy_rows(1000, x, y);  // more rows than one reduction block
  LinearHeadTrainOptions o;
  o.l2 = 1e-2;
  o.threads = 1;
  auto a = train_linear_head(x, 3, y, o);
  auto b = train_linear_head(x, 3, y, o);
  o.threads = 3;
  auto c = train_linear_head(x, 3, y, o);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(serialize_linear_head(*a), serialize_linear_head(*b));
  EXPECT_EQ(serialize_linear_head(*a), serialize_linear_head(*c));
  // Stronger regularisation gives smaller weights.
  o.l2 = 10;
  auto d = train_linear_head(x, 3, y, o);
  ASSERT_TRUE(d);
  double na = 0, nd = 0;
  for (float v : a->weights) na += std::fabs(v);
  for (float v : d->weights) nd += std::fabs(v);
  EXPECT_LT(nd, na);
}

TEST(LinearHead, ClassMissingFromTrainingIsNeverPredicted) {
  std::vector<float> x{1, 0, 0.1f, 0, 0, 0.3f, 1, 0, 0.5f, 0, 0, 0.2f};
  std::vector<Label> y{Label::kRequest, Label::kIrrelevant, Label::kRequest, Label::kIrrelevant};
  auto head = train_linear_head(x, 3, y, {});
  ASSERT_TRUE(head);
  const auto p = head->probs(std::vector<float>{0, 1, 0.1f});
  EXPECT_LT(p[static_cast<size_t>(Label::kOffer)], 1e-6f);
  EXPECT_LT(p[static_cast<size_t>(Label::kRequestAndOffer)], 1e-6f);
}

TEST(LinearHead, RejectsBadTrainingInput) {
  std::vector<float> x{1, 0, 0};
  EXPECT_FALSE(train_linear_head(x, 3, std::vector<Label>{Label::kUnknown}, {}));
  EXPECT_FALSE(train_linear_head(x, 2, std::vector<Label>{Label::kRequest}, {}));
  EXPECT_FALSE(train_linear_head({}, 3, std::vector<Label>{}, {}));
  x[1] = std::nanf("");
  EXPECT_FALSE(train_linear_head(x, 3, std::vector<Label>{Label::kRequest}, {}));
}

LinearHead small_head() {
  LinearHead h;
  h.encoder = "toy";
  h.dim = 3;
  h.weights = {1, -2, 0.5f, 0, 3, 0, -1, 1, 0, 0.25f, 0, -4};
  h.bias = {0.1f, -0.2f, 0.3f, 0};
  return h;
}

// Rewrites the trailing checksum so that a patched file gets past it to the field checks.
std::string with_checksum(std::string bytes) {
  bytes.resize(bytes.size() - 8);
  const uint64_t h = fnv1a(kFnvOffset, bytes);
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((h >> (8 * i)) & 0xff));
  return bytes;
}

TEST(LinearHeadFile, RoundTrips) {
  const LinearHead h = small_head();
  auto back = parse_linear_head(serialize_linear_head(h), "x.bin");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->encoder, h.encoder);
  EXPECT_EQ(back->dim, h.dim);
  EXPECT_EQ(back->weights, h.weights);
  EXPECT_EQ(back->bias, h.bias);
}

TEST(LinearHeadFile, RejectsEveryTruncationFlipAndBadField) {
  const std::string good = serialize_linear_head(small_head());
  for (size_t len = 0; len < good.size(); ++len) {
    auto r = parse_linear_head(good.substr(0, len), "cut.bin");
    ASSERT_FALSE(r) << len;
    EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
    EXPECT_NE(r.error().message.find("cut.bin"), std::string::npos);
  }
  EXPECT_FALSE(parse_linear_head(good + "x", "long.bin"));
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    EXPECT_FALSE(parse_linear_head(bad, "flip.bin")) << i;
  }
  const auto patched = [&](size_t at, const void* v, size_t n) {
    std::string b = good;
    std::memcpy(b.data() + at, v, n);
    return parse_linear_head(with_checksum(b), "patched.bin");
  };
  const float nan = std::nanf(""), huge = 1e30f;
  const size_t weights_at = 8 + 16 + 3;
  EXPECT_FALSE(patched(weights_at, &nan, 4));
  EXPECT_FALSE(patched(weights_at + 4, &huge, 4));
  const uint32_t big_dim = 0xffffffffu, zero = 0, classes = 5, version = 2;
  EXPECT_FALSE(patched(16, &big_dim, 4));
  EXPECT_FALSE(patched(16, &zero, 4));
  EXPECT_FALSE(patched(20, &zero, 4));
  EXPECT_FALSE(patched(12, &classes, 4));
  EXPECT_FALSE(patched(8, &version, 4));
  EXPECT_FALSE(patched(24, " ", 1));  // encoder name with a space
  EXPECT_TRUE(patched(24, "T", 1));   // still valid: only the checksum was rewritten
}

TEST(LinearHeadDecision, ParsesFormatsAndChecksTheEncoderLine) {
  DecisionRule rule;
  rule.type = ModelType::kLinearHead;
  rule.encoder = "use-lite+tfidf";
  rule.bias = {0.5f, 1.25f, 0, 0};
  auto back = parse_decision_rule(format_decision_rule(rule), "d.txt");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->type, ModelType::kLinearHead);
  EXPECT_EQ(back->encoder, rule.encoder);
  EXPECT_EQ(back->bias, rule.bias);
  EXPECT_FALSE(parse_decision_rule("format 1\ntype linear-head\n", "d.txt"));  // no encoder
  EXPECT_FALSE(parse_decision_rule("format 1\ntype softmax-4\nencoder tfidf\n", "d.txt"));
  EXPECT_FALSE(parse_decision_rule("format 1\ntype linear-head\nencoder a\nencoder b\n", "d.txt"));
  EXPECT_FALSE(parse_decision_rule("format 1\ntype linear-head\nencoder tfidf\nthreshold offer 0.5\n", "d.txt"));
  EXPECT_FALSE(parse_decision_rule("format 1\ntype linear-head\nencoder " + std::string(1025, 'a') + "\n", "d.txt"));
  EXPECT_TRUE(parse_decision_rule("format 1\ntype linear-head\nencoder hf:/m/x\n", "d.txt"));
  EXPECT_EQ(model_type_name(ModelType::kLinearHead), "linear-head");
}

// A labelled fixture the toy encoder separates: requests say "need", offers "spare".
std::string toy_jsonl(size_t n) {
  std::string out;
  SplitMix64 rng(11);
  const char* fill[] = {"water", "food", "in town", "tonight", "for a family", "near the school"};
  for (size_t i = 0; i < n; ++i) {
    const bool need = rng.below(2) == 1, spare = rng.below(3) == 0;
    std::string text = std::string(need ? "we need " : "") + (spare ? "spare " : "") + "post " + std::to_string(i) +
                       " " + fill[rng.below(6)];
    out += "{\"text\": \"" + text + "\", \"label\": \"" + std::string(label_name(label_of(need, spare))) +
           "\", \"lang\": \"en\"}\n";
  }
  return out;
}

class LinearHeadModelDir : public ::testing::Test {
 protected:
  void SetUp() override { install_toy_factory(); }
  void TearDown() override { set_feature_encoder_factory({}); }
};

TEST_F(LinearHeadModelDir, TrainsReproduciblyLoadsAndClassifies) {
  TempDir dir;
  write_text(dir.file("data.jsonl"), toy_jsonl(400));
  LinearHeadClassifierOptions o;
  o.data_path = dir.file("data.jsonl");
  o.encoder = "toy";
  o.l2_grid = {1e-2, 1e-4};
  o.out_dir = dir.file("a");
  auto a = train_linear_head_classifier(o);
  ASSERT_TRUE(a) << a.error().message;
  o.out_dir = dir.file("b");
  o.threads = 2;
  auto b = train_linear_head_classifier(o);
  ASSERT_TRUE(b) << b.error().message;
  for (const char* f : {"linear_head.bin", "decision.txt", "actionable.report.json"}) {
    EXPECT_EQ(read_bytes(dir.file(std::string("a/") + f)), read_bytes(dir.file(std::string("b/") + f))) << f;
  }
  EXPECT_EQ(a->grid.size(), 4u);  // 2 l2 x prior off/on
  EXPECT_GT(a->test.actionable.macro_f1, 0.99);
  EXPECT_GT(a->validation.macro_f1, 0.99);
  auto rule = parse_decision_rule(read_bytes(dir.file("a/decision.txt")), "d");
  ASSERT_TRUE(rule);
  EXPECT_EQ(rule->type, ModelType::kLinearHead);
  EXPECT_EQ(rule->encoder, "toy");

  auto c = Classifier::load(dir.file("a"));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ((*c)->classify("we need water").label, Label::kRequest);
  EXPECT_EQ((*c)->classify("spare room tonight").label, Label::kOffer);
  EXPECT_EQ((*c)->classify("we need spare blankets").label, Label::kRequestAndOffer);
  EXPECT_EQ((*c)->classify("sunny today").label, Label::kIrrelevant);
  std::vector<std::string_view> texts{"we need water", "sunny today", "spare room"};
  std::vector<Classification> out(texts.size());
  (*c)->classify_batch(texts, out, 2);
  EXPECT_EQ(out[0].label, Label::kRequest);
  EXPECT_EQ(out[1].label, Label::kIrrelevant);
  EXPECT_EQ(out[2].label, Label::kOffer);
  EXPECT_EQ(out[0].probs, (*c)->classify("we need water").probs);

  auto eval = evaluate_classifiers(dir.file("a"), dir.file("data.jsonl"), EvalPart::kValidation, 42, 2);
  ASSERT_TRUE(eval);
  EXPECT_EQ(eval->actionable.n, a->validation.n);
}

TEST_F(LinearHeadModelDir, LoadingRejectsCorruptDirectories) {
  TempDir dir;
  write_text(dir.file("data.jsonl"), toy_jsonl(200));
  LinearHeadClassifierOptions o;
  o.data_path = dir.file("data.jsonl");
  o.encoder = "toy";
  o.l2_grid = {1e-3};
  o.out_dir = dir.path();
  ASSERT_TRUE(train_linear_head_classifier(o));
  const std::string head = read_bytes(dir.file("linear_head.bin"));
  const std::string decision = read_bytes(dir.file("decision.txt"));
  const auto expect_corrupt = [&](const char* what, const std::string& file) {
    auto c = Classifier::load(dir.path());
    ASSERT_FALSE(c) << what;
    EXPECT_EQ(c.error().code, ErrorCode::kCorrupt) << what << ": " << c.error().message;
    EXPECT_NE(c.error().message.find(file), std::string::npos) << what << ": " << c.error().message;
  };
  write_text(dir.file("linear_head.bin"), head.substr(0, head.size() / 2));
  expect_corrupt("truncated", "linear_head.bin");
  write_text(dir.file("linear_head.bin"), head);

  // An unknown encoder is kCorrupt naming decision.txt; a renamed one disagrees with the head.
  LinearHead h = *parse_linear_head(head, "h");
  h.encoder = "nosuch";
  write_text(dir.file("linear_head.bin"), serialize_linear_head(h));
  std::string d2 = decision;
  d2.replace(d2.find("encoder toy"), 11, "encoder nosuch");
  write_text(dir.file("decision.txt"), d2);
  expect_corrupt("unknown encoder", "decision.txt");
  write_text(dir.file("decision.txt"), decision);
  expect_corrupt("encoder mismatch", "linear_head.bin");

  // A head of another dimension than the encoder's.
  h.encoder = "toy";
  h.dim = 2;
  h.weights.resize(kNumLabels * 2);
  write_text(dir.file("linear_head.bin"), serialize_linear_head(h));
  expect_corrupt("dimension", "linear_head.bin");

  std::filesystem::remove(dir.file("linear_head.bin"));
  auto missing = Classifier::load(dir.path());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  write_text(dir.file("linear_head.bin"), head);
  ASSERT_TRUE(Classifier::load(dir.path()));
  set_feature_encoder_factory({});
  auto no_factory = Classifier::load(dir.path());
  ASSERT_FALSE(no_factory);
  EXPECT_EQ(no_factory.error().code, ErrorCode::kUnsupported);
}

// A head on a fastText model's sentence vectors carries a copy of that model, so the
// directory loads after it is moved and the original model is gone.
TEST_F(LinearHeadModelDir, FastTextFeaturesTravelWithTheDirectory) {
  TempDir dir;
  // The fastText trainer also trains the resource model, so actionable rows name one.
  std::string data;
  std::istringstream lines(toy_jsonl(300));
  for (std::string line; std::getline(lines, line);) {
    if (line.find("irrelevant") == std::string::npos) line.replace(line.rfind('}'), 1, ", \"resources\": [\"food\"]}");
    data += line + "\n";
  }
  write_text(dir.file("data.jsonl"), data);
  TrainOptions ft = testing::tiny_fasttext_options(dir.file("data.jsonl"), dir.file("ft"));
  ft.epochs = 5;
  ft.threads = 1;
  auto fasttext = train_classifiers(ft);
  ASSERT_TRUE(fasttext) << fasttext.error().message;
  LinearHeadClassifierOptions o;
  o.data_path = dir.file("data.jsonl");
  o.encoder = "toy+fasttext:" + dir.file("ft/actionable.ftz");
  o.l2_grid = {1e-3};
  o.out_dir = dir.file("head");
  std::filesystem::create_directories(dir.file("head"));
  write_text(dir.file("head/features-7.ftz"), "left by an earlier run");
  auto trained = train_linear_head_classifier(o);
  ASSERT_TRUE(trained) << trained.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir.file("head/features-7.ftz")));
  EXPECT_EQ(read_bytes(dir.file("head/features-1.ftz")), read_bytes(dir.file("ft/actionable.ftz")));
  auto rule = parse_decision_rule(read_bytes(dir.file("head/decision.txt")), "d");
  ASSERT_TRUE(rule);
  EXPECT_EQ(rule->encoder, "toy+fasttext:features-1.ftz");

  std::filesystem::remove_all(dir.file("ft"));
  std::filesystem::rename(dir.file("head"), dir.file("moved"));
  auto c = Classifier::load(dir.file("moved"));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ((*c)->classify("we need water").label, Label::kRequest);

  std::filesystem::remove(dir.file("moved/features-1.ftz"));
  auto missing = Classifier::load(dir.file("moved"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("features-1.ftz"), std::string::npos) << missing.error().message;
}

TEST_F(LinearHeadModelDir, ConcatenatedEncodersAndBadSpecs) {
  auto both = make_feature_encoder("toy+toy");
  ASSERT_TRUE(both);
  EXPECT_EQ((*both)->dim(), 6u);
  std::vector<std::string_view> texts{"we need it", "spare"};
  std::vector<float> out(2 * 6);
  ASSERT_TRUE((*both)->encode(texts, out, 1));
  EXPECT_EQ(out, (std::vector<float>{1, 0, 0.3f, 1, 0, 0.3f, 0, 1, 0.1f, 0, 1, 0.1f}));
  EXPECT_FALSE(make_feature_encoder("toy+"));
  EXPECT_FALSE(make_feature_encoder("toy+other"));
  EXPECT_FALSE(make_feature_encoder(""));
}

}  // namespace
}  // namespace crema::classify
