// crema/classify/evaluation.h: the pieces of training and evaluation that are useful on
// their own (and tested on their own): the reproducible split, the metrics, and the
// structural check of fastText model files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crema/classify/classifier.h"
#include "crema/common/result.h"

namespace crema::classify {

// Row indices (ascending) of the three parts of a split.
struct Split {
  std::vector<size_t> train, validation, test;
};

// Stratified 70/10/20 split: rows are grouped by LabelledPost::group (an empty group is a
// group of its own), each group takes the label of its first row, and the groups of each
// label are shuffled with `seed` (our own SplitMix64 Fisher-Yates, identical on every
// platform); per label, round(20%) of the groups go to test, round(10%) to validation, the
// rest to train. Groups whose first row is train_only (synthetic posts) all go to train and
// take no part in the shuffle. A pure function of the data order and the seed.
Split stratified_split(std::span<const LabelledPost> posts, uint64_t seed);

// Deterministic pseudo-random numbers (SplitMix64), used by the split, the bootstrap and
// the shuffling of training lines.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next();
  // Uniform in [0, bound) without modulo bias; bound > 0.
  uint64_t below(uint64_t bound);

 private:
  uint64_t state_;
};

// 4-class metrics over rows whose truth is not kUnknown. Per-class precision/recall/F1 are
// 0 where undefined. Macro-F1 averages the classes that occur in the truth or in the
// predictions (scikit-learn's default label set). The CI is the 2.5th/97.5th percentile
// (linear interpolation) of macro-F1 over `resamples` bootstrap resamples of the rows,
// drawn with SplitMix64(seed). classes/confusion are indexed by Label.
EvalReport actionable_report(std::span<const Label> truth, std::span<const Label> predicted,
                             uint64_t seed = 42, int resamples = 1000);

// Per-language rows (LanguageMetrics) for the languages with at least min_rows rows whose
// truth is not kUnknown; langs[i] is row i's language ("" counts as "und"). Ordered by
// row count, most first, then by name. Metrics and CI as actionable_report.
std::vector<LanguageMetrics> language_reports(std::span<const Label> truth, std::span<const Label> predicted,
                                              std::span<const std::string> langs,
                                              int64_t min_rows = kMinLanguageRows, uint64_t seed = 42,
                                              int resamples = 1000);

// Multi-label metrics over kResourceNames: per-label precision/recall/F1/support, macro-F1
// over the labels that occur in the truth or the predictions, "accuracy" = exact-set match
// ratio, bootstrap CI as above. Names outside kResourceNames are ignored.
EvalReport resources_report(std::span<const std::vector<std::string>> truth,
                            std::span<const std::vector<std::string>> predicted, uint64_t seed = 42,
                            int resamples = 1000);

// The actionable decision rule of a model directory (decision.txt).
struct DecisionRule {
  ModelType type = ModelType::kSoftmax;
  // softmax-4: label = argmax_c log(max(p_c, 1e-7)) + bias[c]; all 0 = plain argmax.
  std::array<float, kNumLabels> bias{};
  // cascade: a binary model "fires" when its P(yes) >= its threshold, in (0, 1).
  float request_threshold = 0.5f;
  float offer_threshold = 0.5f;
  // linear-head: the feature spec (make_feature_encoder in linear_head.h); the label is
  // biased_argmax of the head's probabilities with `bias`, as softmax-4.
  std::string encoder;
};

// decision.txt, UTF-8 text, at most 4 KiB, lines of "key value..." ('#' starts a comment
// line):
//   format 1
//   type softmax-4 | cascade | linear-head
//   bias <label name> <float>          softmax-4 and linear-head only, |bias| <= 20, each
//                                      label at most once
//   threshold request|offer <float>    cascade only, in (0, 1), both required
//   encoder <spec>                     linear-head only, required: 1..1024 printable ASCII
//                                      bytes without spaces (names joined by '+')
// Anything else (unknown keys, duplicates, non-finite or out-of-range numbers, a missing
// format/type line) fails with kCorrupt naming `name` and the line.
Result<DecisionRule> parse_decision_rule(std::string_view text, const std::string& name);
// An encoder spec decision.txt and linear_head.bin accept: 1..kMaxEncoderSpecBytes bytes in
// '!'..'~'.
inline constexpr size_t kMaxEncoderSpecBytes = 1024;
bool valid_encoder_spec(std::string_view spec);
// The file parse_decision_rule reads back to the same rule (floats printed with %.9g).
std::string format_decision_rule(const DecisionRule& rule);

// softmax-4 decision: probs indexed by Label.
Label biased_argmax(const std::array<float, kNumLabels>& probs, const std::array<float, kNumLabels>& bias);
// Cascade decision from the two binary models' P(yes).
Label cascade_decision(float p_request, float p_offer, float request_threshold, float offer_threshold);

// Classes with fewer validation rows than this take no part in tuning or in choosing a grid
// point: their F1 would be decided by one or two posts (the real request_and_offer posts
// leave one in the validation part). Test reports average every class as usual.
inline constexpr int64_t kMinTuningSupport = 10;

// Prior correction for softmax-4, tuned on validation rows only: coordinate search over
// the biases of request, offer and request_and_offer (irrelevant stays 0, and so does a
// class with fewer than min_support rows in `truth`) on the grid -4..4 in steps of 0.25,
// rounds until no bias changes (at most 8), accepting a change only when it raises
// macro_f1_of(truth, ·, min_support) strictly. Starts from 0, so the tuned score on these
// rows is never below the plain argmax's.
std::array<float, kNumLabels> tune_prior_bias(std::span<const std::array<float, kNumLabels>> probs,
                                              std::span<const Label> truth, int64_t min_support = 0);

// Cascade thresholds tuned on validation rows only: every pair on the grid 0.05..0.95 in
// steps of 0.025, starting from (0.5, 0.5) and accepting only strictly higher
// macro_f1_of(truth, ·, min_support) (ties keep the earlier pair). Returns
// {request_threshold, offer_threshold}.
std::pair<float, float> tune_cascade_thresholds(std::span<const float> p_request, std::span<const float> p_offer,
                                                std::span<const Label> truth, int64_t min_support = 0);

// Macro-F1 only (no bootstrap), the score the grid and the tuning maximise: over the classes
// that occur in the truth or the predictions, leaving out classes with fewer than
// min_support rows in the truth (0: none left out, the report's macro-F1).
double macro_f1_of(std::span<const Label> truth, std::span<const Label> predicted, int64_t min_support = 0);

// What the structural check learned about a fastText model file.
struct FastTextModelInfo {
  int dim = 0;
  int word_ngrams = 0;
  int loss = 0;  // fastText loss_name: 3 softmax, 4 one-vs-all
  int64_t bucket = 0;
  int32_t nwords = 0;
  bool quantized = false;
  std::vector<std::string> labels;  // without the "__label__" prefix, in model order
};

// Walks a whole fastText 0.9.2 supervised model (magic 793712314, version 12) and checks
// every count and size against the bytes present and against each other, so that
// fastText's own unchecked loader never sees a file that would make it over-allocate, read
// past the end or index out of range. Accepts softmax and one-vs-all supervised models
// only. `name` is used in error messages. Fails with kCorrupt.
Result<FastTextModelInfo> check_fasttext_model(std::string_view bytes, const std::string& name);

// Lower-case hex SHA-256 of data (FIPS 180-4), for the manifest.
std::string sha256_hex(std::string_view data);

}  // namespace crema::classify
