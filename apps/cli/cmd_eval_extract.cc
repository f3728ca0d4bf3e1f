// crema eval extract: P/R/F1 per extraction field and geocoding accuracy on a gold set
// (docs/extraction.md).
#include <cstdio>
#include <fstream>

#include "command.h"
#include "crema/common/json_writer.h"
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
  std::string errors;
};

// One line per gold post: the gold and predicted values of every field, for error analysis.
std::string error_line(const extract::GoldPost& g, const extract::Prediction& p) {
  JsonWriter w;
  w.begin_object().key("id").value(g.id).key("split").value(g.split).key("text").value(g.text);
  auto strings = [&](const char* key, const std::vector<std::string>& v) {
    w.key(key).begin_array();
    for (const auto& s : v) w.value(s);
    w.end_array();
  };
  std::vector<std::string> gr, pr, pq, ps, pk;
  for (const auto& r : g.resources) gr.push_back(r.text + "/" + r.cls);
  for (const auto& r : p.extraction.resources) pr.push_back(r.text + "/" + std::string(extract::class_name(r.cls)) + (r.semantic ? "*" : ""));
  for (const auto& q : p.extraction.quantities) {
    pq.push_back(q.amount + " <" + q.text + ">" +
                 (q.resource >= 0 ? " " + p.extraction.resources[static_cast<size_t>(q.resource)].text : std::string()));
  }
  for (const auto& s : p.extraction.sources) ps.push_back(s.text);
  for (const auto& c : p.extraction.contacts) pk.push_back(c.value);
  strings("gold_resources", gr);
  strings("pred_resources", pr);
  strings("gold_quantities", g.quantities);
  strings("pred_quantities", pq);
  strings("gold_locations", g.locations);
  strings("pred_locations", p.locations);
  strings("gold_sources", g.sources);
  strings("pred_sources", ps);
  strings("gold_contacts", g.contacts);
  strings("pred_contacts", pk);
  w.key("gold_country").value(g.country).key("pred_country").value(p.country);
  w.end_object();
  return w.take();
}

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
  if (!flags.errors.empty()) {
    std::ofstream out(flags.errors, std::ios::binary);
    for (size_t i = 0; i < gold.size(); ++i) out << error_line(gold[i], preds[i]) << '\n';
    out.flush();
    if (!out) return report_error(Error{ErrorCode::kIoError, "cannot write " + flags.errors});
  }
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
  cmd->add_option("--region", flags->region, "Event region for geocoding: ISO2 or bbox")
      ->check([](const std::string& s) {
        auto r = geo::parse_region(s);
        return r ? std::string() : r.error().message;
      }, "ISO2|BBOX");
  cmd->add_option("--encoder", flags->encoder, "Encoder for words outside the lexicon (glove-sif, tfidf, none)")->capture_default_str();
  cmd->add_option("--similarity-threshold", flags->threshold, "Cosine threshold of the semantic fallback (default: built-in)");
  cmd->add_option("--errors", flags->errors, "Write gold vs predicted fields of every post of the split (JSONL)");
  cmd->callback([flags, &global, &exit_code] { exit_code = run_eval_extract(*flags, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("eval-extract", install_eval_extract);
}  // namespace crema::cli
