// match() and OfferSearcher: exact windowed candidate generation for tts/notext (a
// latitude-row/longitude-cell grid whose cells keep their offers in time order with unit
// vectors for a chord test), brute force for t/ts, or CReMa's ann hybrid (index top-K, then
// re-rank). Each request searches its own window (decay profile, widened by the radii).
#include "crema/match/matcher.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numbers>
#include <string>
#include <unordered_map>

#include "crema/common/parallel.h"
#include "crema/match/searcher.h"
#include "scoring.h"

namespace crema::match {
namespace {

using detail::kDegToRad;
using detail::kEarthRadiusKm;
using detail::kKmPerDegree;
using detail::kSlack;
// Bounds the grid's memory for tiny δ_km; rows taller than δ_km only cost speed.
constexpr double kMaxRows = 1 << 20;

using detail::located;

// Offers in time order (ties by index), with the time of each for binary search.
struct TimeList {
  std::vector<uint32_t> offers;
  std::vector<int64_t> times;

  void build(std::vector<uint32_t> ids, std::span<const MatchPost> posts) {
    std::sort(ids.begin(), ids.end(), [&](uint32_t a, uint32_t b) {
      return posts[a].time_ms != posts[b].time_ms ? posts[a].time_ms < posts[b].time_ms : a < b;
    });
    offers = std::move(ids);
    times.resize(offers.size());
    for (size_t i = 0; i < offers.size(); ++i) times[i] = posts[offers[i]].time_ms;
  }

  // The positions [first, last) of the offers with |t - time| <= delta.
  std::pair<size_t, size_t> window(int64_t t, int64_t delta) const {
    const int64_t lo = t > INT64_MIN + delta ? t - delta : INT64_MIN;
    const int64_t hi = t < INT64_MAX - delta ? t + delta : INT64_MAX;
    const auto first = std::lower_bound(times.begin(), times.end(), lo);
    const auto last = std::upper_bound(first, times.end(), hi);
    return {static_cast<size_t>(first - times.begin()), static_cast<size_t>(last - times.begin())};
  }

  // Calls fn(offer) for every offer with |t - time| <= delta.
  template <typename Fn>
  void for_window(int64_t t, int64_t delta, Fn&& fn) const {
    const auto [first, last] = window(t, delta);
    for (size_t i = first; i < last; ++i) fn(offers[i]);
  }
};

// A point on the unit sphere: chord length between two is 2·sin(angle/2), so "within
// reach" is a dot-free comparison of squared chords.
struct Unit {
  double x = 0, y = 0, z = 0;
};

Unit unit_of(GeoPoint p) {
  const double lat = p.lat * kDegToRad, lon = p.lon * kDegToRad;
  return {std::cos(lat) * std::cos(lon), std::cos(lat) * std::sin(lon), std::sin(lat)};
}

// A cell: its offers in time order with their unit vectors alongside (one cache-friendly
// pass filters by time and distance before any embedding row is read).
struct Cell {
  TimeList list;
  std::vector<Unit> units;
};

// Located offers bucketed by latitude row (height δ_km) and longitude cell. A row's cells
// are widened by 1/cos of the row's most poleward latitude, so a cell spans at least δ_km
// east-west anywhere in the row; rows touching a pole have one cell.
class GeoGrid {
 public:
  GeoGrid(std::span<const MatchPost> posts, const std::vector<uint32_t>& ids, double delta_km)
      : row_deg_(std::clamp(delta_km / kKmPerDegree, 180.0 / kMaxRows, 180.0)) {
    rows_ = std::max(1, static_cast<int>(std::ceil(180.0 / row_deg_)));
    cols_.resize(static_cast<size_t>(rows_));
    for (int r = 0; r < rows_; ++r) {
      const double lo = -90.0 + r * row_deg_;
      const double hi = std::min(90.0, lo + row_deg_);
      const double poleward = std::max(std::fabs(lo), std::fabs(hi));
      const double width_km = 360.0 * kKmPerDegree * std::cos(std::min(90.0, poleward) * kDegToRad);
      cols_[static_cast<size_t>(r)] = std::clamp(static_cast<int>(std::floor(width_km / delta_km)), 1, 1 << 22);
    }
    std::unordered_map<uint64_t, std::vector<uint32_t>> members;
    for (const uint32_t id : ids) {
      const int row = row_of(posts[id].geo->lat);
      members[key(row, col_of(row, posts[id].geo->lon))].push_back(id);
    }
    cells_.reserve(members.size());
    for (auto& [k, v] : members) {
      Cell& cell = cells_[k];
      cell.list.build(std::move(v), posts);
      cell.units.reserve(cell.list.offers.size());
      for (const uint32_t o : cell.list.offers) cell.units.push_back(unit_of(*posts[o].geo));
    }
  }

  // Calls fn(offer) for every offer within delta_km of p (a slight superset: rounding
  // slack) whose time is within delta_ms of t. Each offer at most once.
  template <typename Fn>
  void for_candidates(GeoPoint p, double delta_km, int64_t t, int64_t delta_ms, Fn&& fn) const {
    const detail::CapReach reach = detail::cap_reach(p.lat, delta_km);
    const double theta = reach.theta, dlat = reach.dlat, dlon = reach.dlon;
    const int r0 = row_of(std::max(-90.0, p.lat - dlat));
    const int r1 = row_of(std::min(90.0, p.lat + dlat));
    // Squared chord of the reach, with slack so rounding never drops an offer inside it.
    const double chord = theta >= std::numbers::pi ? 2.0 : 2.0 * std::sin(theta / 2);
    const double chord2 = chord * chord * (1 + 4 * kSlack) + 1e-12;
    const Unit u = unit_of(p);
    for (int r = r0; r <= r1; ++r) {
      const int n = cols_[static_cast<size_t>(r)];
      const double width = 360.0 / n;
      int c0 = 0;
      int count = n;
      if (dlon < 180.0) {
        const auto first = static_cast<int64_t>(std::floor((p.lon - dlon + 180.0) / width));
        const auto last = static_cast<int64_t>(std::floor((p.lon + dlon + 180.0) / width));
        if (last - first + 1 < n) {
          c0 = static_cast<int>(((first % n) + n) % n);  // wraps across the antimeridian
          count = static_cast<int>(last - first + 1);
        }
      }
      for (int i = 0; i < count; ++i) {
        const auto it = cells_.find(key(r, (c0 + i) % n));
        if (it == cells_.end()) continue;
        const Cell& cell = it->second;
        const auto [first, last] = cell.list.window(t, delta_ms);
        for (size_t j = first; j < last; ++j) {
          const Unit& v = cell.units[j];
          const double dx = v.x - u.x, dy = v.y - u.y, dz = v.z - u.z;
          if (dx * dx + dy * dy + dz * dz <= chord2) fn(cell.list.offers[j]);
        }
      }
    }
  }

  size_t memory_bytes() const {
    size_t bytes = cols_.size() * sizeof(int) + cells_.size() * (sizeof(Cell) + 32);
    for (const auto& [k, cell] : cells_) {
      bytes += cell.list.offers.size() * (sizeof(uint32_t) + sizeof(int64_t) + sizeof(Unit));
    }
    return bytes;
  }

 private:
  int row_of(double lat) const {
    return std::clamp(static_cast<int>(std::floor((lat + 90.0) / row_deg_)), 0, rows_ - 1);
  }
  int col_of(int row, double lon) const {
    const int n = cols_[static_cast<size_t>(row)];
    const double x = std::floor((lon + 180.0) / (360.0 / n));
    return ((static_cast<int>(x) % n) + n) % n;  // lon = 180 is the same cell as -180
  }
  static uint64_t key(int row, int col) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(row)) << 32) | static_cast<uint32_t>(col);
  }

  double row_deg_;
  int rows_ = 1;
  std::vector<int> cols_;
  std::unordered_map<uint64_t, Cell> cells_;
};

Status check_set(const MatchSet& set, const char* what, bool need_vectors) {
  for (size_t i = 0; i < set.posts.size(); ++i) {
    const double r = set.posts[i].radius_km;
    if (!std::isfinite(r) || r < 0) {
      return make_error(ErrorCode::kInvalidArgument, std::string(what) + " post " + std::to_string(i) +
                                                         ": radius_km must be finite and >= 0");
    }
  }
  if (!need_vectors && set.vectors.empty()) return {};
  if (set.vectors.size() != set.posts.size() * set.dim) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string(what) + ": " + std::to_string(set.vectors.size()) + " floats for " +
                          std::to_string(set.posts.size()) + " posts of dimension " + std::to_string(set.dim));
  }
  return {};
}

Status check_params(const MatchParams& params) {
  if (params.delta_time_ms <= 0 || !(params.delta_km > 0) || !std::isfinite(params.delta_km)) {
    return make_error(ErrorCode::kInvalidArgument, "delta_time and delta_km must be positive");
  }
  if (params.profiles != nullptr) {
    for (const auto& prof : params.profiles->profiles) {
      if (prof.delta_time_ms <= 0 || !(prof.delta_km > 0) || !std::isfinite(prof.delta_km)) {
        return make_error(ErrorCode::kInvalidArgument, "decay profile '" + prof.resource + "': windows must be positive");
      }
    }
  }
  if (params.top_n < 1) return make_error(ErrorCode::kInvalidArgument, "top_n must be at least 1");
  if (!(params.alpha >= 0 && params.alpha <= 1)) return make_error(ErrorCode::kInvalidArgument, "alpha must be in [0, 1]");
  if (std::isnan(params.min_score)) return make_error(ErrorCode::kInvalidArgument, "min_score is NaN");
  if (params.search.kind == SearchMode::Kind::kAnn && params.search.k < 1) {
    return make_error(ErrorCode::kInvalidArgument, "ann search: k must be at least 1");
  }
  return {};
}

}  // namespace

Result<Method> parse_method(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "tts") return Method::kTts;
  if (lower == "ts") return Method::kTs;
  if (lower == "t") return Method::kT;
  if (lower == "notext") return Method::kNoText;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown match method '" + std::string(name) + "' (known: tts, ts, t, notext)");
}

std::string_view method_name(Method method) {
  switch (method) {
    case Method::kTts: return "tts";
    case Method::kTs: return "ts";
    case Method::kT: return "t";
    case Method::kNoText: return "notext";
  }
  return "tts";
}

double haversine_km(GeoPoint a, GeoPoint b) {
  const double dlat = (b.lat - a.lat) * kDegToRad;
  const double dlon = (b.lon - a.lon) * kDegToRad;
  const double s1 = std::sin(dlat / 2);
  const double s2 = std::sin(dlon / 2);
  const double h = s1 * s1 + std::cos(a.lat * kDegToRad) * std::cos(b.lat * kDegToRad) * s2 * s2;
  return 2.0 * kEarthRadiusKm * std::atan2(std::sqrt(h), std::sqrt(std::max(0.0, 1.0 - h)));
}

Result<SearchMode> parse_search_mode(std::string_view text, int k) {
  if (k < 1) return make_error(ErrorCode::kInvalidArgument, "--k must be at least 1");
  SearchMode mode;
  mode.k = k;
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "exact-window") return mode;
  if (lower.rfind("ann:", 0) == 0) {
    auto spec = parse_index_spec(std::string_view(lower).substr(4));
    if (!spec) return tl::unexpected(spec.error());
    mode.kind = SearchMode::Kind::kAnn;
    mode.factory = spec->canonical;
    return mode;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown search mode '" + std::string(text) + "' (known: exact-window, ann:FACTORY)");
}

std::string search_mode_name(const SearchMode& mode) {
  return mode.kind == SearchMode::Kind::kAnn ? "ann:" + mode.factory : "exact-window";
}

struct OfferSearcher::Impl {
  MatchSet offers;
  MatchParams params;
  bool uses_location = true;
  bool windowed = false;
  bool ann = false;
  bool vectors = false;
  double max_offer_radius = 0;
  std::optional<GeoGrid> grid;
  TimeList unlocated_by_time, all_by_time;
  std::shared_ptr<const Index> index;
};

OfferSearcher::OfferSearcher() : impl_(std::make_unique<Impl>()) {}
OfferSearcher::~OfferSearcher() = default;

Result<std::unique_ptr<OfferSearcher>> OfferSearcher::build(const MatchSet& offers, const MatchParams& params) {
  const bool text = params.method != Method::kNoText;
  if (auto st = check_set(offers, "offers", text); !st) return tl::unexpected(st.error());
  if (auto st = check_params(params); !st) return tl::unexpected(st.error());
  if (offers.posts.size() > UINT32_MAX) return make_error(ErrorCode::kInvalidArgument, "too many offers");
  std::unique_ptr<OfferSearcher> searcher(new OfferSearcher());
  Impl& im = *searcher->impl_;
  im.offers = offers;
  im.params = params;
  im.uses_location = params.method != Method::kT;
  im.ann = params.search.kind == SearchMode::Kind::kAnn && !params.exhaustive;
  im.windowed = !im.ann && (params.method == Method::kTts || params.method == Method::kNoText) && !params.exhaustive &&
                params.min_score >= 0;
  im.vectors = !offers.vectors.empty() && offers.dim > 0;

  std::vector<uint32_t> located_ids, unlocated_ids;
  for (size_t i = 0; i < offers.posts.size(); ++i) {
    (located(offers.posts[i]) ? located_ids : unlocated_ids).push_back(static_cast<uint32_t>(i));
  }
  // The spatial window grows by the largest offer radius (and each request's own radius).
  for (const uint32_t id : located_ids) im.max_offer_radius = std::max(im.max_offer_radius, offers.posts[id].radius_km);
  if (im.windowed) {
    im.grid.emplace(offers.posts, located_ids, params.delta_km);
    if (params.allow_unlocated) {
      im.unlocated_by_time.build(unlocated_ids, offers.posts);
      std::vector<uint32_t> all(offers.posts.size());
      for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint32_t>(i);
      im.all_by_time.build(std::move(all), offers.posts);
    }
  }
  if (im.ann) {
    if (!text) return make_error(ErrorCode::kInvalidArgument, "ann search needs text: not with method notext");
    if (params.index != nullptr) {
      if (params.index->dim() != offers.dim) {
        return make_error(ErrorCode::kInvalidArgument, "index has dimension " + std::to_string(params.index->dim()) +
                                                           ", offers " + std::to_string(offers.dim));
      }
      im.index = params.index;
    } else {
      auto made = make_index(params.search.factory, offers.dim, params.search.index_options);
      if (!made) return tl::unexpected(made.error());
      std::vector<int64_t> ids(offers.posts.size());
      for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i);
      if (!ids.empty()) {
        if (auto st = (*made)->add(ids, offers.vectors); !st) return tl::unexpected(st.error());
      }
      im.index = std::move(*made);
    }
  }
  return searcher;
}

size_t OfferSearcher::memory_bytes() const {
  const Impl& im = *impl_;
  size_t bytes = im.grid ? im.grid->memory_bytes() : 0;
  bytes += (im.unlocated_by_time.offers.size() + im.all_by_time.offers.size()) * 12;
  if (im.index != nullptr && im.params.index == nullptr) bytes += im.index->memory_bytes();
  return bytes;
}

Result<std::vector<ScoredOffer>> OfferSearcher::search(const MatchPost& req, const float* rv, size_t* scored_out) const {
  const Impl& im = *impl_;
  const MatchParams& params = im.params;
  const MatchSet& offers = im.offers;
  const size_t dim = offers.dim;
  const bool vectors = im.vectors && rv != nullptr;
  std::vector<ScoredOffer> kept;
  size_t scored = 0;
  if (scored_out != nullptr) *scored_out = 0;
  if (!std::isfinite(req.radius_km) || req.radius_km < 0) {
    return make_error(ErrorCode::kInvalidArgument, "request radius_km must be finite and >= 0");
  }
  const bool req_located = located(req);
  if (im.uses_location && !req_located && !params.allow_unlocated) return kept;
  const detail::Window window = detail::window_for(req, params);
  const auto consider = [&](uint32_t o) {
    const MatchPost& off = offers.posts[o];
    if (im.uses_location && !located(off) && !params.allow_unlocated) return;
    ScoredOffer s;
    s.offer = o;
    detail::score_pair(req, rv, off, vectors ? offers.vectors.data() + size_t{o} * dim : nullptr, dim, params, window,
                       s);
    ++scored;
    if (s.score > params.min_score) kept.push_back(s);
  };
  if (im.ann) {
    if (rv == nullptr) return make_error(ErrorCode::kInvalidArgument, "ann search needs the request's vector");
    const auto k = static_cast<size_t>(params.search.k);
    std::vector<Neighbor> hits(k);
    if (auto st = im.index->search(std::span<const float>(rv, dim), k, hits); !st) return tl::unexpected(st.error());
    for (const Neighbor& h : hits) {
      if (h.id >= 0 && static_cast<size_t>(h.id) < offers.posts.size()) consider(static_cast<uint32_t>(h.id));
    }
  } else if (!im.windowed) {
    for (size_t o = 0; o < offers.posts.size(); ++o) consider(static_cast<uint32_t>(o));
  } else if (!req_located) {
    im.all_by_time.for_window(req.time_ms, window.delta_time_ms, consider);
  } else {
    const double reach_km = window.delta_km + req.radius_km + im.max_offer_radius;
    im.grid->for_candidates(*req.geo, reach_km, req.time_ms, window.delta_time_ms, consider);
    if (params.allow_unlocated) im.unlocated_by_time.for_window(req.time_ms, window.delta_time_ms, consider);
  }
  if (scored_out != nullptr) *scored_out = scored;
  const auto n = std::min(kept.size(), static_cast<size_t>(params.top_n));
  std::partial_sort(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(n), kept.end(), detail::better);
  kept.resize(n);
  return kept;
}

Result<std::vector<RequestMatches>> match(const MatchSet& requests, const MatchSet& offers, const MatchParams& params,
                                          MatchStats* stats) {
  const bool text = params.method != Method::kNoText;
  if (text && requests.dim != offers.dim) {
    return make_error(ErrorCode::kInvalidArgument, "dimension mismatch: requests have " + std::to_string(requests.dim) +
                                                       ", offers " + std::to_string(offers.dim));
  }
  if (auto st = check_set(requests, "requests", text); !st) return tl::unexpected(st.error());
  auto searcher = OfferSearcher::build(offers, params);
  if (!searcher) return tl::unexpected(searcher.error());
  const bool vectors = !requests.vectors.empty() && !offers.vectors.empty() && requests.dim == offers.dim;
  const size_t dim = requests.dim;

  MatchStats st;
  st.requests = requests.posts.size();
  st.offers = offers.posts.size();
  for (const auto& o : offers.posts) st.unlocated_offers += located(o) ? 0 : 1;
  for (const auto& r : requests.posts) st.unlocated_requests += located(r) ? 0 : 1;

  std::vector<RequestMatches> out(requests.posts.size());
  std::vector<size_t> scored_per_request(requests.posts.size(), 0);
  std::vector<Error> errors(requests.posts.size());
  std::vector<char> failed(requests.posts.size(), 0);
  parallel_for(requests.posts.size(), params.threads, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      out[r].request = r;
      const float* rv = vectors ? requests.vectors.data() + r * dim : nullptr;
      auto found = (*searcher)->search(requests.posts[r], rv, &scored_per_request[r]);
      if (!found) {
        errors[r] = found.error();
        failed[r] = 1;
        continue;
      }
      out[r].offers = std::move(*found);
    }
  });
  for (size_t r = 0; r < failed.size(); ++r) {
    if (failed[r]) return make_error(errors[r].code, "request " + std::to_string(r) + ": " + errors[r].message);
  }
  for (const size_t s : scored_per_request) st.pairs_scored += s;
  if (stats != nullptr) *stats = st;
  return out;
}

}  // namespace crema::match
