// The per-post stages of `crema run` on every post (not only the actionable ones): normalise,
// language id, classify (both models) and embed, batched and threaded as the engine does.
// Posts/s here is the figure behind the ">= 20,000 posts/s through classify + embed on 2
// cores" target. Input: the bundled demo sample (data/sample), 2,100 real tweets.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "crema/classify/classifier.h"
#include "crema/common/parallel.h"
#include "crema/embed/encoder.h"
#include "crema/ingest/reader.h"
#include "crema/text/normalize.h"

namespace {

const std::vector<std::string>& raw_texts() {
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> out;
    auto reader = crema::ingest::PostReader::open(std::string(CREMA_SOURCE_DIR) + "/data/sample/sample_posts.jsonl");
    if (!reader) return out;
    crema::ingest::PostReader::Record record;
    while (true) {
      record.post.reset();
      record.reject.reset();
      auto more = (*reader)->next(record);
      if (!more || !*more) break;
      if (record.post) out.push_back(record.post->text);
    }
    return out;
  }();
  return texts;
}

const crema::classify::Classifier* classifier() {
  static const auto loaded = crema::classify::Classifier::load(std::string(CREMA_SOURCE_DIR) + "/models/classifier");
  return loaded ? loaded->get() : nullptr;
}

const crema::embed::Encoder* encoder(const std::string& name) {
  crema::embed::EncoderOptions options;
  options.models_dir = std::string(CREMA_SOURCE_DIR) + "/models";
  static const auto glove = crema::embed::make_encoder("glove-sif", options);
  static const auto tfidf = crema::embed::make_encoder("tfidf", options);
  const auto& e = name == "glove-sif" ? glove : tfidf;
  return e ? e->get() : nullptr;
}

// range(0): threads; label: encoder name.
void run_stages(benchmark::State& state, const std::string& encoder_name, bool with_language) {
  const auto& raw = raw_texts();
  const auto* c = classifier();
  const auto* e = encoder(encoder_name);
  if (raw.empty() || c == nullptr || e == nullptr) {
    state.SkipWithError("data/sample or models missing");
    return;
  }
  const int threads = static_cast<int>(state.range(0));
  const size_t n = raw.size();
  std::vector<std::string> normalized(n);
  std::vector<crema::classify::Classification> labels(n);
  std::vector<float> vectors(n * e->dim());
  size_t requests = 0;
  for (auto _ : state) {
    crema::parallel_for(n, threads, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        normalized[i] = crema::text::normalize_text(raw[i]);
        if (with_language) benchmark::DoNotOptimize(crema::text::detect_language(normalized[i]));
        labels[i] = c->classify(normalized[i]);
      }
    });
    const std::vector<std::string_view> views(normalized.begin(), normalized.end());
    if (!e->encode(views, vectors, threads)) state.SkipWithError("encode failed");
    requests = 0;
    for (const auto& l : labels) requests += l.label == crema::Label::kRequest ? 1 : 0;
  }
  // Checks the answer: the sample holds requests the built-in model finds.
  if (requests == 0) state.SkipWithError("no request found in the sample");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  state.counters["requests"] = static_cast<double>(requests);
}

void BM_ClassifyEmbed_GloveSif(benchmark::State& state) { run_stages(state, "glove-sif", false); }
void BM_ClassifyEmbed_Tfidf(benchmark::State& state) { run_stages(state, "tfidf", false); }
void BM_LangClassifyEmbed_GloveSif(benchmark::State& state) { run_stages(state, "glove-sif", true); }
void BM_LangClassifyEmbed_Tfidf(benchmark::State& state) { run_stages(state, "tfidf", true); }

BENCHMARK(BM_ClassifyEmbed_GloveSif)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ClassifyEmbed_Tfidf)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LangClassifyEmbed_GloveSif)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LangClassifyEmbed_Tfidf)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
