// crema match: match request posts to offer posts (CReMa §III-D) without a store.
#include "command.h"
#include "crema/engine.h"
#include "pipeline_options.h"

namespace crema::cli {
namespace {

void install_match(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto flags = std::make_shared<JobFlags>();
  CLI::App* cmd = app.add_subcommand(
      "match", "Match requests to offers; posts with a kind field use it, others are classified first");
  add_job_flags(*cmd, *flags, "Output JSONL, one line per request");
  add_match_flags(*cmd, flags->pipeline);
  cmd->callback([flags, &global, &exit_code] {
    exit_code = run_file_job<engine::MatchJobOptions>(*flags, global, engine::match_posts);
  });
}

}  // namespace
CREMA_REGISTER_COMMAND("c-match", install_match);
}  // namespace crema::cli
