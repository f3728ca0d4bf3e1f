// crema train tokenizer: SentencePiece Unigram vocabulary over the repo's multilingual text,
// saved as a Hugging Face XLM-R tokenizer folder (docs/learn.md).
#include <cstdio>
#include <memory>

#include "command.h"
#include "crema/common/json_writer.h"
#include "crema/learn/tokenizer_train.h"

namespace crema::cli {
namespace {

struct TokenizerArgs {
  std::string out;
  std::string corpus;
  std::string data_dir;
  int vocab_size = 32000;
  size_t input_sentence_size = 0;
  uint64_t seed = 42;
  size_t verify_lines = 2000;
};

int run_train_tokenizer(const TokenizerArgs& args, const GlobalOptions& global) {
  learn::TokenizerTrainOptions options;
  options.out_dir = args.out;
  options.corpus_file = args.corpus;
  options.corpus.data_dir = args.data_dir;
  options.vocab_size = args.vocab_size;
  options.input_sentence_size = args.input_sentence_size;
  options.seed = args.seed;
  options.threads = global.threads > 0 ? global.threads : 1;
  options.verify_lines = args.verify_lines;
  ProgressBar bar(global.quiet);
  auto report = learn::train_tokenizer(options, bar.callback());
  bar.finish();
  if (!report) return report_error(report.error());
  if (global.json) {
    JsonWriter w;
    w.begin_object().key("out").value(args.out).key("vocab_size").value(static_cast<uint64_t>(report->vocab_size));
    w.key("corpus_lines").value(static_cast<uint64_t>(report->corpus.lines)).key("corpus_fnv1a64").value(report->corpus.fnv1a64);
    w.key("verified_lines").value(static_cast<uint64_t>(report->verified_lines));
    w.key("identical_lines").value(static_cast<uint64_t>(report->identical_lines));
    w.key("seconds").value(report->seconds).end_object();
    std::printf("%s\n", w.str().c_str());
  } else if (!global.quiet) {
    std::printf("tokenizer written to %s: %zu pieces from %zu corpus lines (%.0f s)\n", args.out.c_str(),
                report->vocab_size, report->corpus.lines, report->seconds);
    std::printf("ids identical to spm_encode on %zu of %zu lines\n", report->identical_lines, report->verified_lines);
  }
  return report->identical_lines == report->verified_lines ? kExitOk : kExitRuntimeError;
}

void install_train_tokenizer(CLI::App& app, GlobalOptions& global, int& exit_code) {
  CLI::App* train = command_group(app, "train", "Train models on labelled data");
  CLI::App* cmd = train->add_subcommand(
      "tokenizer", "Train a multilingual SentencePiece Unigram tokenizer (runs spm_train) into an HF folder");
  auto args = std::make_shared<TokenizerArgs>();
  cmd->add_option("--out", args->out, "Folder to write (sentencepiece.bpe.model, tokenizer.json, TOKENIZER.md)")
      ->required();
  cmd->add_option("--vocab-size", args->vocab_size, "Vocabulary size, specials included (default 32000)")
      ->check(CLI::Range(100, 1000000));
  cmd->add_option("--input-sentence-size", args->input_sentence_size,
                  "Lines spm_train samples from the corpus (default 0: all)");
  cmd->add_option("--corpus", args->corpus, "Train on this text file instead of building the corpus from data/");
  cmd->add_option("--data-dir", args->data_dir, "The data/ folder to build the corpus from (default: bundled)");
  cmd->add_option("--seed", args->seed, "spm_train random seed (default 42)");
  cmd->add_option("--verify-lines", args->verify_lines,
                  "Corpus lines whose ids are compared with spm_encode (default 2000; 0 = skip)");
  cmd->callback([args, &global, &exit_code] { exit_code = run_train_tokenizer(*args, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("train-tokenizer", install_train_tokenizer);
}  // namespace crema::cli
