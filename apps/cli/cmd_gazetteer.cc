// crema gazetteer build|info|lookup|locate: compile, inspect and try the GeoNames gazetteer.
#include <chrono>
#include <cstdio>
#include <fstream>

#include "command.h"
#include "crema/common/json_writer.h"
#include "crema/common/paths.h"
#include "crema/geo/geocoder.h"
#include "crema/ingest/reader.h"

namespace crema::cli {
namespace {

struct GazetteerFlags {
  std::string gazetteer;  // empty = default
  std::string data_dir;
  std::string out;
  std::string in;
  std::string region;
  std::vector<std::string> names;
  bool hide_geotag = false;
  bool hide_place = false;
  bool hide_user = false;
};

void write_place(JsonWriter& w, const geo::Place& p) {
  w.begin_object();
  w.key("name").value(p.name);
  w.key("geonameid").value(static_cast<uint64_t>(p.geonameid));
  w.key("kind").value(geo::place_kind_name(p.kind));
  w.key("feature_code").value(p.feature_code);
  w.key("lat").value(p.lat);
  w.key("lon").value(p.lon);
  w.key("country").value(p.country);
  w.key("admin1").value(p.admin1);
  w.key("population").value(p.population);
  w.key("radius_km").value(p.radius_km);
  w.end_object();
}

void write_result(JsonWriter& w, const std::string& id, const geo::GeoResult& r) {
  w.begin_object();
  w.key("id").value(id);
  w.key("locations").begin_array();
  for (const auto& m : r.locations) {
    w.begin_object();
    w.key("text").value(m.text);
    w.key("start").value(static_cast<uint64_t>(m.start));
    w.key("end").value(static_cast<uint64_t>(m.end));
    // An unresolved street/landmark name has no place: say so rather than print lat/lon 0.
    const bool resolved = m.entry != geo::Gazetteer::kNone;
    w.key("resolved").value(resolved);
    if (resolved) {
      w.key("name").value(m.name);
      w.key("geonameid").value(static_cast<uint64_t>(m.geonameid));
      w.key("lat").value(m.lat);
      w.key("lon").value(m.lon);
      w.key("country").value(m.country);
      w.key("admin1").value(m.admin1);
      w.key("kind").value(geo::place_kind_name(m.kind));
    }
    w.key("confidence").value(m.confidence);
    w.end_object();
  }
  w.end_array();
  w.key("geo").begin_object();
  w.key("lat").value(r.geo.lat);
  w.key("lon").value(r.geo.lon);
  w.key("source").value(geo::geo_source_name(r.geo.source));
  w.key("confidence").value(r.geo.confidence);
  w.key("radius_km").value(r.geo.radius_km);
  w.key("country").value(r.geo.country);
  w.key("admin1").value(r.geo.admin1);
  w.key("city").value(r.geo.city);
  w.key("geonameid").value(static_cast<uint64_t>(r.geo.geonameid));
  w.end_object();
  w.end_object();
}

int run_build(const GazetteerFlags& f, const GlobalOptions& global) {
  const std::string dir = f.data_dir.empty() ? resource_path("data/geonames") : f.data_dir;
  const auto t0 = std::chrono::steady_clock::now();
  auto stats = geo::build_gazetteer(geo::gazetteer_sources_in(dir), f.out);
  if (!stats) return report_error(stats.error());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (global.json) {
    JsonWriter w;
    w.begin_object().key("out").value(f.out).key("cities").value(static_cast<uint64_t>(stats->cities));
    w.key("admin2").value(static_cast<uint64_t>(stats->admin2)).key("admin1").value(static_cast<uint64_t>(stats->admin1));
    w.key("countries").value(static_cast<uint64_t>(stats->countries)).key("names").value(static_cast<uint64_t>(stats->names));
    w.key("bytes").value(stats->bytes).key("skipped_rows").value(static_cast<uint64_t>(stats->skipped_rows));
    w.key("seconds").value(secs).end_object();
    std::printf("%s\n", w.str().c_str());
  } else if (!global.quiet) {
    std::printf("gazetteer %s: %u cities, %u admin2, %u admin1, %u countries, %u names, %llu bytes, %u rows skipped, %.1f s\n",
                f.out.c_str(), stats->cities, stats->admin2, stats->admin1, stats->countries, stats->names,
                static_cast<unsigned long long>(stats->bytes), stats->skipped_rows, secs);
  }
  return kExitOk;
}

Result<geo::Geocoder> open_geocoder(const GazetteerFlags& f) {
  geo::GeocoderOptions o;
  o.gazetteer_path = f.gazetteer;
  o.region = f.region;
  o.use_place = !f.hide_place;
  o.use_user_location = !f.hide_user;
  return geo::Geocoder::open(o);
}

int run_info(const GazetteerFlags& f, const GlobalOptions& global) {
  const auto t0 = std::chrono::steady_clock::now();
  auto g = geo::Gazetteer::open(f.gazetteer.empty() ? geo::default_gazetteer_path() : f.gazetteer);
  if (!g) return report_error(g.error());
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const auto& i = g->info();
  if (global.json) {
    JsonWriter w;
    w.begin_object().key("path").value(i.path).key("version").value(static_cast<uint64_t>(i.version));
    w.key("bytes").value(i.file_bytes).key("entries").value(static_cast<uint64_t>(i.entries));
    w.key("cities").value(static_cast<uint64_t>(i.cities)).key("names").value(static_cast<uint64_t>(i.names));
    w.key("unigrams").value(static_cast<uint64_t>(i.unigrams)).key("open_ms").value(ms).end_object();
    std::printf("%s\n", w.str().c_str());
  } else {
    std::printf("%s: format v%u, %llu bytes, %u entries (%u cities), %u names, %u unigrams, opened in %.1f ms\n",
                i.path.c_str(), i.version, static_cast<unsigned long long>(i.file_bytes), i.entries, i.cities, i.names,
                i.unigrams, ms);
  }
  return kExitOk;
}

int run_lookup(const GazetteerFlags& f) {
  auto g = geo::Gazetteer::open(f.gazetteer.empty() ? geo::default_gazetteer_path() : f.gazetteer);
  if (!g) return report_error(g.error());
  for (const auto& name : f.names) {
    JsonWriter w;
    w.begin_object().key("query").value(name).key("places").begin_array();
    for (const uint32_t e : g->lookup(name)) write_place(w, g->place(e));
    w.end_array().end_object();
    std::printf("%s\n", w.str().c_str());
  }
  return kExitOk;
}

int run_locate(const GazetteerFlags& f, const GlobalOptions& global) {
  auto geocoder = open_geocoder(f);
  if (!geocoder) return report_error(geocoder.error());
  ingest::ReaderOptions ro;
  ro.require_time = false;
  auto reader = ingest::PostReader::open(f.in, ro);
  if (!reader) return report_error(reader.error());
  std::FILE* out = stdout;
  if (!f.out.empty() && f.out != "-") {
    out = std::fopen(f.out.c_str(), "wb");
    if (out == nullptr) return report_error(Error{ErrorCode::kIoError, "cannot write " + f.out});
  }
  ProgressBar bar(global.quiet);
  ingest::PostReader::Record rec;
  uint64_t posts = 0, rejects = 0, placed = 0;
  JsonWriter w;
  while (true) {
    auto more = (*reader)->next(rec);
    if (!more) return report_error(more.error());
    if (!*more) break;
    if (!rec.post) {
      ++rejects;
      continue;
    }
    Post& p = *rec.post;
    if (f.hide_geotag) p.geo.reset();
    const auto r = geocoder->locate(p);
    placed += r.geo.source != geo::GeoSource::kNone ? 1 : 0;
    w.clear();
    write_result(w, p.id, r);
    std::fprintf(out, "%s\n", w.str().c_str());
    ++posts;
    bar.update("locate", (*reader)->position(), (*reader)->size_bytes());
  }
  bar.finish();
  if (out != stdout) std::fclose(out);
  if (global.json && out != stdout) {
    std::printf("{\"posts\":%llu,\"placed\":%llu,\"rejects\":%llu}\n", static_cast<unsigned long long>(posts),
                static_cast<unsigned long long>(placed), static_cast<unsigned long long>(rejects));
  } else if (!global.quiet) {
    std::fprintf(stderr, "%llu posts, %llu placed, %llu rejected records\n", static_cast<unsigned long long>(posts),
                 static_cast<unsigned long long>(placed), static_cast<unsigned long long>(rejects));
  }
  return kExitOk;
}

void install_gazetteer(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto f = std::make_shared<GazetteerFlags>();
  CLI::App* cmd = command_group(app, "gazetteer", "Build, inspect and try the GeoNames gazetteer (docs/geo.md)");
  cmd->require_subcommand(1);

  CLI::App* build = cmd->add_subcommand("build", "Compile data/geonames/ into a gazetteer file");
  build->add_option("--data", f->data_dir, "Directory with the GeoNames sources (default: bundled data/geonames)");
  build->add_option("--out", f->out, "Output gazetteer file")->required();
  build->callback([f, &global, &exit_code] { exit_code = run_build(*f, global); });

  CLI::App* info = cmd->add_subcommand("info", "Print a gazetteer file's sizes and open time");
  info->add_option("--gazetteer", f->gazetteer, "Gazetteer file (default: the built one)");
  info->callback([f, &global, &exit_code] { exit_code = run_info(*f, global); });

  CLI::App* lookup = cmd->add_subcommand("lookup", "Print the places that carry a name (JSONL)");
  lookup->add_option("names", f->names, "Names to look up")->required();
  lookup->add_option("--gazetteer", f->gazetteer, "Gazetteer file (default: the built one)");
  lookup->callback([f, &exit_code] { exit_code = run_lookup(*f); });

  CLI::App* locate = cmd->add_subcommand("locate", "Location mentions and geo-resolution of posts (JSONL)");
  locate->add_option("--in", f->in, "Input posts (JSONL/CSV/TSV, - for stdin)")->required();
  locate->add_option("--out", f->out, "Output JSONL (default stdout)");
  locate->add_option("--gazetteer", f->gazetteer, "Gazetteer file (default: the built one)");
  locate->add_option("--region", f->region, "Event region: ISO2 country code or minlon,minlat,maxlon,maxlat")
      ->check([](const std::string& s) {
        auto r = geo::parse_region(s);
        return r ? std::string() : r.error().message;
      }, "ISO2|BBOX");
  locate->add_flag("--hide-geotag", f->hide_geotag, "Ignore the posts' coordinates (for evaluation)");
  locate->add_flag("--hide-place", f->hide_place, "Ignore the posts' place field");
  locate->add_flag("--hide-user-location", f->hide_user, "Ignore the authors' profile location");
  locate->callback([f, &global, &exit_code] { exit_code = run_locate(*f, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("g-gazetteer", install_gazetteer);
}  // namespace crema::cli
