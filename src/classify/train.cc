// Training (fastText supervised, reproducible with one thread and a seed) and evaluation.
#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <atomic>
#include <mutex>
#include <thread>
#include <cstring>
#include <cstdio>

#include <fasttext/fasttext.h>

#include "crema/classify/classifier.h"
#include "crema/classify/evaluation.h"
#include "crema/classify/linear_head.h"
#include "crema/common/file_io.h"
#include "crema/common/json_writer.h"
#include "crema/common/parallel.h"
#include "crema/common/paths.h"
#include "crema/text/normalize.h"
#include "fasttext_model.h"
#include "temp_file.h"

namespace crema::classify {
namespace {

constexpr const char* kActionableFile = "actionable.ftz";
constexpr const char* kRequestFile = "request.ftz";
constexpr const char* kOfferFile = "offer.ftz";
constexpr const char* kResourcesFile = "resources.ftz";
constexpr const char* kDecisionFile = "decision.txt";
constexpr const char* kLinearHeadFile = "linear_head.bin";
constexpr const char* kNoResource = "none";  // pseudo-label: the post names no resource
constexpr int64_t kMaxRepeats = 30;

// The models training produces: the 4-class softmax, the cascade's two binary models, and
// the multi-label resource model.
enum class Task { kActionable, kRequest, kOffer, kResources };

const char* task_name(Task task) {
  switch (task) {
    case Task::kActionable: return "actionable";
    case Task::kRequest: return "request";
    case Task::kOffer: return "offer";
    case Task::kResources: return "resources";
  }
  return "";
}

// Labelled posts with their normalised text and the line the models see.
struct Prepared {
  std::vector<LabelledPost> posts;
  std::vector<std::string> normalized;
  std::vector<std::string> inputs;
};

Result<Prepared> prepare(const std::string& data_path, int threads, bool exclude_synthetic = false) {
  auto posts = load_labelled(data_path);
  if (!posts) return tl::unexpected(posts.error());
  Prepared p;
  p.posts = std::move(*posts);
  if (exclude_synthetic) {
    std::erase_if(p.posts, [](const LabelledPost& post) { return post.synthetic; });
  }
  p.normalized.resize(p.posts.size());
  p.inputs.resize(p.posts.size());
  parallel_for(p.posts.size(), resolve_threads(threads), [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      p.normalized[i] = text::normalize_text(p.posts[i].text);
      p.inputs[i] = fasttext_input(p.normalized[i]);
    }
  });
  return p;
}

// The training file's sha256 (for the manifest) and its prepared posts.
Result<std::pair<std::string, Prepared>> hash_and_prepare(const std::string& data_path, int threads,
                                                          bool exclude_synthetic) {
  auto data = read_file(data_path);
  if (!data) return tl::unexpected(data.error());
  std::string sha = sha256_hex(*data);
  data->clear();
  auto prepared = prepare(data_path, threads, exclude_synthetic);
  if (!prepared) return tl::unexpected(prepared.error());
  return std::make_pair(std::move(sha), std::move(*prepared));
}

// Where a grid point's input word vectors come from: none, TrainOptions::pretrained_path
// (GloVe by default) or TrainOptions::domain_vectors_path.
enum class VectorSource : uint8_t { kNone = 0, kPretrained = 1, kDomain = 2 };

// Input features of a model (axes of the grid that change what fastText trains).
struct Features {
  VectorSource pretrained = VectorSource::kNone;
  bool char_ngrams = false;
};

struct Hyper {
  int epochs = 25;
  double lr = 0.5;
  // Repeat each line round(largest class / its class) times, at most kMaxRepeats: the
  // fastText stand-in for CHO's class weights.
  bool balance = false;
};

std::string features_suffix(const Features& f) {
  const char* vectors = f.pretrained == VectorSource::kPretrained ? "+pretrained"
                        : f.pretrained == VectorSource::kDomain   ? "+domain"
                                                                  : "";
  return std::string(vectors) + (f.char_ngrams ? "+char" : "");
}

std::string labelled_line(std::string_view labels, const std::string& input) {
  std::string line(labels);
  if (!input.empty()) {
    line.push_back(' ');
    line += input;
  }
  line.push_back('\n');
  return line;
}

bool is_request(Label l) { return l == Label::kRequest || l == Label::kRequestAndOffer; }
bool is_offer(Label l) { return l == Label::kOffer || l == Label::kRequestAndOffer; }

std::string labels_of(const LabelledPost& post, Task task) {
  switch (task) {
    case Task::kActionable: return "__label__" + std::string(label_name(post.label));
    case Task::kRequest: return is_request(post.label) ? "__label__yes" : "__label__no";
    case Task::kOffer: return is_offer(post.label) ? "__label__yes" : "__label__no";
    case Task::kResources: {
      std::string labels;
      for (const std::string& r : post.resources) labels += (labels.empty() ? "__label__" : " __label__") + r;
      return labels.empty() ? std::string("__label__") + kNoResource : labels;
    }
  }
  return {};
}

// The training file of one task: train rows (repeated when balancing), shuffled with the seed.
std::string training_text(const Prepared& p, const std::vector<size_t>& rows, Task task, bool balance,
                          uint64_t seed) {
  std::map<std::string, int64_t> per_class;
  std::vector<std::string> row_labels;
  for (size_t i : rows) {
    row_labels.push_back(labels_of(p.posts[i], task));
    ++per_class[row_labels.back()];
  }
  int64_t largest = 1;
  for (const auto& [name, count] : per_class) largest = std::max(largest, count);
  std::vector<std::string> lines;
  for (size_t k = 0; k < rows.size(); ++k) {
    std::string line = labelled_line(row_labels[k], p.inputs[rows[k]]);
    int64_t repeats = 1;
    if (balance && task != Task::kResources) {
      repeats = std::clamp<int64_t>(
          std::llround(static_cast<double>(largest) / static_cast<double>(per_class[row_labels[k]])), 1,
          kMaxRepeats);
    }
    for (int64_t r = 0; r < repeats; ++r) lines.push_back(line);
  }
  SplitMix64 rng(seed);
  for (size_t i = lines.size(); i > 1; --i) std::swap(lines[i - 1], lines[rng.below(i)]);
  std::string out;
  for (const std::string& line : lines) out += line;
  return out;
}

FastTextModel wrap(std::shared_ptr<fasttext::FastText> ft, bool ova) {
  FastTextModel model;
  const auto dict = ft->getDictionary();
  for (int32_t i = 0; i < dict->nlabels(); ++i) model.info.labels.push_back(dict->getLabel(i).substr(9));
  model.info.loss = ova ? 4 : 3;
  model.ft = std::move(ft);
  return model;
}

// Pretrained vectors written as a fastText .vec file holding only `words` (so the pretrained
// file adds nothing to the dictionary).
struct Pretrained {
  int dim = 0;
  std::unique_ptr<TempFile> vec;
  std::string source_sha256;  // of the file the rows came from
};

// The rows of `words` from a fastText .vec file ("N DIM" line, then "word v1 .. vDIM" lines;
// `crema train vectors` writes them).
Result<Pretrained> write_pretrained_from_vec(const std::string& vec_path, const std::string& b,
                                             const std::set<std::string>& words, const std::string& out_path) {
  const auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::kCorrupt, vec_path + ": not a glove-sif or fastText .vec file (" + why + ")");
  };
  size_t pos = b.find('\n');
  long long n = 0, dim = 0;
  if (pos == std::string::npos || std::sscanf(b.substr(0, pos).c_str(), "%lld %lld", &n, &dim) != 2 || n < 1 ||
      dim < 1 || dim > 1000) {
    return bad("header");
  }
  ++pos;
  std::string text;
  int64_t rows = 0, written = 0;
  while (pos < b.size()) {
    size_t nl = b.find('\n', pos);
    if (nl == std::string::npos) nl = b.size();
    const std::string_view line(b.data() + pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    ++rows;
    const size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0) return bad("row " + std::to_string(rows));
    const int64_t values = std::count(line.begin() + static_cast<std::ptrdiff_t>(space), line.end(), ' ');
    if (values != dim && !(values == dim + 1 && line.back() == ' ')) return bad("row " + std::to_string(rows) + " dim");
    if (words.count(std::string(line.substr(0, space))) == 0) continue;
    text += line;
    text.push_back('\n');
    ++written;
  }
  if (rows != n) return bad("row count");
  Pretrained out;
  out.dim = static_cast<int>(dim);
  out.vec = std::make_unique<TempFile>(TempFile{out_path});
  const std::string header = std::to_string(written) + " " + std::to_string(dim) + "\n";
  if (auto st = write_file_atomic(out_path, header + text); !st) return tl::unexpected(st.error());
  return out;
}

// From a crema glove-sif file (docs/encoders.md; int8 rows de-quantised) or a fastText .vec file.
Result<Pretrained> write_pretrained(const std::string& glove_path, const std::set<std::string>& words,
                                    const std::string& out_path) {
  auto bytes = read_file(glove_path);
  if (!bytes) return tl::unexpected(bytes.error());
  const std::string& b = *bytes;
  if (b.compare(0, 8, "CRGLOVE1") != 0) {
    auto out = write_pretrained_from_vec(glove_path, b, words, out_path);
    if (out) out->source_sha256 = sha256_hex(b);
    return out;
  }
  const auto bad = [&](const char* why) {
    return make_error(ErrorCode::kCorrupt, glove_path + ": not a glove-sif file (" + why + ")");
  };
  if (b.size() < 40 || b.compare(0, 8, "CRGLOVE1") != 0) return bad("magic");
  uint32_t version = 0, dim = 0, n = 0;
  uint64_t vocab_bytes = 0;
  std::memcpy(&version, b.data() + 8, 4);
  std::memcpy(&dim, b.data() + 12, 4);
  std::memcpy(&n, b.data() + 16, 4);
  std::memcpy(&vocab_bytes, b.data() + 32, 8);
  if (version != 1 || dim == 0 || dim > 1000 || n == 0 || n > 10'000'000) return bad("header");
  const uint64_t rows_at = 40 + uint64_t{8} * n + uint64_t{4} * dim;
  const uint64_t vocab_at = rows_at + uint64_t{n} * dim;
  if (vocab_bytes > b.size() || vocab_at + vocab_bytes != b.size()) return bad("size");
  Pretrained out;
  out.dim = static_cast<int>(dim);
  std::string text;
  int64_t written = 0;
  size_t pos = vocab_at;
  char buf[32];
  for (uint32_t i = 0; i < n; ++i) {
    const size_t nl = b.find('\n', pos);
    if (nl == std::string::npos) return bad("vocabulary");
    const std::string word = b.substr(pos, nl - pos);
    pos = nl + 1;
    if (words.count(word) == 0) continue;
    float scale = 0;
    std::memcpy(&scale, b.data() + 40 + uint64_t{4} * i, 4);
    if (!std::isfinite(scale)) return bad("scale");
    text += word;
    for (uint32_t d = 0; d < dim; ++d) {
      const auto q = static_cast<int8_t>(b[rows_at + uint64_t{i} * dim + d]);
      std::snprintf(buf, sizeof buf, " %.6g", static_cast<double>(scale * static_cast<float>(q)));
      text += buf;
    }
    text.push_back('\n');
    ++written;
  }
  const std::string header = std::to_string(written) + " " + std::to_string(dim) + "\n";
  out.vec = std::make_unique<TempFile>(TempFile{out_path});
  if (auto st = write_file_atomic(out_path, header + text); !st) return tl::unexpected(st.error());
  return out;
}

struct TrainContext {
  const TrainOptions& options;
  const Prepared& p;
  const Split& split;
  // Indexed by VectorSource; null where that source is not in the grid.
  std::array<const Pretrained*, 3> vectors{};
  // (task, balance) -> training file; written before the grid jobs that read it.
  std::map<std::pair<Task, bool>, std::unique_ptr<TempFile>> files;
};

std::vector<size_t> rows_for(const Prepared& p, const std::vector<size_t>& part, Task task) {
  std::vector<size_t> out;
  for (size_t i : part) {
    if (task == Task::kResources ? p.posts[i].has_resources : p.posts[i].label != Label::kUnknown) out.push_back(i);
  }
  return out;
}

Result<std::string> training_file(TrainContext& ctx, Task task, bool balance) {
  auto& slot = ctx.files[{task, balance}];
  if (!slot) {
    slot = std::make_unique<TempFile>(TempFile{ctx.options.out_dir + "/." + task_name(task) +
                                               (balance ? ".balanced" : "") + ".train.txt"});
    const std::string text =
        training_text(ctx.p, rows_for(ctx.p, ctx.split.train, task), task, balance, ctx.options.seed);
    if (auto st = write_file_atomic(slot->path, text); !st) return tl::unexpected(st.error());
  }
  return slot->path;
}

Result<std::shared_ptr<fasttext::FastText>> train_fasttext(TrainContext& ctx, Task task, const Features& f,
                                                          const Hyper& h) {
  const TrainOptions& options = ctx.options;
  // Read-only lookup: grid jobs run concurrently; the files were written before them.
  const auto file = ctx.files.find({task, h.balance});
  if (file == ctx.files.end()) return make_error(ErrorCode::kInternal, "training file not written");
  fasttext::Args args;
  args.input = file->second->path;
  args.model = fasttext::model_name::sup;
  args.loss = task == Task::kResources ? fasttext::loss_name::ova : fasttext::loss_name::softmax;
  args.dim = options.dim;
  if (const Pretrained* vectors = ctx.vectors[static_cast<size_t>(f.pretrained)]; vectors != nullptr) {
    args.pretrainedVectors = vectors->vec->path;
    args.dim = vectors->dim;
  }
  args.wordNgrams = options.word_ngrams;
  args.bucket = options.bucket;
  args.minCount = 1;
  args.minn = f.char_ngrams ? options.min_char_ngram : 0;
  args.maxn = f.char_ngrams ? options.max_char_ngram : 0;
  args.epoch = h.epochs;
  args.lr = h.lr;
  args.thread = std::max(1, options.threads);
  args.seed = static_cast<int>(options.seed & 0x7fffffff);
  args.verbose = 0;
  auto ft = std::make_shared<fasttext::FastText>();
  try {
    ft->train(args);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInvalidArgument, std::string("fastText training failed: ") + e.what());
  }
  return ft;
}

std::string line_of(const Prepared& p, size_t i) { return p.inputs[i] + "\n"; }

// 4-class probabilities indexed by Label.
std::vector<std::array<float, kNumLabels>> softmax_probs(const FastTextModel& model, const Prepared& p,
                                                         const std::vector<size_t>& rows) {
  std::vector<std::array<float, kNumLabels>> out(rows.size());
  std::vector<float> probs;
  for (size_t k = 0; k < rows.size(); ++k) {
    model.predict(line_of(p, rows[k]), probs);
    out[k].fill(0.0f);
    for (size_t j = 0; j < probs.size(); ++j) {
      const auto label = parse_label(model.info.labels[j]);
      if (label && *label != Label::kUnknown) out[k][static_cast<size_t>(*label)] = probs[j];
    }
  }
  return out;
}

std::vector<float> yes_probs(const FastTextModel& model, const Prepared& p, const std::vector<size_t>& rows) {
  std::vector<float> out(rows.size(), 0.0f);
  std::vector<float> probs;
  for (size_t k = 0; k < rows.size(); ++k) {
    model.predict(line_of(p, rows[k]), probs);
    for (size_t j = 0; j < probs.size(); ++j) {
      if (model.info.labels[j] == "yes") out[k] = probs[j];
    }
  }
  return out;
}

std::vector<std::string> resources_above(const FastTextModel& model, const std::vector<float>& probs) {
  std::vector<std::string> out;
  for (size_t i = 0; i < probs.size(); ++i) {
    if (probs[i] >= kResourceThreshold && model.info.labels[i] != kNoResource) out.push_back(model.info.labels[i]);
  }
  return out;
}

double resources_score(const FastTextModel& model, const Prepared& p, const std::vector<size_t>& rows) {
  std::vector<float> probs;
  std::vector<std::vector<std::string>> t_res, p_res;
  for (size_t i : rows) {
    model.predict(line_of(p, i), probs);
    t_res.push_back(p.posts[i].resources);
    p_res.push_back(resources_above(model, probs));
  }
  return resources_report(t_res, p_res, 0, 0).macro_f1;
}

// The probabilities one actionable candidate gives a set of rows.
struct Scores {
  std::vector<std::array<float, kNumLabels>> softmax;  // softmax-4
  std::vector<float> request, offer;                   // cascade
};

std::vector<Label> decide(const DecisionRule& rule, const Scores& s) {
  std::vector<Label> out;
  if (rule.type == ModelType::kCascade) {
    for (size_t k = 0; k < s.request.size(); ++k) {
      out.push_back(cascade_decision(s.request[k], s.offer[k], rule.request_threshold, rule.offer_threshold));
    }
  } else {
    for (const auto& probs : s.softmax) out.push_back(biased_argmax(probs, rule.bias));
  }
  return out;
}

DecisionRule tune_rule(ModelType type, bool prior, const Scores& validation, const std::vector<Label>& truth) {
  DecisionRule rule;
  rule.type = type;
  if (!prior) return rule;
  if (type == ModelType::kCascade) {
    std::tie(rule.request_threshold, rule.offer_threshold) =
        tune_cascade_thresholds(validation.request, validation.offer, truth, kMinTuningSupport);
  } else {
    rule.bias = tune_prior_bias(validation.softmax, truth, kMinTuningSupport);
  }
  return rule;
}

// One point of the actionable grid: variant (type, prior correction, features) x hyper.
struct Candidate {
  ModelType type = ModelType::kSoftmax;
  bool prior = false;
  Features features;
  Hyper hyper;
  DecisionRule rule;
  double validation_macro_f1 = -1;
  std::vector<Label> test_pred;  // unquantized model, for the comparison table only
};

std::string variant_name(const Candidate& c) {
  return std::string(model_type_name(c.type)) + (c.prior ? "+prior" : "") + features_suffix(c.features);
}

std::vector<bool> axis(GridChoice choice) {
  switch (choice) {
    case GridChoice::kBoth: return {false, true};
    case GridChoice::kOn: return {true};
    case GridChoice::kOff: return {false};
  }
  return {false};
}

std::vector<Hyper> hyper_grid(const TrainOptions& o, bool with_balance) {
  if (!o.tune) return {Hyper{o.epochs, o.learning_rate, false}};
  std::vector<Hyper> grid;
  for (bool balance : with_balance ? std::vector<bool>{false, true} : std::vector<bool>{false}) {
    for (int epochs : {5, 25}) {
      for (double lr : {0.2, 1.0}) grid.push_back(Hyper{epochs, lr, balance});
    }
  }
  return grid;
}

std::vector<bool> axis_of(const TrainOptions& o, GridChoice choice) {
  // Without tuning, "both" means off: one model, trained once.
  if (!o.tune && choice == GridChoice::kBoth) return {false};
  return axis(choice);
}

// The pretrained axis' "on" value is every vector source the context holds (GloVe, and the
// domain vectors when given).
std::vector<Features> feature_grid(const TrainContext& ctx, bool resources = false) {
  const TrainOptions& o = ctx.options;
  if (resources && o.resources_words_only) return {Features{}};
  std::vector<Features> out;
  for (bool pre : axis_of(o, o.pretrained)) {
    for (VectorSource source : {VectorSource::kNone, VectorSource::kPretrained, VectorSource::kDomain}) {
      if (pre != (source != VectorSource::kNone)) continue;
      if (pre && ctx.vectors[static_cast<size_t>(source)] == nullptr) continue;
      for (bool chr : axis_of(o, o.char_ngrams)) out.push_back(Features{source, chr});
    }
  }
  return out;
}

std::vector<ModelType> type_grid(const TrainOptions& o) {
  std::vector<ModelType> out;
  const auto soft = axis_of(o, o.softmax), casc = axis_of(o, o.cascade);
  if (std::find(soft.begin(), soft.end(), true) != soft.end()) out.push_back(ModelType::kSoftmax);
  if (std::find(casc.begin(), casc.end(), true) != casc.end()) out.push_back(ModelType::kCascade);
  if (out.empty() && !o.tune) out.push_back(o.cascade == GridChoice::kOn ? ModelType::kCascade : ModelType::kSoftmax);
  return out;
}

struct ActionableOutcome {
  std::vector<Candidate> grid;      // every candidate, in grid order
  std::vector<size_t> variant_best; // index into grid of each variant's best, in variant order
  size_t winner = 0;                // index into grid
  // The winner's models (one for softmax-4, request + offer for the cascade).
  std::shared_ptr<fasttext::FastText> first, second;
  DecisionRule rule;  // re-tuned on validation after quantisation when prior correction is on
  std::map<std::string, std::string> sha256;  // file -> sha256
  int64_t train_rows = 0;
};

// Saves a model crash-safely (fastText writes it; we re-write with fsync + rename).
Result<std::string> save_model(fasttext::FastText& ft, const std::string& path) {
  TempFile tmp{path + ".fasttext.tmp"};
  try {
    ft.saveModel(tmp.path);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kIoError, path + ": cannot write model: " + e.what());
  }
  auto bytes = read_file(tmp.path);
  if (!bytes) return tl::unexpected(bytes.error());
  if (auto st = write_file_atomic(path, *bytes); !st) return tl::unexpected(st.error());
  return sha256_hex(*bytes);
}

Status quantize(fasttext::FastText& ft, const std::string& train_file, const TrainOptions& options) {
  fasttext::Args qargs;
  qargs.input = train_file;
  qargs.qout = false;
  qargs.qnorm = true;
  qargs.retrain = false;
  qargs.cutoff = options.quantize_cutoff;
  qargs.dsub = 2;
  qargs.verbose = 0;
  try {
    ft.quantize(qargs);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInvalidArgument, std::string("fastText quantization failed: ") + e.what());
  }
  return {};
}

// Runs jobs 0..n-1 on up to `threads` threads (each job single-threaded, so the results do
// not depend on the thread count); the first error wins.
Status run_jobs(size_t n, int threads, const std::function<Status(size_t)>& job) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first_error;
  const auto worker = [&] {
    for (size_t k = next++; k < n; k = next++) {
      Status st = job(k);
      if (!st) {
        std::lock_guard lock(mu);
        if (first_error) first_error = st;
        next = n;
      }
    }
  };
  const size_t workers = std::min(n, static_cast<size_t>(std::max(1, resolve_threads(threads))));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < workers; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  return first_error;
}

// The grid is searched in two stages so that it stays affordable: stage 1 tries every
// hyper-parameter setting for each model type on the first feature set (plain words unless
// the axes say otherwise); stage 2 tries the other feature sets with each type's best
// setting from stage 1.
struct ActionableJob {
  ModelType type;
  Features features;
  Hyper hyper;
};

Result<ActionableOutcome> train_actionable(TrainContext& ctx, const std::function<void()>& step) {
  const Prepared& p = ctx.p;
  const TrainOptions& o = ctx.options;
  const std::vector<size_t> train = rows_for(p, ctx.split.train, Task::kActionable);
  const std::vector<size_t> val = rows_for(p, ctx.split.validation, Task::kActionable);
  const std::vector<size_t> test = rows_for(p, ctx.split.test, Task::kActionable);
  std::vector<Label> val_truth;
  for (size_t i : val) val_truth.push_back(p.posts[i].label);
  const bool tuning = o.tune && !val.empty();
  ActionableOutcome out;
  out.train_rows = static_cast<int64_t>(train.size());
  const std::vector<bool> priors = tuning ? axis(o.prior_correction) : std::vector<bool>{false};
  // Training files are written up front: jobs then only read them.
  for (ModelType type : type_grid(o)) {
    for (const Hyper& h : hyper_grid(o, true)) {
      for (Task task : type == ModelType::kCascade ? std::vector<Task>{Task::kRequest, Task::kOffer}
                                                  : std::vector<Task>{Task::kActionable}) {
        if (auto f = training_file(ctx, task, h.balance); !f) return tl::unexpected(f.error());
      }
    }
  }
  std::mutex mu;
  double best = -2;
  size_t best_order = SIZE_MAX;
  const auto run_stage = [&](const std::vector<ActionableJob>& jobs) -> Status {
    std::vector<std::vector<Candidate>> found(jobs.size());
    const size_t base = out.grid.size();
    auto st = run_jobs(jobs.size(), o.grid_threads, [&](size_t k) -> Status {
      const ActionableJob& job = jobs[k];
      Scores val_scores, test_scores;
      std::shared_ptr<fasttext::FastText> first, second;
      if (job.type == ModelType::kSoftmax) {
        auto ft = train_fasttext(ctx, Task::kActionable, job.features, job.hyper);
        if (!ft) return tl::unexpected(ft.error());
        first = *ft;
        const FastTextModel m = wrap(first, false);
        val_scores.softmax = softmax_probs(m, p, val);
        test_scores.softmax = softmax_probs(m, p, test);
      } else {
        auto req = train_fasttext(ctx, Task::kRequest, job.features, job.hyper);
        if (!req) return tl::unexpected(req.error());
        auto off = train_fasttext(ctx, Task::kOffer, job.features, job.hyper);
        if (!off) return tl::unexpected(off.error());
        first = *req;
        second = *off;
        const FastTextModel mr = wrap(first, false), mo = wrap(second, false);
        val_scores.request = yes_probs(mr, p, val);
        val_scores.offer = yes_probs(mo, p, val);
        test_scores.request = yes_probs(mr, p, test);
        test_scores.offer = yes_probs(mo, p, test);
      }
      for (size_t v = 0; v < priors.size(); ++v) {
        Candidate c{job.type, priors[v], job.features, job.hyper,
                    tune_rule(job.type, priors[v], val_scores, val_truth), -1, {}};
        c.validation_macro_f1 = tuning ? macro_f1_of(val_truth, decide(c.rule, val_scores), kMinTuningSupport) : -1;
        c.test_pred = decide(c.rule, test_scores);
        // Best validation macro-F1, ties to the earlier grid point, whatever the thread order.
        const size_t order = base + k * priors.size() + v;
        std::lock_guard lock(mu);
        if (c.validation_macro_f1 > best || (c.validation_macro_f1 == best && order < best_order)) {
          best = c.validation_macro_f1;
          best_order = order;
          out.first = first;
          out.second = second;
        }
        found[k].push_back(std::move(c));
      }
      std::lock_guard lock(mu);
      step();
      return {};
    });
    if (!st) return st;
    for (auto& cs : found) {
      for (Candidate& c : cs) out.grid.push_back(std::move(c));
    }
    return {};
  };
  const std::vector<Features> features = feature_grid(ctx);
  std::vector<ActionableJob> stage1;
  for (ModelType type : type_grid(o)) {
    for (const Hyper& h : hyper_grid(o, true)) stage1.push_back({type, features.front(), h});
  }
  if (auto st = run_stage(stage1); !st) return tl::unexpected(st.error());
  std::vector<ActionableJob> stage2;
  for (ModelType type : type_grid(o)) {
    const Candidate* top = nullptr;
    for (const Candidate& c : out.grid) {
      if (c.type == type && (top == nullptr || c.validation_macro_f1 > top->validation_macro_f1)) top = &c;
    }
    for (size_t f = 1; f < features.size(); ++f) stage2.push_back({type, features[f], top->hyper});
  }
  if (auto st = run_stage(stage2); !st) return tl::unexpected(st.error());
  out.winner = best_order;
  // Each variant's best configuration, variants in order of first appearance.
  std::vector<std::string> names;
  for (size_t k = 0; k < out.grid.size(); ++k) {
    const std::string name = variant_name(out.grid[k]);
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      names.push_back(name);
      out.variant_best.push_back(k);
    } else {
      size_t& b = out.variant_best[static_cast<size_t>(it - names.begin())];
      if (out.grid[k].validation_macro_f1 > out.grid[b].validation_macro_f1) b = k;
    }
  }
  const Candidate& win = out.grid[out.winner];
  out.rule = win.rule;
  const std::string dir = o.out_dir + "/";
  const auto finish = [&](std::shared_ptr<fasttext::FastText>& ft, Task task, const char* file) -> Status {
    if (o.quantize) {
      auto train_file = training_file(ctx, task, win.hyper.balance);
      if (!train_file) return tl::unexpected(train_file.error());
      if (auto st = quantize(*ft, *train_file, o); !st) return st;
    }
    auto sha = save_model(*ft, dir + file);
    if (!sha) return tl::unexpected(sha.error());
    out.sha256[file] = *sha;
    return {};
  };
  std::error_code ec;
  if (win.type == ModelType::kCascade) {
    if (auto st = finish(out.first, Task::kRequest, kRequestFile); !st) return tl::unexpected(st.error());
    if (auto st = finish(out.second, Task::kOffer, kOfferFile); !st) return tl::unexpected(st.error());
    std::filesystem::remove(dir + kActionableFile, ec);
  } else {
    if (auto st = finish(out.first, Task::kActionable, kActionableFile); !st) return tl::unexpected(st.error());
    std::filesystem::remove(dir + kRequestFile, ec);
    std::filesystem::remove(dir + kOfferFile, ec);
  }
  std::filesystem::remove(dir + kLinearHeadFile, ec);
  // Quantisation moves the probabilities a little: tune the rule again, on validation only,
  // on the models as they are saved.
  if (win.prior && o.quantize) {
    Scores val_scores;
    if (win.type == ModelType::kCascade) {
      val_scores.request = yes_probs(wrap(out.first, false), p, val);
      val_scores.offer = yes_probs(wrap(out.second, false), p, val);
    } else {
      val_scores.softmax = softmax_probs(wrap(out.first, false), p, val);
    }
    out.rule = tune_rule(win.type, true, val_scores, val_truth);
  }
  if (auto st = write_file_atomic(dir + kDecisionFile, format_decision_rule(out.rule)); !st) {
    return tl::unexpected(st.error());
  }
  return out;
}

struct ResourcesOutcome {
  Features features;
  Hyper hyper;
  double validation_macro_f1 = -1;
  std::vector<std::pair<std::pair<Features, Hyper>, double>> grid;
  std::string sha256;
  int64_t train_rows = 0;
};

Result<ResourcesOutcome> train_resources(TrainContext& ctx, const std::function<void()>& step) {
  const TrainOptions& o = ctx.options;
  const std::vector<size_t> val = rows_for(ctx.p, ctx.split.validation, Task::kResources);
  const bool tuning = o.tune && !val.empty();
  ResourcesOutcome out;
  out.train_rows = static_cast<int64_t>(rows_for(ctx.p, ctx.split.train, Task::kResources).size());
  if (auto f = training_file(ctx, Task::kResources, false); !f) return tl::unexpected(f.error());
  std::shared_ptr<fasttext::FastText> best;
  size_t best_order = SIZE_MAX;
  std::mutex mu;
  // Two stages as for the actionable models.
  const auto run_stage = [&](const std::vector<std::pair<Features, Hyper>>& jobs) -> Status {
    const size_t base = out.grid.size();
    out.grid.resize(base + jobs.size());
    return run_jobs(jobs.size(), o.grid_threads, [&](size_t k) -> Status {
      auto ft = train_fasttext(ctx, Task::kResources, jobs[k].first, jobs[k].second);
      if (!ft) return tl::unexpected(ft.error());
      const double score = tuning ? resources_score(wrap(*ft, true), ctx.p, val) : -1;
      std::lock_guard lock(mu);
      out.grid[base + k] = {jobs[k], score};
      if (!best || score > out.validation_macro_f1 || (score == out.validation_macro_f1 && base + k < best_order)) {
        best = *ft;
        best_order = base + k;
        out.features = jobs[k].first;
        out.hyper = jobs[k].second;
        out.validation_macro_f1 = score;
      }
      step();
      return {};
    });
  };
  const std::vector<Features> features = feature_grid(ctx, true);
  std::vector<std::pair<Features, Hyper>> stage1, stage2;
  for (const Hyper& h : hyper_grid(o, false)) stage1.push_back({features.front(), h});
  if (auto st = run_stage(stage1); !st) return tl::unexpected(st.error());
  const Hyper top = out.hyper;
  for (size_t f = 1; f < features.size(); ++f) stage2.push_back({features[f], top});
  if (auto st = run_stage(stage2); !st) return tl::unexpected(st.error());
  if (o.quantize) {
    auto train_file = training_file(ctx, Task::kResources, false);
    if (!train_file) return tl::unexpected(train_file.error());
    if (auto st = quantize(*best, *train_file, o); !st) return tl::unexpected(st.error());
  }
  auto sha = save_model(*best, o.out_dir + "/" + kResourcesFile);
  if (!sha) return tl::unexpected(sha.error());
  out.sha256 = *sha;
  return out;
}

TrainResult evaluate_rows(const Classifier& classifier, const Prepared& p, const std::vector<size_t>& rows,
                          uint64_t seed, int threads) {
  std::vector<std::string_view> texts;
  texts.reserve(rows.size());
  for (size_t i : rows) texts.push_back(p.normalized[i]);
  std::vector<Classification> out(rows.size());
  classifier.classify_batch(texts, out, threads);
  std::vector<Label> truth, pred;
  std::vector<std::string> langs;
  std::vector<std::vector<std::string>> t_res, p_res;
  for (size_t k = 0; k < rows.size(); ++k) {
    const LabelledPost& post = p.posts[rows[k]];
    if (post.label != Label::kUnknown) {
      truth.push_back(post.label);
      pred.push_back(out[k].label);
      langs.push_back(post.lang);
    }
    if (post.has_resources) {
      t_res.push_back(post.resources);
      p_res.push_back(out[k].resources);
    }
  }
  TrainResult result;
  result.actionable = actionable_report(truth, pred, seed, 1000);
  result.actionable.languages = language_reports(truth, pred, langs, kMinLanguageRows, seed, 1000);
  result.resources = resources_report(t_res, p_res, seed, 1000);
  return result;
}

void write_features(JsonWriter& w, const Features& f) {
  w.key("pretrained_vectors").value(f.pretrained == VectorSource::kPretrained);
  w.key("domain_vectors").value(f.pretrained == VectorSource::kDomain);
  w.key("char_ngrams").value(f.char_ngrams);
}

void write_hyper(JsonWriter& w, const Hyper& h) {
  w.key("epochs").value(h.epochs);
  w.key("lr").value(h.lr);
  w.key("balance_rare_classes").value(h.balance);
}

void write_rule(JsonWriter& w, const DecisionRule& r) {
  w.begin_object();
  w.key("type").value(model_type_name(r.type));
  if (r.type == ModelType::kCascade) {
    w.key("request_threshold").value(static_cast<double>(r.request_threshold));
    w.key("offer_threshold").value(static_cast<double>(r.offer_threshold));
  } else {
    if (r.type == ModelType::kLinearHead) w.key("encoder").value(r.encoder);
    w.key("bias").begin_object();
    for (size_t c = 0; c < kNumLabels; ++c) w.key(label_name(static_cast<Label>(c))).value(static_cast<double>(r.bias[c]));
    w.end_object();
  }
  w.end_object();
}

void write_candidate(JsonWriter& w, const Candidate& c) {
  w.begin_object();
  w.key("variant").value(variant_name(c));
  w.key("model_type").value(model_type_name(c.type));
  w.key("prior_correction").value(c.prior);
  write_features(w, c.features);
  write_hyper(w, c.hyper);
  w.key("validation_macro_f1").value(c.validation_macro_f1);
  w.end_object();
}

struct ManifestInput {
  const TrainOptions& o;
  const std::string& data_sha;
  const Prepared& p;
  const Split& split;
  const ActionableOutcome& act;
  const ResourcesOutcome& res;
  const TrainResult& result;
  const std::vector<Label>& test_truth;
  const std::vector<std::string>& test_langs;
  const std::string& domain_vectors_sha;  // empty without --domain-vectors
};

std::string manifest_json(const ManifestInput& in) {
  const TrainOptions& o = in.o;
  JsonWriter w;
  w.begin_object();
  w.key("command").value(o.command_line);
  w.key("seed").value(o.seed);
  w.key("trainer").begin_object();
  w.key("library").value("libfasttext 0.9.2 (supervised)");
  w.key("threads").value(o.threads);
  w.key("reproducible").value(o.threads <= 1);
  w.key("dim").value(o.dim);
  w.key("pretrained_dim").value(in.act.first ? in.act.first->getDimension() : 0);
  if (!in.domain_vectors_sha.empty()) {
    // The .vec file is not shipped: its hash says which vectors a retraining needs.
    w.key("domain_vectors").begin_object().key("path").value(o.domain_vectors_path);
    w.key("sha256").value(in.domain_vectors_sha).end_object();
  }
  w.key("word_ngrams").value(o.word_ngrams);
  w.key("char_ngrams_when_on").begin_array().value(o.min_char_ngram).value(o.max_char_ngram).end_array();
  w.key("bucket").value(o.bucket);
  w.key("min_count").value(1);
  w.key("tuned_on_validation").value(o.tune);
  w.key("quantized").value(o.quantize);
  if (o.quantize) {
    w.key("quantize_cutoff").value(o.quantize_cutoff);
    w.key("quantize_dsub").value(2);
    w.key("quantize_qnorm").value(true);
  }
  w.key("input").value("crema::text::normalize_text then fasttext_input (lower-cased word tokens)");
  w.end_object();
  w.key("data").begin_object();
  w.key("path").value(o.data_path);
  w.key("sha256").value(in.data_sha);
  w.key("rows").value(static_cast<int64_t>(in.p.posts.size()));
  w.key("synthetic_excluded").value(o.exclude_synthetic);
  w.key("split").value("stratified 70/10/20 by label, groups kept together, SplitMix64 seed");
  w.key("train").value(static_cast<int64_t>(in.split.train.size()));
  w.key("validation").value(static_cast<int64_t>(in.split.validation.size()));
  w.key("test").value(static_cast<int64_t>(in.split.test.size()));
  w.end_object();

  const Candidate& win = in.act.grid[in.act.winner];
  w.key("actionable").begin_object();
  w.key("chosen").begin_object();
  w.key("variant").value(variant_name(win));
  w.key("model_type").value(model_type_name(win.type));
  w.key("prior_correction").value(win.prior);
  write_features(w, win.features);
  write_hyper(w, win.hyper);
  w.key("validation_macro_f1").value(win.validation_macro_f1);
  w.end_object();
  w.key("decision").value(kDecisionFile);
  w.key("rule");
  write_rule(w, in.act.rule);
  w.key("files").begin_object();
  for (const auto& [file, sha] : in.act.sha256) w.key(file).value(sha);
  w.end_object();
  w.key("train_rows").value(in.act.train_rows);
  // Each variant's best configuration by validation, with its test scores (unquantized
  // in-memory model): for the comparison table only, never for choosing.
  w.key("variants").begin_array();
  for (size_t k : in.act.variant_best) {
    const Candidate& c = in.act.grid[k];
    EvalReport r = actionable_report(in.test_truth, c.test_pred, o.seed, 1000);
    r.languages = language_reports(in.test_truth, c.test_pred, in.test_langs, kMinLanguageRows, o.seed, 1000);
    w.begin_object();
    w.key("variant").value(variant_name(c));
    write_hyper(w, c.hyper);
    w.key("validation_macro_f1").value(c.validation_macro_f1);
    w.key("test_unquantized").raw(r.to_json());
    w.end_object();
  }
  w.end_array();
  w.key("grid").begin_array();
  for (const Candidate& c : in.act.grid) write_candidate(w, c);
  w.end_array();
  w.key("test").raw(in.result.actionable.to_json());
  w.end_object();

  w.key("resources").begin_object();
  w.key("file").value(kResourcesFile);
  w.key("words_only").value(o.resources_words_only);
  w.key("sha256").value(in.res.sha256);
  w.key("loss").value("ova");
  w.key("threshold").value(static_cast<double>(kResourceThreshold));
  w.key("train_rows").value(in.res.train_rows);
  w.key("chosen").begin_object();
  write_features(w, in.res.features);
  write_hyper(w, in.res.hyper);
  w.key("validation_macro_f1").value(in.res.validation_macro_f1);
  w.end_object();
  w.key("grid").begin_array();
  for (const auto& [fh, score] : in.res.grid) {
    w.begin_object();
    write_features(w, fh.first);
    write_hyper(w, fh.second);
    w.key("validation_macro_f1").value(score);
    w.end_object();
  }
  w.end_array();
  w.key("test").raw(in.result.resources.to_json());
  w.end_object();
  w.end_object();
  return w.take() + "\n";
}

std::string report_text(const EvalReport& r, const std::string& heading) { return heading + "\n" + r.to_text(); }

}  // namespace

Result<TrainResult> train_classifiers(const TrainOptions& options) {
  if (options.dim < 1 || options.dim > 1000 || options.epochs < 1 || options.word_ngrams < 1 ||
      options.word_ngrams > 5 || !(options.learning_rate > 0) || options.bucket < 1 ||
      options.min_char_ngram < 1 || options.max_char_ngram < options.min_char_ngram ||
      options.max_char_ngram > 8 || (options.quantize && options.quantize_cutoff < 256) ||
      (options.softmax == GridChoice::kOff && options.cascade == GridChoice::kOff)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "training options out of range (dim 1..1000, epochs >= 1, word n-grams 1..5, char n-grams "
                      "1 <= min <= max <= 8, lr > 0, bucket >= 1, quantize cutoff >= 256, softmax-4 or cascade)");
  }
  auto prepared = hash_and_prepare(options.data_path, options.threads, options.exclude_synthetic);
  if (!prepared) return tl::unexpected(prepared.error());
  const std::string& data_sha = prepared->first;
  const Prepared& p = prepared->second;
  std::set<Label> labels;
  size_t with_resources = 0;
  for (const LabelledPost& post : p.posts) {
    if (post.label != Label::kUnknown) labels.insert(post.label);
    with_resources += post.has_resources ? 1 : 0;
  }
  if (labels.size() < 2 || with_resources == 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      options.data_path + ": need at least two labels and some rows with resources to train");
  }
  if (auto st = ensure_directory(options.out_dir); !st) return tl::unexpected(st.error());
  const Split split = stratified_split(p.posts, options.seed);
  TrainContext ctx{options, p, split, {}, {}};

  // Pretrained vectors for the words of the training part only.
  Pretrained pretrained, domain;
  const auto pre_axis = axis_of(options, options.pretrained);
  if (std::find(pre_axis.begin(), pre_axis.end(), true) != pre_axis.end()) {
    std::set<std::string> words;
    for (size_t i : split.train) {
      for (const std::string& w : text::word_tokens(p.normalized[i])) words.insert(w);
    }
    const std::string glove = options.pretrained_path.empty() ? resource_path("models/glove-sif/glove-sif.bin")
                                                              : options.pretrained_path;
    auto written = write_pretrained(glove, words, options.out_dir + "/.pretrained.vec");
    if (!written) return tl::unexpected(written.error());
    pretrained = std::move(*written);
    ctx.vectors[static_cast<size_t>(VectorSource::kPretrained)] = &pretrained;
    if (!options.domain_vectors_path.empty()) {
      auto domain_written = write_pretrained(options.domain_vectors_path, words, options.out_dir + "/.domain.vec");
      if (!domain_written) return tl::unexpected(domain_written.error());
      domain = std::move(*domain_written);
      ctx.vectors[static_cast<size_t>(VectorSource::kDomain)] = &domain;
    }
  }

  const uint64_t features = feature_grid(ctx).size();
  const uint64_t res_features = feature_grid(ctx, true).size();
  const uint64_t types = type_grid(options).size();
  const uint64_t total_runs = types * (hyper_grid(options, true).size() + features - 1) +
                              hyper_grid(options, false).size() + res_features - 1;
  uint64_t done = 0;
  const auto step = [&] {
    ++done;
    if (options.progress) options.progress("train", done, total_runs);
  };
  auto act = train_actionable(ctx, step);
  if (!act) return tl::unexpected(act.error());
  auto res = train_resources(ctx, step);
  if (!res) return tl::unexpected(res.error());

  auto classifier = Classifier::load(options.out_dir);
  if (!classifier) return tl::unexpected(classifier.error());
  TrainResult result = evaluate_rows(**classifier, p, split.test, options.seed, resolve_threads(options.threads));
  result.chosen = variant_name(act->grid[act->winner]);

  std::vector<Label> test_truth;
  std::vector<std::string> test_langs;
  for (size_t i : rows_for(p, split.test, Task::kActionable)) {
    test_truth.push_back(p.posts[i].label);
    test_langs.push_back(p.posts[i].lang);
  }
  const std::string dir = options.out_dir + "/";
  const std::string note = "test split (20%) of " + options.data_path + ", seed " + std::to_string(options.seed) +
                           "; actionable model: " + result.chosen;
  for (const auto& [name, report] : {std::pair{"actionable", &result.actionable}, {"resources", &result.resources}}) {
    if (auto st = write_file_atomic(dir + name + ".report.txt", report_text(*report, note)); !st) {
      return tl::unexpected(st.error());
    }
    if (auto st = write_file_atomic(dir + name + ".report.json", report->to_json() + "\n"); !st) {
      return tl::unexpected(st.error());
    }
  }
  const ManifestInput in{options,    data_sha,   p,         split, *act, *res, result,
                         test_truth, test_langs, domain.source_sha256};
  if (auto st = write_file_atomic(dir + "manifest.json", manifest_json(in)); !st) return tl::unexpected(st.error());
  return result;
}

Result<TrainResult> evaluate_classifiers(const std::string& model_dir, const std::string& data_path,
                                         bool test_split_only, uint64_t seed, int threads) {
  return evaluate_classifiers(model_dir, data_path, test_split_only ? EvalPart::kTest : EvalPart::kAll, seed, threads);
}

Result<TrainResult> evaluate_classifiers(const std::string& model_dir, const std::string& data_path, EvalPart part,
                                         uint64_t seed, int threads) {
  auto classifier = Classifier::load(model_dir);
  if (!classifier) return tl::unexpected(classifier.error());
  auto prepared = prepare(data_path, threads);
  if (!prepared) return tl::unexpected(prepared.error());
  std::vector<size_t> rows;
  switch (part) {
    case EvalPart::kTest: rows = stratified_split(prepared->posts, seed).test; break;
    case EvalPart::kValidation: rows = stratified_split(prepared->posts, seed).validation; break;
    case EvalPart::kAll:
      rows.resize(prepared->posts.size());
      for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
      break;
  }
  return evaluate_rows(**classifier, *prepared, rows, seed, resolve_threads(threads));
}

namespace {

std::string l2_text(double l2) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", l2);
  return buf;
}

std::string linear_variant(const std::string& encoder, const LinearHeadGridPoint& g) {
  return "linear-head(" + encoder + ")" + (g.prior ? "+prior" : "") + ", l2 " + l2_text(g.l2);
}

EvalReport report_with_languages(const std::vector<Label>& truth, const std::vector<Label>& pred,
                                 const std::vector<std::string>& langs, uint64_t seed) {
  EvalReport r = actionable_report(truth, pred, seed, 1000);
  r.languages = language_reports(truth, pred, langs, kMinLanguageRows, seed, 1000);
  return r;
}

// Copies the fastText models a feature spec names ("fasttext:PATH" parts, PATH as the user
// gave it) into the model directory as features-N.ftz and returns the spec naming the copies,
// so the directory loads from anywhere. Copies left by an earlier run are removed.
Result<std::string> bundle_feature_models(std::string_view spec, const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("features-") && name.ends_with(".ftz")) std::filesystem::remove(entry.path(), ec);
  }
  std::string saved;
  int copies = 0;
  size_t start = 0;
  while (true) {
    const size_t plus = spec.find('+', start);
    std::string_view part = spec.substr(start, plus == std::string_view::npos ? std::string_view::npos : plus - start);
    if (!saved.empty()) saved += '+';
    if (part.starts_with("fasttext:")) {
      auto bytes = read_file(std::string(part.substr(9)));
      if (!bytes) return tl::unexpected(bytes.error());
      const std::string file = "features-" + std::to_string(++copies) + ".ftz";
      if (auto st = write_file_atomic(dir + "/" + file, *bytes); !st) return tl::unexpected(st.error());
      saved += "fasttext:" + file;
    } else {
      saved += part;
    }
    if (plus == std::string_view::npos) break;
    start = plus + 1;
  }
  return saved;
}

}  // namespace

Result<LinearHeadTrainResult> train_linear_head_classifier(const LinearHeadClassifierOptions& options) {
  if (options.l2_grid.empty() ||
      std::any_of(options.l2_grid.begin(), options.l2_grid.end(), [](double v) { return !(v >= 0) || !std::isfinite(v); }) ||
      !valid_encoder_spec(options.encoder)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "linear head: need an encoder name and a non-empty grid of finite l2 values >= 0");
  }
  auto encoder = make_feature_encoder(options.encoder);
  if (!encoder) return tl::unexpected(encoder.error());
  auto prepared = hash_and_prepare(options.data_path, options.threads, options.exclude_synthetic);
  if (!prepared) return tl::unexpected(prepared.error());
  const std::string& data_sha = prepared->first;
  const Prepared& p = prepared->second;
  const Split split = stratified_split(p.posts, options.seed);
  const std::vector<size_t> train_rows = rows_for(p, split.train, Task::kActionable);
  const std::vector<size_t> val_rows = rows_for(p, split.validation, Task::kActionable);
  std::set<Label> train_labels;
  for (size_t i : train_rows) train_labels.insert(p.posts[i].label);
  if (train_labels.size() < 2 || val_rows.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      options.data_path + ": need at least two labels in the training part and a validation part");
  }
  if (auto st = ensure_directory(options.out_dir); !st) return tl::unexpected(st.error());
  auto saved_encoder = bundle_feature_models(options.encoder, options.out_dir);
  if (!saved_encoder) return tl::unexpected(saved_encoder.error());

  // Every labelled row of train and validation is encoded once; the features stay in memory.
  const size_t d = (*encoder)->dim();
  const auto encode_rows = [&](const std::vector<size_t>& rows) -> Result<std::vector<float>> {
    std::vector<std::string_view> texts;
    texts.reserve(rows.size());
    for (size_t i : rows) texts.push_back(p.normalized[i]);
    std::vector<float> out(rows.size() * d, 0.0f);
    constexpr size_t kChunk = 512;
    for (size_t at = 0; at < rows.size(); at += kChunk) {
      const size_t m = std::min(kChunk, rows.size() - at);
      if (auto st = (*encoder)->encode(std::span(texts).subspan(at, m), std::span(out).subspan(at * d, m * d),
                                       resolve_threads(options.threads));
          !st) {
        return tl::unexpected(st.error());
      }
      if (options.progress) options.progress("encode", at + m, rows.size());
    }
    return out;
  };
  auto train_x = encode_rows(train_rows);
  if (!train_x) return tl::unexpected(train_x.error());
  auto val_x = encode_rows(val_rows);
  if (!val_x) return tl::unexpected(val_x.error());
  std::vector<Label> train_y, val_y;
  std::vector<std::string> val_langs;
  for (size_t i : train_rows) train_y.push_back(p.posts[i].label);
  for (size_t i : val_rows) {
    val_y.push_back(p.posts[i].label);
    val_langs.push_back(p.posts[i].lang);
  }

  LinearHeadTrainResult result;
  std::vector<LinearHead> heads;
  std::vector<DecisionRule> rules;
  std::vector<std::vector<Label>> val_preds;
  const std::vector<bool> priors = options.prior_correction == GridChoice::kBoth ? std::vector<bool>{false, true}
                                   : options.prior_correction == GridChoice::kOn ? std::vector<bool>{true}
                                                                                 : std::vector<bool>{false};
  uint64_t done = 0;
  for (double l2 : options.l2_grid) {
    LinearHeadTrainOptions ho;
    ho.l2 = l2;
    ho.class_weights = options.class_weights;
    ho.standardize = options.standardize;
    ho.threads = resolve_threads(options.threads);
    auto head = train_linear_head(*train_x, d, train_y, ho);
    if (!head) return tl::unexpected(head.error());
    head->encoder = *saved_encoder;
    std::vector<std::array<float, kNumLabels>> probs(val_rows.size());
    for (size_t k = 0; k < val_rows.size(); ++k) probs[k] = head->probs(std::span(*val_x).subspan(k * d, d));
    for (bool prior : priors) {
      DecisionRule rule;
      rule.type = ModelType::kLinearHead;
      rule.encoder = *saved_encoder;
      if (prior) rule.bias = tune_prior_bias(probs, val_y, kMinTuningSupport);
      std::vector<Label> pred;
      for (const auto& pr : probs) pred.push_back(biased_argmax(pr, rule.bias));
      result.grid.push_back({l2, prior, macro_f1_of(val_y, pred, kMinTuningSupport)});
      heads.push_back(*head);
      rules.push_back(rule);
      val_preds.push_back(std::move(pred));
    }
    if (options.progress) options.progress("train", ++done, options.l2_grid.size());
  }
  for (size_t k = 1; k < result.grid.size(); ++k) {
    if (result.grid[k].validation_macro_f1 > result.grid[result.winner].validation_macro_f1) result.winner = k;
  }
  const size_t win = result.winner;
  result.chosen = linear_variant(options.encoder, result.grid[win]);
  result.validation = report_with_languages(val_y, val_preds[win], val_langs, options.seed);

  const std::string dir = options.out_dir + "/";
  std::string resources_sha;
  if (!options.resources_model.empty()) {
    auto bytes = read_file(options.resources_model);
    if (!bytes) return tl::unexpected(bytes.error());
    resources_sha = sha256_hex(*bytes);
    if (auto st = write_file_atomic(dir + kResourcesFile, *bytes); !st) return tl::unexpected(st.error());
  } else {
    std::error_code ec;
    std::filesystem::remove(dir + kResourcesFile, ec);
  }
  const std::string head_bytes = serialize_linear_head(heads[win]);
  if (auto st = write_file_atomic(dir + kLinearHeadFile, head_bytes); !st) return tl::unexpected(st.error());
  if (auto st = write_file_atomic(dir + kDecisionFile, format_decision_rule(rules[win])); !st) {
    return tl::unexpected(st.error());
  }
  for (const char* stale : {kActionableFile, kRequestFile, kOfferFile}) {
    std::error_code ec;
    std::filesystem::remove(dir + stale, ec);
  }

  // The test part is scored once, on the directory as saved and loaded.
  auto classifier = Classifier::load(options.out_dir);
  if (!classifier) return tl::unexpected(classifier.error());
  result.test = evaluate_rows(**classifier, p, split.test, options.seed, resolve_threads(options.threads));
  result.test.chosen = result.chosen;
  const std::string note = "test split (20%) of " + options.data_path + ", seed " + std::to_string(options.seed) +
                           "; actionable model: " + result.chosen;
  if (auto st = write_file_atomic(dir + "actionable.report.txt", report_text(result.test.actionable, note)); !st) {
    return tl::unexpected(st.error());
  }
  if (auto st = write_file_atomic(dir + "actionable.report.json", result.test.actionable.to_json() + "\n"); !st) {
    return tl::unexpected(st.error());
  }
  for (const char* name : {"resources.report.txt", "resources.report.json"}) {
    std::error_code ec;
    if (options.resources_model.empty()) std::filesystem::remove(dir + name, ec);
  }
  if (!options.resources_model.empty()) {
    if (auto st = write_file_atomic(dir + "resources.report.txt", report_text(result.test.resources, note)); !st) {
      return tl::unexpected(st.error());
    }
    if (auto st = write_file_atomic(dir + "resources.report.json", result.test.resources.to_json() + "\n"); !st) {
      return tl::unexpected(st.error());
    }
  }

  JsonWriter w;
  w.begin_object();
  w.key("command").value(options.command_line);
  w.key("seed").value(options.seed);
  w.key("trainer").begin_object();
  w.key("library").value("crema linear head: multinomial logistic regression, full-batch L-BFGS (memory 10)");
  w.key("encoder").value(options.encoder);
  w.key("encoder_in_directory").value(*saved_encoder);
  w.key("dim").value(static_cast<uint64_t>(d));
  w.key("class_weights").value(options.class_weights ? "inverse frequency n/(k n_c)" : "none");
  w.key("standardized_features").value(options.standardize);
  w.key("max_iterations").value(LinearHeadTrainOptions{}.max_iterations);
  w.key("reproducible").value(true);
  w.key("input").value("crema::text::normalize_text, then the encoder");
  w.end_object();
  w.key("data").begin_object();
  w.key("path").value(options.data_path);
  w.key("sha256").value(data_sha);
  w.key("rows").value(static_cast<int64_t>(p.posts.size()));
  w.key("synthetic_excluded").value(options.exclude_synthetic);
  w.key("split").value("stratified 70/10/20 by label, groups kept together, SplitMix64 seed");
  w.key("train").value(static_cast<int64_t>(split.train.size()));
  w.key("validation").value(static_cast<int64_t>(split.validation.size()));
  w.key("test").value(static_cast<int64_t>(split.test.size()));
  w.end_object();
  w.key("actionable").begin_object();
  w.key("chosen").value(result.chosen);
  w.key("decision").value(kDecisionFile);
  w.key("rule");
  write_rule(w, rules[win]);
  w.key("files").begin_object();
  w.key(kLinearHeadFile).value(sha256_hex(head_bytes));
  w.end_object();
  w.key("train_rows").value(static_cast<int64_t>(train_rows.size()));
  w.key("grid").begin_array();
  for (const LinearHeadGridPoint& g : result.grid) {
    w.begin_object();
    w.key("l2").value(g.l2);
    w.key("prior_correction").value(g.prior);
    w.key("validation_macro_f1").value(g.validation_macro_f1);
    w.end_object();
  }
  w.end_array();
  w.key("validation").raw(result.validation.to_json());
  w.key("test").raw(result.test.actionable.to_json());
  w.end_object();
  w.key("resources").begin_object();
  w.key("file").value(options.resources_model.empty() ? "" : kResourcesFile);
  w.key("copied_from").value(options.resources_model);
  w.key("sha256").value(resources_sha);
  if (!options.resources_model.empty()) w.key("test").raw(result.test.resources.to_json());
  w.end_object();
  w.end_object();
  if (auto st = write_file_atomic(dir + "manifest.json", w.take() + "\n"); !st) return tl::unexpected(st.error());
  return result;
}

}  // namespace crema::classify
