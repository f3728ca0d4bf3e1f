// crema eval extract: P/R/F1 per extraction field and geocoding accuracy on a gold set
// (docs/extraction.md).
#include <cstdio>

#include "command.h"
#include "crema/common/parallel.h"
#include "crema/extract/eval.h"
#include "crema/geo/geocoder.h"

namespace crema::cli {
namespace {

struct EvalExtractFlags {
  std::string gold;
  std::string split = "test";
  std::string region;
  std::string encoder = "glove-sif";
  double threshold = -1.0;
};

int run_eval_extract(const EvalExtractFlags& flags, const GlobalOptions& global) {
  if (flags.split != "test" && flags.split != "dev" && flags.split != "all") return usage_error("--split must be test, dev or all");
  auto all = extract::read_gold(flags.gold);
  if (!all) return report_error(all.error());
  std::vector<extract::GoldPost> gold;
  for (auto& g : *all) if (flags.split == "all" || g.split == flags.split) gold.push_back(std::move(g));
  extract::ExtractorOptions eopts;
  eopts.encoder = flags.encoder == "none" ? "" : flags.encoder;
  if (flags.threshold >= 0.0) eopts.similarity_threshold = static_cast<float>(flags.threshold);
  auto extractor = extract::Extractor::create(eopts);
  if (!extractor) return report_error(extractor.error());
  geo::GeocoderOptions gopts;
  gopts.region = flags.region;
  auto geocoder = geo::Geocoder::open(gopts);
  if (!geocoder) return report_error(geocoder.error());
  std::vector<extract::Prediction> preds(gold.size());
  parallel_for(gold.size(), resolve_threads(global.threads), [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      Post post;
      post.id = gold[i].id;
      post.text = gold[i].text;
      geo::GeoResult g = geocoder->locate(post);
      extract::ExtractContext ctx;
      ctx.region = g.geo.country;
      preds[i].extraction = (*extractor)->extract(post.text, ctx);
      for (const auto& l : g.locations) preds[i].locations.push_back(l.text);
      if (g.geo.source != geo::GeoSource::kNone) preds[i].point = GeoPoint{g.geo.lat, g.geo.lon};
      preds[i].country = g.geo.country;
    }
  });
  auto ev = extract::evaluate(gold, preds);
  if (!ev) return report_error(ev.error());
  if (global.json) {
    std::printf("%s\n", ev->to_json().c_str());
  } else if (!global.quiet) {
    std::printf("%zu gold posts (split %s)\n%s", gold.size(), flags.split.c_str(), ev->to_text().c_str());
  }
  return kExitOk;
}

void install_eval_extract(CLI::App& app, GlobalOptions& global, int& exit_code) {
  CLI::App* group = command_group(app, "eval", "Evaluate models against labelled data");
  auto flags = std::make_shared<EvalExtractFlags>();
  CLI::App* cmd = group->add_subcommand("extract", "P/R/F1 of extraction fields and geocoding accuracy on a gold set");
  cmd->add_option("--gold", flags->gold, "Gold JSONL (tests/testdata/extraction_gold.jsonl)")->required();
  cmd->add_option("--split", flags->split, "Which gold rows: test, dev or all")->capture_default_str();
  cmd->add_option("--region", flags->region, "Event region for geocoding: ISO2 or bbox");
  cmd->add_option("--encoder", flags->encoder, "Encoder for words outside the lexicon (glove-sif, tfidf, none)")->capture_default_str();
  cmd->add_option("--similarity-threshold", flags->threshold, "Cosine threshold of the semantic fallback (default: built-in)");
  cmd->callback([flags, &global, &exit_code] { exit_code = run_eval_extract(*flags, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("eval-extract", install_eval_extract);
}  // namespace crema::cli
