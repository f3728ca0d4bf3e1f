// Gazetteer and geocoder benchmark: mmap open time, resident memory, name lookups/s and
// locate() posts/s on one thread over the bundled sample posts. Checks its answers first
// (Kathmandu must resolve to NP) so a fast-but-broken build cannot pass.
//
//   geo_bench [--gazetteer FILE] [--posts FILE] [--locate-out FILE [--hide-geotag] [--hide-place]]
// --locate-out writes one JSONL line per post ({id, geo, locations}) for tools/gazetteer_eval.py.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "crema/common/json_writer.h"
#include "crema/geo/geocoder.h"
#include "crema/ingest/reader.h"

namespace {

using Clock = std::chrono::steady_clock;

double rss_mib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

double secs_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace

int main(int argc, char** argv) {
  std::string gazetteer, posts_path = std::string(CREMA_SOURCE_DIR) + "/data/sample/sample_posts.jsonl", locate_out;
  bool hide_geotag = false, hide_place = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--gazetteer" && i + 1 < argc) gazetteer = argv[++i];
    else if (a == "--posts" && i + 1 < argc) posts_path = argv[++i];
    else if (a == "--locate-out" && i + 1 < argc) locate_out = argv[++i];
    else if (a == "--hide-geotag") hide_geotag = true;
    else if (a == "--hide-place") hide_place = true;
    else {
      std::fprintf(stderr, "usage: %s [--gazetteer FILE] [--posts FILE] [--locate-out FILE [--hide-geotag] [--hide-place]]\n", argv[0]);
      return 2;
    }
  }
  if (gazetteer.empty()) gazetteer = crema::geo::default_gazetteer_path();

  const double rss0 = rss_mib();
  std::vector<double> open_ms;
  for (int i = 0; i < 21; ++i) {
    const auto t0 = Clock::now();
    auto g = crema::geo::Gazetteer::open(gazetteer);
    if (!g) {
      std::fprintf(stderr, "geo_bench: %s\n", g.error().message.c_str());
      return 1;
    }
    open_ms.push_back(secs_since(t0) * 1000);
  }
  const double first_open = open_ms.front();
  std::sort(open_ms.begin(), open_ms.end());
  crema::geo::GeocoderOptions options;
  options.gazetteer_path = gazetteer;
  options.use_place = !hide_place;
  auto geocoder = crema::geo::Geocoder::open(options);
  if (!geocoder) {
    std::fprintf(stderr, "geo_bench: %s\n", geocoder.error().message.c_str());
    return 1;
  }
  const double rss_open = rss_mib();
  const auto& gaz = geocoder->gazetteer();
  const auto check = geocoder->mentions("Tents needed in Kathmandu #NepalEarthquake");
  if (check.size() != 2 || check[0].country != "NP") {
    std::fprintf(stderr, "geo_bench: sanity check failed (%zu mentions)\n", check.size());
    return 1;
  }

  // Posts.
  crema::ingest::ReaderOptions ro;
  ro.require_time = false;
  auto reader = crema::ingest::PostReader::open(posts_path, ro);
  if (!reader) {
    std::fprintf(stderr, "geo_bench: %s\n", reader.error().message.c_str());
    return 1;
  }
  std::vector<crema::Post> posts;
  crema::ingest::PostReader::Record rec;
  while (true) {
    auto more = (*reader)->next(rec);
    if (!more || !*more) break;
    if (rec.post) posts.push_back(std::move(*rec.post));
  }
  if (posts.empty()) {
    std::fprintf(stderr, "geo_bench: no posts in %s\n", posts_path.c_str());
    return 1;
  }

  // Lookups of every word of the posts.
  std::vector<std::string> words;
  for (const auto& p : posts) {
    size_t s = 0;
    while (s < p.text.size()) {
      const size_t e = std::min(p.text.find(' ', s), p.text.size());
      if (e > s) words.push_back(crema::geo::name_key(std::string_view(p.text).substr(s, e - s), false));
      s = e + 1;
    }
  }
  size_t hits = 0, lookups = 0;
  auto t0 = Clock::now();
  while (secs_since(t0) < 1.0) {
    for (const auto& w : words) hits += gaz.lookup_key(w).empty() ? 0 : 1;
    lookups += words.size();
  }
  const double lookups_per_s = static_cast<double>(lookups) / secs_since(t0);

  // locate() on one thread.
  size_t located = 0, placed = 0, mentions = 0;
  t0 = Clock::now();
  while (secs_since(t0) < 2.0) {
    for (auto p : posts) {
      if (hide_geotag) p.geo.reset();
      const auto r = geocoder->locate(p);
      placed += r.geo.source != crema::geo::GeoSource::kNone ? 1 : 0;
      mentions += r.locations.size();
      ++located;
    }
  }
  const double posts_per_s = static_cast<double>(located) / secs_since(t0);
  const double rss_end = rss_mib();

  std::printf("gazetteer %s: %.1f MiB, %u entries, %u names\n", gazetteer.c_str(),
              static_cast<double>(gaz.info().file_bytes) / (1 << 20), gaz.info().entries, gaz.info().names);
  std::printf("open: first %.2f ms, median %.2f ms, min %.2f ms (21 opens)\n", first_open, open_ms[open_ms.size() / 2],
              open_ms.front());
  std::printf("resident: %.1f MiB before, %.1f MiB after open, %.1f MiB after locate passes\n", rss0, rss_open, rss_end);
  std::printf("lookups: %.2f M/s (%zu hits)\n", lookups_per_s / 1e6, hits);
  std::printf("locate: %.0f posts/s on 1 thread (%zu posts, %.2f mentions/post, %.1f%% placed)\n", posts_per_s,
              posts.size(), static_cast<double>(mentions) / static_cast<double>(located),
              100.0 * static_cast<double>(placed) / static_cast<double>(located));

  if (!locate_out.empty()) {
    std::ofstream out(locate_out);
    crema::JsonWriter w;
    for (auto p : posts) {
      if (hide_geotag) p.geo.reset();
      const auto r = geocoder->locate(p);
      w.clear();
      w.begin_object().key("id").value(p.id).key("geo").begin_object();
      w.key("lat").value(r.geo.lat).key("lon").value(r.geo.lon);
      w.key("source").value(crema::geo::geo_source_name(r.geo.source)).key("confidence").value(r.geo.confidence);
      w.key("radius_km").value(r.geo.radius_km).key("country").value(r.geo.country);
      w.key("admin1").value(r.geo.admin1).key("city").value(r.geo.city).end_object();
      w.key("locations").begin_array();
      for (const auto& m : r.locations) {
        w.begin_object().key("text").value(m.text).key("start").value(static_cast<uint64_t>(m.start));
        w.key("end").value(static_cast<uint64_t>(m.end)).key("name").value(m.name).key("country").value(m.country);
        w.key("kind").value(crema::geo::place_kind_name(m.kind)).key("confidence").value(m.confidence).end_object();
      }
      w.end_array().end_object();
      out << w.str() << '\n';
    }
  }
  return 0;
}
