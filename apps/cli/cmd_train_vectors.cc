// crema train vectors: crisis-domain word vectors (fastText skipgram with character n-grams)
// from unlabelled text, for `crema train classifier --pretrained-vectors` (docs/classifier.md).
#include <chrono>
#include <cstdio>
#include <memory>

#include "command.h"
#include "crema/classify/vectors.h"
#include "crema/common/json_writer.h"

namespace crema::cli {
namespace {

struct VectorArgs {
  classify::VectorTrainOptions options;
};

int run_train_vectors(VectorArgs& args, const GlobalOptions& global) {
  classify::VectorTrainOptions& o = args.options;
  if ((o.min_char_ngram == 0) != (o.max_char_ngram == 0) || o.min_char_ngram > o.max_char_ngram) {
    return usage_error("--char-ngram-range: MIN must not exceed MAX (0,0 turns character n-grams off)");
  }
  ProgressBar bar(global.quiet);
  o.progress = bar.callback();
  const auto start = std::chrono::steady_clock::now();
  auto result = classify::train_vectors(o);
  bar.finish();
  if (!result) return report_error(result.error());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (global.json) {
    JsonWriter w;
    w.begin_object().key("out").value(o.out_path);
    w.key("records").value(result->records).key("held_out").value(result->held_out);
    w.key("lines").value(result->lines).key("tokens").value(result->tokens);
    w.key("words").value(result->words).key("dim").value(static_cast<int64_t>(result->dim));
    w.key("sha256").value(result->sha256).key("seconds").value(seconds).end_object();
    std::printf("%s\n", w.str().c_str());
  } else if (!global.quiet) {
    std::printf("vectors written to %s: %lld words x %d (sha256 %s)\n", o.out_path.c_str(),
                static_cast<long long>(result->words), result->dim, result->sha256.c_str());
    std::printf("corpus: %lld records (%lld held out), %lld lines, %lld tokens; %.0f s\n",
                static_cast<long long>(result->records), static_cast<long long>(result->held_out),
                static_cast<long long>(result->lines), static_cast<long long>(result->tokens), seconds);
  }
  return kExitOk;
}

void install_train_vectors(CLI::App& app, GlobalOptions& global, int& exit_code) {
  CLI::App* train = command_group(app, "train", "Train models on labelled data");
  CLI::App* cmd = train->add_subcommand(
      "vectors", "Train word vectors with character n-grams (fastText skipgram) on unlabelled text, as a .vec file "
                 "for train classifier --pretrained-vectors");
  auto args = std::make_shared<VectorArgs>();
  classify::VectorTrainOptions& o = args->options;
  cmd->add_option("--in", o.inputs,
                  "Corpus files: one record per line, texts of one record separated by TAB "
                  "(tools/make_vector_corpus.py writes one)")
      ->required()
      ->expected(1, -1);
  cmd->add_option("--out", o.out_path, "The .vec file to write")->required();
  cmd->add_option("--holdout-labels", o.holdout_labels,
                  "Labelled JSONL: leave out every record holding one of its validation or test posts (the split "
                  "train classifier makes with --seed)");
  cmd->add_option("--seed", o.seed, "Seed of that split and of fastText (default 42)");
  cmd->add_option("--dim", o.dim, "Vector dimension (default 100)")->check(CLI::Range(1, 1000));
  cmd->add_option("--epochs", o.epochs, "Epochs (default 5)")->check(CLI::Range(1, 1000));
  cmd->add_option("--min-count", o.min_count, "Words seen fewer times get no vector (default 5)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--window", o.window, "Context window (default 5)")->check(CLI::Range(1, 100));
  cmd->add_option("--lr", o.learning_rate, "Learning rate (default 0.05)")->check(CLI::Range(1e-6, 10.0));
  cmd->add_option_function<std::vector<int>>(
         "--char-ngram-range",
         [args](const std::vector<int>& v) {
           args->options.min_char_ngram = v[0];
           args->options.max_char_ngram = v[1];
         },
         "Character n-gram lengths MIN,MAX (default 3,6; 0,0 = none)")
      ->expected(2)
      ->delimiter(',')
      ->check(CLI::Range(0, 8));
  cmd->add_option("--fasttext-threads", o.threads, "fastText training threads (default 1: bit-for-bit reproducible)")
      ->check(CLI::Range(1, 256));
  cmd->callback([args, &global, &exit_code] { exit_code = run_train_vectors(*args, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("train-vectors", install_train_vectors);
}  // namespace crema::cli
