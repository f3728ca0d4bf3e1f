// apps/cli/pipeline_options.h: flags shared by `crema run`, `crema classify` and
// `crema match` (input format, models, matching parameters).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <type_traits>

#include "command.h"
#include "crema/engine.h"

namespace crema::cli {

// Raw flag values; resolve() turns them into library options.
struct PipelineFlags {
  std::string format = "auto";
  std::string columns;
  std::string model_dir;
  std::string encoder;
  bool prefilter = false;
  std::string patterns;
  std::string region;
  std::string gazetteer;
  bool no_locate = false;
  bool no_extract = false;
  bool stores_extraction = false;  // set for commands that write a store (crema run)
  std::string method = "tts";
  std::string delta_time = "30d";
  double delta_km = 10.0;
  int top = 3;
  double alpha = 0.5;
  bool allow_unlocated = false;
  std::string search = "exact-window";
  int k = 100;
  int nprobe = 32;
  int ef_search = 128;
};

// Adds --search, --k, --nprobe and --ef-search (candidate search, crema/match/matcher.h).
void add_search_flags(CLI::App& cmd, PipelineFlags& flags);
// The SearchMode of those flags; kInvalidArgument for an unknown mode or factory.
Result<match::SearchMode> search_mode(const PipelineFlags& flags);

void add_input_flags(CLI::App& cmd, PipelineFlags& flags);
void add_model_flags(CLI::App& cmd, PipelineFlags& flags, bool with_prefilter);
void add_match_flags(CLI::App& cmd, PipelineFlags& flags);

// Builds library options from flags; usage errors (bad --columns, --delta-time…) are
// kInvalidArgument.
Result<ingest::ReaderOptions> reader_options(const PipelineFlags& flags);
engine::ModelOptions model_options(const PipelineFlags& flags);
Result<match::MatchParams> match_params(const PipelineFlags& flags);

// The flags of a one-shot job over input files (`crema classify`, `crema match`).
struct JobFlags {
  std::vector<std::string> inputs;
  std::string out;
  std::string rejects;
  PipelineFlags pipeline;
};

// Adds --in, --out (described by out_help), --rejects, the input flags and the model flags.
void add_job_flags(CLI::App& cmd, JobFlags& flags, const std::string& out_help);

// Sets options.reader, options.models and, for jobs that match, options.match from flags.
template <typename JobOptions>
Status apply_pipeline_flags(const PipelineFlags& flags, JobOptions& options) {
  auto reader = reader_options(flags);
  if (!reader) return tl::unexpected(reader.error());
  options.reader = *reader;
  options.models = model_options(flags);
  if constexpr (requires { options.match; }) {
    auto params = match_params(flags);
    if (!params) return tl::unexpected(params.error());
    options.match = *params;
  }
  return {};
}

// Runs a one-shot job: JobOptions from flags, then run_job with "<summary> -> OUT".
template <typename JobOptions, typename JobFn>
int run_file_job(const JobFlags& flags, const GlobalOptions& global, JobFn job);

// Runs job(options) under a progress bar, then prints its JSON summary (--json) or
// text(summary) (unless --quiet). Returns the exit code.
template <typename JobOptions, typename JobFn, typename TextFn>
int run_job(const GlobalOptions& global, JobOptions& options, JobFn job, TextFn text) {
  ProgressBar bar(global.quiet);
  options.progress = bar.callback();
  auto summary = job(options);
  bar.finish();
  if (!summary) return report_error(summary.error());
  if (global.json) {
    std::printf("%s\n", summary->to_json().c_str());
  } else if (!global.quiet) {
    std::printf("%s", text(*summary).c_str());
  }
  return kExitOk;
}

template <typename JobOptions, typename JobFn>
int run_file_job(const JobFlags& flags, const GlobalOptions& global, JobFn job) {
  JobOptions options;
  options.inputs = flags.inputs;
  options.out_path = flags.out;
  options.rejects_path = flags.rejects;
  options.threads = global.threads;
  if (auto status = apply_pipeline_flags(flags.pipeline, options); !status) return report_error(status.error());
  return run_job(global, options, job, [&flags](const auto& s) { return s.to_text() + " -> " + flags.out + "\n"; });
}

// The command line as one string, for the runs table.
std::string joined_command_line();
void set_command_line(int argc, char** argv);

}  // namespace crema::cli
