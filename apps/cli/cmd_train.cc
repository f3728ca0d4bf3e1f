// crema train classifier: trains the built-in fastText classifiers (4-class actionable help
// and multi-label resources) on labelled JSONL and writes a model directory; with
// --encoder NAME, a linear head on that sentence encoder's features instead
// (crema/classify/linear_head.h).
#include <cstdio>
#include <memory>

#include "command.h"
#include "crema/classify/classifier.h"
#include "crema/classify/linear_head.h"
#include "crema/common/json_writer.h"
#include "crema/engine.h"

namespace crema::cli {
namespace {

struct TrainArgs {
  std::string data;
  std::string out;
  uint64_t seed = 42;
  int epochs = 0;  // 0: not given
  double lr = 0;   // 0: not given
  int dim = 50;
  int word_ngrams = 2;
  int minn = 3;
  int maxn = 5;
  int fasttext_threads = 1;
  bool no_quantize = false;
  bool no_tune = false;
  std::string model_type = "auto";  // auto | softmax | cascade
  std::string prior = "auto";       // auto | on | off (likewise pretrained, char_ngrams)
  std::string pretrained = "auto";
  std::string pretrained_vectors;
  std::string domain_vectors;
  std::string char_ngrams = "auto";
  bool no_synthetic = false;
  bool resources_words_only = false;
  std::string encoder = "fasttext";  // fasttext | an encoder spec for a linear head
  std::vector<double> l2;            // linear head: the l2 grid (empty = default grid)
  std::string resources_model;       // linear head: resources.ftz to copy in
  bool no_class_weights = false;
  bool no_standardize = false;
};

classify::GridChoice choice_of(const std::string& v) {
  return v == "on" ? classify::GridChoice::kOn : v == "off" ? classify::GridChoice::kOff : classify::GridChoice::kBoth;
}

// The command as it can be re-run (recorded in the manifest).
std::string command_line(const TrainArgs& a) {
  std::string cmd = "crema train classifier --data " + a.data + " --out " + a.out + " --seed " + std::to_string(a.seed);
  if (a.epochs > 0) cmd += " --epochs " + std::to_string(a.epochs);
  if (a.lr > 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", a.lr);
    cmd += std::string(" --lr ") + buf;
  }
  if (a.dim != 50) cmd += " --dim " + std::to_string(a.dim);
  if (a.word_ngrams != 2) cmd += " --word-ngrams " + std::to_string(a.word_ngrams);
  if (a.model_type != "auto") cmd += " --model-type " + a.model_type;
  if (a.prior != "auto") cmd += " --prior-correction " + a.prior;
  if (a.pretrained != "auto") cmd += " --pretrained " + a.pretrained;
  if (!a.pretrained_vectors.empty()) cmd += " --pretrained-vectors " + a.pretrained_vectors;
  if (!a.domain_vectors.empty()) cmd += " --domain-vectors " + a.domain_vectors;
  if (a.char_ngrams != "auto") cmd += " --char-ngrams " + a.char_ngrams;
  if (a.minn != 3 || a.maxn != 5) cmd += " --char-ngram-range " + std::to_string(a.minn) + "," + std::to_string(a.maxn);
  if (a.no_synthetic) cmd += " --no-synthetic";
  if (a.resources_words_only) cmd += " --resources-words-only";
  if (a.fasttext_threads != 1) cmd += " --fasttext-threads " + std::to_string(a.fasttext_threads);
  if (a.no_quantize) cmd += " --no-quantize";
  if (a.no_tune) cmd += " --no-tune";
  return cmd;
}

std::string linear_command_line(const TrainArgs& a) {
  std::string cmd = "crema train classifier --data " + a.data + " --out " + a.out + " --seed " + std::to_string(a.seed) +
                    " --encoder " + a.encoder;
  if (!a.l2.empty()) {
    cmd += " --l2 ";
    for (size_t i = 0; i < a.l2.size(); ++i) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s%g", i > 0 ? "," : "", a.l2[i]);
      cmd += buf;
    }
  }
  if (a.prior != "auto") cmd += " --prior-correction " + a.prior;
  if (!a.resources_model.empty()) cmd += " --resources-model " + a.resources_model;
  if (a.no_class_weights) cmd += " --no-class-weights";
  if (a.no_standardize) cmd += " --no-standardize";
  if (a.no_synthetic) cmd += " --no-synthetic";
  return cmd;
}

int run_train_linear(const TrainArgs& args, const GlobalOptions& global) {
  classify::LinearHeadClassifierOptions options;
  options.data_path = args.data;
  options.out_dir = args.out;
  options.encoder = args.encoder;
  options.seed = args.seed;
  options.threads = global.threads;
  if (!args.l2.empty()) options.l2_grid = args.l2;
  options.prior_correction = choice_of(args.prior);
  options.class_weights = !args.no_class_weights;
  options.standardize = !args.no_standardize;
  options.exclude_synthetic = args.no_synthetic;
  options.resources_model = args.resources_model;
  options.command_line = linear_command_line(args);
  ProgressBar bar(global.quiet);
  options.progress = bar.callback();
  engine::install_feature_encoders();  // the features come from crema::embed
  auto result = classify::train_linear_head_classifier(options);
  bar.finish();
  if (!result) return report_error(result.error());
  if (global.json) {
    std::string dir, chosen;
    append_json_string(dir, args.out);
    append_json_string(chosen, result->chosen);
    std::printf("{\"model_dir\":%s,\"chosen\":%s,\"validation\":%s,\"actionable\":%s}\n", dir.c_str(), chosen.c_str(),
                result->validation.to_json().c_str(), result->test.actionable.to_json().c_str());
  } else if (!global.quiet) {
    std::printf("model written to %s (chosen on validation: %s)\n\nvalidation split (10%%):\n%s\ntest split (20%%):\n%s",
                args.out.c_str(), result->chosen.c_str(), result->validation.to_text().c_str(),
                result->test.actionable.to_text().c_str());
  }
  return kExitOk;
}

int run_train(const TrainArgs& args, const GlobalOptions& global) {
  if (args.encoder != "fasttext") return run_train_linear(args, global);
  if (!args.domain_vectors.empty() && args.pretrained == "off") {
    return usage_error("--domain-vectors needs --pretrained auto or on");
  }
  if (!args.l2.empty() || !args.resources_model.empty() || args.no_class_weights || args.no_standardize) {
    return usage_error("--l2, --resources-model, --no-class-weights and --no-standardize belong to --encoder (a linear head)");
  }
  if (args.minn > args.maxn) return usage_error("--char-ngram-range: MIN must not exceed MAX");
  classify::TrainOptions options;
  options.data_path = args.data;
  options.out_dir = args.out;
  options.seed = args.seed;
  options.threads = args.fasttext_threads;
  options.grid_threads = global.threads;
  options.dim = args.dim;
  options.word_ngrams = args.word_ngrams;
  options.min_char_ngram = args.minn;
  options.max_char_ngram = args.maxn;
  options.quantize = !args.no_quantize;
  options.softmax = args.model_type == "cascade" ? classify::GridChoice::kOff : classify::GridChoice::kOn;
  options.cascade = args.model_type == "softmax" ? classify::GridChoice::kOff : classify::GridChoice::kOn;
  if (args.model_type == "auto") {
    options.softmax = classify::GridChoice::kBoth;
    options.cascade = classify::GridChoice::kBoth;
  }
  options.prior_correction = choice_of(args.prior);
  options.pretrained = choice_of(args.pretrained);
  options.pretrained_path = args.pretrained_vectors;
  options.domain_vectors_path = args.domain_vectors;
  options.char_ngrams = choice_of(args.char_ngrams);
  options.exclude_synthetic = args.no_synthetic;
  options.resources_words_only = args.resources_words_only;
  // An explicit epoch count or learning rate means "train exactly this".
  options.tune = !args.no_tune && args.epochs == 0 && args.lr == 0;
  if (args.epochs > 0) options.epochs = args.epochs;
  if (args.lr > 0) options.learning_rate = args.lr;
  options.command_line = command_line(args);
  ProgressBar bar(global.quiet);
  options.progress = bar.callback();
  auto result = classify::train_classifiers(options);
  bar.finish();
  if (!result) return report_error(result.error());
  if (global.json) {
    std::string dir;
    append_json_string(dir, args.out);
    std::string chosen;
    append_json_string(chosen, result->chosen);
    std::printf("{\"model_dir\":%s,\"chosen\":%s,\"actionable\":%s,\"resources\":%s}\n", dir.c_str(),
                chosen.c_str(), result->actionable.to_json().c_str(), result->resources.to_json().c_str());
  } else if (!global.quiet) {
    std::printf("models written to %s (chosen on validation: %s; test split, 20%%)\n\n%s\n%s", args.out.c_str(),
                result->chosen.c_str(), result->actionable.to_text().c_str(), result->resources.to_text().c_str());
  }
  return kExitOk;
}

void install_train(CLI::App& app, GlobalOptions& global, int& exit_code) {
  CLI::App* train = command_group(app, "train", "Train models on labelled data");
  CLI::App* cmd = train->add_subcommand(
      "classifier", "Train the actionable-help (request/offer) and resource classifiers (fastText, or a linear head on an "
      "encoder's features with --encoder)");
  auto args = std::make_shared<TrainArgs>();
  cmd->add_option("--data", args->data, "Labelled JSONL (text, label, resources, lang, source, source_id)")
      ->required();
  cmd->add_option("--out", args->out, "Model directory to write")->required();
  cmd->add_option("--seed", args->seed, "Seed for the split, shuffling and fastText (default 42)");
  cmd->add_option("--epochs", args->epochs, "Epochs (given: no grid search)")->check(CLI::Range(1, 1000));
  cmd->add_option("--lr", args->lr, "Learning rate (given: no grid search)")->check(CLI::Range(1e-6, 10.0));
  cmd->add_option("--dim", args->dim, "Embedding dimension (default 50)")->check(CLI::Range(1, 1000));
  cmd->add_option("--word-ngrams", args->word_ngrams, "Word n-gram length (default 2)")->check(CLI::Range(1, 5));
  const auto tri = CLI::IsMember({"auto", "on", "off"});
  cmd->add_option("--model-type", args->model_type,
                  "Actionable model: softmax (one 4-class model), cascade (request-vs-not and offer-vs-not) or auto "
                  "(both in the grid; default)")
      ->check(CLI::IsMember({"auto", "softmax", "cascade"}));
  cmd->add_option("--prior-correction", args->prior,
                  "Decision rule tuned on validation (softmax: per-class log-prior biases; cascade: thresholds): "
                  "auto (grid; default), on, off")
      ->check(tri);
  cmd->add_option("--pretrained", args->pretrained,
                  "Initialise word vectors from GloVe (dim then 100; or --pretrained-vectors, and --domain-vectors "
                  "as a further grid point): auto (grid; default), on, off")
      ->check(tri);
  cmd->add_option("--pretrained-vectors", args->pretrained_vectors,
                  "glove-sif or fastText .vec file for --pretrained (default models/glove-sif/glove-sif.bin)");
  cmd->add_option("--domain-vectors", args->domain_vectors,
                  "A second .vec file (crema train vectors): --pretrained on/auto then tries each file as its own "
                  "grid point (variants +pretrained and +domain)");
  cmd->add_option("--char-ngrams", args->char_ngrams, "Character n-grams of words: auto (grid; default), on, off")
      ->check(tri);
  cmd->add_option_function<std::vector<int>>(
         "--char-ngram-range",
         [args](const std::vector<int>& v) {
           args->minn = v[0];
           args->maxn = v[1];
         },
         "Character n-gram lengths MIN,MAX where they are on (default 3,5)")
      ->expected(2)
      ->delimiter(',')
      ->check(CLI::Range(1, 8));
  cmd->add_flag("--no-synthetic", args->no_synthetic, "Leave out the rows marked synthetic (for comparison)");
  cmd->add_flag("--resources-words-only", args->resources_words_only,
                "Resource model on plain words only (no vectors or char n-grams; faster classification)");
  cmd->add_option("--fasttext-threads", args->fasttext_threads,
                  "fastText training threads (default 1: bit-for-bit reproducible)")
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--no-quantize", args->no_quantize, "Write unquantized models (larger)");
  cmd->add_option("--encoder", args->encoder,
                  "fasttext (default: the fastText models) or a sentence encoder (tfidf, glove-sif, use-lite, hf:DIR, "
                  "...; several joined by '+' are concatenated): a linear head on its frozen features");
  cmd->add_option("--l2", args->l2, "Linear head: L2 strengths to try on validation (default 0.1,0.03,...,0.0001)")
      ->delimiter(',')
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--resources-model", args->resources_model,
                  "Linear head: a fastText resource model to copy in as resources.ftz (default: none)");
  cmd->add_flag("--no-class-weights", args->no_class_weights, "Linear head: every row weight 1 (default: inverse class frequency)");
  cmd->add_flag("--no-standardize", args->no_standardize,
                "Linear head: train on the encoder's rows as they are (default: each feature standardised)");
  cmd->add_flag("--no-tune", args->no_tune, "Skip the validation grid; use --epochs/--lr or the defaults (25, 0.5) and the axes set to on");
  cmd->callback([args, &global, &exit_code] { exit_code = run_train(*args, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("train-classifier", install_train);
}  // namespace crema::cli
