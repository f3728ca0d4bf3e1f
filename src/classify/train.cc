// Training (fastText supervised, reproducible with one thread and a seed) and evaluation.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include <fasttext/fasttext.h>

#include "crema/classify/classifier.h"
#include "crema/classify/evaluation.h"
#include "crema/common/file_io.h"
#include "crema/common/json_writer.h"
#include "crema/common/parallel.h"
#include "crema/text/normalize.h"
#include "fasttext_model.h"

namespace crema::classify {
namespace {

constexpr const char* kActionableFile = "actionable.ftz";
constexpr const char* kResourcesFile = "resources.ftz";
constexpr const char* kNoResource = "none";  // pseudo-label: the post names no resource
// Grid: epochs {5, 25} x lr {0.2, 1.0}, x rare-class oversampling {off, on} for actionable.
constexpr uint64_t kGridRuns = 8 + 4;
constexpr int64_t kMaxRepeats = 30;

// Labelled posts with their normalised text and the line the models see.
struct Prepared {
  std::vector<LabelledPost> posts;
  std::vector<std::string> normalized;
  std::vector<std::string> inputs;
};

Result<Prepared> prepare(const std::string& data_path, int threads) {
  auto posts = load_labelled(data_path);
  if (!posts) return tl::unexpected(posts.error());
  Prepared p;
  p.posts = std::move(*posts);
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

struct Config {
  int epochs = 25;
  double lr = 0.5;
  // Repeat each line round(largest class / its class) times, at most kMaxRepeats: the
  // fastText stand-in for CHO's class weights.
  bool balance = false;
  double validation_macro_f1 = -1;
};

std::string labelled_line(std::string_view labels, const std::string& input) {
  std::string line(labels);
  if (!input.empty()) {
    line.push_back(' ');
    line += input;
  }
  line.push_back('\n');
  return line;
}

// The training file of one task: train rows (repeated when balancing), shuffled with the seed.
std::string training_text(const Prepared& p, const std::vector<size_t>& rows, bool resources, bool balance,
                          uint64_t seed) {
  std::vector<std::string> lines;
  std::array<int64_t, kNumLabels + 1> per_class{};
  for (size_t i : rows) ++per_class[static_cast<size_t>(p.posts[i].label)];
  const int64_t largest = *std::max_element(per_class.begin(), per_class.end());
  for (size_t i : rows) {
    const LabelledPost& post = p.posts[i];
    if (resources) {
      std::string labels;
      for (const std::string& r : post.resources) labels += (labels.empty() ? "__label__" : " __label__") + r;
      if (labels.empty()) labels = std::string("__label__") + kNoResource;
      lines.push_back(labelled_line(labels, p.inputs[i]));
      continue;
    }
    std::string line = labelled_line("__label__" + std::string(label_name(post.label)), p.inputs[i]);
    int64_t repeats = 1;
    if (balance) {
      const int64_t count = per_class[static_cast<size_t>(post.label)];
      repeats = std::clamp<int64_t>(
          std::llround(static_cast<double>(largest) / static_cast<double>(count)), 1, kMaxRepeats);
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

Result<std::shared_ptr<fasttext::FastText>> train_fasttext(const std::string& train_file, bool ova,
                                                          const Config& config, const TrainOptions& options) {
  fasttext::Args args;
  args.input = train_file;
  args.model = fasttext::model_name::sup;
  args.loss = ova ? fasttext::loss_name::ova : fasttext::loss_name::softmax;
  args.dim = options.dim;
  args.wordNgrams = options.word_ngrams;
  args.bucket = options.bucket;
  args.minCount = 1;
  args.minn = options.min_char_ngram;
  args.maxn = options.max_char_ngram;
  args.epoch = config.epochs;
  args.lr = config.lr;
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

Label argmax_label(const FastTextModel& model, const std::vector<float>& probs) {
  Label best = Label::kIrrelevant;
  float best_p = -1;
  for (size_t i = 0; i < probs.size(); ++i) {
    if (probs[i] > best_p) {
      best_p = probs[i];
      best = parse_label(model.info.labels[i]).value_or(Label::kIrrelevant);
    }
  }
  return best;
}

std::vector<std::string> resources_above(const FastTextModel& model, const std::vector<float>& probs) {
  std::vector<std::string> out;
  for (size_t i = 0; i < probs.size(); ++i) {
    if (probs[i] >= kResourceThreshold && model.info.labels[i] != kNoResource) out.push_back(model.info.labels[i]);
  }
  return out;
}

// Validation macro-F1 of an in-memory model (no bootstrap).
double validation_score(const FastTextModel& model, const Prepared& p, const std::vector<size_t>& rows,
                        bool resources) {
  std::vector<float> probs;
  std::vector<Label> truth, pred;
  std::vector<std::vector<std::string>> t_res, p_res;
  for (size_t i : rows) {
    const std::string line = p.inputs[i] + "\n";
    model.predict(line, probs);
    if (resources) {
      t_res.push_back(p.posts[i].resources);
      p_res.push_back(resources_above(model, probs));
    } else {
      truth.push_back(p.posts[i].label);
      pred.push_back(argmax_label(model, probs));
    }
  }
  return resources ? resources_report(t_res, p_res, 0, 0).macro_f1 : actionable_report(truth, pred, 0, 0).macro_f1;
}

// Keeps a file for the duration of training and removes it afterwards.
struct TempFile {
  std::string path;
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

// fastText writes the model itself; we then re-write it crash-safely (fsync + rename).
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

struct TaskOutcome {
  Config config;
  std::vector<Config> grid;
  std::string sha256;
  int64_t train_lines = 0;
};

struct TaskRows {
  std::vector<size_t> train, validation;
};

TaskRows task_rows(const Prepared& p, const Split& split, bool resources) {
  const auto keep = [&](size_t i) {
    return resources ? p.posts[i].has_resources : p.posts[i].label != Label::kUnknown;
  };
  TaskRows rows;
  for (size_t i : split.train) {
    if (keep(i)) rows.train.push_back(i);
  }
  for (size_t i : split.validation) {
    if (keep(i)) rows.validation.push_back(i);
  }
  return rows;
}

Result<TaskOutcome> train_task(const Prepared& p, const Split& split, bool resources, const TrainOptions& options,
                               const std::function<void()>& step) {
  const TaskRows rows = task_rows(p, split, resources);
  const std::string file = std::string(resources ? kResourcesFile : kActionableFile);
  TaskOutcome outcome;
  std::vector<Config> grid;
  if (options.tune && !rows.validation.empty()) {
    for (bool balance : resources ? std::vector<bool>{false} : std::vector<bool>{false, true}) {
      for (int epochs : {5, 25}) {
        for (double lr : {0.2, 1.0}) grid.push_back(Config{epochs, lr, balance, -1});
      }
    }
  } else {
    grid.push_back(Config{options.epochs, options.learning_rate, false, -1});
  }
  std::map<bool, std::unique_ptr<TempFile>> train_files;
  for (const Config& config : grid) {
    const bool balance = config.balance;
    if (train_files.count(balance) != 0) continue;
    train_files[balance] = std::make_unique<TempFile>(
        TempFile{options.out_dir + "/." + file + (balance ? ".balanced" : "") + ".train.txt"});
    if (auto st = write_file_atomic(train_files[balance]->path,
                                    training_text(p, rows.train, resources, balance, options.seed));
        !st) {
      return tl::unexpected(st.error());
    }
  }
  std::shared_ptr<fasttext::FastText> best;
  for (Config& config : grid) {
    auto ft = train_fasttext(train_files[config.balance]->path, resources, config, options);
    if (!ft) return tl::unexpected(ft.error());
    if (grid.size() > 1) {
      config.validation_macro_f1 = validation_score(wrap(*ft, resources), p, rows.validation, resources);
      if (!best || config.validation_macro_f1 > outcome.config.validation_macro_f1) {
        best = *ft;
        outcome.config = config;
      }
    } else {
      best = *ft;
      outcome.config = config;
    }
    step();
  }
  outcome.grid = grid;
  outcome.train_lines = static_cast<int64_t>(rows.train.size());
  if (options.quantize) {
    fasttext::Args qargs;
    qargs.input = train_files[outcome.config.balance]->path;
    qargs.qout = false;
    qargs.qnorm = true;
    qargs.retrain = false;
    qargs.cutoff = options.quantize_cutoff;
    qargs.dsub = 2;
    qargs.verbose = 0;
    try {
      best->quantize(qargs);
    } catch (const std::exception& e) {
      return make_error(ErrorCode::kInvalidArgument, std::string("fastText quantization failed: ") + e.what());
    }
  }
  auto sha = save_model(*best, options.out_dir + "/" + file);
  if (!sha) return tl::unexpected(sha.error());
  outcome.sha256 = *sha;
  return outcome;
}

TrainResult evaluate_rows(const Classifier& classifier, const Prepared& p, const std::vector<size_t>& rows,
                          uint64_t seed, int threads) {
  std::vector<std::string_view> texts;
  texts.reserve(rows.size());
  for (size_t i : rows) texts.push_back(p.normalized[i]);
  std::vector<Classification> out(rows.size());
  classifier.classify_batch(texts, out, threads);
  std::vector<Label> truth, pred;
  std::vector<std::vector<std::string>> t_res, p_res;
  for (size_t k = 0; k < rows.size(); ++k) {
    const LabelledPost& post = p.posts[rows[k]];
    if (post.label != Label::kUnknown) {
      truth.push_back(post.label);
      pred.push_back(out[k].label);
    }
    if (post.has_resources) {
      t_res.push_back(post.resources);
      p_res.push_back(out[k].resources);
    }
  }
  TrainResult result;
  result.actionable = actionable_report(truth, pred, seed, 1000);
  result.resources = resources_report(t_res, p_res, seed, 1000);
  return result;
}

void write_config(JsonWriter& w, const Config& c, bool with_score) {
  w.begin_object();
  w.key("epochs").value(c.epochs);
  w.key("lr").value(c.lr);
  w.key("balance_rare_classes").value(c.balance);
  if (with_score) w.key("validation_macro_f1").value(c.validation_macro_f1);
  w.end_object();
}

std::string manifest_json(const TrainOptions& o, const std::string& data_sha, const Prepared& p, const Split& split,
                          const TaskOutcome& act, const TaskOutcome& res, const TrainResult& result) {
  JsonWriter w;
  w.begin_object();
  w.key("command").value(o.command_line);
  w.key("seed").value(o.seed);
  w.key("trainer").begin_object();
  w.key("library").value("libfasttext 0.9.2 (supervised)");
  w.key("threads").value(o.threads);
  w.key("reproducible").value(o.threads <= 1);
  w.key("dim").value(o.dim);
  w.key("word_ngrams").value(o.word_ngrams);
  w.key("char_ngrams").begin_array().value(o.min_char_ngram).value(o.max_char_ngram).end_array();
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
  w.key("sha256").value(data_sha);
  w.key("rows").value(static_cast<int64_t>(p.posts.size()));
  w.key("split").value("stratified 70/10/20 by label, groups kept together, SplitMix64 seed");
  w.key("train").value(static_cast<int64_t>(split.train.size()));
  w.key("validation").value(static_cast<int64_t>(split.validation.size()));
  w.key("test").value(static_cast<int64_t>(split.test.size()));
  w.end_object();
  for (const auto* task : {&act, &res}) {
    const bool is_res = task == &res;
    w.key(is_res ? "resources" : "actionable").begin_object();
    w.key("file").value(is_res ? kResourcesFile : kActionableFile);
    w.key("sha256").value(task->sha256);
    w.key("loss").value(is_res ? "ova" : "softmax");
    if (is_res) w.key("threshold").value(static_cast<double>(kResourceThreshold));
    w.key("train_rows").value(task->train_lines);
    w.key("chosen");
    write_config(w, task->config, task->grid.size() > 1);
    if (task->grid.size() > 1) {
      w.key("grid").begin_array();
      for (const Config& c : task->grid) write_config(w, c, true);
      w.end_array();
    }
    w.key("test").raw(is_res ? result.resources.to_json() : result.actionable.to_json());
    w.end_object();
  }
  w.end_object();
  return w.take() + "\n";
}

std::string report_text(const EvalReport& r, const std::string& heading) { return heading + "\n" + r.to_text(); }

}  // namespace

Result<TrainResult> train_classifiers(const TrainOptions& options) {
  if (options.dim < 1 || options.dim > 1000 || options.epochs < 1 || options.word_ngrams < 1 ||
      options.word_ngrams > 5 || !(options.learning_rate > 0) || options.bucket < 1 ||
      options.min_char_ngram < 0 || options.max_char_ngram < options.min_char_ngram ||
      options.max_char_ngram > 8 || (options.max_char_ngram > 0 && options.min_char_ngram < 1) ||
      (options.quantize && options.quantize_cutoff < 256)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "training options out of range (dim 1..1000, epochs >= 1, word n-grams 1..5, char n-grams 1 <= min <= max <= 8 or off, lr > 0, "
                      "bucket >= 1, quantize cutoff >= 256)");
  }
  auto data = read_file(options.data_path);
  if (!data) return tl::unexpected(data.error());
  const std::string data_sha = sha256_hex(*data);
  data->clear();
  auto prepared = prepare(options.data_path, options.threads);
  if (!prepared) return tl::unexpected(prepared.error());
  const Prepared& p = *prepared;
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

  const uint64_t total_runs = options.tune ? kGridRuns : 2;
  uint64_t done = 0;
  const auto step = [&] {
    ++done;
    if (options.progress) options.progress("train", done, total_runs);
  };
  auto act = train_task(p, split, false, options, step);
  if (!act) return tl::unexpected(act.error());
  auto res = train_task(p, split, true, options, step);
  if (!res) return tl::unexpected(res.error());

  auto classifier = Classifier::load(options.out_dir);
  if (!classifier) return tl::unexpected(classifier.error());
  TrainResult result = evaluate_rows(**classifier, p, split.test, options.seed, resolve_threads(options.threads));

  const std::string dir = options.out_dir + "/";
  const std::string note = "test split (20%) of " + options.data_path + ", seed " + std::to_string(options.seed);
  for (const auto& [name, report] : {std::pair{"actionable", &result.actionable}, {"resources", &result.resources}}) {
    if (auto st = write_file_atomic(dir + name + ".report.txt", report_text(*report, note)); !st) {
      return tl::unexpected(st.error());
    }
    if (auto st = write_file_atomic(dir + name + ".report.json", report->to_json() + "\n"); !st) {
      return tl::unexpected(st.error());
    }
  }
  if (auto st = write_file_atomic(dir + "manifest.json", manifest_json(options, data_sha, p, split, *act, *res, result));
      !st) {
    return tl::unexpected(st.error());
  }
  return result;
}

Result<TrainResult> evaluate_classifiers(const std::string& model_dir, const std::string& data_path,
                                         bool test_split_only, uint64_t seed, int threads) {
  auto classifier = Classifier::load(model_dir);
  if (!classifier) return tl::unexpected(classifier.error());
  auto prepared = prepare(data_path, threads);
  if (!prepared) return tl::unexpected(prepared.error());
  std::vector<size_t> rows;
  if (test_split_only) {
    rows = stratified_split(prepared->posts, seed).test;
  } else {
    rows.resize(prepared->posts.size());
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  }
  return evaluate_rows(**classifier, *prepared, rows, seed, resolve_threads(threads));
}

}  // namespace crema::classify
