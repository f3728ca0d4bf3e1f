// crema eval match: CReMa's matching protocol (Top-n for T, TS, TTS and the no-text floor)
// on a labelled request/offer stream, optionally with per-resource decay profiles and
// simulated city-level placement (uncertainty discs); --search ann:FACTORY --k K ranks only the
// k textually nearest offers (CReMa's hybrid) to show what top-K-then-re-rank loses.
#include <cmath>
#include <cstdio>
#include <memory>

#include "command.h"
#include "crema/common/time.h"
#include "crema/embed/encoder.h"
#include "crema/match/eval.h"
#include "pipeline_options.h"

namespace crema::cli {
namespace {

struct EvalMatchArgs {
  std::string stream;
  std::string encoder;
  std::string delta_time = "30d";
  double delta_km = 10.0;
  double alpha = 0.5;
  uint64_t seed = 42;
  std::string decay_profiles;
  double coarsen_km = 0;
  double coarsen_share = 1.0;
  bool ignore_radius = false;
  PipelineFlags search;  // --search, --k, --nprobe, --ef-search
};

int run_eval_match(const EvalMatchArgs& args, const GlobalOptions& global) {
  auto delta_time = parse_duration(args.delta_time);
  if (!delta_time) return usage_error("--delta-time: " + delta_time.error().message);
  if (*delta_time <= 0) return usage_error("--delta-time must be positive");
  if (!(args.delta_km > 0)) return usage_error("--delta-km must be positive");
  if (!(args.alpha >= 0 && args.alpha <= 1)) return usage_error("--alpha must be in [0, 1]");
  if (!(args.coarsen_km >= 0) || !std::isfinite(args.coarsen_km)) return usage_error("--coarsen-km must be >= 0");
  if (!(args.coarsen_share >= 0 && args.coarsen_share <= 1)) return usage_error("--coarsen-share must be in [0, 1]");
  auto search = search_mode(args.search);
  if (!search) return usage_error("--search: " + search.error().message);
  const std::string name = args.encoder.empty() ? std::string(embed::default_encoder_name()) : args.encoder;
  auto encoder = embed::make_encoder(name);
  if (!encoder) return report_error(encoder.error());

  ProgressBar bar(global.quiet);
  match::EvalMatchOptions options;
  options.stream_path = args.stream;
  options.delta_time_ms = *delta_time;
  options.delta_km = args.delta_km;
  options.alpha = args.alpha;
  options.seed = args.seed;
  options.decay_profiles_path = args.decay_profiles == "default" ? match::default_decay_profiles_path() : args.decay_profiles;
  options.coarsen_km = args.coarsen_km;
  options.coarsen_share = args.coarsen_share;
  options.ignore_radius = args.ignore_radius;
  options.search = *search;
  options.threads = global.threads;
  options.progress = bar.callback();
  auto report = match::evaluate_matching(**encoder, options);
  bar.finish();
  if (!report) return report_error(report.error());
  if (global.json) {
    std::printf("%s\n", report->to_json().c_str());
  } else {
    std::printf("%s", report->to_text().c_str());
  }
  return kExitOk;
}

void install_eval_match(CLI::App& app, GlobalOptions& global, int& exit_code) {
  CLI::App* eval = command_group(app, "eval", "Evaluate models and matching on labelled data");
  CLI::App* cmd = eval->add_subcommand("match", "Top-n matching accuracy (CReMa Table VII) on a request/offer stream");
  auto args = std::make_shared<EvalMatchArgs>();
  cmd->add_option("--stream", args->stream, "JSONL stream: id, pair, kind, lang, text, created_at, lat, lon")
      ->required();
  cmd->add_option("--encoder", args->encoder, "Sentence encoder (default: " +
                                                  std::string(embed::default_encoder_name()) + "; glove-sif, tfidf)");
  cmd->add_option("--delta-time", args->delta_time, "Maximum waiting time δ_time, e.g. 30d, 12h")
      ->capture_default_str();
  cmd->add_option("--delta-km", args->delta_km, "Maximum distance δ_distance in km")->capture_default_str();
  cmd->add_option("--alpha", args->alpha, "Text weight of the linear TS baseline")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the random-language and coarsening draws")->capture_default_str();
  cmd->add_option("--decay-profiles", args->decay_profiles,
                  "Per-resource δ_time/δ_distance/decay shapes (TSV; 'default' = data/match/decay_profiles.tsv); "
                  "requests use the profile of their \"resource\" field");
  cmd->add_option("--coarsen-km", args->coarsen_km,
                  "Simulate city-level placement: snap posts to their \"city\" centre with this uncertainty radius (km)")
      ->capture_default_str();
  cmd->add_option("--coarsen-share", args->coarsen_share, "Share of posts snapped by --coarsen-km (drawn per post, seeded)")
      ->capture_default_str();
  cmd->add_flag("--ignore-radius", args->ignore_radius,
                "With --coarsen-km: treat snapped posts as exact points at the centre (the naive baseline)");
  add_search_flags(*cmd, args->search);
  cmd->callback([args, &global, &exit_code] { exit_code = run_eval_match(*args, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("eval-match", install_eval_match);
}  // namespace crema::cli
