// crema/classify/classifier.h: the built-in classifiers (libfasttext): CHO's 4-class
// actionable-help task with probabilities, and multi-label resource types; plus training
// and evaluation by CHO §3.4's protocol where it applies.
//
// A model directory holds:
//   actionable.ftz   4-class model (__label__request, __label__offer,
//                    __label__request_and_offer, __label__irrelevant)
//   resources.ftz    multi-label (one-vs-all) model over kResourceNames
//   manifest.json    training command, seed, data sha256, model sha256, metrics
//   *.report.json / *.report.txt  evaluation reports written by training
// Classifiers take normalised text (crema/text/normalize.h) and apply their own
// lower-casing/tokenisation, identical in training and inference.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crema/common/post.h"
#include "crema/common/progress.h"
#include "crema/common/result.h"

namespace crema::classify {

struct Classification {
  Label label = Label::kUnknown;
  std::array<float, kNumLabels> probs{};  // indexed by Label; sums to ~1
  std::vector<std::string> resources;     // names from kResourceNames, prob >= threshold
  std::vector<float> resource_probs;      // same order as resources
};

// A resource is reported when the one-vs-all model's sigmoid output reaches this value:
// each label's output is a calibrated-by-training probability of its own, so 0.5 is the
// decision point the model was trained towards (no label ranks against another).
inline constexpr float kResourceThreshold = 0.5f;

class Classifier {
 public:
  // Loads a model directory (see above). A missing resources.ftz is allowed (no
  // resources then). Hostile or truncated files yield kCorrupt, never a crash.
  static Result<std::unique_ptr<Classifier>> load(const std::string& model_dir);
  virtual ~Classifier() = default;

  // Thread-safe.
  virtual Classification classify(std::string_view normalized_text) const = 0;
  // Classifies texts[i] into out[i] using up to `threads` threads.
  virtual void classify_batch(std::span<const std::string_view> texts,
                              std::span<Classification> out, int threads) const = 0;
};

// The text the fastText models see (lower-cased, tokens separated by single spaces).
std::string fasttext_input(std::string_view normalized_text);

// Labelled JSONL, one object per line:
//   {"text": "...", "label": "request|offer|request_and_offer|irrelevant",
//    "resources": ["food", ...], "lang"?: "...", "source"?: "...", "source_id"?: "..."}
// Either label or resources may be absent (then the record is skipped for that task).
struct LabelledPost {
  std::string text;  // raw text; normalised before training
  Label label = Label::kUnknown;
  std::vector<std::string> resources;
  bool has_resources = false;
  std::string lang;
  // "source/source_id" when the record names them, else empty. Rows sharing a non-empty
  // group (a message and its original-language text) land in the same split part.
  std::string group;
  // From "synthetic": true (posts written for rare cells) or "split": "train" (extra,
  // differently labelled data). Such rows only ever go to the training part of a split, so
  // they never inflate validation or test scores.
  bool train_only = false;
};
Result<std::vector<LabelledPost>> load_labelled(const std::string& path);

struct ClassMetrics {
  std::string name;
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;
};

struct EvalReport {
  std::string task;  // "actionable" or "resources"
  int64_t n = 0;
  double macro_f1 = 0;
  double macro_f1_ci_low = 0, macro_f1_ci_high = 0;  // 95% bootstrap (1000 resamples, seed 42)
  double accuracy = 0;
  std::vector<ClassMetrics> classes;
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted], actionable only
  std::string to_text() const;                  // human-readable table
  std::string to_json() const;
};

struct TrainOptions {
  std::string data_path;  // labelled JSONL
  std::string out_dir;    // model directory to write
  uint64_t seed = 42;
  int threads = 1;        // 1 => bit-for-bit reproducible
  int epochs = 25;
  double learning_rate = 0.5;
  int word_ngrams = 2;
  // Character n-grams of words, min..max code points (fastText minn/maxn); 0 = off. They
  // help with inflected and non-English words and with typos.
  int min_char_ngram = 0;
  int max_char_ngram = 0;
  int dim = 50;
  bool quantize = true;  // write .ftz
  // Pick epochs / learning rate (and, for the 4-class model, rare-class oversampling) by
  // validation macro-F1 over a small grid; false trains once with the values above.
  bool tune = false;
  int bucket = 200000;                 // hashed word-n-gram rows
  uint64_t quantize_cutoff = 20000;    // embedding rows kept by quantisation (>= 256)
  std::string command_line;  // recorded in the manifest
  ProgressFn progress;
};

struct TrainResult {
  EvalReport actionable;  // on the 20% test split
  EvalReport resources;
};

// Stratified 70/10/20 split with the seed, trains both models, evaluates on the test split,
// writes models + reports + manifest into out_dir (crash-safe writes).
Result<TrainResult> train_classifiers(const TrainOptions& options);

// Evaluates a model directory on a labelled JSONL (all of it, or only the test split of the
// stratified 70/10/20 split with `seed` when test_split_only).
Result<TrainResult> evaluate_classifiers(const std::string& model_dir, const std::string& data_path,
                                         bool test_split_only, uint64_t seed, int threads);

}  // namespace crema::classify
