// Encoder throughput and exact windowed TTS matching vs brute force.
//
//   build/<dir>/bench/match_bench --benchmark_filter=Encode   posts/s per core
//   build/<dir>/bench/match_bench --benchmark_filter=Match    windowed vs exhaustive
// The encode benchmarks read tweets from data/labels/open_labels.jsonl (texts only); the
// match benchmarks make seeded random posts over a 200 x 200 km region and 60 days and
// check once, before timing, that windowed and exhaustive give identical top-3 lists.
#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "crema/embed/encoder.h"
#include "crema/match/matcher.h"
#include "crema/text/normalize.h"

namespace {

const std::vector<std::string>& tweets() {
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> out;
    std::ifstream in(std::string(CREMA_SOURCE_DIR) + "/data/labels/open_labels.jsonl");
    for (std::string line; std::getline(in, line) && out.size() < 20000;) {
      // The "text" field is first in every record; a crude cut is enough for a benchmark.
      const auto start = line.find("\"text\":\"");
      const auto end = line.find("\",\"", start + 8);
      if (start == std::string::npos || end == std::string::npos) continue;
      out.push_back(crema::text::normalize_text(line.substr(start + 8, end - start - 8)));
    }
    if (out.empty()) out.push_back("we need drinking water and blankets at the evacuation centre in Windsor");
    return out;
  }();
  return texts;
}

void encode_bench(benchmark::State& state, const char* name) {
  auto enc = crema::embed::make_encoder(name, crema::embed::EncoderOptions{std::string(CREMA_SOURCE_DIR) + "/models"});
  if (!enc) {
    state.SkipWithError(enc.error().message.c_str());
    return;
  }
  const auto& texts = tweets();
  const std::vector<std::string_view> views(texts.begin(), texts.end());
  std::vector<float> out(views.size() * (*enc)->dim());
  for (auto _ : state) {
    auto st = (*enc)->encode(views, out, 1);
    benchmark::DoNotOptimize(out.data());
    if (!st) state.SkipWithError("encode failed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * views.size()));
  state.counters["bytes_per_post"] = static_cast<double>((*enc)->dim() * sizeof(float));
}

void BM_EncodeGloveSif(benchmark::State& state) { encode_bench(state, "glove-sif"); }
void BM_EncodeTfidf(benchmark::State& state) { encode_bench(state, "tfidf"); }
void BM_EncodeTfidf256(benchmark::State& state) { encode_bench(state, "tfidf-256"); }
void BM_EncodeTfidf1024(benchmark::State& state) { encode_bench(state, "tfidf-1024"); }
BENCHMARK(BM_EncodeGloveSif)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeTfidf)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeTfidf256)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeTfidf1024)->Unit(benchmark::kMillisecond);

struct Posts {
  std::vector<crema::match::MatchPost> posts;
  std::vector<float> vectors;
};

constexpr size_t kDim = 128;
constexpr size_t kRequests = 1000;

Posts random_posts(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<float> g;
  Posts p;
  p.posts.resize(n);
  p.vectors.resize(n * kDim);
  for (size_t i = 0; i < n; ++i) {
    p.posts[i].time_ms = static_cast<int64_t>(u(rng) * 60 * 86'400'000.0);
    p.posts[i].geo = crema::GeoPoint{-33.9 + (u(rng) - 0.5) * 1.8, 151.0 + (u(rng) - 0.5) * 2.2};
    float norm = 0;
    for (size_t d = 0; d < kDim; ++d) norm += (p.vectors[i * kDim + d] = g(rng)) * p.vectors[i * kDim + d];
    for (size_t d = 0; d < kDim; ++d) p.vectors[i * kDim + d] /= std::sqrt(norm);
  }
  return p;
}

void match_bench(benchmark::State& state, bool exhaustive) {
  const auto offers_n = static_cast<size_t>(state.range(0));
  static Posts requests = random_posts(kRequests, 1);
  const Posts offers = random_posts(offers_n, 2);
  const crema::match::MatchSet rs{requests.posts, requests.vectors, kDim}, os{offers.posts, offers.vectors, kDim};
  crema::match::MatchParams params;
  {
    crema::match::MatchParams brute = params;
    brute.exhaustive = true;
    auto a = crema::match::match(rs, os, params);
    auto b = crema::match::match(rs, os, brute);
    for (size_t r = 0; r < kRequests; ++r) {
      bool same = (*a)[r].offers.size() == (*b)[r].offers.size();
      for (size_t i = 0; same && i < (*a)[r].offers.size(); ++i) {
        same = (*a)[r].offers[i].offer == (*b)[r].offers[i].offer && (*a)[r].offers[i].score == (*b)[r].offers[i].score;
      }
      if (!same) {
        state.SkipWithError("windowed and exhaustive results differ");
        return;
      }
    }
  }
  params.exhaustive = exhaustive;
  crema::match::MatchStats stats;
  for (auto _ : state) {
    auto res = crema::match::match(rs, os, params, &stats);
    benchmark::DoNotOptimize(res);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRequests));
  state.counters["pairs_scored_per_request"] = static_cast<double>(stats.pairs_scored) / kRequests;
}

void BM_MatchTtsWindowed(benchmark::State& state) { match_bench(state, false); }
void BM_MatchTtsExhaustive(benchmark::State& state) { match_bench(state, true); }
BENCHMARK(BM_MatchTtsWindowed)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MatchTtsExhaustive)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
