// CReMa Table XII at scale: candidate search backends on a synthetic but realistic load.
//
//   build/<release>/bench/match_index_bench [--sizes 10000,100000,1000000] [--dims 384,512]
//       [--requests 10000] [--k 100] [--backends "exact-window;flat;ivf1024,flat;ivf1024,pq32;hnsw32;hnswlib32"]
//       [--max-graph 100000] [--ef-construction 200] [--nprobe 32] [--threads 2] [--out table.md]
//
// Offers and requests are placed in GeoNames cities (data/geonames/cities15000.txt.gz, read
// through gzip -dc) drawn by population, scattered around the centre by a few km that grow
// with the city; times uniform over 30 days; vectors clustered (1,000 topic centres plus
// noise, L2-normalised). TTS with the defaults (δ_time 30 d, δ_distance 10 km), top-3.
// For each backend: build time, memory (the search structure), per-request latency p50/p99
// over `threads` threads, and recall@1/@3 against brute-force TTS. Ground truth is the
// exact-window result, checked identical to brute force (every offer scored) on a sample of
// requests per size; ann backends are CReMa's hybrid (k textually nearest, re-ranked).
// Graph indexes (hnsw*) are skipped above --max-graph offers (their build dominates the
// run on small machines; --ef-construction trades build time for graph quality); flat ann
// is queried on a sample at large sizes (exhaustive). Memory is the search structure; the
// process's peak RSS is printed at the end.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crema/match/index.h"
#include "crema/match/matcher.h"
#include "crema/match/searcher.h"

namespace {

using crema::GeoPoint;
using namespace crema::match;
using Clock = std::chrono::steady_clock;

constexpr int64_t kDay = 86'400'000;

struct City {
  double lat, lon, pop;
};

std::vector<City> load_cities() {
  const std::string cmd = "gzip -dc '" + std::string(CREMA_SOURCE_DIR) + "/data/geonames/cities15000.txt.gz'";
  std::vector<City> out;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return out;
  std::string line;
  char buf[1 << 16];
  while (std::fgets(buf, sizeof buf, f) != nullptr) {
    line = buf;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, '\t');) cols.push_back(c);
    if (cols.size() < 15) continue;
    const double pop = std::atof(cols[14].c_str());
    if (pop <= 0) continue;
    out.push_back({std::atof(cols[4].c_str()), std::atof(cols[5].c_str()), pop});
  }
  pclose(f);
  return out;
}

struct Load {
  std::vector<MatchPost> posts;
  std::vector<float> vectors;
};

// n posts: a city by population, a point a few km around it, a time in 30 days, a vector
// near one of the topic centres.
Load make_load(size_t n, size_t dim, const std::vector<City>& cities, const std::vector<double>& cum,
               const std::vector<float>& centres, size_t topics, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u01(0, 1);
  std::normal_distribution<double> normal;
  std::normal_distribution<float> normal_f;
  std::uniform_int_distribution<size_t> topic(0, topics - 1);
  Load load;
  load.posts.resize(n);
  load.vectors.resize(n * dim);
  const float noise = 0.8F / std::sqrt(static_cast<float>(dim));
  for (size_t i = 0; i < n; ++i) {
    const double x = u01(rng) * cum.back();
    const auto c = static_cast<size_t>(std::upper_bound(cum.begin(), cum.end(), x) - cum.begin());
    const City& city = cities[std::min(c, cities.size() - 1)];
    const double sigma_km = std::max(1.0, std::sqrt(city.pop) / 300.0);  // 1M people: 3.3 km
    const double dlat = normal(rng) * sigma_km / 111.2;
    const double dlon = normal(rng) * sigma_km / (111.2 * std::max(0.05, std::cos(city.lat * M_PI / 180)));
    MatchPost& p = load.posts[i];
    p.geo = GeoPoint{std::clamp(city.lat + dlat, -90.0, 90.0), std::remainder(city.lon + dlon, 360.0)};
    p.time_ms = static_cast<int64_t>(u01(rng) * 30 * kDay);
    const float* centre = centres.data() + topic(rng) * dim;
    float* v = load.vectors.data() + i * dim;
    double norm = 0;
    for (size_t d = 0; d < dim; ++d) {
      v[d] = centre[d] + noise * normal_f(rng);
      norm += static_cast<double>(v[d]) * v[d];
    }
    const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (size_t d = 0; d < dim; ++d) v[d] *= inv;
  }
  return load;
}

struct Timing {
  double p50_ms = 0, p99_ms = 0, qps = 0;
};

// Runs search for requests [0, q) on `threads` threads; per-request latencies.
Timing run_queries(const OfferSearcher& searcher, const Load& req, size_t dim, size_t q, int threads,
                   std::vector<std::vector<ScoredOffer>>& results) {
  results.assign(q, {});
  std::vector<double> lat(q);
  std::atomic<size_t> next{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t r; (r = next++) < q;) {
        const auto a = Clock::now();
        auto found = searcher.search(req.posts[r], req.vectors.data() + r * dim);
        lat[r] = std::chrono::duration<double, std::milli>(Clock::now() - a).count();
        if (found) results[r] = std::move(*found);
      }
    });
  }
  for (auto& th : pool) th.join();
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  std::sort(lat.begin(), lat.end());
  Timing t;
  t.p50_ms = lat[q / 2];
  t.p99_ms = lat[std::min(q - 1, q * 99 / 100)];
  t.qps = static_cast<double>(q) / wall;
  return t;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, sep);) {
    if (!x.empty()) out.push_back(x);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string sizes_arg = "10000,100000,1000000", dims_arg = "384,512", out_path;
  std::string backends_arg = "exact-window;flat;ivf1024,flat;ivf1024,pq32;hnsw32;hnswlib32";
  size_t requests = 10000, max_graph = 100000;
  int k = 100, threads = 2, ef_construction = 200, nprobe = 32;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--sizes") sizes_arg = v;
    else if (a == "--dims") dims_arg = v;
    else if (a == "--requests") requests = std::stoul(v);
    else if (a == "--k") k = std::stoi(v);
    else if (a == "--backends") backends_arg = v;
    else if (a == "--max-graph") max_graph = std::stoul(v);
    else if (a == "--threads") threads = std::stoi(v);
    else if (a == "--ef-construction") ef_construction = std::stoi(v);
    else if (a == "--nprobe") nprobe = std::stoi(v);
    else if (a == "--out") out_path = v;
    else {
      std::fprintf(stderr, "unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  const auto cities = load_cities();
  if (cities.empty()) {
    std::fprintf(stderr, "no cities read from data/geonames/cities15000.txt.gz\n");
    return 1;
  }
  std::vector<double> cum(cities.size());
  double total = 0;
  for (size_t i = 0; i < cities.size(); ++i) cum[i] = (total += cities[i].pop);

  std::string table =
      "| offers | dim | search | build s | memory MB | p50 ms | p99 ms | req/s | recall@1 | recall@3 |\n"
      "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n";
  std::printf("%zu cities; %zu requests; k = %d; ef_construction = %d; nprobe = %d; %d threads\n%s", cities.size(),
              requests, k, ef_construction, nprobe, threads, table.c_str());
  std::fflush(stdout);
  for (const auto& dim_s : split(dims_arg, ',')) {
    const size_t dim = std::stoul(dim_s);
    constexpr size_t kTopics = 1000;
    std::mt19937_64 rng(7);
    std::normal_distribution<float> normal;
    std::vector<float> centres(kTopics * dim);
    for (size_t t = 0; t < kTopics; ++t) {
      double norm = 0;
      for (size_t d = 0; d < dim; ++d) norm += std::pow(centres[t * dim + d] = normal(rng), 2);
      for (size_t d = 0; d < dim; ++d) centres[t * dim + d] = static_cast<float>(centres[t * dim + d] / std::sqrt(norm));
    }
    const Load req = make_load(requests, dim, cities, cum, centres, kTopics, 1);
    for (const auto& size_s : split(sizes_arg, ',')) {
      const size_t n = std::stoul(size_s);
      const Load off = make_load(n, dim, cities, cum, centres, kTopics, 2 + n);
      const MatchSet offers{off.posts, off.vectors, dim};
      MatchParams params;  // TTS, δ_time 30 d, δ_distance 10 km, top-3
      std::vector<std::vector<ScoredOffer>> truth;
      for (const auto& backend : split(backends_arg, ';')) {
        const bool exact = backend == "exact-window";
        const bool graph = backend.rfind("hnsw", 0) == 0;
        if (graph && n > max_graph) continue;
        MatchParams p = params;
        const auto b0 = Clock::now();
        size_t memory = 0;
        if (!exact) {
          p.search = *parse_search_mode("ann:" + backend, k);
          IndexOptions io;
          io.threads = threads;
          io.ef_construction = ef_construction;
          io.nprobe = nprobe;
          auto index = make_index(backend, dim, io);
          if (!index) {
            std::fprintf(stderr, "%s: %s\n", backend.c_str(), index.error().message.c_str());
            continue;
          }
          if ((*index)->needs_training()) {
            const size_t sample = std::min(n, static_cast<size_t>(std::max(50000, 40 * (*index)->spec().lists)));
            if (auto st = (*index)->train(std::span<const float>(off.vectors.data(), sample * dim)); !st) {
              std::fprintf(stderr, "%s: %s\n", backend.c_str(), st.error().message.c_str());
              continue;
            }
          }
          std::vector<int64_t> ids(n);
          for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i);
          if (auto st = (*index)->add(ids, off.vectors); !st) {
            std::fprintf(stderr, "%s: %s\n", backend.c_str(), st.error().message.c_str());
            continue;
          }
          memory = (*index)->memory_bytes();
          p.index = std::shared_ptr<const Index>(std::move(*index));
        }
        auto searcher = OfferSearcher::build(offers, p);
        if (!searcher) {
          std::fprintf(stderr, "%s: %s\n", backend.c_str(), searcher.error().message.c_str());
          continue;
        }
        const double build_s = std::chrono::duration<double>(Clock::now() - b0).count();
        if (exact) memory = (*searcher)->memory_bytes();
        // Exhaustive flat costs n·dim per request: a sample at large n.
        size_t q = requests;
        if (backend == "flat") q = std::min(requests, std::max<size_t>(200, 200'000'000 / n));
        std::vector<std::vector<ScoredOffer>> got;
        const Timing t = run_queries(**searcher, req, dim, q, threads, got);
        double r1 = 0, r3 = 0;
        size_t judged = 0, truth3 = 0;
        if (exact) {
          truth = got;
          // Brute force (every offer scored) on a sample: must be identical.
          MatchParams brute = params;
          brute.exhaustive = true;
          auto bs = OfferSearcher::build(offers, brute);
          const size_t sample = std::min(requests, std::max<size_t>(20, 100'000'000 / n));
          std::vector<std::vector<ScoredOffer>> bf;
          run_queries(**bs, req, dim, sample, threads, bf);
          size_t diff = 0;
          for (size_t r = 0; r < sample; ++r) {
            if (bf[r].size() != truth[r].size()) {
              ++diff;
              continue;
            }
            for (size_t i = 0; i < bf[r].size(); ++i) diff += bf[r][i].offer != truth[r][i].offer ? 1 : 0;
          }
          std::fprintf(stderr, "n=%zu dim=%zu: exact-window vs brute force on %zu requests: %zu differences\n", n, dim,
                       sample, diff);
        }
        for (size_t r = 0; r < q && r < truth.size(); ++r) {
          if (truth[r].empty()) continue;
          ++judged;
          r1 += (!got[r].empty() && got[r][0].offer == truth[r][0].offer) ? 1 : 0;
          for (const auto& s : truth[r]) {
            ++truth3;
            for (const auto& g : got[r]) r3 += g.offer == s.offer ? 1 : 0;
          }
        }
        char line[512];
        std::snprintf(line, sizeof line, "| %zu | %zu | %s | %.2f | %.1f | %.3f | %.3f | %.0f | %.4f | %.4f |%s\n", n, dim,
                      exact ? "exact-window" : ("ann:" + backend + " k=" + std::to_string(k)).c_str(), build_s,
                      static_cast<double>(memory) / 1e6, t.p50_ms, t.p99_ms, t.qps, judged ? r1 / judged : 0.0,
                      truth3 ? r3 / static_cast<double>(truth3) : 0.0,
                      q < requests ? (" (" + std::to_string(q) + " requests)").c_str() : "");
        table += line;
        std::printf("%s", line);
        std::fflush(stdout);
      }
    }
  }
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("peak RSS %.0f MB\n", static_cast<double>(usage.ru_maxrss) / 1024.0);
  if (!out_path.empty()) {
    if (FILE* f = std::fopen(out_path.c_str(), "w")) {
      std::fputs(table.c_str(), f);
      std::fclose(f);
    }
  }
  return 0;
}
