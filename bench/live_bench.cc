// Live-matching throughput: posts/s through LivePipeline (validation, near-duplicates,
// normalise, language, classify, tfidf embed, incremental tts matching, one fsync'ed store
// transaction per batch, events) on a synthetic 30-day stream over 40 towns.
//
//   build/<dir>/bench/live_bench [--benchmark_filter=Live]
// BM_LiveIngest calls ingest() (each batch waits for its commit), BM_LiveSubmit calls
// submit() (each batch's commit overlaps the next batch) and flush() at the end.
// Arg: posts per call. Counters: posts/s (items_per_second), events per post. CPU
// is the whole process's (all threads). The store lives under $TMPDIR (default /tmp).
// CREMA_LIVE_BENCH_DUMP=PATH writes every ingest result and event (JSONL, with ids) to
// PATH.<batch>, so a change can be checked to leave the results byte-identical:
//   CREMA_LIVE_BENCH_DUMP=/tmp/before live_bench; …; cmp /tmp/before.1024 /tmp/after.1024
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "crema/live.h"

namespace crema::engine {
namespace {

constexpr size_t kPosts = 20'000;
constexpr int64_t kT0 = 1'600'000'000'000;
constexpr int64_t kSpanMs = 30LL * 86'400'000;

std::vector<Post> stream() {
  std::mt19937 rng(42);
  const char* needs[] = {"drinking water", "food", "shelter", "blankets", "a boat", "rescue", "insulin", "baby formula",
                         "a generator", "fuel", "tents", "volunteers", "transport", "dry clothes", "blood donors"};
  const char* places[] = {"near the school", "on main street", "at the church", "by the river", "in the north",
                          "at the evacuation centre", "behind the hospital", "in our street"};
  std::uniform_real_distribution<double> lat(-38.0, -12.0), lon(115.0, 153.0), jitter(-0.04, 0.04);
  std::vector<GeoPoint> towns;
  for (int i = 0; i < 40; ++i) towns.push_back({lat(rng), lon(rng)});
  std::vector<Post> posts;
  for (size_t i = 0; i < kPosts; ++i) {
    Post p;
    p.id = "p" + std::to_string(i);
    const uint32_t k = rng() % 20;
    p.kind = k < 10 ? Label::kRequest : k < 19 ? Label::kOffer : Label::kRequestAndOffer;
    const std::string what = std::string(needs[rng() % std::size(needs)]) + " and " + needs[rng() % std::size(needs)];
    p.text = (p.kind == Label::kOffer ? "We can give " : "Urgently need ") + what + " " + places[rng() % std::size(places)] +
             " #" + std::to_string(rng() % 100000);
    p.created_at_ms = kT0 + static_cast<int64_t>(i) * kSpanMs / static_cast<int64_t>(kPosts);
    if (rng() % 10 != 0) {
      const GeoPoint t = towns[rng() % towns.size()];
      p.geo = GeoPoint{t.lat + jitter(rng), t.lon + jitter(rng)};
    }
    p.lang = "en";
    posts.push_back(std::move(p));
  }
  return posts;
}

void dump_report(std::ofstream& dump, const IngestReport& report) {
  for (const IngestResult& r : report.results) {
    dump << "{\"result\":\"" << r.id << "\",\"outcome\":\"" << ingest_outcome_name(r.outcome) << "\",\"label\":\""
         << label_name(r.label) << "\",\"duplicate_of\":\"" << r.duplicate_of.value_or("") << "\"}\n";
  }
  for (const MatchEvent& e : report.events) dump << e.to_json() << '\n';
}

void run_live(benchmark::State& state, bool pipelined) {
  static const std::vector<Post> posts = stream();
  const auto batch = static_cast<size_t>(state.range(0));
  const char* tmp = std::getenv("TMPDIR");
  const char* dump_path = std::getenv("CREMA_LIVE_BENCH_DUMP");
  std::ofstream dump;
  if (dump_path != nullptr && *dump_path != '\0') {
    dump.open(std::string(dump_path) + (pipelined ? ".submit." : ".") + std::to_string(batch));
  }
  uint64_t events = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/crema_live_bench_XXXXXX";
    if (::mkdtemp(dir.data()) == nullptr) {
      state.SkipWithError("mkdtemp failed");
      return;
    }
    LiveOptions options;
    options.threads = 2;
    options.match.delta_time_ms = 7LL * 86'400'000;
    auto live = LivePipeline::open(dir + "/live.sqlite", options);
    if (!live) {
      state.SkipWithError(live.error().message.c_str());
      return;
    }
    state.ResumeTiming();
    const auto take = [&](const IngestReport& report) {
      events += report.events.size();
      if (dump.is_open()) dump_report(dump, report);
    };
    bool ok = true;
    for (size_t i = 0; ok && i < posts.size(); i += batch) {
      const auto part = std::span(posts).subspan(i, std::min(batch, posts.size() - i));
      if (pipelined) {
        auto reports = (*live)->submit(part);
        ok = reports.has_value();
        if (!ok) state.SkipWithError(reports.error().message.c_str());
        for (const IngestReport& r : reports.value_or(std::vector<IngestReport>{})) take(r);
      } else {
        auto report = (*live)->ingest(part);
        ok = report.has_value();
        if (!ok) state.SkipWithError(report.error().message.c_str());
        if (ok) take(*report);
      }
    }
    if (ok && pipelined) {
      auto reports = (*live)->flush();
      if (!reports) state.SkipWithError(reports.error().message.c_str());
      for (const IngestReport& r : reports.value_or(std::vector<IngestReport>{})) take(r);
    }
    state.PauseTiming();
    live->reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * posts.size()));
  state.counters["events_per_post"] =
      static_cast<double>(events) / static_cast<double>(state.iterations() * posts.size());
}
void BM_LiveIngest(benchmark::State& state) { run_live(state, false); }
void BM_LiveSubmit(benchmark::State& state) { run_live(state, true); }
BENCHMARK(BM_LiveIngest)->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Iterations(1);
BENCHMARK(BM_LiveSubmit)->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Iterations(1);

}  // namespace
}  // namespace crema::engine

BENCHMARK_MAIN();
