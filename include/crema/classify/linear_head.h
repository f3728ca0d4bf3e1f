// crema/classify/linear_head.h: the second actionable model type, a linear head on frozen
// sentence-encoder features (CHO §3.4's mean pooling + linear layer, without fine-tuning the
// encoder): multinomial logistic regression over the 4 labels with L2 and inverse-frequency
// class weights, trained in C++ by full-batch L-BFGS, then the softmax-4 prior correction.
//
// The encoders live in crema::embed, which comes after classify in the module order, so
// classify sees them only through FeatureEncoder and a process-wide factory that the layer
// above installs (crema::engine::install_feature_encoders() installs crema::embed::make_encoder;
// the engine and the CLI commands that use classify directly call it; other callers call it, or
// set_feature_encoder_factory,
// once before Classifier::load). Training also takes its features through the factory.
//
// A linear-head model directory holds decision.txt ("type linear-head", "encoder NAME",
// the prior-correction biases; evaluation.h), linear_head.bin (below) and, optionally,
// resources.ftz (the fastText resource model, as in a fastText directory).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crema/classify/classifier.h"
#include "crema/common/result.h"

namespace crema::classify {

// Maps normalised texts (crema/text/normalize.h) to fixed-size float rows; the shape of
// crema::embed::Encoder. Implementations must be immutable after construction and
// thread-safe, and give the same row for the same text whatever `threads` is.
class FeatureEncoder {
 public:
  virtual ~FeatureEncoder() = default;
  virtual size_t dim() const = 0;
  // out.size() == texts.size() * dim(), row-major.
  virtual Status encode(std::span<const std::string_view> texts, std::span<float> out, int threads) const = 0;
};

// Creates the encoder of one name (an embed::make_encoder name: tfidf, glove-sif, use-lite,
// hf:DIR, ...). Unknown names must fail with kInvalidArgument.
using FeatureEncoderFactory = std::function<Result<std::unique_ptr<FeatureEncoder>>(std::string_view name)>;

// Installs the process-wide factory (replacing any earlier one; an empty function removes
// it). Thread-safe; encoders already made keep working.
void set_feature_encoder_factory(FeatureEncoderFactory factory);
bool has_feature_encoder_factory();

// The encoder of a feature spec: one name, or several joined by '+' (their rows
// concatenated in that order, e.g. "use-lite+tfidf"). A part "fasttext:PATH" is served by
// classify itself: the sentence vector of the supervised fastText model at PATH; a relative
// PATH resolves against `base_dir` (a model directory; empty = the working directory).
// kUnsupported when another part needs the factory and none is installed; kInvalidArgument
// for an empty part or an unknown name (the factory's error).
Result<std::unique_ptr<FeatureEncoder>> make_feature_encoder(std::string_view spec, const std::string& base_dir = {});

// The trained head: logits = W x + b, probabilities = softmax(logits). Feature
// standardisation used in training is folded into W and b, so the head applies to the
// encoder's raw rows.
struct LinearHead {
  std::string encoder;                  // the feature spec the head was trained on
  size_t dim = 0;                       // feature dimension
  std::vector<float> weights;           // kNumLabels x dim, row c = Label c
  std::array<float, kNumLabels> bias{};  // per Label
  // Class probabilities of one feature row (x.size() == dim), indexed by Label.
  std::array<float, kNumLabels> probs(std::span<const float> x) const;
};

struct LinearHeadTrainOptions {
  // L2 penalty on the (standardised) weights, per unit of total class weight: the
  // objective is sum_i w_i CE_i / sum_i w_i + l2/2 * |W|^2 (the bias is not penalised).
  double l2 = 1e-3;
  // Inverse-frequency class weights n / (k * n_c) over the k classes present (CHO §3.4);
  // false = every row weight 1.
  bool class_weights = true;
  // Standardise each feature (mean 0, sd 1 on these rows) before training; the l2 then
  // applies to standardised weights. false = the encoder's rows as they are.
  bool standardize = true;
  int max_iterations = 400;   // L-BFGS iterations
  double tolerance = 1e-5;    // stop when the gradient's max-norm falls below this
  int threads = 1;            // the result does not depend on it (fixed-order reductions)
};

// Trains on row-major features (labels.size() rows of `dim` floats). Labels must be known
// (not kUnknown); classes absent from `labels` get weight 0 and a very negative bias.
// Deterministic: no randomness at all (zero initialisation, full batch, fixed-order sums).
// kInvalidArgument for empty input, mismatched sizes or non-finite features.
Result<LinearHead> train_linear_head(std::span<const float> features, size_t dim, std::span<const Label> labels,
                                     const LinearHeadTrainOptions& options);

// linear_head.bin, all integers and floats little-endian:
//   8 bytes  "CRMLHEAD"
//   u32      version (1)
//   u32      number of classes (4, in Label order)
//   u32      dim (1 .. 1,048,576)
//   u32      length of the encoder spec (1 .. 1024), then its bytes (printable ASCII, no
//            spaces)
//   f32      weights, classes x dim, row-major
//   f32      bias, classes
//   u64      FNV-1a 64 of every byte before it
// Exactly that many bytes; every float finite with |value| <= 1e6.
std::string serialize_linear_head(const LinearHead& head);
// kCorrupt naming `name` and the reason for anything else.
Result<LinearHead> parse_linear_head(std::string_view bytes, const std::string& name);

// Training of a linear-head model directory (crema train classifier --encoder NAME).
struct LinearHeadClassifierOptions {
  std::string data_path;  // labelled JSONL
  std::string out_dir;
  std::string encoder;    // feature spec for make_feature_encoder
  uint64_t seed = 42;     // the split (the head itself has no randomness)
  int threads = 1;        // encoding and training; the output does not depend on it
  // Candidate L2 strengths; the one with the best validation macro-F1 wins (first on ties).
  std::vector<double> l2_grid = {1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4};
  GridChoice prior_correction = GridChoice::kBoth;
  bool class_weights = true;
  bool standardize = true;  // LinearHeadTrainOptions::standardize
  bool exclude_synthetic = false;
  // A fastText resource model copied into the directory as resources.ftz (checked first);
  // empty = none (the directory then gives no resource names).
  std::string resources_model;
  std::string command_line;  // recorded in the manifest
  ProgressFn progress;
};

struct LinearHeadGridPoint {
  double l2 = 0;
  bool prior = false;
  double validation_macro_f1 = 0;  // over classes with >= kMinTuningSupport validation rows
};

struct LinearHeadTrainResult {
  TrainResult test;         // the saved model, loaded back, on the test split
  EvalReport validation;    // the chosen model on the validation split (with languages)
  std::vector<LinearHeadGridPoint> grid;
  size_t winner = 0;        // index into grid
  std::string chosen;       // e.g. "linear-head(tfidf)+prior, l2 0.001"
};

// Stratified 70/10/20 split (stratified_split, seed), features of every row encoded once,
// one head per l2 trained on the train part, the decision rule tuned and the grid point
// chosen on validation only, then decision.txt + linear_head.bin (+ resources.ftz) +
// reports + manifest.json written into out_dir (crash-safe writes) and the saved
// directory evaluated once on the test part.
Result<LinearHeadTrainResult> train_linear_head_classifier(const LinearHeadClassifierOptions& options);

}  // namespace crema::classify
