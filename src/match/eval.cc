// evaluate_matching(): CReMa's Table VII protocol on a labelled JSONL stream.
#include "crema/match/eval.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include <simdjson.h>

#include "crema/common/file_io.h"
#include "crema/common/hash.h"
#include "crema/common/json_writer.h"
#include "crema/common/parallel.h"
#include "crema/common/time.h"
#include "crema/text/normalize.h"
#include "scoring.h"

namespace crema::match {
namespace {

struct StreamPost {
  std::string pair;
  bool request = false;
  std::string lang;
  std::string text;
  std::string city;  // optional; used by coarsening
  MatchPost where;   // where.resources: the optional "resource" field
};

Error record_error(const std::string& path, size_t line, const std::string& why) {
  return Error{ErrorCode::kParseError, path + ":" + std::to_string(line) + ": " + why};
}

Result<std::string> get_string(simdjson::ondemand::object& obj, const char* field, bool required,
                               const std::string& path, size_t line) {
  auto v = obj.find_field_unordered(field);
  if (v.error() == simdjson::NO_SUCH_FIELD) {
    if (!required) return std::string();
    return tl::unexpected(record_error(path, line, std::string("missing field \"") + field + "\""));
  }
  bool is_null = false;
  if (!required && v.is_null().get(is_null) == simdjson::SUCCESS && is_null) return std::string();
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) {
    return tl::unexpected(record_error(path, line, std::string("field \"") + field + "\" is not a string"));
  }
  return std::string(s);
}

// Reads one coordinate; nullopt when missing or null.
Result<std::optional<double>> get_coordinate(simdjson::ondemand::object& obj, const char* field,
                                             const std::string& path, size_t line) {
  auto v = obj.find_field_unordered(field);
  if (v.error() == simdjson::NO_SUCH_FIELD) return std::optional<double>();
  bool is_null = false;
  if (v.is_null().get(is_null) == simdjson::SUCCESS && is_null) return std::optional<double>();
  double d = 0;
  if (v.get_double().get(d) != simdjson::SUCCESS || !std::isfinite(d)) {
    return tl::unexpected(record_error(path, line, std::string("field \"") + field + "\" is not a number"));
  }
  return std::optional<double>(d);
}

Result<StreamPost> parse_record(simdjson::ondemand::parser& parser, std::string_view raw, const std::string& path,
                                size_t line) {
  simdjson::padded_string padded(raw);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS || doc.get_object().get(obj) != simdjson::SUCCESS) {
    return tl::unexpected(record_error(path, line, "not a JSON object"));
  }
  StreamPost p;
  auto pair = obj.find_field_unordered("pair");
  if (pair.error() == simdjson::NO_SUCH_FIELD) return tl::unexpected(record_error(path, line, "missing field \"pair\""));
  int64_t pair_int = 0;
  std::string_view pair_str;
  if (pair.get_int64().get(pair_int) == simdjson::SUCCESS) {
    p.pair = std::to_string(pair_int);
  } else if (pair.get_string().get(pair_str) == simdjson::SUCCESS) {
    p.pair = std::string(pair_str);
  } else {
    return tl::unexpected(record_error(path, line, "field \"pair\" is not an integer or string"));
  }
  auto kind = get_string(obj, "kind", true, path, line);
  if (!kind) return tl::unexpected(kind.error());
  if (*kind != "request" && *kind != "offer") {
    return tl::unexpected(record_error(path, line, "kind \"" + *kind + "\" is not request or offer"));
  }
  p.request = *kind == "request";
  auto lang = get_string(obj, "lang", true, path, line);
  if (!lang) return tl::unexpected(lang.error());
  if (lang->empty()) return tl::unexpected(record_error(path, line, "empty \"lang\""));
  p.lang = std::move(*lang);
  auto text = get_string(obj, "text", true, path, line);
  if (!text) return tl::unexpected(text.error());
  p.text = std::move(*text);
  auto created = get_string(obj, "created_at", true, path, line);
  if (!created) return tl::unexpected(created.error());
  auto ms = parse_timestamp(*created);
  if (!ms) return tl::unexpected(record_error(path, line, "created_at: " + ms.error().message));
  p.where.time_ms = *ms;
  auto lat = get_coordinate(obj, "lat", path, line);
  if (!lat) return tl::unexpected(lat.error());
  auto lon = get_coordinate(obj, "lon", path, line);
  if (!lon) return tl::unexpected(lon.error());
  if (lat->has_value() && lon->has_value()) p.where.geo = GeoPoint{**lat, **lon};
  auto city = get_string(obj, "city", false, path, line);
  if (!city) return tl::unexpected(city.error());
  p.city = std::move(*city);
  auto resource = get_string(obj, "resource", false, path, line);
  if (!resource) return tl::unexpected(resource.error());
  if (!resource->empty()) p.where.resources.push_back(std::move(*resource));
  return p;
}

// Uniform in [0, n) from the top 53 bits: the same on every platform, unlike std
// distributions.
size_t draw(uint64_t& state, size_t n) {
  const double u = std::ldexp(static_cast<double>(splitmix64_next(state) >> 11), -53);
  return std::min(n - 1, static_cast<size_t>(u * static_cast<double>(n)));
}

// FNV-1a: a platform-independent hash of a pair id and kind for the coarsening draw.
uint64_t fnv1a(std::string_view s, uint64_t h = 0xcbf29ce484222325ULL) {
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Snaps a share of the posts with a city to that city's centre (the mean coordinates of the
// stream's located posts of that city) with radius coarsen_km (0 with ignore_radius). The
// draw is per pair and kind, so every language version of a post is treated alike.
void coarsen(std::vector<StreamPost>& posts, const EvalMatchOptions& options) {
  std::map<std::string, std::array<double, 3>> sums;
  for (const auto& p : posts) {
    if (p.city.empty() || !detail::located(p.where)) continue;
    auto& c = sums[p.city];
    c[0] += p.where.geo->lat;
    c[1] += p.where.geo->lon;
    c[2] += 1;
  }
  for (auto& p : posts) {
    const auto it = sums.find(p.city);
    if (it == sums.end() || !detail::located(p.where)) continue;
    uint64_t state = fnv1a(p.pair, options.seed ^ (p.request ? 0x5bd1e995ULL : 0x1b873593ULL));
    const double u = std::ldexp(static_cast<double>(splitmix64_next(state) >> 11), -53);
    if (u >= options.coarsen_share) continue;
    const auto& c = it->second;
    p.where.geo = GeoPoint{c[0] / c[2], c[1] / c[2]};
    p.where.radius_km = options.ignore_radius ? 0.0 : options.coarsen_km;
  }
}

struct Counts {
  size_t hits[4][3] = {};  // method x n
};

constexpr Method kMethods[4] = {Method::kT, Method::kTs, Method::kTts, Method::kNoText};

// Ranks each request's own offer among all offers for the four methods.
Result<EvalMatchRow> run(const std::string& language, const std::vector<const StreamPost*>& requests,
                 const std::vector<size_t>& request_rows, const std::vector<const StreamPost*>& offers,
                 const std::vector<size_t>& offer_rows, const std::vector<float>& vectors, size_t dim,
                 const EvalMatchOptions& options, const std::shared_ptr<const DecayProfiles>& profiles,
                 const Index* index) {
  std::vector<Counts> per_request(requests.size());
  std::vector<char> counted(requests.size(), 0);
  std::vector<Error> errors;
  std::mutex errors_mutex;
  parallel_for(requests.size(), options.threads, [&](size_t begin, size_t end) {
    std::vector<float> scores(offers.size());
    // ann: only the k textually nearest offers are candidates for the text methods.
    std::vector<char> candidate(offers.size(), 1);
    std::vector<Neighbor> hits(index != nullptr ? static_cast<size_t>(options.search.k) : 0);
    for (size_t r = begin; r < end; ++r) {
      const float* rv = vectors.data() + request_rows[r] * dim;
      if (index != nullptr) {
        if (auto st = index->search(std::span<const float>(rv, dim), hits.size(), hits); !st) {
          std::lock_guard lock(errors_mutex);
          errors.push_back(st.error());
          return;
        }
        std::fill(candidate.begin(), candidate.end(), 0);
        for (const Neighbor& h : hits) {
          if (h.id >= 0) candidate[static_cast<size_t>(h.id)] = 1;
        }
      }
      for (int m = 0; m < 4; ++m) {
        const bool restricted = index != nullptr && kMethods[m] != Method::kNoText;
        MatchParams p;
        p.method = kMethods[m];
        p.delta_time_ms = options.delta_time_ms;
        p.delta_km = options.delta_km;
        p.alpha = options.alpha;
        p.profiles = profiles;
        const detail::Window window = detail::window_for(requests[r]->where, p);
        std::optional<float> best_true;
        bool has_true = false;
        for (size_t o = 0; o < offers.size(); ++o) {
          ScoredOffer s;
          detail::score_pair(requests[r]->where, rv, offers[o]->where, vectors.data() + offer_rows[o] * dim, dim, p,
                             window, s);
          scores[o] = s.score;
          if (offers[o]->pair != requests[r]->pair) continue;
          has_true = true;
          if ((!restricted || candidate[o]) && (!best_true || s.score > *best_true)) best_true = s.score;
        }
        if (!has_true) break;
        counted[r] = 1;
        if (!best_true) continue;  // the own offer was not among the k: lost
        size_t rank = 1;
        for (size_t o = 0; o < offers.size(); ++o) {
          if ((!restricted || candidate[o]) && offers[o]->pair != requests[r]->pair && scores[o] >= *best_true) {
            ++rank;  // ties count against
          }
        }
        for (size_t n = 0; n < 3; ++n) per_request[r].hits[m][n] += rank <= n + 1 ? 1 : 0;
      }
    }
  });
  if (!errors.empty()) return tl::unexpected(errors.front());
  EvalMatchRow row;
  row.language = language;
  Counts total;
  for (size_t r = 0; r < requests.size(); ++r) {
    if (!counted[r]) continue;
    ++row.requests;
    for (int m = 0; m < 4; ++m) {
      for (int n = 0; n < 3; ++n) total.hits[m][n] += per_request[r].hits[m][n];
    }
  }
  TopN* tops[4] = {&row.t, &row.ts, &row.tts, &row.notext};
  const double denom = row.requests == 0 ? 1.0 : static_cast<double>(row.requests);
  for (int m = 0; m < 4; ++m) {
    tops[m]->top1 = static_cast<double>(total.hits[m][0]) / denom;
    tops[m]->top2 = static_cast<double>(total.hits[m][1]) / denom;
    tops[m]->top3 = static_cast<double>(total.hits[m][2]) / denom;
  }
  return row;
}

// ann: an index of options.search.factory over one run's offers (ids = positions in the
// run's offer list); null for exact-window.
Result<std::unique_ptr<Index>> run_index(const std::vector<size_t>& offer_rows, const std::vector<float>& vectors,
                                         size_t dim, const EvalMatchOptions& options) {
  if (options.search.kind != SearchMode::Kind::kAnn || offer_rows.empty()) return std::unique_ptr<Index>();
  auto index = make_index(options.search.factory, dim, options.search.index_options);
  if (!index) return tl::unexpected(index.error());
  std::vector<float> rows(offer_rows.size() * dim);
  std::vector<int64_t> ids(offer_rows.size());
  for (size_t i = 0; i < offer_rows.size(); ++i) {
    std::copy_n(vectors.begin() + static_cast<std::ptrdiff_t>(offer_rows[i] * dim), dim,
                rows.begin() + static_cast<std::ptrdiff_t>(i * dim));
    ids[i] = static_cast<int64_t>(i);
  }
  if (auto st = (*index)->add(ids, rows); !st) return tl::unexpected(st.error());
  return index;
}

Result<EvalMatchRow> run_with_search(const std::string& language, const std::vector<const StreamPost*>& requests,
                                     const std::vector<size_t>& request_rows,
                                     const std::vector<const StreamPost*>& offers,
                                     const std::vector<size_t>& offer_rows, const std::vector<float>& vectors,
                                     size_t dim, const EvalMatchOptions& options,
                                     const std::shared_ptr<const DecayProfiles>& profiles) {
  auto index = run_index(offer_rows, vectors, dim, options);
  if (!index) return tl::unexpected(Error{index.error().code, language + ": " + index.error().message});
  return run(language, requests, request_rows, offers, offer_rows, vectors, dim, options, profiles, index->get());
}

}  // namespace

Result<EvalMatchReport> evaluate_matching(const embed::Encoder& encoder, const EvalMatchOptions& options) {
  if (options.delta_time_ms <= 0 || !(options.delta_km > 0) || !(options.alpha >= 0 && options.alpha <= 1)) {
    return make_error(ErrorCode::kInvalidArgument, "delta_time and delta_km must be positive, alpha in [0, 1]");
  }
  if (!(options.coarsen_km >= 0) || !std::isfinite(options.coarsen_km) ||
      !(options.coarsen_share >= 0 && options.coarsen_share <= 1)) {
    return make_error(ErrorCode::kInvalidArgument, "coarsen_km must be finite and >= 0, coarsen_share in [0, 1]");
  }
  std::shared_ptr<const DecayProfiles> profiles;
  if (!options.decay_profiles_path.empty()) {
    auto loaded = load_decay_profiles(options.decay_profiles_path);
    if (!loaded) return tl::unexpected(loaded.error());
    profiles = std::make_shared<const DecayProfiles>(std::move(*loaded));
  }
  auto content = read_file(options.stream_path);
  if (!content) return tl::unexpected(content.error());

  std::vector<StreamPost> posts;
  simdjson::ondemand::parser parser;
  size_t line_no = 0;
  for (size_t at = 0; at < content->size();) {
    size_t nl = content->find('\n', at);
    if (nl == std::string::npos) nl = content->size();
    std::string_view line(content->data() + at, nl - at);
    at = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    auto post = parse_record(parser, line, options.stream_path, line_no);
    if (!post) return tl::unexpected(post.error());
    posts.push_back(std::move(*post));
  }
  if (posts.empty()) return make_error(ErrorCode::kParseError, options.stream_path + ": no records");
  if (options.coarsen_km > 0) coarsen(posts, options);

  // Encode every post once.
  const size_t dim = encoder.dim();
  std::vector<std::string> normalized(posts.size());
  parallel_for(posts.size(), options.threads, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) normalized[i] = text::normalize_text(posts[i].text);
  });
  const std::vector<std::string_view> views(normalized.begin(), normalized.end());
  std::vector<float> vectors(posts.size() * dim);
  if (options.progress) options.progress("encode", 0, posts.size());
  if (auto st = encoder.encode(views, vectors, options.threads); !st) return tl::unexpected(st.error());
  if (options.progress) options.progress("encode", posts.size(), posts.size());

  std::map<std::string, std::vector<size_t>> by_lang;  // sorted languages
  for (size_t i = 0; i < posts.size(); ++i) by_lang[posts[i].lang].push_back(i);

  EvalMatchReport report;
  report.encoder = std::string(encoder.name());
  report.stream = options.stream_path;
  report.delta_time_ms = options.delta_time_ms;
  report.delta_km = options.delta_km;
  report.alpha = options.alpha;
  report.seed = options.seed;
  report.search = search_mode_name(options.search);
  report.k = options.search.kind == SearchMode::Kind::kAnn ? options.search.k : 0;
  report.decay_profiles = options.decay_profiles_path;
  if (options.coarsen_km > 0) {
    report.coarsen_km = options.coarsen_km;
    report.coarsen_share = options.coarsen_share;
    report.ignore_radius = options.ignore_radius;
  }
  const uint64_t total_runs = by_lang.size() + 1;
  uint64_t done = 0;
  for (const auto& [lang, ids] : by_lang) {
    std::vector<const StreamPost*> req, off;
    std::vector<size_t> req_rows, off_rows;
    for (const size_t i : ids) {
      (posts[i].request ? req : off).push_back(&posts[i]);
      (posts[i].request ? req_rows : off_rows).push_back(i);
    }
    auto row = run_with_search(lang, req, req_rows, off, off_rows, vectors, dim, options, profiles);
    if (!row) return tl::unexpected(row.error());
    report.rows.push_back(std::move(*row));
    if (options.progress) options.progress("match", ++done, total_runs);
  }

  // Random-language run: pairs in order of first appearance; per pair, draw the request's
  // language then the offer's, each uniformly among the languages that pair has for it.
  std::vector<std::string> pair_order;
  std::map<std::string, std::pair<std::map<std::string, size_t>, std::map<std::string, size_t>>> members;
  for (size_t i = 0; i < posts.size(); ++i) {
    auto [it, inserted] = members.try_emplace(posts[i].pair);
    if (inserted) pair_order.push_back(posts[i].pair);
    (posts[i].request ? it->second.first : it->second.second).try_emplace(posts[i].lang, i);
  }
  uint64_t state = options.seed;
  std::vector<const StreamPost*> req, off;
  std::vector<size_t> req_rows, off_rows;
  for (const auto& pair : pair_order) {
    const auto& [requests, offers] = members[pair];
    if (requests.empty() || offers.empty()) continue;
    auto r = requests.begin();
    std::advance(r, static_cast<std::ptrdiff_t>(draw(state, requests.size())));
    auto o = offers.begin();
    std::advance(o, static_cast<std::ptrdiff_t>(draw(state, offers.size())));
    req.push_back(&posts[r->second]);
    req_rows.push_back(r->second);
    off.push_back(&posts[o->second]);
    off_rows.push_back(o->second);
  }
  auto random_row = run_with_search("random", req, req_rows, off, off_rows, vectors, dim, options, profiles);
  if (!random_row) return tl::unexpected(random_row.error());
  report.rows.push_back(std::move(*random_row));
  if (options.progress) options.progress("match", ++done, total_runs);

  EvalMatchRow mean;
  mean.language = "mean";
  const double k = static_cast<double>(by_lang.size());
  for (size_t i = 0; i < by_lang.size(); ++i) {
    const EvalMatchRow& row = report.rows[i];
    mean.requests += row.requests;
    for (auto [dst, src] : {std::pair{&mean.t, &row.t}, {&mean.ts, &row.ts}, {&mean.tts, &row.tts}, {&mean.notext, &row.notext}}) {
      dst->top1 += src->top1 / k;
      dst->top2 += src->top2 / k;
      dst->top3 += src->top3 / k;
    }
  }
  report.rows.push_back(mean);
  return report;
}

std::string EvalMatchReport::to_text() const {
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "Matching on %s, encoder %s, delta_time %.6g d, delta_distance %.6g km, alpha %.6g, seed %llu\n\n",
                stream.c_str(), encoder.c_str(), static_cast<double>(delta_time_ms) / 86'400'000.0, delta_km, alpha,
                static_cast<unsigned long long>(seed));
  out += buf;
  if (k > 0) {
    std::snprintf(buf, sizeof(buf), "Search: %s, k = %d (T, TS, TTS rank only the k textually nearest offers)\n\n",
                  search.c_str(), k);
    out += buf;
  }
  if (!decay_profiles.empty()) out += "Decay profiles: " + decay_profiles + "\n\n";
  if (coarsen_km > 0) {
    std::snprintf(buf, sizeof(buf), "Coarsened: %.6g of posts snapped to their city centre, radius %.6g km%s\n\n",
                  coarsen_share, coarsen_km, ignore_radius ? " (radius ignored)" : "");
    out += buf;
  }
  out += "| language | n | T@1 | T@2 | T@3 | TS@1 | TS@2 | TS@3 | TTS@1 | TTS@2 | TTS@3 | floor@1 | floor@2 | floor@3 |\n";
  out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& row : rows) {
    std::snprintf(buf, sizeof(buf), "| %s | %zu", row.language.c_str(), row.requests);
    out += buf;
    for (const TopN* t : {&row.t, &row.ts, &row.tts, &row.notext}) {
      std::snprintf(buf, sizeof(buf), " | %.3f | %.3f | %.3f", t->top1, t->top2, t->top3);
      out += buf;
    }
    out += " |\n";
  }
  return out;
}

std::string EvalMatchReport::to_json() const {
  JsonWriter w;
  w.begin_object();
  w.key("encoder").value(encoder).key("stream").value(stream);
  w.key("delta_time_ms").value(delta_time_ms).key("delta_km").value(delta_km).key("alpha").value(alpha);
  w.key("seed").value(seed);
  w.key("search").value(search);
  if (k > 0) w.key("k").value(static_cast<int64_t>(k));
  if (!decay_profiles.empty()) w.key("decay_profiles").value(decay_profiles);
  if (coarsen_km > 0) {
    w.key("coarsen_km").value(coarsen_km).key("coarsen_share").value(coarsen_share);
    w.key("ignore_radius").value(ignore_radius);
  }
  w.key("rows").begin_array();
  for (const auto& row : rows) {
    w.begin_object().key("language").value(row.language).key("requests").value(static_cast<uint64_t>(row.requests));
    for (auto [name, t] : {std::pair{"t", &row.t}, {"ts", &row.ts}, {"tts", &row.tts}, {"notext", &row.notext}}) {
      w.key(name).begin_object().key("top1").value(t->top1).key("top2").value(t->top2).key("top3").value(t->top3).end_object();
    }
    w.end_object();
  }
  w.end_array().end_object();
  return w.take();
}

}  // namespace crema::match
