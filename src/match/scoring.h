// Private: the pair score of each method, shared by match() and the evaluation so both rank
// with the same arithmetic.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>

#include "crema/match/matcher.h"

namespace crema::match::detail {

inline constexpr double kEarthRadiusKm = 6371.0088;
inline constexpr double kDegToRad = std::numbers::pi / 180.0;
inline constexpr double kKmPerDegree = kEarthRadiusKm * kDegToRad;
// Relative slack on the window bounds so rounding can never drop an offer inside them.
inline constexpr double kSlack = 1e-6;

// The spherical cap of radius km around a point: its angular radius (radians), and its
// half-extent in latitude and longitude (degrees, with slack); dlon is 180 once the cap
// reaches a pole.
struct CapReach {
  double theta = 0, dlat = 0, dlon = 180.0;
};
inline CapReach cap_reach(double lat, double km) {
  CapReach r;
  r.theta = km / kEarthRadiusKm * (1 + kSlack);
  r.dlat = r.theta / kDegToRad;
  const double lat_rad = std::fabs(lat) * kDegToRad;
  if (lat_rad + r.theta < std::numbers::pi / 2) {
    r.dlon = std::asin(std::min(1.0, std::sin(r.theta) / std::cos(lat_rad))) / kDegToRad * (1 + kSlack) + 1e-9;
  }
  return r;
}

// Coordinates outside [-90, 90] x [-180, 180] (or NaN) count as no coordinates.
inline bool located(const MatchPost& p) {
  return p.geo.has_value() && p.geo->lat >= -90.0 && p.geo->lat <= 90.0 && p.geo->lon >= -180.0 &&
         p.geo->lon <= 180.0;
}

// Eight independent partial sums in a fixed order: the compiler can keep them in vector
// registers (a single running sum is one long dependency chain), and every caller — brute
// force, windowed, eval — gets bit-identical scores on every platform.
inline float dot(const float* a, const float* b, size_t dim) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t d = 0;
  for (; d + 8 <= dim; d += 8) {
    for (size_t j = 0; j < 8; ++j) acc[j] += a[d + j] * b[d + j];
  }
  for (; d < dim; ++d) acc[d & 7] += a[d] * b[d];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

// Linear is the paper's 1 − min(v/δ, 1), computed exactly as before profiles existed.
inline double decay(DecayShape shape, double value, double delta) {
  const double x = std::min(value / delta, 1.0);
  switch (shape) {
    case DecayShape::kLinear: return 1.0 - x;
    case DecayShape::kFast: return (1.0 - x) * (1.0 - x);
    case DecayShape::kSlow: return 1.0 - x * x;
    case DecayShape::kStep: return x < 1.0 ? 1.0 : 0.0;
  }
  return 1.0 - x;
}

// The windows one request is matched under.
struct Window {
  int64_t delta_time_ms = 0;
  double delta_km = 0;
  DecayShape time_shape = DecayShape::kLinear;
  DecayShape distance_shape = DecayShape::kLinear;
};

inline Window window_for(const MatchPost& request, const MatchParams& p) {
  Window w{p.delta_time_ms, p.delta_km, DecayShape::kLinear, DecayShape::kLinear};
  if (p.profiles != nullptr && !request.resources.empty()) {
    if (const DecayProfile* prof = select_profile(*p.profiles, request.resources)) {
      w = {prof->delta_time_ms, prof->delta_km, prof->time_shape, prof->distance_shape};
    }
  }
  return w;
}

inline float time_weight(int64_t a_ms, int64_t b_ms, int64_t delta_ms, DecayShape shape) {
  const double dt = std::fabs(static_cast<double>(a_ms) - static_cast<double>(b_ms));
  return static_cast<float>(decay(shape, dt, static_cast<double>(delta_ms)));
}

// Centre distance, or the distance between the uncertainty discs when a radius is set.
inline double pair_km(const MatchPost& r, const MatchPost& o) {
  const double km = haversine_km(*r.geo, *o.geo);
  if (r.radius_km > 0 || o.radius_km > 0) return std::max(0.0, km - r.radius_km - o.radius_km);
  return km;
}

// Fills every field of `out` but `offer` for request r (matched under window w) and offer
// o. Vectors may be null (notext without embeddings): s_text is then 0.
inline void score_pair(const MatchPost& r, const float* rv, const MatchPost& o, const float* ov, size_t dim,
                       const MatchParams& p, const Window& w, ScoredOffer& out) {
  out.s_text = (rv != nullptr && ov != nullptr) ? dot(rv, ov, dim) : 0.0F;
  out.w_time = time_weight(r.time_ms, o.time_ms, w.delta_time_ms, w.time_shape);
  if (located(r) && located(o)) {
    out.km = pair_km(r, o);
    out.w_loc = static_cast<float>(decay(w.distance_shape, out.km, w.delta_km));
  } else {
    out.km = -1;
    out.w_loc = p.allow_unlocated ? 1.0F : 0.0F;
  }
  switch (p.method) {
    case Method::kTts: out.score = out.s_text * out.w_time * out.w_loc; break;
    case Method::kTs: {
      const auto alpha = static_cast<float>(p.alpha);
      out.score = alpha * out.s_text + (1.0F - alpha) * out.w_loc;
      break;
    }
    case Method::kT: out.score = out.s_text; break;
    case Method::kNoText: out.score = out.w_time * out.w_loc; break;
  }
}

// Better first: higher score, then lower offer index.
inline bool better(const ScoredOffer& a, const ScoredOffer& b) {
  return a.score != b.score ? a.score > b.score : a.offer < b.offer;
}

}  // namespace crema::match::detail
