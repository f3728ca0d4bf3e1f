// crema train encoder: multilingual knowledge distillation of a sentence encoder into a
// student transformer (LibTorch builds only; docs/learn.md).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "crema/common/json_writer.h"
#include "crema/learn/distill.h"

namespace crema::cli {
namespace {

struct EncoderArgs {
  learn::DistillOptions options;
  std::string tokenizer, out, data_dir;
  bool no_dictionaries = false;
  std::string init;                // fine-tune mode: an exported student folder
  std::vector<std::string> pairs;  // fine-tune mode: request/offer JSONL files
  bool epochs_given = false, batch_given = false, lr_given = false;
};

std::string command_line(const EncoderArgs& a) {
  const auto& o = a.options;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "crema train encoder --teacher %s --student %s --tokenizer %s --out %s --seed %llu --epochs %d "
                "--batch-size %d --lr %g --max-tokens %zu",
                o.teacher.c_str(), o.student.c_str(), a.tokenizer.c_str(), a.out.c_str(),
                static_cast<unsigned long long>(o.seed), o.epochs, o.batch_size, o.lr, o.max_tokens);
  std::string cmd = buf;
  if (o.max_pairs) cmd += " --max-pairs " + std::to_string(o.max_pairs);
  if (o.max_minutes > 0) cmd += " --max-minutes " + std::to_string(o.max_minutes);
  if (a.no_dictionaries) cmd += " --no-dictionaries";
  return cmd;
}

// The --json summary: the fields of both modes (DistillReport, FinetuneReport), then the mode's own.
template <class Report, class Fields>
void print_json_summary(const Report& report, Fields&& own_fields) {
  JsonWriter w;
  w.begin_object().key("model_dir").value(report.model_dir.string());
  w.key("train_pairs").value(static_cast<uint64_t>(report.train_pairs));
  w.key("dev_pairs").value(static_cast<uint64_t>(report.dev_pairs));
  w.key("steps").value(static_cast<uint64_t>(report.steps)).key("seconds").value(report.seconds);
  own_fields(w);
  w.end_object();
  std::printf("%s\n", w.str().c_str());
}

int run_finetune(const EncoderArgs& args, const GlobalOptions& global) {
  learn::FinetuneOptions f;
  f.init_dir = args.init;
  for (const auto& p : args.pairs) f.pairs_files.emplace_back(p);
  f.out_dir = args.out;
  f.seed = args.options.seed;
  f.threads = global.threads;
  if (args.epochs_given) f.epochs = args.options.epochs;
  if (args.batch_given) f.batch_size = args.options.batch_size;
  if (args.lr_given) f.lr = args.options.lr;
  f.command = "crema train encoder --init " + args.init + " --out " + args.out + " --seed " +
              std::to_string(f.seed) + " --epochs " + std::to_string(f.epochs) + " --batch-size " +
              std::to_string(f.batch_size);
  char lr[32];
  std::snprintf(lr, sizeof lr, " --lr %g", f.lr);
  f.command += lr;
  for (const auto& p : args.pairs) f.command += " --pairs " + p;
  ProgressBar bar(global.quiet);
  auto report = learn::finetune_matching(f, bar.callback());
  bar.finish();
  if (!report) return report_error(report.error());
  if (global.json) {
    print_json_summary(*report, [&](JsonWriter& w) {
      w.key("dev_top1_before").value(report->dev_top1_before).key("dev_top1_after").value(report->dev_top1_after);
    });
  } else if (!global.quiet) {
    std::printf("fine-tuned encoder written to %s: %zu steps (%.0f s), %zu train / %zu held-out pairs; "
                "held-out request->offer top-1 %.3f -> %.3f\n",
                report->model_dir.c_str(), report->steps, report->seconds, report->train_pairs, report->dev_pairs,
                report->dev_top1_before, report->dev_top1_after);
  }
  return kExitOk;
}

int run_train_encoder(EncoderArgs& args, const GlobalOptions& global) {
  if (!learn::torch_available()) {
    return usage_error("crema train encoder: built without LibTorch: configure with -DCREMA_WITH_TORCH=ON");
  }
  if (!args.init.empty() || !args.pairs.empty()) {
    if (args.init.empty() || args.pairs.empty()) return usage_error("--init and --pairs go together (matching fine-tune)");
    return run_finetune(args, global);
  }
  if (args.tokenizer.empty()) return usage_error("--tokenizer is required (a folder from `crema train tokenizer`)");
  auto& o = args.options;
  o.tokenizer_dir = args.tokenizer;
  o.out_dir = args.out;
  o.data_dir = args.data_dir;
  o.threads = global.threads;
  o.dictionaries = !args.no_dictionaries;
  o.command = command_line(args);
  ProgressBar bar(global.quiet);
  auto report = learn::train_encoder(o, bar.callback());
  bar.finish();
  if (!report) return report_error(report.error());
  if (global.json) {
    print_json_summary(*report, [&](JsonWriter& w) {
      w.key("train_mse").value(report->train_mse).key("dev_mse").value(report->dev_mse);
      w.key("dev_retrieval_top1").value(report->dev_retrieval_top1).key("stopped_by_time").value(report->stopped_by_time);
    });
  } else if (!global.quiet) {
    std::printf("student written to %s after %zu steps (%.0f s%s)\n", report->model_dir.c_str(), report->steps,
                report->seconds, report->stopped_by_time ? ", stopped by --max-minutes" : "");
    std::printf("pairs: %zu train, %zu dev; MSE train %.4f, dev %.4f (English side %.4f); "
                "dev translation->English top-1 %.3f; cosine to teacher %.3f\n",
                report->train_pairs, report->dev_pairs, report->train_mse, report->dev_mse, report->dev_mse_en,
                report->dev_retrieval_top1, report->dev_teacher_cosine);
  }
  return kExitOk;
}

void install_train_encoder(CLI::App& app, GlobalOptions& global, int& exit_code) {
  CLI::App* train = command_group(app, "train", "Train models on labelled data");
  CLI::App* cmd = train->add_subcommand(
      "encoder",
      "Distil a multilingual student sentence encoder from a teacher encoder (needs a LibTorch build: "
      "-DCREMA_WITH_TORCH=ON)");
  auto args = std::make_shared<EncoderArgs>();
  auto& o = args->options;
  cmd->add_option("--teacher", o.teacher, "Teacher encoder: use-lite (default) or hf:DIR");
  cmd->add_option("--student", o.student, "Student size: tiny (H256/L4), small (H384/L6), medium (H512/L8)")
      ->check(CLI::IsMember({"tiny", "small", "medium"}));
  cmd->add_option("--tokenizer", args->tokenizer, "Tokenizer folder from `crema train tokenizer` (distillation)");
  cmd->add_option("--out", args->out, "Output folder (checkpoint/, teacher cache, model/)")->required();
  cmd->add_option("--data-dir", args->data_dir, "The data/ folder (default: bundled)");
  cmd->add_option("--seed", o.seed, "Seed for initialisation and shuffling (default 42)");
  cmd->add_option("--epochs", o.epochs, "Epochs (default 10)")->check(CLI::Range(1, 1000));
  cmd->add_option("--batch-size", o.batch_size, "Pairs per batch (default 64)")->check(CLI::Range(2, 4096));
  cmd->add_option("--lr", o.lr, "Peak AdamW learning rate (default 5e-4)")->check(CLI::Range(1e-7, 1.0));
  cmd->add_option("--max-tokens", o.max_tokens, "Training truncation in tokens (default 128)")->check(CLI::Range(8, 512));
  cmd->add_option("--max-pairs", o.max_pairs, "Use only N training pairs (smoke runs; default all)");
  cmd->add_option("--max-minutes", o.max_minutes, "Stop, checkpoint and export after this many minutes");
  cmd->add_option("--checkpoint-every", o.checkpoint_every, "Steps between checkpoints (default 500)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_flag("--resume", o.resume, "Continue from OUT/checkpoint");
  cmd->add_flag("--no-dictionaries", args->no_dictionaries, "Leave out data/parallel/freedict (GPL data)");
  cmd->add_option("--init", args->init,
                  "Matching fine-tune instead of distillation: start from this exported student folder");
  cmd->add_option("--pairs", args->pairs, "Matching fine-tune: request/offer JSONL files (data/pairs/*.jsonl)")
      ->check(CLI::ExistingFile);
  cmd->callback([cmd, args, &global, &exit_code] {
    args->epochs_given = cmd->count("--epochs") > 0;
    args->batch_given = cmd->count("--batch-size") > 0;
    args->lr_given = cmd->count("--lr") > 0;
    exit_code = run_train_encoder(*args, global);
  });
}

}  // namespace
CREMA_REGISTER_COMMAND("train-encoder", install_train_encoder);
}  // namespace crema::cli
