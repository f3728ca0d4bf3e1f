// Classifier throughput: one post through both fastText models (actionable + resources),
// including fasttext_input's tokenisation, on the committed models.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "crema/classify/classifier.h"
#include "crema/text/normalize.h"

namespace {

const std::vector<std::string>& sample_texts() {
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> out;
    auto posts = crema::classify::load_labelled(std::string(CREMA_SOURCE_DIR) + "/data/labels/open_labels.jsonl");
    if (!posts) return out;
    for (size_t i = 0; i < posts->size() && out.size() < 2000; i += 7) {
      out.push_back(crema::text::normalize_text((*posts)[i].text));
    }
    return out;
  }();
  return texts;
}

const crema::classify::Classifier* classifier() {
  static const auto loaded = crema::classify::Classifier::load(std::string(CREMA_SOURCE_DIR) + "/models/classifier");
  return loaded ? loaded->get() : nullptr;
}

void BM_Classify(benchmark::State& state) {
  const auto* c = classifier();
  const auto& texts = sample_texts();
  if (c == nullptr || texts.empty()) {
    state.SkipWithError("models/classifier or data/labels missing");
    return;
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(c->classify(texts[i]));
    i = (i + 1) % texts.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Classify);

void BM_FastTextInput(benchmark::State& state) {
  const auto& texts = sample_texts();
  if (texts.empty()) {
    state.SkipWithError("data/labels missing");
    return;
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(crema::classify::fasttext_input(texts[i]));
    i = (i + 1) % texts.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FastTextInput);

void BM_ClassifyBatch(benchmark::State& state) {
  const auto* c = classifier();
  const auto& texts = sample_texts();
  if (c == nullptr || texts.empty()) {
    state.SkipWithError("models/classifier or data/labels missing");
    return;
  }
  std::vector<std::string_view> views(texts.begin(), texts.end());
  std::vector<crema::classify::Classification> out(views.size());
  for (auto _ : state) c->classify_batch(views, out, static_cast<int>(state.range(0)));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(views.size()));
}
BENCHMARK(BM_ClassifyBatch)->Arg(1)->Arg(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
