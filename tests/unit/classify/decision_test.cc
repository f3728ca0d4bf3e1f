#include <gtest/gtest.h>

#include <cmath>

#include "crema/classify/classifier.h"
#include "crema/classify/evaluation.h"

namespace crema::classify {
namespace {

TEST(CascadeDecision, BothOneOrNeither) {
  EXPECT_EQ(cascade_decision(0.9f, 0.8f, 0.5f, 0.5f), Label::kRequestAndOffer);
  EXPECT_EQ(cascade_decision(0.9f, 0.2f, 0.5f, 0.5f), Label::kRequest);
  EXPECT_EQ(cascade_decision(0.1f, 0.7f, 0.5f, 0.5f), Label::kOffer);
  EXPECT_EQ(cascade_decision(0.1f, 0.2f, 0.5f, 0.5f), Label::kIrrelevant);
  // A model fires at its threshold exactly; each threshold applies to its own model.
  EXPECT_EQ(cascade_decision(0.3f, 0.3f, 0.3f, 0.9f), Label::kRequest);
  EXPECT_EQ(cascade_decision(0.3f, 0.3f, 0.9f, 0.3f), Label::kOffer);
  EXPECT_EQ(cascade_decision(0.3f, 0.3f, 0.31f, 0.31f), Label::kIrrelevant);
}

TEST(BiasedArgmax, ZeroBiasIsArgmaxAndBiasShiftsTheDecision) {
  const std::array<float, kNumLabels> probs{0.30f, 0.25f, 0.05f, 0.40f};
  EXPECT_EQ(biased_argmax(probs, {}), Label::kIrrelevant);
  // log(0.25) + 0.5 = -0.886 > log(0.40) = -0.916
  EXPECT_EQ(biased_argmax(probs, {0, 0.5f, 0, 0}), Label::kOffer);
  EXPECT_EQ(biased_argmax(probs, {0, 0, 2.5f, 0}), Label::kRequestAndOffer);
  // A zero probability is clamped, so a large enough bias still reaches it.
  EXPECT_EQ(biased_argmax({0.0f, 0.0f, 0.0f, 1.0f}, {20.0f, 0, 0, 0}), Label::kRequest);
}

TEST(MacroF1Of, MatchesTheReport) {
  const std::vector<Label> truth{Label::kRequest, Label::kOffer, Label::kIrrelevant, Label::kIrrelevant,
                                 Label::kRequest, Label::kRequestAndOffer};
  const std::vector<Label> pred{Label::kRequest, Label::kIrrelevant, Label::kIrrelevant, Label::kOffer,
                                Label::kRequest, Label::kRequest};
  EXPECT_DOUBLE_EQ(macro_f1_of(truth, pred), actionable_report(truth, pred, 0, 0).macro_f1);
  EXPECT_DOUBLE_EQ(macro_f1_of(truth, truth), 1.0);
  EXPECT_DOUBLE_EQ(macro_f1_of({}, {}), 0.0);
}

// Validation-like rows: the classifier under-predicts the rare classes (their probabilities
// are shrunk), which is what prior correction and cascade thresholds are for.
struct Rows {
  std::vector<std::array<float, kNumLabels>> probs;
  std::vector<float> p_request, p_offer;
  std::vector<Label> truth;
};

Rows skewed_rows(uint64_t seed, size_t n) {
  SplitMix64 rng(seed);
  Rows r;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t u = rng.below(100);
    const Label t = u < 25 ? Label::kRequest : u < 33 ? Label::kOffer : u < 36 ? Label::kRequestAndOffer : Label::kIrrelevant;
    std::array<float, kNumLabels> p{};
    float total = 0;
    for (size_t c = 0; c < kNumLabels; ++c) {
      p[c] = 0.05f + static_cast<float>(rng.below(1000)) / 4000.0f;
      if (static_cast<Label>(c) == t) p[c] += 0.35f;
      if (c == static_cast<size_t>(Label::kIrrelevant)) p[c] += 0.3f;  // the majority class's pull
      total += p[c];
    }
    for (float& x : p) x /= total;
    r.probs.push_back(p);
    const bool req = t == Label::kRequest || t == Label::kRequestAndOffer;
    const bool off = t == Label::kOffer || t == Label::kRequestAndOffer;
    r.p_request.push_back(std::clamp((req ? 0.45f : 0.1f) + static_cast<float>(rng.below(1000)) / 2500.0f, 0.0f, 1.0f));
    r.p_offer.push_back(std::clamp((off ? 0.3f : 0.05f) + static_cast<float>(rng.below(1000)) / 2500.0f, 0.0f, 1.0f));
    r.truth.push_back(t);
  }
  return r;
}

std::vector<Label> argmax_all(const Rows& r, const std::array<float, kNumLabels>& bias) {
  std::vector<Label> out;
  for (const auto& p : r.probs) out.push_back(biased_argmax(p, bias));
  return out;
}

std::vector<Label> cascade_all(const Rows& r, float tr, float to) {
  std::vector<Label> out;
  for (size_t i = 0; i < r.truth.size(); ++i) out.push_back(cascade_decision(r.p_request[i], r.p_offer[i], tr, to));
  return out;
}

TEST(TunePriorBias, NeverBelowUntunedAndHelpsSkewedRows) {
  for (uint64_t seed = 1; seed <= 25; ++seed) {
    const Rows r = skewed_rows(seed, 40 + seed * 17);
    const auto bias = tune_prior_bias(r.probs, r.truth);
    const double untuned = macro_f1_of(r.truth, argmax_all(r, {}));
    const double tuned = macro_f1_of(r.truth, argmax_all(r, bias));
    EXPECT_GE(tuned, untuned) << "seed " << seed;
    EXPECT_EQ(bias[static_cast<size_t>(Label::kIrrelevant)], 0.0f);
    for (float b : bias) EXPECT_LE(std::fabs(b), 4.0f);
  }
  const Rows big = skewed_rows(99, 600);
  const auto bias = tune_prior_bias(big.probs, big.truth);
  EXPECT_GT(macro_f1_of(big.truth, argmax_all(big, bias)), macro_f1_of(big.truth, argmax_all(big, {})) + 0.01);
  // Perfect rows need no correction; no rows give no bias.
  const std::vector<std::array<float, kNumLabels>> perfect{{0.9f, 0.05f, 0.03f, 0.02f}, {0.1f, 0.1f, 0.1f, 0.7f}};
  EXPECT_EQ(tune_prior_bias(perfect, std::vector<Label>{Label::kRequest, Label::kIrrelevant}),
            (std::array<float, kNumLabels>{}));
  EXPECT_EQ(tune_prior_bias({}, {}), (std::array<float, kNumLabels>{}));
}

TEST(TuneCascadeThresholds, NeverBelowHalfAndHalf) {
  for (uint64_t seed = 1; seed <= 25; ++seed) {
    const Rows r = skewed_rows(seed, 30 + seed * 13);
    const auto [tr, to] = tune_cascade_thresholds(r.p_request, r.p_offer, r.truth);
    EXPECT_GE(macro_f1_of(r.truth, cascade_all(r, tr, to)), macro_f1_of(r.truth, cascade_all(r, 0.5f, 0.5f)))
        << "seed " << seed;
    EXPECT_GT(tr, 0.0f);
    EXPECT_LT(tr, 1.0f);
    EXPECT_GT(to, 0.0f);
    EXPECT_LT(to, 1.0f);
  }
  // Offers score low here: the tuned offer threshold drops below 0.5 and macro-F1 rises.
  const Rows big = skewed_rows(7, 600);
  const auto [tr, to] = tune_cascade_thresholds(big.p_request, big.p_offer, big.truth);
  EXPECT_LT(to, 0.5f);
  EXPECT_GT(macro_f1_of(big.truth, cascade_all(big, tr, to)), macro_f1_of(big.truth, cascade_all(big, 0.5f, 0.5f)));
  EXPECT_EQ(tune_cascade_thresholds({}, {}, {}), (std::pair<float, float>{0.5f, 0.5f}));
}

TEST(TuneWithMinSupport, RareClassesTakeNoPart) {
  // One request_and_offer row: with min_support 10 its F1 is not averaged and its bias stays 0.
  Rows r = skewed_rows(3, 400);
  size_t rao = 0;
  for (Label& t : r.truth) {
    if (t == Label::kRequestAndOffer) t = (rao++ == 0) ? Label::kRequestAndOffer : Label::kRequest;
  }
  ASSERT_GT(rao, 0u);
  const std::vector<Label> pred = argmax_all(r, {});
  const EvalReport full = actionable_report(r.truth, pred, 0, 0);
  double by_hand = 0;
  for (Label c : {Label::kRequest, Label::kOffer, Label::kIrrelevant}) by_hand += full.classes[static_cast<size_t>(c)].f1 / 3.0;
  EXPECT_NEAR(macro_f1_of(r.truth, pred, 10), by_hand, 1e-12);
  const auto bias = tune_prior_bias(r.probs, r.truth, 10);
  EXPECT_EQ(bias[static_cast<size_t>(Label::kRequestAndOffer)], 0.0f);
  EXPECT_GE(macro_f1_of(r.truth, argmax_all(r, bias), 10), macro_f1_of(r.truth, pred, 10));
  const auto [tr, to] = tune_cascade_thresholds(r.p_request, r.p_offer, r.truth, 10);
  EXPECT_GE(macro_f1_of(r.truth, cascade_all(r, tr, to), 10), macro_f1_of(r.truth, cascade_all(r, 0.5f, 0.5f), 10));
}

TEST(DecisionRuleFile, RoundTrips) {
  DecisionRule soft;
  soft.bias = {0.25f, 1.75f, -3.5f, 0.0f};
  auto back = parse_decision_rule(format_decision_rule(soft), "d");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->type, ModelType::kSoftmax);
  EXPECT_EQ(back->bias, soft.bias);
  DecisionRule casc;
  casc.type = ModelType::kCascade;
  casc.request_threshold = 0.475f;
  casc.offer_threshold = 0.1f + 0.2f;
  back = parse_decision_rule(format_decision_rule(casc), "d");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->type, ModelType::kCascade);
  EXPECT_EQ(back->request_threshold, casc.request_threshold);
  EXPECT_EQ(back->offer_threshold, casc.offer_threshold);
  // Comments, blank lines, CRLF and missing biases (= 0) are fine.
  back = parse_decision_rule("# x\r\n\r\nformat 1\r\ntype softmax-4\r\n  bias offer  0.5\r\n", "d");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->bias, (std::array<float, kNumLabels>{0, 0.5f, 0, 0}));
}

TEST(DecisionRuleFile, HostileFilesAreCorrupt) {
  const char* bad[] = {
      "",
      "format 1\n",
      "type cascade\nthreshold request 0.5\nthreshold offer 0.5\n",
      "format 2\ntype softmax-4\n",
      "format 1\nformat 1\ntype softmax-4\n",
      "format 1\ntype softmax-4\ntype softmax-4\n",
      "format 1\ntype lstm\n",
      "format 1\ntype softmax-4\nbias offer nan\n",
      "format 1\ntype softmax-4\nbias offer inf\n",
      "format 1\ntype softmax-4\nbias offer 1e30\n",
      "format 1\ntype softmax-4\nbias offer 21\n",
      "format 1\ntype softmax-4\nbias offer 0.5x\n",
      "format 1\ntype softmax-4\nbias offer\n",
      "format 1\ntype softmax-4\nbias both 0.5\n",
      "format 1\ntype softmax-4\nbias unknown 0.5\n",
      "format 1\ntype softmax-4\nbias offer 1\nbias offer 2\n",
      "format 1\ntype softmax-4\nthreshold request 0.5\n",
      "format 1\ntype cascade\nthreshold request 0.5\n",
      "format 1\ntype cascade\nthreshold request 0.5\nthreshold offer 1\n",
      "format 1\ntype cascade\nthreshold request 0\nthreshold offer 0.5\n",
      "format 1\ntype cascade\nthreshold request -0.5\nthreshold offer 0.5\n",
      "format 1\ntype cascade\nthreshold request 0.5\nthreshold offer 0.5\nthreshold offer 0.4\n",
      "format 1\ntype cascade\nthreshold irrelevant 0.5\nthreshold offer 0.5\n",
      "format 1\ntype cascade\nthreshold request 0.5\nthreshold offer 0.5\nbias offer 1\n",
      "format 1\ntype softmax-4\nmystery 1\n",
      "\xff\xfe format 1\n",
  };
  for (const char* text : bad) {
    auto r = parse_decision_rule(text, "model/decision.txt");
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
    EXPECT_NE(r.error().message.find("model/decision.txt"), std::string::npos);
  }
  std::string huge = "format 1\ntype softmax-4\n" + std::string(5000, '#');
  EXPECT_FALSE(parse_decision_rule(huge, "d"));
  auto where = parse_decision_rule("format 1\ntype softmax-4\nbias offer x\n", "d");
  ASSERT_FALSE(where);
  EXPECT_NE(where.error().message.find("d:3"), std::string::npos) << where.error().message;
}

TEST(CombineResources, BySource) {
  const std::vector<std::string> model{"food", "other"};
  const std::vector<std::string> extracted{"water", "food", "bogus"};
  using V = std::vector<std::string>;
  EXPECT_EQ(combine_resources(model, extracted, true, ResourceSource::kModel), (V{"food", "other"}));
  EXPECT_EQ(combine_resources(model, extracted, true, ResourceSource::kExtractor), (V{"food", "water"}));
  // Union: "other" goes when a listed resource is named.
  EXPECT_EQ(combine_resources(model, extracted, true, ResourceSource::kUnion), (V{"food", "water"}));
  // The extractor names nothing: "other" for an actionable post, nothing otherwise.
  EXPECT_EQ(combine_resources(model, {}, true, ResourceSource::kExtractor), (V{"other"}));
  EXPECT_EQ(combine_resources(model, {}, false, ResourceSource::kExtractor), V{});
  EXPECT_EQ(combine_resources({}, {}, true, ResourceSource::kUnion), (V{"other"}));
  EXPECT_EQ(combine_resources(V{"other"}, {}, true, ResourceSource::kUnion), (V{"other"}));
  EXPECT_EQ(combine_resources(V{"money"}, {}, false, ResourceSource::kUnion), (V{"money"}));
  for (auto s : {ResourceSource::kModel, ResourceSource::kExtractor, ResourceSource::kUnion}) {
    EXPECT_EQ(parse_resource_source(resource_source_name(s)), s);
  }
  EXPECT_FALSE(parse_resource_source("both"));
}

}  // namespace
}  // namespace crema::classify
