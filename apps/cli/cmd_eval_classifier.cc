// crema eval classifier: evaluates a classifier model directory on labelled JSONL.
#include <cstdio>
#include <memory>

#include "command.h"
#include "crema/classify/classifier.h"
#include "crema/common/json_writer.h"

namespace crema::cli {
namespace {

struct EvalClassifierArgs {
  std::string model;
  std::string data;
  bool test_split = false;
  uint64_t seed = 42;
};

int run_eval_classifier(const EvalClassifierArgs& args, const GlobalOptions& global) {
  ProgressBar bar(global.quiet);
  bar.update("evaluate", 0, 0);
  auto result = classify::evaluate_classifiers(args.model, args.data, args.test_split, args.seed, global.threads);
  bar.finish();
  if (!result) return report_error(result.error());
  if (global.json) {
    std::string dir;
    append_json_string(dir, args.model);
    std::printf("{\"model_dir\":%s,\"actionable\":%s,\"resources\":%s}\n", dir.c_str(),
                result->actionable.to_json().c_str(), result->resources.to_json().c_str());
  } else {
    std::printf("%s\n%s", result->actionable.to_text().c_str(), result->resources.to_text().c_str());
  }
  return kExitOk;
}

void install_eval_classifier(CLI::App& app, GlobalOptions& global, int& exit_code) {
  CLI::App* eval = command_group(app, "eval", "Evaluate models and matching on labelled data");
  CLI::App* cmd = eval->add_subcommand("classifier", "Macro-F1 (95% bootstrap CI), per-class table and confusion "
                                                     "matrix of a classifier model directory");
  auto args = std::make_shared<EvalClassifierArgs>();
  cmd->add_option("--model", args->model, "Model directory (actionable.ftz, resources.ftz)")->required();
  cmd->add_option("--data", args->data, "Labelled JSONL")->required();
  cmd->add_flag("--test-split", args->test_split, "Only the 20% test part of the stratified 70/10/20 split");
  cmd->add_option("--seed", args->seed, "Seed of the split and the bootstrap (default 42)");
  cmd->callback([args, &global, &exit_code] { exit_code = run_eval_classifier(*args, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("eval-classifier", install_eval_classifier);
}  // namespace crema::cli
