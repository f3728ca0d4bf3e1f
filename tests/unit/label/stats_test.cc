// Cohen's kappa, sample size and the stratified draw, against hand-computed values.
#include <algorithm>
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "crema/label/label.h"

namespace crema::label {
namespace {

TEST(KappaTest, TwoByTwoByHand) {
  // po = 35/50 = 0.7; pe = (25*30 + 25*20)/2500 = 0.5; kappa = 0.2/0.5 = 0.4.
  EXPECT_NEAR(cohens_kappa({{20, 5}, {10, 15}}), 0.4, 1e-12);
  EXPECT_DOUBLE_EQ(cohens_kappa({{10, 0}, {0, 10}}), 1.0);
  EXPECT_DOUBLE_EQ(cohens_kappa({{7, 0}, {0, 0}}), 1.0);  // one class only on both sides
  EXPECT_DOUBLE_EQ(cohens_kappa({}), 0.0);
  // Chance-level: po = 0.5, pe = 0.5.
  EXPECT_NEAR(cohens_kappa({{5, 5}, {5, 5}}), 0.0, 1e-12);
}

TEST(KappaTest, FourClassAgreementByHand) {
  // a (kept) vs b (person), 10 posts.
  const std::vector<Label> a = {Label::kRequest, Label::kRequest, Label::kRequest, Label::kOffer,
                                Label::kOffer,   Label::kIrrelevant, Label::kIrrelevant, Label::kIrrelevant,
                                Label::kIrrelevant, Label::kRequestAndOffer};
  const std::vector<Label> b = {Label::kRequest, Label::kRequest, Label::kIrrelevant, Label::kOffer,
                                Label::kRequest, Label::kIrrelevant, Label::kIrrelevant, Label::kIrrelevant,
                                Label::kIrrelevant, Label::kRequestAndOffer};
  auto r = agreement(a, b);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->n, 10);
  EXPECT_DOUBLE_EQ(r->raw, 0.8);
  // Margins a: R3 O2 B1 I4; b: R3 O1 B1 I5. pe = (9+2+1+20)/100 = 0.32; kappa = 0.48/0.68.
  EXPECT_NEAR(r->kappa, 0.48 / 0.68, 1e-12);
  EXPECT_EQ(r->confusion[0][3], 1);  // a request, b irrelevant
  EXPECT_EQ(r->confusion[1][0], 1);  // a offer, b request
  // Request one-vs-rest: [[not,not]=6, [not,req]=1, [req,not]=1, [req,req]=2]:
  // po = 0.8, pe = (7*7 + 3*3)/100 = 0.58, kappa = 0.22/0.42.
  EXPECT_NEAR(r->kappa_per_class[0], 0.22 / 0.42, 1e-12);
  EXPECT_DOUBLE_EQ(r->kappa_per_class[2], 1.0);  // request_and_offer: both agree on the one post
  // Irrelevant: a 4, b 5, both 4: po = 0.9, pe = (4*5 + 6*5)/100 = 0.5, kappa = 0.8.
  EXPECT_NEAR(r->kappa_per_class[3], 0.8, 1e-12);
}

TEST(KappaTest, ClassNeitherSideUsesHasNoKappa) {
  const std::vector<Label> a = {Label::kRequest, Label::kIrrelevant, Label::kIrrelevant};
  const std::vector<Label> b = {Label::kRequest, Label::kIrrelevant, Label::kRequest};
  auto r = agreement(a, b);
  ASSERT_TRUE(r);
  EXPECT_TRUE(std::isnan(r->kappa_per_class[static_cast<size_t>(Label::kOffer)]));
  EXPECT_TRUE(std::isnan(r->kappa_per_class[static_cast<size_t>(Label::kRequestAndOffer)]));
  EXPECT_FALSE(std::isnan(r->kappa_per_class[static_cast<size_t>(Label::kRequest)]));
}

TEST(KappaTest, RejectsMismatchedOrUnknown) {
  const std::vector<Label> one = {Label::kRequest};
  const std::vector<Label> none;
  EXPECT_FALSE(agreement(one, none));
  const std::vector<Label> unknown = {Label::kUnknown};
  EXPECT_FALSE(agreement(one, unknown));
}

TEST(SampleSizeTest, CochranWithFinitePopulationCorrection) {
  // n0 = 1.959964^2 * 0.25 / 0.03^2 = 1067.07; n = n0 / (1 + (n0 - 1) / N), rounded up.
  EXPECT_EQ(*sample_size(101000, 0.03, 0.95), 1056);  // CHO's T_agree: it reports 1057
  EXPECT_EQ(*sample_size(5000, 0.03, 0.95), 880);
  EXPECT_EQ(*sample_size(1000, 0.03, 0.95), 517);
  EXPECT_EQ(*sample_size(100, 0.03, 0.95), 92);
  EXPECT_EQ(*sample_size(10, 0.03, 0.95), 10);
  EXPECT_EQ(*sample_size(0, 0.03, 0.95), 0);
  // 99% and ±5% for a huge population: z = 2.5758, n0 = 663.49.
  EXPECT_EQ(*sample_size(1000000000, 0.05, 0.99), 664);
  EXPECT_FALSE(sample_size(100, 0.0, 0.95));
  EXPECT_FALSE(sample_size(100, 0.03, 1.0));
  EXPECT_FALSE(sample_size(100, 3.0, 0.95));
}

std::vector<std::string> make_keys(size_t n) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < n; ++i) keys.push_back("post-" + std::to_string(i));
  return keys;
}

TEST(DrawSampleTest, ProportionalWithRareClassToppedUp) {
  // 1000 kept: 600 irrelevant, 300 request, 95 offer, 5 request_and_offer.
  std::vector<Label> labels;
  labels.insert(labels.end(), 600, Label::kIrrelevant);
  labels.insert(labels.end(), 300, Label::kRequest);
  labels.insert(labels.end(), 95, Label::kOffer);
  labels.insert(labels.end(), 5, Label::kRequestAndOffer);
  const auto keys = make_keys(labels.size());
  auto draw = draw_sample(keys, labels, 0.03, 0.95, 30, 42);
  ASSERT_TRUE(draw) << draw.error().message;
  EXPECT_EQ(draw->target, 517);
  // Shares 310.2 / 155.1 / 49.115 / 2.585: floors 310+155+49+2 = 516, the largest remainder
  // (request_and_offer, .585) takes the last one; then request_and_offer is topped up to all 5.
  ASSERT_EQ(draw->strata.size(), 4u);
  EXPECT_EQ(draw->strata[0].label, Label::kRequest);
  EXPECT_EQ(draw->strata[0].drawn, 155);
  EXPECT_EQ(draw->strata[1].drawn, 49);
  EXPECT_EQ(draw->strata[2].drawn, 5);
  EXPECT_EQ(draw->strata[2].population, 5);
  EXPECT_EQ(draw->strata[3].drawn, 310);
  EXPECT_EQ(draw->selected.size(), 519u);
  std::set<size_t> unique(draw->selected.begin(), draw->selected.end());
  EXPECT_EQ(unique.size(), draw->selected.size());
  std::array<int, kNumLabels> per{};
  for (size_t i : draw->selected) ++per[static_cast<size_t>(labels[i])];
  EXPECT_EQ(per[0], 155);
  EXPECT_EQ(per[3], 310);
  // Shuffled: the sample does not come out grouped by label.
  EXPECT_FALSE(std::is_sorted(draw->selected.begin(), draw->selected.end()));
}

TEST(DrawSampleTest, IndependentOfInputOrderAndSeeded) {
  std::vector<Label> labels;
  for (int i = 0; i < 400; ++i) labels.push_back(i % 3 == 0 ? Label::kRequest : Label::kIrrelevant);
  auto keys = make_keys(labels.size());
  auto first = draw_sample(keys, labels, 0.05, 0.95, 10, 7);
  ASSERT_TRUE(first);
  std::set<std::string> chosen;
  for (size_t i : first->selected) chosen.insert(keys[i]);
  std::reverse(keys.begin(), keys.end());
  std::reverse(labels.begin(), labels.end());
  auto reversed = draw_sample(keys, labels, 0.05, 0.95, 10, 7);
  ASSERT_TRUE(reversed);
  std::set<std::string> chosen_reversed;
  for (size_t i : reversed->selected) chosen_reversed.insert(keys[i]);
  EXPECT_EQ(chosen, chosen_reversed);
  auto other_seed = draw_sample(keys, labels, 0.05, 0.95, 10, 8);
  std::set<std::string> chosen_other;
  for (size_t i : other_seed->selected) chosen_other.insert(keys[i]);
  EXPECT_NE(chosen, chosen_other);
}

TEST(DrawSampleTest, EmptyAndBadInput) {
  auto empty = draw_sample({}, {}, 0.03, 0.95, 30, 1);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->target, 0);
  EXPECT_TRUE(empty->selected.empty());
  const std::vector<std::string> keys = {"a"};
  const std::vector<Label> unknown = {Label::kUnknown};
  EXPECT_FALSE(draw_sample(keys, unknown, 0.03, 0.95, 30, 1));
}

}  // namespace
}  // namespace crema::label
