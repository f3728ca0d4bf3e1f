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
//
// Beyond the paper (both off by default; with neither, scores are bit-for-bit plain TTS):
// - Per-resource decay profiles (MatchParams::profiles): a request's δ_time, δ_distance and
//   the shape of each decay come from the profile of its resource (select_profile()), so a
//   blood request stops waiting after hours and a money request after weeks. Every shape is
//   0 at and beyond δ, so the windowed search stays exact (it searches each request's own
//   window).
// - Uncertain locations (MatchPost::radius_km, e.g. a post placed by a city name): W_location
//   uses the distance between the two uncertainty discs, d' = max(0, d − r_req − r_off),
//   instead of the centre distance d; the windowed search widens its spatial window by the
//   request's radius plus the largest offer radius, so it stays exact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crema/common/post.h"
#include "crema/common/result.h"
#include "crema/match/index.h"

namespace crema::match {

// How a weight falls from 1 at distance 0 to 0 at δ, with x = min(Δ/δ, 1):
//   linear  1 − x        (the paper)
//   fast    (1 − x)²     (urgent: most of the value is lost early)
//   slow    1 − x²       (holds up, then falls near δ)
//   step    1 for x < 1  (anything inside the window is as good)
// All are 0 for x ≥ 1.
enum class DecayShape { kLinear, kFast, kSlow, kStep };

// Parses "linear", "fast", "slow", "step" (case-insensitive).
Result<DecayShape> parse_decay_shape(std::string_view name);
std::string_view decay_shape_name(DecayShape shape);
// The weight 1 → 0 of `shape` at `value` (≥ 0) for window `delta` (> 0).
double decay_weight(DecayShape shape, double value, double delta);

// The windows of one resource.
struct DecayProfile {
  std::string resource;  // lower case; "*" is the default for resources without a line
  int64_t delta_time_ms = 0;
  double delta_km = 0;
  DecayShape time_shape = DecayShape::kLinear;
  DecayShape distance_shape = DecayShape::kLinear;
};

struct DecayProfiles {
  std::vector<DecayProfile> profiles;  // file order; resources unique
  // The profile of `resource` (case-insensitive), else the "*" line, else null.
  const DecayProfile* find(std::string_view resource) const;
};

// Parses a profiles table: UTF-8 text, one profile per line, tab-separated
//   resource <TAB> delta_time <TAB> delta_km [<TAB> time_shape [<TAB> distance_shape]]
// delta_time as parse_duration() ("12h", "2d", "3w"), delta_km a positive number in km,
// shapes default to linear. '#' starts a comment line; blank lines are skipped. Errors
// (kParseError) name `source` and the line: wrong column count, bad number, unknown shape,
// non-positive window, duplicate resource, no profiles at all.
Result<DecayProfiles> parse_decay_profiles(std::string_view text, std::string_view source = "profiles");
// Reads and parses a profiles file (path as given).
Result<DecayProfiles> load_decay_profiles(const std::string& path);
// The bundled table, data/match/decay_profiles.tsv under resource_root().
std::string default_decay_profiles_path();

// The profile a post with these resources is matched under. Several resources with a
// profile: the most lenient (longest δ_time, then longest δ_km, then first listed) — the
// post still wants all of them, and a tighter window would drop offers for its other needs.
// No listed resource has a profile: the "*" line, else null (MatchParams' own windows).
const DecayProfile* select_profile(const DecayProfiles& profiles, std::span<const std::string> resources);

// Distance in km between the discs of radius ra and rb around a and b:
// max(0, haversine_km(a, b) − ra − rb). Radii must be ≥ 0.
double disc_distance_km(GeoPoint a, double ra_km, GeoPoint b, double rb_km);

enum class Method { kTts, kTs, kT, kNoText };

// How match() finds the candidate offers of a request (docs/matching.md, "Search modes"):
//   exact-window  the offers inside the request's δ_time and δ_distance windows (tts and
//                 notext; t and ts score every offer): equal to brute force.
//   ann:FACTORY   CReMa's hybrid: the k textually nearest offers from a vector index
//                 (index.h factory string), then re-ranked by the method's score. An offer
//                 near in space and time but not among the k is lost. Needs text (not
//                 notext).
struct SearchMode {
  enum class Kind { kExactWindow, kAnn };
  Kind kind = Kind::kExactWindow;
  std::string factory;         // ann: "flat", "ivf1024,flat", "hnsw32", …
  int k = 100;                 // ann: text candidates per request (>= 1)
  IndexOptions index_options;  // ann: nprobe, ef_search, … for an index match() builds
};

// Parses "exact-window" or "ann:FACTORY" (factory checked by parse_index_spec) with k.
Result<SearchMode> parse_search_mode(std::string_view text, int k = 100);
// "exact-window" or "ann:<canonical factory>".
std::string search_mode_name(const SearchMode& mode);

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
  // Per-resource windows (null: every request uses delta_time_ms/delta_km with linear
  // decay, the paper's TTS). A request with resources is matched under
  // select_profile(*profiles, resources) when that is not null; a request without
  // resources uses delta_time_ms/delta_km. Applies to tts, ts and notext. Read-only.
  std::shared_ptr<const DecayProfiles> profiles;
  // Candidate search (SearchMode above); exhaustive wins over it.
  SearchMode search{};
  // ann: a prebuilt index over the offers whose ids are offer indices (shared, searched
  // read-only); null = match() builds search.factory over the offers' vectors per call.
  std::shared_ptr<const Index> index{};
};

// The matching view of a post: when and where. Vectors are passed separately.
struct MatchPost {
  int64_t time_ms = 0;
  std::optional<GeoPoint> geo;
  // Location uncertainty: geo is the centre of a disc of this radius (0 = an exact point;
  // e.g. a city's radius when the post was placed by a city name). Finite, ≥ 0.
  double radius_km = 0;
  // Resource types the post asks for or offers (lower case, e.g. "blood"); only a
  // request's resources are used, to pick its decay profile. Empty = unknown.
  std::vector<std::string> resources{};  // (an initializer keeps {time, geo} warning-free)
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
  // The distance W_location used (the disc distance when a radius is set); -1 when either
  // side has no coordinates.
  double km = -1;
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
// matched have an empty offer list). Errors on dimension mismatch, bad parameters or a
// negative/non-finite radius_km (naming the post).
Result<std::vector<RequestMatches>> match(const MatchSet& requests, const MatchSet& offers,
                                          const MatchParams& params, MatchStats* stats = nullptr);

// Great-circle distance in km.
double haversine_km(GeoPoint a, GeoPoint b);

// --- Incremental matching (live mode, crema/live.h; src/match/live_index.cc) ---
// The same arithmetic as match(), one pair at a time, so a live pipeline that keeps each
// request's best offers under ranks_before() ends with exactly match()'s top-n for the
// windowed methods (tts, notext).

// Scores request/offer as match() does (the request's window from its decay profile, the
// disc distance, the method); out.offer is left as given. Vectors may be null (s_text 0).
void score_pair(const MatchPost& request, const float* request_vec, const MatchPost& offer, const float* offer_vec,
                size_t dim, const MatchParams& params, ScoredOffer& out);
// Whether match() scores the pair at all: false when a side lacks coordinates, the method
// uses location and allow_unlocated is off.
bool pair_eligible(const MatchPost& request, const MatchPost& offer, const MatchParams& params);
// match()'s order: higher score first, then lower offer index.
bool ranks_before(const ScoredOffer& a, const ScoredOffer& b);
// Whether the post has usable coordinates (geo set and inside [-90, 90] x [-180, 180]).
bool is_located(const MatchPost& post);
// The windows a request is matched under (its decay profile, else params').
int64_t request_delta_time_ms(const MatchPost& request, const MatchParams& params);
double request_delta_km(const MatchPost& request, const MatchParams& params);
// The longest δ_time and δ_km over params and its profiles: how long and how far any post
// can still matter.
int64_t max_delta_time_ms(const MatchParams& params);
double max_delta_km(const MatchParams& params);

// A mutable set of posts (keys chosen by the caller) for windowed candidate search:
// located posts in latitude/longitude cells, unlocated ones apart. Insert and erase are
// O(1) amortised (erase is linear in the post's cell). Not thread-safe for writes; const
// calls may run concurrently.
class LivePostIndex {
 public:
  // cell_km > 0: the cell edge; use the largest search radius (max δ_km plus radii).
  explicit LivePostIndex(double cell_km);
  ~LivePostIndex();
  LivePostIndex(LivePostIndex&&) noexcept;
  LivePostIndex& operator=(LivePostIndex&&) noexcept;

  // Adds a post under a key not yet in the index (a repeated key is ignored: false).
  bool insert(uint64_t key, const MatchPost& post);
  bool erase(uint64_t key);
  size_t size() const;

  // Calls fn(key) once for every located post that may lie within reach_km of center
  // (a superset: whole cells) and whose time is within delta_ms of t; also every unlocated
  // post within time when with_unlocated. No center: every post within time.
  template <typename Fn>
  void for_candidates(const std::optional<GeoPoint>& center, double reach_km, int64_t t, int64_t delta_ms,
                      bool with_unlocated, const Fn& fn) const {
    visit(center, reach_km, t, delta_ms, with_unlocated, &fn,
          [](const void* f, uint64_t key) { (*static_cast<const Fn*>(f))(key); });
  }

 private:
  void visit(const std::optional<GeoPoint>& center, double reach_km, int64_t t, int64_t delta_ms, bool with_unlocated,
             const void* fn, void (*call)(const void*, uint64_t)) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crema::match
