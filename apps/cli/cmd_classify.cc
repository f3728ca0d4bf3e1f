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
  auto reader = reader_options(flags.pipeline);
  if (!reader) return report_error(reader.error());
  options.reader = *reader;
  options.models = model_options(flags.pipeline);
  ProgressBar bar(global.quiet);
  options.progress = bar.callback();
  auto summary = engine::classify(options);
  bar.finish();
  if (!summary) return report_error(summary.error());
  if (global.json) {
    std::printf("%s\n", summary->to_json().c_str());
  } else if (!global.quiet) {
    std::printf("classified %llu posts (%llu rejected): %llu requests, %llu offers, %llu both, %llu irrelevant -> %s\n",
                static_cast<unsigned long long>(summary->classified),
                static_cast<unsigned long long>(summary->rejected),
                static_cast<unsigned long long>(summary->requests), static_cast<unsigned long long>(summary->offers),
                static_cast<unsigned long long>(summary->request_and_offer),
                static_cast<unsigned long long>(summary->irrelevant), flags.out.c_str());
  }
  return kExitOk;
}

void install_classify(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto flags = std::make_shared<ClassifyFlags>();
  CLI::App* cmd = app.add_subcommand("classify", "Classify posts (CHO 4 classes + resource types) into JSONL");
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
