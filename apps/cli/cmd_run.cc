// crema run: the whole pipeline (ingest -> normalize -> prefilter -> classify -> embed ->
// store -> match) into a SQLite store plus JSONL/CSV exports.
#include <cstdio>

#include "command.h"
#include "crema/engine.h"
#include "crema/store/export.h"
#include "pipeline_options.h"

namespace crema::cli {
namespace {

struct RunFlags {
  std::vector<std::string> inputs;
  std::string out;
  std::string db;
  bool resume = false;
  bool unmask_pii = false;
  size_t batch = 4096;
  PipelineFlags pipeline;
};

int run_command(const RunFlags& flags, const GlobalOptions& global) {
  engine::RunOptions options;
  options.inputs = flags.inputs;
  options.out_dir = flags.out;
  options.db_path = flags.db;
  options.resume = flags.resume;
  options.threads = global.threads;
  options.batch_size = flags.batch;
  options.command_line = joined_command_line();
  if (auto status = apply_pipeline_flags(flags.pipeline, options); !status)
    return report_error(status.error());

  // The run's exports mask personal data; --unmask-pii rewrites the post files in full
  // (the match files hold no personal data).
  auto job = [&flags](const engine::RunOptions& o) -> Result<engine::RunSummary> {
    auto summary = engine::run(o);
    if (!summary || !flags.unmask_pii) return summary;
    store::ExportOptions unmasked;
    unmasked.db_path = summary->db_path;
    unmasked.out_dir = o.out_dir;
    unmasked.kinds = {store::ExportKind::kPosts};
    unmasked.unmask_pii = true;
    unmasked.layout = store::PostLayout::kRun;
    unmasked.threads = o.threads;
    if (auto exported = store::export_store(unmasked); !exported) return tl::unexpected(exported.error());
    return summary;
  };
  if (flags.unmask_pii) {
    std::fprintf(stderr,
                 "crema: warning: --unmask-pii: posts.jsonl and posts.csv hold personal data in full (phone "
                 "numbers, e-mail addresses, user handles, @mentions)\n");
  }
  return run_job(global, options, job, [](const engine::RunSummary& s) { return s.to_table(); });
}

void install_run(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Run the whole pipeline on input files into a store, then match requests to offers");
  cmd->add_option("--in", flags->inputs, "Input files (JSONL, Twitter JSON, CSV/TSV; - for stdin)")
      ->required()
      ->expected(1, -1);
  cmd->add_option("--out", flags->out, "Output directory (database, exports, rejects.jsonl)")
      ->required();
  cmd->add_option("--db", flags->db, "SQLite store (default: OUT/crema.sqlite)");
  cmd->add_flag("--resume", flags->resume,
                "Continue the last interrupted run from its checkpoints");
  cmd->add_flag("--unmask-pii", flags->unmask_pii,
                "Write posts.jsonl/posts.csv with contacts, handles and @mentions in full (personal data)");
  cmd->add_option("--batch", flags->batch, "Posts per transaction/checkpoint")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_input_flags(*cmd, flags->pipeline);
  add_model_flags(*cmd, flags->pipeline, true);
  add_match_flags(*cmd, flags->pipeline);
  cmd->callback([flags, &global, &exit_code] { exit_code = run_command(*flags, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("a-run", install_run);
}  // namespace crema::cli
