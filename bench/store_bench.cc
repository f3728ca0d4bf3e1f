// Store throughput: write_batch (posts with 100-d embeddings, one fsync'ed transaction per
// batch), has_post, load_for_matching and the JSONL export.
//
//   build/<dir>/bench/store_bench [--benchmark_filter=WriteBatch]
// The store lives under $TMPDIR (default /tmp): the disk there decides the fsync cost.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "crema/store/store.h"

namespace crema::store {
namespace {

constexpr size_t kDim = 100;

class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/crema_store_bench_XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  bool ok() const { return !path_.empty(); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A post shaped like a crisis tweet after processing.
ProcessedPost make_post(uint64_t n) {
  ProcessedPost p;
  p.post.id = "1050000000000" + std::to_string(n);
  p.post.text = "Urgent: families in Barrio Obrero need drinking water, baby formula and blankets. "
                "Shelter at the school is full #PuertoRicoRelief #" +
                std::to_string(n % 1000);
  p.post.created_at_ms = 1505900000000 + static_cast<int64_t>(n) * 1000;
  p.post.lang = "en";
  if (n % 2 == 0) p.post.geo = GeoPoint{18.4 + static_cast<double>(n % 100) * 1e-3, -66.1};
  p.post.place = n % 2 == 0 ? "San Juan, Puerto Rico" : "";
  p.post.user = "user" + std::to_string(n % 5000);
  p.post.source = {"maria.jsonl", n + 1};
  p.normalized = "urgent families in barrio obrero need drinking water baby formula and blankets shelter at the "
                 "school is full puertoricorelief";
  p.detected_lang = "en";
  p.prefilter_pass = true;
  p.prefilter_rules = {3, 12};
  p.label = n % 3 == 0 ? Label::kOffer : Label::kRequest;
  p.probs = {0.81f, 0.07f, 0.05f, 0.07f};
  p.resources = {"water", "food", "clothing", "shelter"};
  p.embedding.resize(kDim);
  for (size_t i = 0; i < kDim; ++i) p.embedding[i] = static_cast<float>((n * 31 + i * 17) % 1000) / 1000.0f - 0.5f;
  return p;
}

std::vector<ProcessedPost> make_batch(uint64_t first, size_t size) {
  std::vector<ProcessedPost> batch;
  batch.reserve(size);
  for (size_t i = 0; i < size; ++i) batch.push_back(make_post(first + i));
  return batch;
}

uint64_t store_bytes(const std::string& path) {
  uint64_t bytes = 0;
  for (const char* suffix : {"", "-wal"}) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path + suffix, ec);
    if (!ec) bytes += size;
  }
  return bytes;
}

// Arg: posts per batch (4096 is RunOptions::batch_size's default). Counters: posts/s and on-disk bytes per post (after close).
void BM_WriteBatch(benchmark::State& state) {
  ScratchDir dir;
  if (!dir.ok()) return state.SkipWithError("cannot create a temp dir");
  const std::string path = dir.file("bench.sqlite");
  auto store = Store::open(path);
  if (!store) return state.SkipWithError(store.error().message.c_str());
  auto run = (*store)->begin_run({"bench", {"maria.jsonl"}, "{}"});
  if (!run) return state.SkipWithError(run.error().message.c_str());
  const auto batch_size = static_cast<size_t>(state.range(0));
  uint64_t next = 0, posts = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::vector<ProcessedPost> batch = make_batch(next, batch_size);
    next += batch_size;
    state.ResumeTiming();
    auto written = (*store)->write_batch(*run, batch, {}, {"maria.jsonl", next * 300, next});
    if (!written || written->inserted != batch_size) return state.SkipWithError("write_batch failed");
    posts += batch_size;
  }
  state.SetItemsProcessed(static_cast<int64_t>(posts));
  store->reset();  // closing checkpoints the WAL into the main file
  state.counters["bytes_per_post"] = static_cast<double>(store_bytes(path)) / static_cast<double>(posts);
}
BENCHMARK(BM_WriteBatch)->Arg(100)->Arg(1000)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();

// A store of 50k posts shared by the read benchmarks.
struct Filled {
  ScratchDir dir;
  std::unique_ptr<Store> store;
  static constexpr uint64_t kPosts = 50000;
  Filled() {
    auto opened = Store::open(dir.file("filled.sqlite"));
    if (!opened) return;
    auto run = (*opened)->begin_run({"bench", {"maria.jsonl"}, "{}"});
    if (!run) return;
    for (uint64_t first = 0; first < kPosts; first += 5000) {
      if (!(*opened)->write_batch(*run, make_batch(first, 5000), {}, {"maria.jsonl", first, first})) return;
    }
    store = std::move(*opened);
  }
};

Filled& filled() {
  static Filled f;
  return f;
}

void BM_HasPost(benchmark::State& state) {
  Store* store = filled().store.get();
  if (store == nullptr) return state.SkipWithError("could not fill the store");
  uint64_t n = 0, found = 0;
  for (auto _ : state) {
    auto has = store->has_post("1050000000000" + std::to_string((n++ * 7919) % (2 * Filled::kPosts)));
    found += has && *has ? 1 : 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
  state.counters["hit_rate"] = static_cast<double>(found) / static_cast<double>(n);
}
BENCHMARK(BM_HasPost);

void BM_LoadForMatching(benchmark::State& state) {
  Store* store = filled().store.get();
  if (store == nullptr) return state.SkipWithError("could not fill the store");
  size_t rows = 0;
  for (auto _ : state) {
    auto loaded = store->load_for_matching(Label::kRequest);
    if (!loaded) return state.SkipWithError(loaded.error().message.c_str());
    rows = loaded->size();
  }
  if (rows != Filled::kPosts - (Filled::kPosts + 2) / 3) return state.SkipWithError("wrong number of requests");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * rows));
}
BENCHMARK(BM_LoadForMatching)->Unit(benchmark::kMillisecond);

void BM_ExportPostsJsonl(benchmark::State& state) {
  Filled& f = filled();
  if (f.store == nullptr) return state.SkipWithError("could not fill the store");
  const std::string out = f.dir.file("posts.jsonl");
  for (auto _ : state) {
    if (auto status = f.store->export_posts_jsonl(out); !status) return state.SkipWithError(status.error().message.c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * Filled::kPosts));
  std::error_code ec;
  state.counters["bytes_per_post"] =
      static_cast<double>(std::filesystem::file_size(out, ec)) / static_cast<double>(Filled::kPosts);
}
BENCHMARK(BM_ExportPostsJsonl)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace crema::store

BENCHMARK_MAIN();
