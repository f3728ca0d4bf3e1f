// Micro-benchmarks of ingest: JSONL reading throughput (generic records and full Twitter
// v1.1 objects) and near-duplicate index adds. Each benchmark checks its answer and fails
// (SkipWithError) when the result is wrong, so a fast-but-broken build cannot pass.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "crema/ingest/dedup.h"
#include "crema/ingest/reader.h"

namespace {

namespace fs = std::filesystem;
using crema::ingest::PostReader;

constexpr int kLines = 100'000;

std::string random_words(std::mt19937_64& rng, int n, int vocab) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "word" + std::to_string(rng() % static_cast<uint64_t>(vocab)) + " ";
  return s;
}

std::string generic_record(int i, std::mt19937_64& rng) {
  return R"({"id":")" + std::to_string(1000000 + i) + R"(","text":"Need water and food in )" +
         random_words(rng, 12, 5000) + R"(#NepalQuake","created_at":"2015-04-26T10:)" +
         std::to_string(10 + i % 50) + R"(:00Z","lang":"en","lat":27.7,"lon":85.3,"user":"user)" +
         std::to_string(i % 977) + "\"}";
}

// A Twitter v1.1 status as the streaming API delivers it (~2.5 KB with the user object).
std::string twitter_v1_record(int i, std::mt19937_64& rng) {
  const std::string id = std::to_string(591187427337031680LL + i);
  return R"({"created_at":"Sun Apr 26 10:00:00 +0000 2015","id":)" + id + R"(,"id_str":")" + id +
         R"(","text":"RT @NepalRedCross: Volunteers needed )" + random_words(rng, 10, 5000) +
         R"(https://t.co/abcdEFGhij","source":"<a href=\"http://twitter.com/download/android\" rel=\"nofollow\">Twitter for Android</a>",)"
         R"("truncated":false,"in_reply_to_status_id":null,"in_reply_to_status_id_str":null,"in_reply_to_user_id":null,)"
         R"("in_reply_to_user_id_str":null,"in_reply_to_screen_name":null,"user":{"id":123456789,"id_str":"123456789",)"
         R"("name":"Relief Volunteer","screen_name":"relief_vol)" + std::to_string(i % 1000) +
         R"(","location":"Kathmandu, Nepal","url":null,"description":"Helping where we can. Views my own. #Nepal #relief #volunteer",)"
         R"("protected":false,"verified":false,"followers_count":1234,"friends_count":567,"listed_count":12,)"
         R"("favourites_count":890,"statuses_count":4567,"created_at":"Mon Jan 10 08:00:00 +0000 2011",)"
         R"("utc_offset":20700,"time_zone":"Kathmandu","geo_enabled":true,"lang":"en","contributors_enabled":false,)"
         R"("is_translator":false,"profile_background_color":"C0DEED","profile_background_image_url":"http://abs.twimg.com/images/themes/theme1/bg.png",)"
         R"("profile_background_image_url_https":"https://abs.twimg.com/images/themes/theme1/bg.png","profile_background_tile":false,)"
         R"("profile_link_color":"0084B4","profile_sidebar_border_color":"C0DEED","profile_sidebar_fill_color":"DDEEF6",)"
         R"("profile_text_color":"333333","profile_use_background_image":true,"profile_image_url":"http://pbs.twimg.com/profile_images/1/a_normal.jpg",)"
         R"("profile_image_url_https":"https://pbs.twimg.com/profile_images/1/a_normal.jpg","default_profile":true,)"
         R"("default_profile_image":false,"following":null,"follow_request_sent":null,"notifications":null},)"
         R"("geo":{"type":"Point","coordinates":[27.7172,85.324]},"coordinates":{"type":"Point","coordinates":[85.324,27.7172]},)"
         R"("place":{"id":"1f2e3d","url":"https://api.twitter.com/1.1/geo/id/1f2e3d.json","place_type":"city","name":"Kathmandu",)"
         R"("full_name":"Kathmandu, Nepal","country_code":"NP","country":"Nepal","bounding_box":{"type":"Polygon",)"
         R"("coordinates":[[[85.2,27.6],[85.2,27.8],[85.4,27.8],[85.4,27.6]]]},"attributes":{}},"contributors":null,)"
         R"("is_quote_status":false,"retweet_count":0,"favorite_count":0,"entities":{"hashtags":[{"text":"NepalQuake","indices":[60,71]}],)"
         R"("urls":[{"url":"https://t.co/abcdEFGhij","expanded_url":"http://redcross.org/nepal","display_url":"redcross.org/nepal",)"
         R"("indices":[72,95]}],"user_mentions":[{"screen_name":"NepalRedCross","name":"Nepal Red Cross","id":42,"id_str":"42",)"
         R"("indices":[3,17]}],"symbols":[]},"favorited":false,"retweeted":false,"possibly_sensitive":false,)"
         R"("filter_level":"low","lang":"en","timestamp_ms":"1430042400000"})";
}

std::string make_file(const std::string& name, bool twitter) {
  const fs::path path = fs::temp_directory_path() / ("crema_ingest_bench_" + std::to_string(::getpid()) + "_" + name);
  std::mt19937_64 rng(7);
  std::ofstream out(path, std::ios::binary);
  for (int i = 0; i < kLines; ++i) out << (twitter ? twitter_v1_record(i, rng) : generic_record(i, rng)) << '\n';
  return path.string();
}

void read_jsonl(benchmark::State& state, bool twitter) {
  const std::string path = make_file(twitter ? "v1.jsonl" : "generic.jsonl", twitter);
  const auto bytes = static_cast<int64_t>(fs::file_size(path));
  for (auto _ : state) {
    auto reader = PostReader::open(path);
    if (!reader) {
      state.SkipWithError(reader.error().message.c_str());
      break;
    }
    PostReader::Record record;
    int posts = 0;
    while (true) {
      auto more = (*reader)->next(record);
      if (!more || !*more) break;
      posts += record.post.has_value() ? 1 : 0;
    }
    if (posts != kLines) {
      state.SkipWithError("wrong number of posts read");
      break;
    }
    benchmark::DoNotOptimize(record);
  }
  state.SetItemsProcessed(state.iterations() * kLines);
  state.SetBytesProcessed(state.iterations() * bytes);
  fs::remove(path);
}

void BM_ReadJsonlGeneric(benchmark::State& state) { read_jsonl(state, false); }
void BM_ReadJsonlTwitterV1(benchmark::State& state) { read_jsonl(state, true); }
BENCHMARK(BM_ReadJsonlGeneric)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadJsonlTwitterV1)->Unit(benchmark::kMillisecond);

// 50k distinct posts of 12 words from a 50k-word vocabulary, each followed by a copy with
// one word changed (J = 11/13 >= 0.8). Every link must go to the copy's own base post; LSH
// may miss a pair with probability (1 - (11/13)^4)^16 ~ 1e-5, so recall must be >= 0.999.
void BM_DedupAdd(benchmark::State& state) {
  constexpr int kBase = 50'000;
  std::mt19937_64 rng(11);
  std::vector<std::string> texts;
  for (int i = 0; i < kBase; ++i) {
    std::string base;
    for (int w = 0; w < 11; ++w) base += "w" + std::to_string(rng() % 50'000) + " ";
    texts.push_back(base + "tail" + std::to_string(i));
    texts.push_back(base + "other" + std::to_string(i));
  }
  for (auto _ : state) {
    crema::ingest::NearDuplicateIndex index;
    int linked = 0;
    bool wrong = false;
    for (size_t i = 0; i < texts.size(); ++i) {
      const auto original = index.add(std::to_string(i), texts[i]);
      if (!original) continue;
      ++linked;
      wrong = wrong || i % 2 == 0 || *original != std::to_string(i - 1);
    }
    if (wrong || linked < kBase * 999 / 1000) {
      state.SkipWithError(wrong ? "a post was linked to the wrong original" : "recall below 0.999");
      break;
    }
    state.counters["recall"] = static_cast<double>(linked) / kBase;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(texts.size()));
}
BENCHMARK(BM_DedupAdd)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
