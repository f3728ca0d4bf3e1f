// Micro-benchmarks of the text and filter modules: normalize() with and without the offset
// map, language identification, word tokens, and the prefilter with each backend. Each
// benchmark checks its answer first and fails (SkipWithError) when it is wrong, so a
// fast-but-broken build cannot pass. items_per_second is posts per second, one thread.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "crema/filter/prefilter.h"
#include "crema/text/normalize.h"

namespace {

using crema::filter::Prefilter;

// Tweet-like posts: mostly ASCII with URLs, mentions and hashtags; some with emoji, entities,
// mojibake and other scripts (the mix of a multilingual crisis stream).
const std::vector<std::string>& posts() {
  static const std::vector<std::string> kPosts = {
      "RT @HoustonOEM: Shelters are open at George R. Brown Convention Center. Need a ride? Call 311 https://t.co/abc123XYZ #Harvey",
      "We need water, diapers and baby formula at the Lakewood church shelter &amp; volunteers to sort donations!! please RT",
      "Anyone have a boat? My grandparents are stranded on their roof on Elm St, 2 people, water rising fast @HCSOTexas @USCG",
      "I can help with rides to the evacuation center tomorrow morning, DM me \xF0\x9F\x99\x8F\xF0\x9F\x8F\xBD #HurricaneHarvey",
      "Praying for everyone in Puerto Rico \xE2\x9D\xA4\xEF\xB8\x8F\xF0\x9F\x87\xB5\xF0\x9F\x87\xB7 stay safe y'all",
      "Itâ€™s been 3 days without power and the food is gone. Can someone bring ice to 5th &amp; Main? http://bit.ly/x",
      "Necesitamos agua, víveres y medicinas en el albergue de Juchitán #FuerzaMéxico https://t.co/Qwerty12",
      "Nou bezwen dlo ak manje nan Jakmèl, tanpri ede nou \xF0\x9F\x98\xA2\xF0\x9F\x98\xA2",
      "\xD9\x86\xD8\xAD\xD8\xAA\xD8\xA7\xD8\xAC \xD8\xA5\xD9\x84\xD9\x89 \xD9\x85\xD8\xB3\xD8\xA7\xD8\xB9\xD8\xAF\xD8\xA9 \xD8\xB9\xD8\xA7\xD8\xAC\xD9\x84\xD8\xA9 \xD9\x81\xD9\x8A \xD8\xAD\xD9\x84\xD8\xA8 @UNICEF",
      "Beautiful sunset over the bay tonight, can't believe the storm was just two days ago. www.example.com/photos",
      "Blood donors needed urgently at Kathmandu Medical College, O-negative. Contact +977 1 4412 505 #NepalEarthquake",
      "Free hot meals for first responders and families at our restaurant all week, no questions asked :)",
      "地震后我们急需饮用水和帐篷，请支援灾区 https://t.co/zh",
      "FEMA assistance: apply at www.disasterassistance.gov or call 1-800-621-3362 (TTY 800-462-7585).",
      "Giving away free blankets and jackets to anyone affected, drop-off at 5th Ave church &#8211; thanks all",
      "lol my cat refuses to leave the bathtub during the thunderstorm \xF0\x9F\x98\x82\xF0\x9F\x98\x82\xF0\x9F\x98\x82",
  };
  return kPosts;
}

void BM_NormalizeWithOffsets(benchmark::State& state) {
  const auto check = crema::text::normalize("RT @a: it&apos;s http://x.co \xF0\x9F\x98\xA2");
  if (check.text != "RT @USER: it's HTTPURL :crying_face:" || check.offsets.size() != check.text.size() + 1) {
    state.SkipWithError("normalize() gives a wrong answer");
    return;
  }
  size_t bytes = 0;
  for (auto _ : state) {
    for (const std::string& post : posts()) {
      auto n = crema::text::normalize(post);
      bytes += post.size();
      benchmark::DoNotOptimize(n);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(posts().size()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_NormalizeWithOffsets);

void BM_NormalizeText(benchmark::State& state) {
  for (const std::string& post : posts()) {
    if (crema::text::normalize_text(post) != crema::text::normalize(post).text) {
      state.SkipWithError("normalize_text() differs from normalize().text");
      return;
    }
  }
  size_t bytes = 0;
  for (auto _ : state) {
    for (const std::string& post : posts()) {
      auto text = crema::text::normalize_text(post);
      bytes += post.size();
      benchmark::DoNotOptimize(text);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(posts().size()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_NormalizeText);

void BM_NormalizeTextAsciiOnly(benchmark::State& state) {
  const std::string post =
      "RT @HoustonOEM: Shelters are open at George R. Brown Convention Center. Need a ride? Call 311 "
      "https://t.co/abc123XYZ #Harvey";
  if (crema::text::normalize_text(post) !=
      "RT @USER: Shelters are open at George R. Brown Convention Center. Need a ride? Call 311 HTTPURL #Harvey") {
    state.SkipWithError("normalize_text() gives a wrong answer");
    return;
  }
  for (auto _ : state) {
    auto text = crema::text::normalize_text(post);
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NormalizeTextAsciiOnly);

void BM_DetectLanguage(benchmark::State& state) {
  std::vector<std::string> normalized;
  for (const std::string& post : posts()) normalized.push_back(crema::text::normalize_text(post));
  if (crema::text::detect_language(normalized[6]).code != "es") {
    state.SkipWithError("detect_language() gives a wrong answer");
    return;
  }
  for (auto _ : state) {
    for (const std::string& text : normalized) {
      auto guess = crema::text::detect_language(text);
      benchmark::DoNotOptimize(guess);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(normalized.size()));
}
BENCHMARK(BM_DetectLanguage);

void BM_WordTokens(benchmark::State& state) {
  if (crema::text::word_tokens("Need HTTPURL") != std::vector<std::string>{"need", "httpurl"}) {
    state.SkipWithError("word_tokens() gives a wrong answer");
    return;
  }
  for (auto _ : state) {
    for (const std::string& post : posts()) {
      auto tokens = crema::text::word_tokens(post);
      benchmark::DoNotOptimize(tokens);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(posts().size()));
}
BENCHMARK(BM_WordTokens);

void BM_Prefilter(benchmark::State& state, Prefilter::Backend backend) {
  auto prefilter = Prefilter::load(CREMA_SOURCE_DIR "/data/prefilter/patterns.txt", backend);
  if (!prefilter) {
    state.SkipWithError(prefilter.error().message.c_str());
    return;
  }
  std::vector<std::string> normalized;
  for (const std::string& post : posts()) normalized.push_back(crema::text::normalize_text(post));
  if (!(*prefilter)->matches(normalized[1]) || (*prefilter)->matches(normalized[15])) {
    state.SkipWithError("prefilter gives a wrong answer");
    return;
  }
  for (auto _ : state) {
    for (const std::string& text : normalized) {
      auto ids = (*prefilter)->matching_ids(text);
      benchmark::DoNotOptimize(ids);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(normalized.size()));
}
BENCHMARK_CAPTURE(BM_Prefilter, re2, Prefilter::Backend::kRe2);
BENCHMARK_CAPTURE(BM_Prefilter, hyperscan, Prefilter::Backend::kHyperscan);

}  // namespace

BENCHMARK_MAIN();
