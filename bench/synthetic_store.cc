// crema_synthetic_store: writes a synthetic crema store of N posts through the public Store
// API, for the analyse scale benchmark (bench/analyse_scale.py, docs/analyse.md "Scale").
//
//   crema_synthetic_store --out /tmp/s.sqlite --posts 1000000 [--seed 1] [--days 90]
//
// Geography: every post belongs to a city drawn with probability proportional to its
// population from the GeoNames cities (>= 15 000 inhabitants) of the compiled gazetteer
// (built from the repo's data/geonames/; --cities N keeps only the N most populous, so the
// number of city groups stays fixed while the number of posts grows). How the post's location is known follows what
// Twitter-like data gives: 1 % geotags (the city jittered within 5 km), 3 % the source's
// place, 15 % a toponym in the text, 25 % the author's profile location (each at the city
// centre with the resolver's confidence and radius), the rest no location at all. Labels,
// resources (CHO §5 shares), languages (by country), near-duplicates, stored matches and a
// few dispatcher decisions are drawn as documented in kShares below. Posts are written in
// time order in batches, one write_live_batch transaction each (posts + the top-n matches
// of the batch's requests). Deterministic for a given --seed and --posts.
//
// stdout: one JSON object with what was written, counted over the non-duplicate posts the
// way `crema analyse` counts them, so the benchmark can check analyse's totals.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crema/common/json_writer.h"
#include "crema/geo/gazetteer.h"
#include "crema/store/store.h"

namespace {

using crema::GeoPoint;
using crema::Label;
using crema::store::GeoSource;

// Shares of the synthetic population; see the file comment.
struct Shares {
  // Location: the rest (56 %) has none.
  double geotag = 0.01, place = 0.03, toponym = 0.15, user = 0.25;
  // Labels (CReMa §IV-D: requests outnumber offers about 3:1 among the few actionable posts).
  double request = 0.06, offer = 0.03, request_and_offer = 0.004, unknown = 0.02;  // rest irrelevant
  double duplicate = 0.08;        // retweets / copies of a recent post
  double request_matched = 0.65;  // requests that have stored matches (1–5)
  double decided = 0.02;          // of the matched requests: a dispatcher confirmed rank 1
};
constexpr Shares kShares;

// Resource shares of requests and offers (CHO §5: money 50 / 28 %, volunteers 14 / 18 %,
// shelter 12 / 4 %, food 11 / 23 %; the rest spread over the other types).
constexpr std::array<std::string_view, 10> kResources = {"money",   "volunteers", "shelter", "food",  "medical",
                                                         "water",   "clothing",   "transport", "blood", "power"};
constexpr std::array<double, 10> kRequestResourceWeights = {50, 14, 12, 11, 6, 3, 2, 1, 0.5, 0.5};
constexpr std::array<double, 10> kOfferResourceWeights = {28, 18, 4, 23, 12, 5, 5, 3, 1, 1};

constexpr int64_t kStartMs = 1675641600000;  // 2023-02-06T00:00:00Z
constexpr double kKmPerDegree = 111.32;

struct City {
  std::string name, country, admin1;
  double lat = 0, lon = 0, radius_km = 0;
  double population = 0;
  uint32_t geonameid = 0;
};

// The main language of a country's posts (the rest: English and undetermined).
std::string_view main_language(std::string_view iso2) {
  struct Entry {
    std::string_view lang;
    std::string_view countries;  // space-separated ISO2 codes
  };
  static constexpr std::array<Entry, 22> kTable = {{
      {"es", "ES MX AR CO PE VE CL EC GT CU BO DO HN PY SV NI CR PA UY"},
      {"pt", "BR PT AO MZ"},
      {"fr", "FR CD CI CM SN HT MG BF ML NE TN"},
      {"de", "DE AT CH"},
      {"it", "IT"},
      {"ru", "RU BY KZ UA UZ"},
      {"tr", "TR"},
      {"ja", "JP"},
      {"ko", "KR"},
      {"zh", "CN TW HK"},
      {"id", "ID"},
      {"ar", "EG SA IQ DZ MA SY YE SD JO LY AE"},
      {"fa", "IR AF"},
      {"ur", "PK"},
      {"hi", "IN"},
      {"bn", "BD"},
      {"tl", "PH"},
      {"th", "TH"},
      {"vi", "VN"},
      {"pl", "PL"},
      {"ne", "NP"},
      {"sw", "TZ KE"},
  }};
  for (const auto& e : kTable) {
    for (size_t pos = 0; pos + 2 <= e.countries.size(); pos += 3) {
      if (e.countries.substr(pos, 2) == iso2) return e.lang;
    }
  }
  return "en";
}

std::string lower_ascii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string fill_template(std::string_view tmpl, std::string_view resource, std::string_view city) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == '%' && i + 1 < tmpl.size() && tmpl[i + 1] == 'r') {
      out += resource;
      ++i;
    } else if (tmpl[i] == '%' && i + 1 < tmpl.size() && tmpl[i + 1] == 'c') {
      out += city;
      ++i;
    } else {
      out += tmpl[i];
    }
  }
  return out;
}

constexpr std::array<std::string_view, 4> kRequestTexts = {
    "Urgent: we need %r in %c, families have been waiting since yesterday. Please share",
    "Can anyone help with %r near %c? My parents are stuck with nothing",
    "%c shelter is out of %r, need donations asap #help",
    "Looking for %r for 20 people in %c, any NGO around?"};
constexpr std::array<std::string_view, 4> kOfferTexts = {
    "We can offer %r for anyone in %c, free of charge, DM us",
    "Our group is collecting %r for %c, drop off at the community hall from 9am",
    "Volunteers with a truck ready to bring %r to %c tomorrow morning",
    "Have spare %r, can deliver anywhere around %c today"};
constexpr std::array<std::string_view, 5> kOtherTexts = {
    "Thoughts and prayers for everyone in %c tonight",
    "Stay safe %c, follow the official guidance and keep off the roads",
    "Pictures from %c this morning, the river is still rising",
    "Power is back in parts of %c according to the utility",
    "Heartbreaking news from %c. So many people affected"};

// What was written, counted over the non-duplicate posts as `crema analyse` counts them.
struct Summary {
  uint64_t posts = 0, duplicates = 0;
  std::array<uint64_t, 5> labels{};  // by Label value
  std::array<uint64_t, 5> sources{};  // by GeoSource value
  uint64_t without_resources = 0;
  uint64_t requests = 0, matched_requests = 0, matches = 0, decisions = 0;
  uint64_t requests_met = 0;  // best score >= met_score, or confirmed
  std::set<std::string> cities, admin1, languages;
  std::set<int64_t> days;
};

class Generator {
 public:
  Generator(std::vector<City> cities, uint64_t posts, uint64_t seed, int days, double met_score)
      : cities_(std::move(cities)), posts_(posts), rng_(seed), days_(days), met_score_(met_score) {
    double sum = 0;
    cumulative_.reserve(cities_.size());
    for (const City& c : cities_) cumulative_.push_back(sum += c.population);
  }

  // Writes all posts, matches and decisions into store; returns the summary.
  crema::Result<Summary> write(crema::store::Store& store, int64_t run, size_t batch_size, bool quiet) {
    const std::vector<int64_t> times = draw_times();
    std::vector<crema::store::ProcessedPost> batch;
    std::vector<crema::store::RequestTopN> top_n;
    std::vector<std::pair<std::string, std::string>> to_confirm;  // (request, offer)
    for (uint64_t i = 0; i < posts_; ++i) {
      batch.push_back(make_post(i, times[i], top_n, to_confirm));
      if (batch.size() == batch_size || i + 1 == posts_) {
        crema::store::Store::LiveBatch live;
        live.posts = batch;
        live.top_n = top_n;
        live.at_ms = times[i];
        auto written = store.write_live_batch(run, live);
        if (!written) return tl::unexpected(written.error());
        batch.clear();
        top_n.clear();
        if (!quiet) std::fprintf(stderr, "\r%llu / %llu posts", static_cast<unsigned long long>(i + 1),
                                 static_cast<unsigned long long>(posts_));
      }
    }
    if (!quiet) std::fprintf(stderr, "\n");
    for (const auto& [request, offer] : to_confirm) {
      crema::store::DecisionInput d;
      d.request_id = request;
      d.offer_id = offer;
      d.decision = crema::store::Decision::kConfirm;
      d.note = "synthetic";
      d.at_ms = times.back();
      auto outcome = store.record_decision(d);
      if (!outcome) return tl::unexpected(outcome.error());
      ++summary_.decisions;
    }
    return summary_;
  }

 private:
  double uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  template <size_t N>
  size_t pick(const std::array<double, N>& weights) {
    return std::discrete_distribution<size_t>(weights.begin(), weights.end())(rng_);
  }

  // Creation times in order: a crisis burst (55 %, exponential with mean days/8) over a
  // steady background (45 %, uniform), within [start, start + days).
  std::vector<int64_t> draw_times() {
    std::vector<int64_t> times(posts_);
    const double span = days_ * 86400000.0;
    std::exponential_distribution<double> burst(8.0 / span);
    for (auto& t : times) {
      double offset = uniform() < 0.55 ? burst(rng_) : uniform() * span;
      if (offset >= span) offset = uniform() * span;
      t = kStartMs + static_cast<int64_t>(offset);
    }
    std::sort(times.begin(), times.end());
    return times;
  }

  const City& draw_city() {
    const double x = uniform() * cumulative_.back();
    const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), x);
    return cities_[std::min(static_cast<size_t>(it - cumulative_.begin()), cities_.size() - 1)];
  }

  // The city centre moved by up to max_km in a random direction.
  GeoPoint jitter(const City& c, double max_km) {
    const double r = max_km * std::sqrt(uniform());
    const double angle = 2 * M_PI * uniform();
    const double lat = std::clamp(c.lat + r * std::cos(angle) / kKmPerDegree, -90.0, 90.0);
    double lon = c.lon + r * std::sin(angle) / (kKmPerDegree * std::max(0.01, std::cos(c.lat * M_PI / 180)));
    if (lon > 180) lon -= 360;
    if (lon < -180) lon += 360;
    return {lat, lon};
  }

  std::string_view draw_language(std::string_view iso2) {
    const std::string_view main = main_language(iso2);
    const double u = uniform();
    if (main == "en") return u < 0.9 ? "en" : u < 0.95 ? "es" : "und";
    return u < 0.75 ? main : u < 0.92 ? "en" : "und";
  }

  Label draw_label() {
    const double u = uniform();
    const Shares& s = kShares;
    if (u < s.request) return Label::kRequest;
    if (u < s.request + s.offer) return Label::kOffer;
    if (u < s.request + s.offer + s.request_and_offer) return Label::kRequestAndOffer;
    if (u < s.request + s.offer + s.request_and_offer + s.unknown) return Label::kUnknown;
    return Label::kIrrelevant;
  }

  std::vector<std::string> draw_resources(Label label) {
    std::vector<std::string> out;
    const bool actionable = label == Label::kRequest || label == Label::kOffer || label == Label::kRequestAndOffer;
    const double u = uniform();
    const size_t n = actionable ? (u < 0.15 ? 0 : u < 0.80 ? 1 : 2) : (u < 0.95 ? 0 : 1);
    while (out.size() < n) {
      const size_t r = label == Label::kOffer ? pick(kOfferResourceWeights) : pick(kRequestResourceWeights);
      if (std::find(out.begin(), out.end(), kResources[r]) == out.end()) out.emplace_back(kResources[r]);
    }
    return out;
  }

  void set_location(crema::store::ProcessedPost& p, const City& city) {
    const Shares& s = kShares;
    const double u = uniform();
    auto& loc = p.location;
    if (u < s.geotag) {
      p.post.geo = jitter(city, 5.0);
      loc.source = GeoSource::kGeotag;
      loc.point = p.post.geo;
      loc.confidence = 1.0;
      loc.radius_km = 0;
    } else if (u < s.geotag + s.place) {
      p.post.place = city.name + ", " + city.country;
      loc.source = GeoSource::kPlace;
      loc.confidence = 0.85 + 0.1 * uniform();
    } else if (u < s.geotag + s.place + s.toponym) {
      loc.source = GeoSource::kToponym;
      loc.confidence = 0.4 + 0.55 * uniform();
    } else if (u < s.geotag + s.place + s.toponym + s.user) {
      p.post.user_location = city.name;
      loc.source = GeoSource::kUser;
      loc.confidence = 0.3 + 0.5 * uniform();
    } else {
      return;
    }
    if (!loc.point) {
      loc.point = GeoPoint{city.lat, city.lon};
      loc.radius_km = city.radius_km;
    }
    loc.country = city.country;
    loc.admin1 = city.admin1;
    loc.city = city.name;
    loc.geonameid = city.geonameid;
  }

  crema::store::ProcessedPost make_post(uint64_t i, int64_t created_ms, std::vector<crema::store::RequestTopN>& top_n,
                                        std::vector<std::pair<std::string, std::string>>& to_confirm) {
    crema::store::ProcessedPost p;
    const City& city = draw_city();
    p.post.id = "s" + std::to_string(i);
    p.post.created_at_ms = created_ms;
    p.post.user = "user" + std::to_string(std::uniform_int_distribution<uint64_t>(0, posts_ / 8 + 1)(rng_));
    p.label = draw_label();
    p.probs[static_cast<size_t>(p.label == Label::kUnknown ? Label::kIrrelevant : p.label)] =
        static_cast<float>(0.55 + 0.44 * uniform());
    p.resources = draw_resources(p.label);
    const std::string_view resource = p.resources.empty() ? std::string_view("help") : p.resources[0];
    const std::string_view tmpl = p.label == Label::kRequest || p.label == Label::kRequestAndOffer
                                      ? kRequestTexts[i % kRequestTexts.size()]
                                  : p.label == Label::kOffer ? kOfferTexts[i % kOfferTexts.size()]
                                                             : kOtherTexts[i % kOtherTexts.size()];
    p.post.text = fill_template(tmpl, resource, city.name);
    p.detected_lang = std::string(draw_language(city.country));
    const bool duplicate = !recent_.empty() && uniform() < kShares.duplicate;
    if (duplicate) {
      p.duplicate_of = recent_[std::uniform_int_distribution<size_t>(0, recent_.size() - 1)(rng_)];
      p.post.text = "RT " + p.post.text;
    }
    p.normalized = lower_ascii(p.post.text);
    set_location(p, city);

    if (duplicate) {
      ++summary_.duplicates;
      return p;
    }
    // Counted as analyse counts a non-duplicate post.
    ++summary_.posts;
    ++summary_.labels[static_cast<size_t>(p.label)];
    ++summary_.sources[static_cast<size_t>(p.location.source)];
    if (p.resources.empty()) ++summary_.without_resources;
    summary_.languages.insert(p.detected_lang);
    summary_.days.insert((created_ms - kStartMs) / 86400000);
    if (p.location.source != GeoSource::kNone) {
      summary_.cities.insert(city.country + "/" + city.name);
      if (!city.admin1.empty()) summary_.admin1.insert(city.country + "/" + city.admin1);
    }
    if (recent_.size() < kRecent) {
      recent_.push_back(p.post.id);
    } else {
      recent_[i % kRecent] = p.post.id;
    }
    const bool is_offer = p.label == Label::kOffer || p.label == Label::kRequestAndOffer;
    const bool is_request = p.label == Label::kRequest || p.label == Label::kRequestAndOffer;
    if (is_request) add_matches(p, top_n, to_confirm);
    if (is_offer) {
      if (offers_.size() < kRecent) {
        offers_.push_back(p.post.id);
      } else {
        offers_[next_offer_++ % kRecent] = p.post.id;
      }
    }
    return p;
  }

  // Top 1–5 of a request among recent offers, rank-1 score mostly 0.02–0.4 (tfidf-like).
  void add_matches(const crema::store::ProcessedPost& p, std::vector<crema::store::RequestTopN>& top_n,
                   std::vector<std::pair<std::string, std::string>>& to_confirm) {
    ++summary_.requests;
    const bool matched = !offers_.empty() && uniform() < kShares.request_matched;
    if (!matched) return;
    crema::store::RequestTopN list;
    list.request_id = p.post.id;
    const int n = std::uniform_int_distribution<int>(1, 5)(rng_);
    float score = static_cast<float>(0.02 + 0.38 * std::pow(uniform(), 1.5));
    std::set<size_t> used;
    for (int rank = 1; rank <= n; ++rank) {
      const size_t o = std::uniform_int_distribution<size_t>(0, offers_.size() - 1)(rng_);
      if (!used.insert(o).second) break;
      crema::store::StoredMatch m;
      m.request_id = p.post.id;
      m.offer_id = offers_[o];
      m.rank = static_cast<int>(list.matches.size()) + 1;
      m.w_time = static_cast<float>(0.8 + 0.2 * uniform());
      m.w_loc = static_cast<float>(0.5 + 0.5 * uniform());
      m.score = score;
      m.s_text = std::min(1.0f, score / (m.w_time * m.w_loc));
      m.km = p.location.point ? 50 * uniform() : -1;
      list.matches.push_back(std::move(m));
      score *= static_cast<float>(0.7 + 0.28 * uniform());
    }
    ++summary_.matched_requests;
    summary_.matches += list.matches.size();
    const bool confirm = uniform() < kShares.decided;
    if (confirm) to_confirm.emplace_back(p.post.id, list.matches[0].offer_id);
    if (confirm || list.matches[0].score >= met_score_) ++summary_.requests_met;
    top_n.push_back(std::move(list));
  }

  static constexpr size_t kRecent = 4096;
  std::vector<City> cities_;
  std::vector<double> cumulative_;
  uint64_t posts_;
  std::mt19937_64 rng_;
  int days_;
  double met_score_;
  std::vector<std::string> recent_, offers_;
  size_t next_offer_ = 0;
  Summary summary_;
};

// The gazetteer's cities with a population; with limit > 0 only the `limit` most populous
// (a fixed, small number of city groups whatever the number of posts).
crema::Result<std::vector<City>> load_cities(const std::string& path, size_t limit) {
  auto gazetteer = crema::geo::Gazetteer::open(path);
  if (!gazetteer) return tl::unexpected(gazetteer.error());
  std::vector<City> cities;
  for (uint32_t i = 0; i < gazetteer->size(); ++i) {
    if (gazetteer->kind(i) != crema::geo::PlaceKind::kCity || gazetteer->population(i) == 0) continue;
    const crema::geo::Place place = gazetteer->place(i);
    City c;
    c.name = place.name;
    c.country = place.country;
    c.admin1 = place.admin1;
    c.lat = place.lat;
    c.lon = place.lon;
    c.radius_km = place.radius_km;
    c.geonameid = place.geonameid;
    c.population = static_cast<double>(place.population);
    cities.push_back(std::move(c));
  }
  if (limit > 0 && limit < cities.size()) {
    std::stable_sort(cities.begin(), cities.end(), [](const City& a, const City& b) { return a.population > b.population; });
    cities.resize(limit);
  }
  if (cities.empty()) return crema::make_error(crema::ErrorCode::kInvalidArgument, path + ": the gazetteer has no cities with a population");
  return cities;
}

std::string summary_json(const Summary& s, uint64_t posts, uint64_t seed, int days, size_t ncities, double met_score,
                         double seconds, uint64_t db_bytes) {
  crema::JsonWriter w;
  w.begin_object();
  w.key("posts_written").value(posts).key("seed").value(seed).key("days").value(days);
  w.key("city_pool").value(static_cast<uint64_t>(ncities));
  w.key("seconds").value(seconds).key("db_bytes").value(db_bytes);
  w.key("duplicates").value(s.duplicates);
  w.key("posts").value(s.posts);  // non-duplicates, as analyse's totals.posts
  w.key("labels").begin_object();
  for (int l = 0; l < 5; ++l) w.key(crema::label_name(static_cast<Label>(l))).value(s.labels[static_cast<size_t>(l)]);
  w.end_object();
  w.key("geo_sources").begin_object();
  for (int g = 0; g < 5; ++g) {
    w.key(crema::store::geo_source_name(static_cast<GeoSource>(g))).value(s.sources[static_cast<size_t>(g)]);
  }
  w.end_object();
  w.key("without_resources").value(s.without_resources);
  w.key("requests").value(s.requests).key("matched_requests").value(s.matched_requests);
  w.key("matches").value(s.matches).key("decisions").value(s.decisions);
  w.key("met_score").value(met_score).key("requests_met").value(s.requests_met);
  w.key("distinct").begin_object();
  w.key("cities").value(static_cast<uint64_t>(s.cities.size()));
  w.key("admin1").value(static_cast<uint64_t>(s.admin1.size()));
  w.key("languages").value(static_cast<uint64_t>(s.languages.size()));
  w.key("days").value(static_cast<uint64_t>(s.days.size()));
  w.end_object();
  w.end_object();
  return w.take();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Writes a synthetic crema store for the analyse scale benchmark (docs/analyse.md, Scale)"};
  std::string out, gazetteer_path = crema::geo::default_gazetteer_path();
  uint64_t posts = 1000000, seed = 1;
  int days = 90;
  size_t batch = 4096, city_limit = 0;
  double met_score = 0.1;
  bool force = false, quiet = false;
  app.add_option("--out", out, "store file to create (refused if it exists, unless --force)")->required();
  app.add_option("--posts", posts, "posts to write")->capture_default_str()->check(CLI::Range(uint64_t{1}, uint64_t{1000000000}));
  app.add_option("--seed", seed, "random seed (same seed and posts: same store)")->capture_default_str();
  app.add_option("--days", days, "time span of the posts in days")->capture_default_str()->check(CLI::Range(1, 3650));
  app.add_option("--batch", batch, "posts per transaction")->capture_default_str()->check(CLI::Range(size_t{1}, size_t{1} << 20));
  app.add_option("--met-score", met_score, "threshold for the requests_met count of the summary (as crema analyse --met-score)")
      ->capture_default_str();
  app.add_option("--cities", city_limit, "draw only from the N most populous cities (0 = all)")->capture_default_str();
  app.add_option("--gazetteer", gazetteer_path, "compiled gazetteer (cities and populations)")->capture_default_str();
  app.add_flag("--force", force, "replace an existing store file");
  app.add_flag("--quiet", quiet, "no progress on stderr");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help: 0; a usage error: 2 like crema's commands
  }

  std::error_code ec;
  if (std::filesystem::exists(out, ec)) {
    if (!force) {
      std::fprintf(stderr, "crema_synthetic_store: %s exists (use --force to replace it)\n", out.c_str());
      return 2;
    }
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(out + suffix, ec);
  }
  auto cities = load_cities(gazetteer_path, city_limit);
  if (!cities) {
    std::fprintf(stderr, "crema_synthetic_store: %s\n", cities.error().message.c_str());
    return 1;
  }
  const size_t ncities = cities->size();
  const auto start = std::chrono::steady_clock::now();
  auto store = crema::store::Store::open(out);
  if (!store) {
    std::fprintf(stderr, "crema_synthetic_store: %s\n", store.error().message.c_str());
    return 1;
  }
  const std::string config = "{\"synthetic\":{\"posts\":" + std::to_string(posts) + ",\"seed\":" + std::to_string(seed) +
                             ",\"days\":" + std::to_string(days) + ",\"cities\":" + std::to_string(ncities) + "}}";
  auto run = (*store)->begin_run({"crema_synthetic_store", {}, config});
  if (!run) {
    std::fprintf(stderr, "crema_synthetic_store: %s\n", run.error().message.c_str());
    return 1;
  }
  Generator generator(std::move(*cities), posts, seed, days, met_score);
  auto summary = generator.write(**store, *run, batch, quiet);
  if (!summary) {
    std::fprintf(stderr, "crema_synthetic_store: %s\n", summary.error().message.c_str());
    return 1;
  }
  if (auto finished = (*store)->finish_run(*run, "{}"); !finished) {
    std::fprintf(stderr, "crema_synthetic_store: %s\n", finished.error().message.c_str());
    return 1;
  }
  store->reset();  // closes the store (checkpoints the WAL) before the file is measured
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const uint64_t bytes = std::filesystem::file_size(out, ec);
  std::printf("%s\n", summary_json(*summary, posts, seed, days, ncities, met_score, seconds, ec ? 0 : bytes).c_str());
  return 0;
}
