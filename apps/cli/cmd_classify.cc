// crema classify: label each post request / offer / request_and_offer / irrelevant with
// probabilities and resource types.
#include <cstdio>

#include "command.h"
#include "crema/engine.h"
#include "pipeline_options.h"

namespace crema::cli {
namespace {

struct ClassifyFlags {
  std::vector<std::string> inputs;
  std::string out;
  std::string rejects;
  PipelineFlags pipeline;
};

int classify_command(const ClassifyFlags& flags, const GlobalOptions& global) {
  engine::ClassifyOptions options;
  options.inputs = flags.inputs;
  options.out_path = flags.out;
  options.rejects_path = flags.rejects;
  options.threads = global.threads;
  if (auto status = apply_pipeline_flags(flags.pipeline, options); !status)
    return report_error(status.error());
  return run_job(global, options, engine::classify, [&flags](const engine::ClassifySummary& s) {
    return s.to_text() + " -> " + flags.out + "\n";
  });
}

void install_classify(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto flags = std::make_shared<ClassifyFlags>();
  CLI::App* cmd =
      app.add_subcommand("classify", "Classify posts (CHO 4 classes + resource types) into JSONL");
  cmd->add_option("--in", flags->inputs, "Input files (- for stdin)")->required()->expected(1, -1);
  cmd->add_option("--out", flags->out, "Output JSONL, one line per post")->required();
  cmd->add_option("--rejects", flags->rejects, "Rejected records (default: OUT.rejects.jsonl)");
  add_input_flags(*cmd, flags->pipeline);
  add_model_flags(*cmd, flags->pipeline, false);
  cmd->callback([flags, &global, &exit_code] { exit_code = classify_command(*flags, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("b-classify", install_classify);
}  // namespace crema::cli
