// apps/cli/pipeline_options.h: flags shared by `crema run`, `crema classify` and
// `crema match` (input format, models, matching parameters).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

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
  std::string method = "tts";
  std::string delta_time = "30d";
  double delta_km = 10.0;
  int top = 3;
  double alpha = 0.5;
  bool allow_unlocated = false;
};

void add_input_flags(CLI::App& cmd, PipelineFlags& flags);
void add_model_flags(CLI::App& cmd, PipelineFlags& flags, bool with_prefilter);
void add_match_flags(CLI::App& cmd, PipelineFlags& flags);

// Builds library options from flags; usage errors (bad --columns, --delta-time…) are
// kInvalidArgument.
Result<ingest::ReaderOptions> reader_options(const PipelineFlags& flags);
engine::ModelOptions model_options(const PipelineFlags& flags);
Result<match::MatchParams> match_params(const PipelineFlags& flags);

// The command line as one string, for the runs table.
std::string joined_command_line();
void set_command_line(int argc, char** argv);

}  // namespace crema::cli
