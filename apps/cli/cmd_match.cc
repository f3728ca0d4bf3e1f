// crema match: match request posts to offer posts (CReMa §III-D) without a store.
#include <cstdio>

#include "command.h"
#include "crema/engine.h"
#include "pipeline_options.h"

namespace crema::cli {
namespace {

struct MatchFlags {
  std::vector<std::string> inputs;
  std::string out;
  std::string rejects;
  PipelineFlags pipeline;
};

int match_command(const MatchFlags& flags, const GlobalOptions& global) {
  engine::MatchJobOptions options;
  options.inputs = flags.inputs;
  options.out_path = flags.out;
  options.rejects_path = flags.rejects;
  options.threads = global.threads;
  auto reader = reader_options(flags.pipeline);
  if (!reader) return report_error(reader.error());
  options.reader = *reader;
  options.models = model_options(flags.pipeline);
  auto params = match_params(flags.pipeline);
  if (!params) return report_error(params.error());
  options.match = *params;
  ProgressBar bar(global.quiet);
  options.progress = bar.callback();
  auto summary = engine::match_posts(options);
  bar.finish();
  if (!summary) return report_error(summary.error());
  if (global.json) {
    std::printf("%s\n", summary->to_json().c_str());
  } else if (!global.quiet) {
    std::printf("%llu requests, %llu offers (%llu classified, %llu rejected); %llu requests matched, %llu "
                "without location -> %s\n",
                static_cast<unsigned long long>(summary->requests), static_cast<unsigned long long>(summary->offers),
                static_cast<unsigned long long>(summary->classified),
                static_cast<unsigned long long>(summary->rejected),
                static_cast<unsigned long long>(summary->matched_requests),
                static_cast<unsigned long long>(summary->unlocated_requests), flags.out.c_str());
  }
  return kExitOk;
}

void install_match(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto flags = std::make_shared<MatchFlags>();
  CLI::App* cmd = app.add_subcommand(
      "match", "Match requests to offers; posts with a kind field use it, others are classified first");
  cmd->add_option("--in", flags->inputs, "Input files (- for stdin)")->required()->expected(1, -1);
  cmd->add_option("--out", flags->out, "Output JSONL, one line per request")->required();
  cmd->add_option("--rejects", flags->rejects, "Rejected records (default: OUT.rejects.jsonl)");
  add_input_flags(*cmd, flags->pipeline);
  add_model_flags(*cmd, flags->pipeline, false);
  add_match_flags(*cmd, flags->pipeline);
  cmd->callback([flags, &global, &exit_code] { exit_code = match_command(*flags, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("c-match", install_match);
}  // namespace crema::cli
