// crema extract: resources, quantities, locations, sources, contacts and the geo-resolution
// of each post, one JSON line per post (docs/extraction.md). Contacts are masked unless
// --unmask-pii.
#include <cstdio>
#include <fstream>

#include "command.h"
#include "crema/common/json_writer.h"
#include "crema/common/parallel.h"
#include "crema/extract/extractor.h"
#include "crema/extract/record.h"
#include "crema/geo/geocoder.h"
#include "crema/ingest/reader.h"
#include "pipeline_options.h"

namespace crema::cli {
namespace {

struct ExtractFlags {
  std::vector<std::string> inputs;
  std::string out;
  std::string rejects;
  std::string region;
  std::string encoder = "glove-sif";
  bool unmask = false;
  PipelineFlags pipeline;
};

int run_extract(const ExtractFlags& flags, const GlobalOptions& global) {
  auto region = geo::parse_region(flags.region);
  if (!region) return report_error(region.error());
  auto reader_opts = reader_options(flags.pipeline);
  if (!reader_opts) return report_error(reader_opts.error());
  reader_opts->require_time = false;
  extract::ExtractorOptions eopts;
  eopts.encoder = flags.encoder == "none" ? "" : flags.encoder;
  auto extractor = extract::Extractor::create(eopts);
  if (!extractor) return report_error(extractor.error());
  geo::GeocoderOptions gopts;
  gopts.region = flags.region;
  auto geocoder = geo::Geocoder::open(gopts);
  if (!geocoder) return report_error(geocoder.error());
  std::ofstream out(flags.out, std::ios::binary);
  if (!out) return report_error(Error{ErrorCode::kIoError, "cannot write " + flags.out});
  std::string rejects_path = flags.rejects.empty() ? flags.out + ".rejects.jsonl" : flags.rejects;
  std::ofstream rejects(rejects_path, std::ios::binary);
  if (!rejects) return report_error(Error{ErrorCode::kIoError, "cannot write " + rejects_path});
  int threads = resolve_threads(global.threads);
  ProgressBar bar(global.quiet);
  uint64_t posts = 0, nrejects = 0, with_resources = 0, with_geo = 0;
  constexpr size_t kBatch = 4096;
  for (const auto& input : flags.inputs) {
    auto reader = ingest::PostReader::open(input, *reader_opts);
    if (!reader) return report_error(reader.error());
    uint64_t total = (*reader)->size_bytes();
    bool more = true;
    while (more) {
      std::vector<Post> batch;
      while (batch.size() < kBatch) {
        ingest::PostReader::Record rec;
        auto got = (*reader)->next(rec);
        if (!got) return report_error(got.error());
        if (!*got) { more = false; break; }
        if (rec.reject) {
          rejects << ingest::reject_to_json(*rec.reject) << '\n';
          ++nrejects;
        } else if (rec.post) {
          batch.push_back(std::move(*rec.post));
        }
      }
      std::vector<std::string> lines(batch.size());
      std::vector<uint8_t> has_res(batch.size()), has_geo(batch.size());
      parallel_for(batch.size(), threads, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) {
          geo::GeoResult g = geocoder->locate(batch[i]);
          extract::ExtractContext ctx;
          ctx.region = !g.geo.country.empty() ? g.geo.country : region->country;
          auto ex = (*extractor)->extract(batch[i].text, ctx);
          has_res[i] = !ex.resources.empty();
          has_geo[i] = g.geo.source != geo::GeoSource::kNone;
          lines[i] = extract::extraction_json(batch[i], ex, g, flags.unmask);
        }
      });
      for (size_t i = 0; i < lines.size(); ++i) {
        out << lines[i] << '\n';
        with_resources += has_res[i];
        with_geo += has_geo[i];
      }
      posts += batch.size();
      bar.update("extract", (*reader)->position(), total);
    }
  }
  bar.finish();
  out.flush();
  if (!out) return report_error(Error{ErrorCode::kIoError, "write failed: " + flags.out});
  if (global.json) {
    JsonWriter w;
    w.begin_object().key("posts").value(posts).key("rejects").value(nrejects).key("with_resources").value(with_resources);
    w.key("with_geo").value(with_geo).key("out").value(flags.out).end_object();
    std::printf("%s\n", w.str().c_str());
  } else if (!global.quiet) {
    std::printf("%llu posts (%llu with resources, %llu placed), %llu rejects -> %s\n", static_cast<unsigned long long>(posts),
                static_cast<unsigned long long>(with_resources), static_cast<unsigned long long>(with_geo),
                static_cast<unsigned long long>(nrejects), flags.out.c_str());
  }
  return kExitOk;
}

void install_extract(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto flags = std::make_shared<ExtractFlags>();
  CLI::App* cmd = app.add_subcommand("extract", "Extract resources, quantities, locations, sources and contacts into JSONL");
  cmd->add_option("--in", flags->inputs, "Input files (- for stdin)")->required()->expected(1, -1);
  cmd->add_option("--out", flags->out, "Output JSONL, one line per post")->required();
  cmd->add_option("--rejects", flags->rejects, "Rejected records (default: OUT.rejects.jsonl)");
  cmd->add_option("--region", flags->region, "Event region: ISO2 country (NP) or minlon,minlat,maxlon,maxlat")
      ->check([](const std::string& s) {
        auto r = geo::parse_region(s);
        return r ? std::string() : r.error().message;
      }, "ISO2|BBOX");
  cmd->add_option("--encoder", flags->encoder, "Encoder for words outside the lexicon (glove-sif, tfidf, none)")->capture_default_str();
  cmd->add_flag("--unmask-pii", flags->unmask, "Write contacts unmasked (personal data)");
  add_input_flags(*cmd, flags->pipeline);
  cmd->callback([flags, &global, &exit_code] { exit_code = run_extract(*flags, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("c-extract", install_extract);
}  // namespace crema::cli
