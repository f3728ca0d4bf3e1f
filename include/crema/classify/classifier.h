// crema/classify/classifier.h: the built-in classifiers (libfasttext): CHO's 4-class
// actionable-help task with probabilities, and multi-label resource types; plus training
// and evaluation by CHO §3.4's protocol where it applies.
//
// A model directory holds:
//   decision.txt     optional: which actionable model and decision rule (parse_decision_rule
//                    in evaluation.h); absent = softmax-4 with plain argmax
//   actionable.ftz   softmax-4 model (__label__request, __label__offer,
//                    __label__request_and_offer, __label__irrelevant)
//   request.ftz, offer.ftz   the cascade's two binary models (__label__yes, __label__no):
//                    request-vs-not and offer-vs-not, both trained with request_and_offer
//                    as positive; used instead of actionable.ftz when decision.txt says cascade
//   resources.ftz    multi-label (one-vs-all) model over kResourceNames
//   linear_head.bin  instead of the .ftz actionable models when decision.txt says
//                    linear-head: a linear layer on a sentence encoder's features
//                    (crema/classify/linear_head.h; the encoder is named in decision.txt)
//   manifest.json    training command, seed, data sha256, model sha256, metrics, grid
//   *.report.json / *.report.txt  evaluation reports written by training
// Classifiers take normalised text (crema/text/normalize.h) and apply their own
// lower-casing/tokenisation, identical in training and inference.
#pragma once

#include <array>
#include <optional>
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
  // softmax-4: argmax over log(probs) + the per-class biases of decision.txt (plain argmax
  // without biases); cascade: request_and_offer when both binary models reach their
  // thresholds, request or offer when one does, irrelevant when neither.
  Label label = Label::kUnknown;
  // Indexed by Label; sums to ~1. softmax-4: the model's probabilities; cascade: the
  // products of the two binary probabilities (p_req * p_off for request_and_offer, ...).
  // With biases or thresholds the label need not be the argmax of probs.
  std::array<float, kNumLabels> probs{};
  std::vector<std::string> resources;     // names from kResourceNames, prob >= threshold
  std::vector<float> resource_probs;      // same order as resources
};

// A resource is reported when the one-vs-all model's sigmoid output reaches this value:
// each label's output is a calibrated-by-training probability of its own, so 0.5 is the
// decision point the model was trained towards (no label ranks against another).
inline constexpr float kResourceThreshold = 0.5f;

class Classifier {
 public:
  // Loads a model directory (see above): decision.txt when present, then the model files it
  // names. A missing resources.ftz is allowed (no resources then). Hostile or truncated
  // files yield kCorrupt (a missing model file kNotFound), each naming the file, never a
  // crash.
  static Result<std::unique_ptr<Classifier>> load(const std::string& model_dir);
  virtual ~Classifier() = default;

  // Thread-safe.
  virtual Classification classify(std::string_view normalized_text) const = 0;
  // Classifies texts[i] into out[i] using up to `threads` threads.
  virtual void classify_batch(std::span<const std::string_view> texts,
                              std::span<Classification> out, int threads) const = 0;
};

// Where a post's resource names come from (docs/classifier.md, "Resources"):
//   kModel      the one-vs-all fastText model (resources.ftz)
//   kExtractor  the extraction lexicon's classes mapped to kResourceNames
//               (crema::extract::crema_resource_name: cash->money, health->medical,
//               logistics->transport, the rest by name), "other" for an actionable post
//               that names none
//   kUnion      both; "other" only when neither source names a listed resource
enum class ResourceSource : uint8_t { kModel = 0, kExtractor = 1, kUnion = 2 };
std::string_view resource_source_name(ResourceSource source);  // "model", "extractor", "union"
std::optional<ResourceSource> parse_resource_source(std::string_view name);

// The source the pipeline uses (chosen on the test split comparison in docs/classifier.md).
inline constexpr ResourceSource kPipelineResourceSource = ResourceSource::kUnion;

// Combines the model's resource names and the extractor's (already mapped to
// kResourceNames) by `source`, for a post whose label is actionable or not. Names outside
// kResourceNames are dropped; the result is in kResourceNames order without duplicates.
std::vector<std::string> combine_resources(std::span<const std::string> model,
                                           std::span<const std::string> extracted, bool actionable,
                                           ResourceSource source);

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
  bool synthetic = false;  // "synthetic": true (also train_only)
};
Result<std::vector<LabelledPost>> load_labelled(const std::string& path);

struct ClassMetrics {
  std::string name;
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;
};

// Actionable metrics of the rows of one language (LabelledPost::lang; an empty lang counts
// as "und", and "und" — language not determined by the source — is a row of its own).
struct LanguageMetrics {
  std::string lang;
  int64_t n = 0;
  double macro_f1 = 0;
  double macro_f1_ci_low = 0, macro_f1_ci_high = 0;  // 95% bootstrap, as EvalReport
  std::vector<ClassMetrics> classes;                 // indexed by Label
};

// Languages with at least this many evaluated rows get a row in the reports.
inline constexpr int64_t kMinLanguageRows = 50;

struct EvalReport {
  std::string task;  // "actionable" or "resources"
  int64_t n = 0;
  double macro_f1 = 0;
  double macro_f1_ci_low = 0, macro_f1_ci_high = 0;  // 95% bootstrap (1000 resamples, seed 42)
  double accuracy = 0;
  std::vector<ClassMetrics> classes;
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted], actionable only
  std::vector<LanguageMetrics> languages;       // actionable only, see kMinLanguageRows
  std::string to_text() const;                  // human-readable table
  std::string to_json() const;
};

// One axis of the training grid: try both values, or only one.
enum class GridChoice : uint8_t { kBoth = 0, kOn = 1, kOff = 2 };

// The actionable model's type. kLinearHead: a linear head on frozen encoder features
// (crema/classify/linear_head.h), decided like softmax-4.
enum class ModelType : uint8_t { kSoftmax = 0, kCascade = 1, kLinearHead = 2 };
std::string_view model_type_name(ModelType type);  // "softmax-4", "cascade", "linear-head"

struct TrainOptions {
  std::string data_path;  // labelled JSONL
  std::string out_dir;    // model directory to write
  uint64_t seed = 42;
  int threads = 1;        // fastText threads per model; 1 => bit-for-bit reproducible
  // Grid points trained at the same time (0 = all cores). Each model still trains with
  // `threads`, and ties go to the earlier grid point, so the result does not depend on it.
  int grid_threads = 1;
  int epochs = 25;
  double learning_rate = 0.5;
  int word_ngrams = 2;
  // Character n-grams of words, min..max code points (fastText minn/maxn), used where the
  // char_ngrams axis is on. They help with inflected and non-English words and with typos.
  int min_char_ngram = 3;
  int max_char_ngram = 5;
  int dim = 50;
  bool quantize = true;  // write .ftz
  // Pick epochs / learning rate (and, for the actionable models, rare-class oversampling)
  // by validation macro-F1 over a small grid, crossed with the axes below; false trains
  // once with the values above and the "on" value of each axis set to kOn (kBoth = off).
  bool tune = false;
  // Axes of the grid (each kBoth, kOn or kOff):
  GridChoice softmax = GridChoice::kBoth;     // softmax-4 actionable model
  GridChoice cascade = GridChoice::kBoth;     // cascade of two binary models
  // Decision rule tuned on validation: per-class log-prior biases (softmax-4) or the two
  // thresholds (cascade); off = argmax / thresholds 0.5.
  GridChoice prior_correction = GridChoice::kBoth;
  // fastText -pretrainedVectors from `pretrained_path` (a crema glove-sif file: int8 rows
  // with per-row scales, models/glove-sif/glove-sif.bin, or a fastText .vec file); on forces
  // dim = the file's dim. With domain_vectors_path the "on" value is two grid points, one per
  // file, so the grid compares none / pretrained_path / domain_vectors_path.
  GridChoice pretrained = GridChoice::kBoth;
  std::string pretrained_path;  // empty = resource_path("models/glove-sif/glove-sif.bin")
  std::string domain_vectors_path;  // empty = none; e.g. `crema train vectors` output (.vec)
  // Character n-grams of min_char_ngram..max_char_ngram (default 3..5).
  GridChoice char_ngrams = GridChoice::kBoth;
  bool exclude_synthetic = false;  // drop "synthetic" rows before anything else
  // The resource model uses plain words only (no pretrained vectors, no char n-grams
  // whatever the axes say): ~2.5x faster at run time.
  bool resources_words_only = false;
  int bucket = 200000;                 // hashed word-n-gram rows
  uint64_t quantize_cutoff = 20000;    // embedding rows kept by quantisation (>= 256)
  std::string command_line;  // recorded in the manifest
  ProgressFn progress;
};

struct TrainResult {
  EvalReport actionable;  // on the 20% test split
  EvalReport resources;
  std::string chosen;     // the winning actionable variant, e.g. "cascade+prior+char" (training only)
};

// Stratified 70/10/20 split with the seed, trains both models, evaluates on the test split,
// writes models + reports + manifest into out_dir (crash-safe writes).
Result<TrainResult> train_classifiers(const TrainOptions& options);

// Evaluates a model directory on a labelled JSONL (all of it, or only the test split of the
// stratified 70/10/20 split with `seed` when test_split_only). The actionable report has
// per-language rows.
Result<TrainResult> evaluate_classifiers(const std::string& model_dir, const std::string& data_path,
                                         bool test_split_only, uint64_t seed, int threads);

// Which rows evaluate_classifiers scores: all, or one part of the seed's stratified split.
enum class EvalPart : uint8_t { kAll = 0, kTest = 1, kValidation = 2 };
Result<TrainResult> evaluate_classifiers(const std::string& model_dir, const std::string& data_path, EvalPart part,
                                         uint64_t seed, int threads);

}  // namespace crema::classify
