#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "crema/classify/evaluation.h"

namespace crema::classify {
namespace {

constexpr Label R = Label::kRequest;
constexpr Label O = Label::kOffer;
constexpr Label I = Label::kIrrelevant;

TEST(ActionableReport, HandComputed) {
  // truth:     R R R O O I I I I I
  // predicted: R R I O R I I I O I
  const std::vector<Label> truth = {R, R, R, O, O, I, I, I, I, I};
  const std::vector<Label> pred = {R, R, I, O, R, I, I, I, O, I};
  const EvalReport r = actionable_report(truth, pred, 42, 200);
  EXPECT_EQ(r.n, 10);
  EXPECT_DOUBLE_EQ(r.accuracy, 0.7);
  // request: tp 2, fp 1, fn 1 -> P 2/3, R 2/3, F1 2/3
  EXPECT_NEAR(r.classes[0].precision, 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.classes[0].recall, 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.classes[0].f1, 2.0 / 3, 1e-12);
  EXPECT_EQ(r.classes[0].support, 3);
  // offer: tp 1, fp 1, fn 1 -> 0.5
  EXPECT_NEAR(r.classes[1].f1, 0.5, 1e-12);
  // irrelevant: tp 4, fp 1, fn 1 -> 0.8
  EXPECT_NEAR(r.classes[3].precision, 0.8, 1e-12);
  EXPECT_NEAR(r.classes[3].f1, 0.8, 1e-12);
  // request_and_offer never occurs: excluded from the macro average.
  EXPECT_EQ(r.classes[2].support, 0);
  EXPECT_NEAR(r.macro_f1, (2.0 / 3 + 0.5 + 0.8) / 3, 1e-12);
  EXPECT_EQ(r.confusion[0][3], 1);  // a request predicted irrelevant
  EXPECT_EQ(r.confusion[1][0], 1);  // an offer predicted request
  EXPECT_EQ(r.confusion[3][1], 1);
  EXPECT_EQ(r.confusion[3][3], 4);
  EXPECT_LE(r.macro_f1_ci_low, r.macro_f1);
  EXPECT_GE(r.macro_f1_ci_high, r.macro_f1);
  EXPECT_LT(r.macro_f1_ci_low, r.macro_f1_ci_high);
}

TEST(ActionableReport, PredictedOnlyClassCountsInMacro) {
  // "offer" is predicted but never true: its F1 of 0 enters the average (scikit-learn rule).
  const std::vector<Label> truth = {R, R, I, I};
  const std::vector<Label> pred = {R, O, I, I};
  const EvalReport r = actionable_report(truth, pred, 42, 0);
  const double f1_r = 2 * 1.0 * 0.5 / 1.5;
  EXPECT_NEAR(r.macro_f1, (f1_r + 0.0 + 1.0) / 3, 1e-12);
}

TEST(ActionableReport, PerfectAndUnknownRows) {
  const std::vector<Label> truth = {R, Label::kUnknown, I, O};
  const std::vector<Label> pred = {R, R, I, O};
  const EvalReport r = actionable_report(truth, pred, 42, 100);
  EXPECT_EQ(r.n, 3);
  EXPECT_DOUBLE_EQ(r.macro_f1, 1.0);
  EXPECT_DOUBLE_EQ(r.macro_f1_ci_low, 1.0);
  EXPECT_DOUBLE_EQ(r.macro_f1_ci_high, 1.0);
}

TEST(ActionableReport, BootstrapIsSeeded) {
  std::vector<Label> truth, pred;
  for (int i = 0; i < 200; ++i) {
    truth.push_back(i % 3 == 0 ? R : I);
    pred.push_back(i % 5 == 0 ? R : I);
  }
  const EvalReport a = actionable_report(truth, pred, 42, 1000);
  const EvalReport b = actionable_report(truth, pred, 42, 1000);
  const EvalReport c = actionable_report(truth, pred, 7, 1000);
  EXPECT_EQ(a.macro_f1_ci_low, b.macro_f1_ci_low);
  EXPECT_EQ(a.macro_f1_ci_high, b.macro_f1_ci_high);
  EXPECT_NE(a.macro_f1_ci_low, c.macro_f1_ci_low);
  EXPECT_LT(a.macro_f1_ci_low, a.macro_f1);
  EXPECT_GT(a.macro_f1_ci_high, a.macro_f1);
}

TEST(ResourcesReport, HandComputed) {
  const std::vector<std::vector<std::string>> truth = {{"food", "water"}, {"food"}, {}, {"shelter"}};
  const std::vector<std::vector<std::string>> pred = {{"food"}, {"food", "water"}, {}, {"money"}};
  const EvalReport r = resources_report(truth, pred, 42, 0);
  EXPECT_EQ(r.n, 4);
  EXPECT_DOUBLE_EQ(r.accuracy, 0.25);  // only the empty row matches exactly
  const auto find = [&](const std::string& name) {
    for (const auto& c : r.classes) {
      if (c.name == name) return c;
    }
    return ClassMetrics{};
  };
  EXPECT_DOUBLE_EQ(find("food").f1, 1.0);
  EXPECT_EQ(find("food").support, 2);
  // water: tp 0, fp 1, fn 1; shelter: fn 1; money: fp 1 -> all 0.
  EXPECT_DOUBLE_EQ(find("water").f1, 0.0);
  EXPECT_DOUBLE_EQ(find("money").precision, 0.0);
  // macro over food, water, shelter, money (labels in truth or predictions)
  EXPECT_NEAR(r.macro_f1, 0.25, 1e-12);
  EXPECT_EQ(r.classes.size(), kResourceNames.size());
  EXPECT_TRUE(r.confusion.empty());
}

TEST(Reports, TextAndJson) {
  const std::vector<Label> truth = {R, I};
  const std::vector<Label> pred = {R, R};
  const EvalReport r = actionable_report(truth, pred, 42, 10);
  const std::string text = r.to_text();
  EXPECT_NE(text.find("macro-F1"), std::string::npos);
  EXPECT_NE(text.find("confusion"), std::string::npos);
  const std::string json = r.to_json();
  EXPECT_NE(json.find("\"macro_f1_ci95\":["), std::string::npos);
  EXPECT_NE(json.find("\"confusion\":[[1,0,0,0]"), std::string::npos);
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

std::vector<LabelledPost> posts_for_split() {
  std::vector<LabelledPost> posts;
  for (int i = 0; i < 1000; ++i) {
    LabelledPost p;
    p.text = "t" + std::to_string(i);
    p.label = i % 10 == 0 ? O : (i % 3 == 0 ? R : I);
    // Pairs of rows (a message and its translation) share a group.
    p.group = "src/" + std::to_string(i / 2);
    if (i % 10 == 1) p.label = posts.back().label;  // keep each group's labels equal
    posts.push_back(p);
  }
  return posts;
}

TEST(StratifiedSplit, ProportionsGroupsAndDeterminism) {
  const auto posts = posts_for_split();
  const Split a = stratified_split(posts, 42);
  const Split b = stratified_split(posts, 42);
  const Split c = stratified_split(posts, 43);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.test, b.test);
  EXPECT_NE(a.test, c.test);
  EXPECT_EQ(a.train.size() + a.validation.size() + a.test.size(), posts.size());
  std::set<size_t> all(a.train.begin(), a.train.end());
  all.insert(a.validation.begin(), a.validation.end());
  all.insert(a.test.begin(), a.test.end());
  EXPECT_EQ(all.size(), posts.size());
  EXPECT_NEAR(static_cast<double>(a.test.size()) / 1000, 0.2, 0.02);
  EXPECT_NEAR(static_cast<double>(a.validation.size()) / 1000, 0.1, 0.02);
  // Per-label proportions hold (stratified).
  int offers_test = 0, offers = 0;
  for (size_t i = 0; i < posts.size(); ++i) offers += posts[i].label == O;
  for (size_t i : a.test) offers_test += posts[i].label == O;
  EXPECT_NEAR(static_cast<double>(offers_test) / offers, 0.2, 0.03);
  // Groups never straddle parts.
  const std::set<size_t> test(a.test.begin(), a.test.end());
  for (size_t i = 0; i + 1 < posts.size(); i += 2) EXPECT_EQ(test.count(i), test.count(i + 1)) << i;
}

TEST(StratifiedSplit, TrainOnlyRowsStayInTrainAndLeaveTheRestUnchanged) {
  const auto posts = posts_for_split();
  std::vector<LabelledPost> with_synthetic = posts;
  for (int i = 0; i < 50; ++i) {
    LabelledPost p;
    p.text = "synthetic " + std::to_string(i);
    p.label = O;
    p.train_only = true;
    with_synthetic.push_back(p);
  }
  const Split plain = stratified_split(posts, 42);
  const Split mixed = stratified_split(with_synthetic, 42);
  EXPECT_EQ(mixed.test, plain.test);
  EXPECT_EQ(mixed.validation, plain.validation);
  EXPECT_EQ(mixed.train.size(), plain.train.size() + 50);
  for (size_t i = posts.size(); i < with_synthetic.size(); ++i) {
    EXPECT_TRUE(std::find(mixed.train.begin(), mixed.train.end(), i) != mixed.train.end()) << i;
  }
}

TEST(LanguageReports, RowsPerLanguageWithEnoughPosts) {
  std::vector<Label> truth, pred;
  std::vector<std::string> langs;
  // 60 "en" rows (all right), 55 unlabelled-language rows ("" and "und" together), 10 "fr".
  for (int i = 0; i < 60; ++i) {
    truth.push_back(i % 3 == 0 ? Label::kRequest : Label::kIrrelevant);
    pred.push_back(truth.back());
    langs.push_back("en");
  }
  for (int i = 0; i < 55; ++i) {
    truth.push_back(i % 2 == 0 ? Label::kOffer : Label::kIrrelevant);
    pred.push_back(i % 4 == 0 ? Label::kIrrelevant : truth.back());
    langs.push_back(i % 2 == 0 ? "" : "und");
  }
  for (int i = 0; i < 10; ++i) {
    truth.push_back(Label::kRequest);
    pred.push_back(Label::kRequest);
    langs.push_back("fr");
  }
  // Unknown truth rows are not counted.
  truth.push_back(Label::kUnknown);
  pred.push_back(Label::kRequest);
  langs.push_back("fr");
  const auto rows = language_reports(truth, pred, langs, 50, 42, 200);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].lang, "en");
  EXPECT_EQ(rows[0].n, 60);
  EXPECT_DOUBLE_EQ(rows[0].macro_f1, 1.0);
  EXPECT_EQ(rows[1].lang, "und");
  EXPECT_EQ(rows[1].n, 55);
  const std::vector<Label> t(truth.begin() + 60, truth.begin() + 115), p(pred.begin() + 60, pred.begin() + 115);
  const EvalReport und = actionable_report(t, p, 42, 200);
  EXPECT_DOUBLE_EQ(rows[1].macro_f1, und.macro_f1);
  EXPECT_DOUBLE_EQ(rows[1].macro_f1_ci_low, und.macro_f1_ci_low);
  EXPECT_DOUBLE_EQ(rows[1].macro_f1_ci_high, und.macro_f1_ci_high);
  ASSERT_EQ(rows[1].classes.size(), static_cast<size_t>(kNumLabels));
  EXPECT_EQ(rows[1].classes[static_cast<size_t>(Label::kOffer)].support, 28);
  EXPECT_LT(rows[1].classes[static_cast<size_t>(Label::kOffer)].recall, 1.0);
  // A lower floor brings in "fr"; ties in size are ordered by name.
  EXPECT_EQ(language_reports(truth, pred, langs, 10, 42, 10).size(), 3u);
  EXPECT_TRUE(language_reports(truth, pred, langs, 1000, 42, 10).empty());
  EvalReport report = actionable_report(truth, pred, 42, 10);
  report.languages = rows;
  EXPECT_NE(report.to_text().find("  en           60    1.0000"), std::string::npos) << report.to_text();
  EXPECT_NE(report.to_json().find("\"languages\":[{\"lang\":\"en\",\"n\":60,\"macro_f1\":1,"), std::string::npos)
      << report.to_json();
}

TEST(SplitMix64, BelowStaysInRange) {
  SplitMix64 rng(1);
  for (uint64_t bound : {1u, 2u, 3u, 7u, 1000u}) {
    for (int i = 0; i < 200; ++i) EXPECT_LT(rng.below(bound), bound);
  }
}

}  // namespace
}  // namespace crema::classify
