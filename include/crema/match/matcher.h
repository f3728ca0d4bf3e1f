// crema/match/matcher.h: matching requests to offers (CReMa §III-D).
//
//   tts (default)  S = S_text · W_time · W_location
//   ts             S = α·S_text + (1−α)·W_location          (the linear baseline)
//   t              S = S_text                                (text only)
//   notext         S = W_time · W_location                   (the floor: geometry alone)
// with W_time = 1 − min(Δt/δ_time, 1), W_location = 1 − min(d/δ_distance, 1), d by haversine
// on a sphere of radius 6371.0088 km.
//
// For tts and notext the candidate set is exact: W = 0 outside δ_time and δ_distance, so
// only offers inside both windows are scored (a latitude-row grid whose longitude cells
// widen with latitude, wrapping at the antimeridian and whole rows at the poles; each cell
// keeps its offers sorted by time and is binary-searched for the δ_time window), and
// nothing is lost to an approximate top-K: the result equals brute force (exhaustive).
// t and ts score every offer.
// Coordinates: a post has none when geo is empty or outside [-90, 90] x [-180, 180]. For
// tts, ts and notext such posts are not matched unless allow_unlocated (then W_location = 1
// for any pair with an unlocated side); t ignores location. MatchStats counts them.
// Ties: offers with equal score are ordered by offer index (input order), so results are
// deterministic. match() is thread-safe (it only reads its inputs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crema/common/post.h"
#include "crema/common/result.h"

namespace crema::match {

enum class Method { kTts, kTs, kT, kNoText };

// Parses "tts", "ts", "t", "notext" (case-insensitive).
Result<Method> parse_method(std::string_view name);
std::string_view method_name(Method method);

struct MatchParams {
  Method method = Method::kTts;
  int64_t delta_time_ms = 30LL * 86'400'000;  // δ_time
  double delta_km = 10.0;                      // δ_distance
  int top_n = 3;
  double alpha = 0.5;           // ts only
  bool allow_unlocated = false; // posts without coordinates get W_location = 1
  double min_score = 0.0;       // offers with score <= min_score are not reported
  int threads = 1;
  // Score every offer even for tts/notext (the brute-force reference the windowed search is
  // tested and benchmarked against). Also used when min_score < 0, where offers outside the
  // windows (score 0) could be reported.
  bool exhaustive = false;
};

// The matching view of a post: when and where. Vectors are passed separately.
struct MatchPost {
  int64_t time_ms = 0;
  std::optional<GeoPoint> geo;
};

// A set of posts and their embeddings (row i of vectors belongs to posts[i]).
struct MatchSet {
  std::span<const MatchPost> posts;
  std::span<const float> vectors;  // posts.size() * dim, L2-normalised rows
  size_t dim = 0;
};

struct ScoredOffer {
  size_t offer = 0;  // index into the offers MatchSet
  float score = 0, s_text = 0, w_time = 0, w_loc = 0;
  double km = -1;  // -1 when either side has no coordinates
};

struct RequestMatches {
  size_t request = 0;                // index into the requests MatchSet
  std::vector<ScoredOffer> offers;   // best first, at most top_n
};

struct MatchStats {
  size_t requests = 0, offers = 0;
  size_t unlocated_requests = 0;  // not matched (unless allow_unlocated)
  size_t unlocated_offers = 0;
  size_t pairs_scored = 0;        // how many request/offer pairs were scored
};

// Returns one RequestMatches per request, in request order (requests that could not be
// matched have an empty offer list). Errors on dimension mismatch or bad parameters.
Result<std::vector<RequestMatches>> match(const MatchSet& requests, const MatchSet& offers,
                                          const MatchParams& params, MatchStats* stats = nullptr);

// Great-circle distance in km.
double haversine_km(GeoPoint a, GeoPoint b);

}  // namespace crema::match
