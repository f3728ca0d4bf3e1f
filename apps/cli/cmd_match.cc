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
  if (auto status = apply_pipeline_flags(flags.pipeline, options); !status)
    return report_error(status.error());
  return run_job(global, options, engine::match_posts, [&flags](const engine::MatchJobSummary& s) {
    return s.to_text() + " -> " + flags.out + "\n";
  });
}

void install_match(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto flags = std::make_shared<MatchFlags>();
  CLI::App* cmd = app.add_subcommand(
      "match",
      "Match requests to offers; posts with a kind field use it, others are classified first");
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
