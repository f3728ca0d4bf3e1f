// crema analyse: country lookups (grid index vs brute-force scan) and the one-pass analysis
// of a synthetic store. Every lookup benchmark first checks that grid and brute force agree
// on all its points and fails the run otherwise.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <array>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "crema/analyse/analyse.h"
#include "crema/analyse/countries.h"
#include "crema/store/store.h"

namespace {

using crema::analyse::CountryIndex;

const std::string kCountries = std::string(CREMA_SOURCE_DIR) + "/data/geo/ne_110m_admin_0_countries.geojson";

const CountryIndex& world() {
  static const std::unique_ptr<CountryIndex> index = [] {
    auto loaded = CountryIndex::load(kCountries);
    if (!loaded) {
      std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
      std::exit(1);
    }
    return std::make_unique<CountryIndex>(std::move(*loaded));
  }();
  return *index;
}

struct Point {
  double lat, lon;
};

// Posts cluster in cities: 80 % within ~50 km of one of these, 20 % anywhere.
constexpr std::array<Point, 12> kCities = {{{40.71, -74.0},
                                            {51.51, -0.13},
                                            {28.61, 77.21},
                                            {19.08, 72.88},
                                            {-33.87, 151.0},
                                            {14.60, 120.98},
                                            {43.65, -79.38},
                                            {-26.2, 28.05},
                                            {6.52, 3.38},
                                            {48.86, 2.35},
                                            {18.54, -72.30},
                                            {27.70, 85.32}}};

std::vector<Point> sample_points(size_t n, bool clustered, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> lat(-90, 90), lon(-180, 180), jitter(-0.5, 0.5), u(0, 1);
  std::uniform_int_distribution<size_t> city(0, kCities.size() - 1);
  std::vector<Point> points(n);
  for (auto& p : points) {
    if (clustered && u(rng) < 0.8) {
      const Point& c = kCities[city(rng)];
      p = {c.lat + jitter(rng), c.lon + jitter(rng)};
    } else {
      p = {lat(rng), lon(rng)};
    }
  }
  return points;
}

bool agree(const std::vector<Point>& points) {
  for (const auto& p : points) {
    if (world().lookup(p.lat, p.lon) != world().lookup_brute_force(p.lat, p.lon)) return false;
  }
  return true;
}

template <bool kGrid>
void BM_Lookup(benchmark::State& state) {
  const auto points = sample_points(1 << 14, state.range(0) != 0, 7);
  if (!agree(points)) {
    state.SkipWithError("grid and brute force disagree");
    return;
  }
  size_t i = 0;
  int64_t placed = 0;
  for (auto _ : state) {
    const Point& p = points[i++ & (points.size() - 1)];
    const int c = kGrid ? world().lookup(p.lat, p.lon) : world().lookup_brute_force(p.lat, p.lon);
    placed += c >= 0;
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["placed_share"] = static_cast<double>(placed) / static_cast<double>(state.iterations());
  state.SetLabel(state.range(0) ? "80% in cities" : "uniform lon/lat");
}
BENCHMARK(BM_Lookup<true>)->Name("BM_LookupGrid")->Arg(0)->Arg(1);
BENCHMARK(BM_Lookup<false>)->Name("BM_LookupBruteForce")->Arg(0)->Arg(1);

void BM_LoadIndex(benchmark::State& state) {
  for (auto _ : state) {
    auto index = CountryIndex::load(kCountries);
    if (!index) state.SkipWithError(index.error().message.c_str());
    benchmark::DoNotOptimize(index);
  }
}
BENCHMARK(BM_LoadIndex)->Unit(benchmark::kMillisecond);

// A store of state.range(0) posts: 70 % geotagged (clustered as above), random labels
// (10 % request, 5 % offer, 1 % both), 1–2 resources, 3 languages, 90 days.
void BM_AnalyseStore(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  std::string dir = std::filesystem::temp_directory_path().string() + "/crema_analyse_bench_XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  const std::string db = dir + "/crema.sqlite";
  {
    auto store = crema::store::Store::open(db);
    if (!store) {
      state.SkipWithError(store.error().message.c_str());
      return;
    }
    auto run = (*store)->begin_run({"bench", {}, ""});
    const auto points = sample_points(n, true, 11);
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> u(0, 1);
    const char* langs[] = {"en", "es", "fr"};
    const char* resources[] = {"food", "water", "shelter", "money", "medical"};
    std::vector<crema::store::ProcessedPost> batch;
    for (size_t i = 0; i < n; ++i) {
      crema::store::ProcessedPost p;
      p.post.id = "p" + std::to_string(i);
      p.post.text = "need water and food near the river, please help";
      p.normalized = p.post.text;
      p.post.created_at_ms = 1700000000000 + static_cast<int64_t>(u(rng) * 90 * 86400000.0);
      if (u(rng) < 0.7) p.post.geo = crema::GeoPoint{points[i].lat, points[i].lon};
      p.detected_lang = langs[i % 3];
      const double l = u(rng);
      p.label = l < 0.10 ? crema::Label::kRequest
                         : l < 0.15 ? crema::Label::kOffer
                                    : l < 0.16 ? crema::Label::kRequestAndOffer : crema::Label::kIrrelevant;
      p.resources.push_back(resources[i % 5]);
      if (i % 2) p.resources.push_back(resources[(i + 2) % 5]);
      batch.push_back(std::move(p));
      if (batch.size() == 4096 || i + 1 == n) {
        auto written = (*store)->write_batch(*run, batch, {}, {});
        if (!written) {
          state.SkipWithError(written.error().message.c_str());
          return;
        }
        batch.clear();
      }
    }
    (void)(*store)->finish_run(*run, "");
  }
  crema::analyse::AnalyseOptions options;
  for (auto _ : state) {
    auto report = crema::analyse::analyse_store(db, options, world());
    if (!report) state.SkipWithError(report.error().message.c_str());
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
BENCHMARK(BM_AnalyseStore)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
