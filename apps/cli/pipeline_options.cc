#include "pipeline_options.h"

#include "crema/common/time.h"
#include "crema/geo/geocoder.h"

namespace crema::cli {

void add_input_flags(CLI::App& cmd, PipelineFlags& flags) {
  cmd.add_option("--format", flags.format, "Input format: auto (by extension), jsonl, csv, tsv")
      ->capture_default_str();
  cmd.add_option("--columns", flags.columns,
                 "CSV/TSV column map, e.g. id=tweet_id,text=message,created_at=date");
}

void add_job_flags(CLI::App& cmd, JobFlags& flags, const std::string& out_help) {
  cmd.add_option("--in", flags.inputs, "Input files (- for stdin)")->required()->expected(1, -1);
  cmd.add_option("--out", flags.out, out_help)->required();
  cmd.add_option("--rejects", flags.rejects, "Rejected records (default: OUT.rejects.jsonl)");
  add_input_flags(cmd, flags.pipeline);
  add_model_flags(cmd, flags.pipeline, false);
}

void add_model_flags(CLI::App& cmd, PipelineFlags& flags, bool with_prefilter) {
  cmd.add_option("--model-dir", flags.model_dir, "Classifier model directory (default: bundled models/classifier)");
  cmd.add_option("--encoder", flags.encoder,
                 "Sentence encoder: tfidf, glove-sif, use-lite, use-lite-int8 (default: measured best)");
  cmd.add_option("--region", flags.region,
                 "Event region for place names: ISO country code (NP) or bbox minlon,minlat,maxlon,maxlat")
      ->check([](const std::string& s) {
        auto r = geo::parse_region(s);
        return r ? std::string() : r.error().message;
      }, "ISO2|BBOX");
  cmd.add_option("--gazetteer", flags.gazetteer, "Gazetteer file (default: the one the build compiled)");
  cmd.add_flag("--no-locate", flags.no_locate,
               "Use geotags only; do not place posts by their place, text or the author's location");
  if (with_prefilter) {
    cmd.add_flag("--prefilter", flags.prefilter, "Keep only posts matching the request/offer patterns");
    cmd.add_option("--patterns", flags.patterns, "Prefilter pattern file (default: data/prefilter/patterns.txt)");
    cmd.add_flag("--no-extract", flags.no_extract,
                 "Do not extract resources, quantities, sources and contacts into the store");
    flags.stores_extraction = true;
  }
}

void add_match_flags(CLI::App& cmd, PipelineFlags& flags) {
  cmd.add_option("--method", flags.method, "tts (S_text*W_time*W_loc), ts (linear text+space), t (text only), notext")
      ->capture_default_str();
  cmd.add_option("--delta-time", flags.delta_time, "Maximum waiting time δ_time (30d, 12h, …)")->capture_default_str();
  cmd.add_option("--delta-km", flags.delta_km, "Maximum distance δ_distance in km")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--top", flags.top, "Offers per request")->capture_default_str()->check(CLI::PositiveNumber);
  cmd.add_option("--alpha", flags.alpha, "Text weight α of the ts method")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  cmd.add_flag("--allow-unlocated", flags.allow_unlocated, "Match posts without coordinates with W_loc = 1");
  add_search_flags(cmd, flags);
}

void add_search_flags(CLI::App& cmd, PipelineFlags& flags) {
  cmd.add_option("--search", flags.search,
                 "Candidate search: exact-window (offers inside δ_time/δ_distance; exact) or ann:FACTORY "
                 "(CReMa hybrid: k textually nearest from flat, ivfN,flat, ivfN,pqM, hnswM or hnswlibM, then re-ranked)")
      ->capture_default_str();
  cmd.add_option("--k", flags.k, "ann: text candidates per request")->capture_default_str()->check(CLI::PositiveNumber);
  cmd.add_option("--nprobe", flags.nprobe, "ann ivf: inverted lists probed per query")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--ef-search", flags.ef_search, "ann hnsw: candidate list size while searching")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

Result<match::SearchMode> search_mode(const PipelineFlags& flags) {
  auto mode = match::parse_search_mode(flags.search, flags.k);
  if (!mode) return tl::unexpected(mode.error());
  mode->index_options.nprobe = flags.nprobe;
  mode->index_options.ef_search = flags.ef_search;
  return mode;
}

Result<ingest::ReaderOptions> reader_options(const PipelineFlags& flags) {
  ingest::ReaderOptions options;
  auto format = ingest::parse_format(flags.format);
  if (!format) return tl::unexpected(format.error());
  options.format = *format;
  if (!flags.columns.empty()) {
    auto columns = ingest::parse_column_map(flags.columns);
    if (!columns) return tl::unexpected(columns.error());
    options.columns = *columns;
  }
  return options;
}

engine::ModelOptions model_options(const PipelineFlags& flags) {
  engine::ModelOptions options;
  options.classifier_dir = flags.model_dir;
  options.encoder = flags.encoder;
  options.prefilter = flags.prefilter;
  options.prefilter_path = flags.patterns;
  options.region = flags.region;
  options.gazetteer_path = flags.gazetteer;
  options.locate = !flags.no_locate;
  options.extract = flags.stores_extraction && !flags.no_extract;
  return options;
}

Result<match::MatchParams> match_params(const PipelineFlags& flags) {
  match::MatchParams params;
  auto method = match::parse_method(flags.method);
  if (!method) return tl::unexpected(method.error());
  params.method = *method;
  auto delta = parse_duration(flags.delta_time);
  if (!delta) return tl::unexpected(delta.error());
  params.delta_time_ms = *delta;
  params.delta_km = flags.delta_km;
  params.top_n = flags.top;
  params.alpha = flags.alpha;
  params.allow_unlocated = flags.allow_unlocated;
  auto search = search_mode(flags);
  if (!search) return tl::unexpected(search.error());
  params.search = *search;
  return params;
}

namespace {
std::string& command_line_storage() {
  static std::string line;
  return line;
}
}  // namespace

void set_command_line(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) line += ' ';
    line += argv[i];
  }
  command_line_storage() = line;
}

std::string joined_command_line() { return command_line_storage(); }

}  // namespace crema::cli
