// Private: the pair score of each method, shared by match() and the evaluation so both rank
// with the same arithmetic.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "crema/match/matcher.h"

namespace crema::match::detail {

// Coordinates outside [-90, 90] x [-180, 180] (or NaN) count as no coordinates.
inline bool located(const MatchPost& p) {
  return p.geo.has_value() && p.geo->lat >= -90.0 && p.geo->lat <= 90.0 && p.geo->lon >= -180.0 &&
         p.geo->lon <= 180.0;
}

inline float dot(const float* a, const float* b, size_t dim) {
  float s = 0;
  for (size_t d = 0; d < dim; ++d) s += a[d] * b[d];
  return s;
}

inline float time_weight(int64_t a_ms, int64_t b_ms, int64_t delta_ms) {
  const double dt = std::fabs(static_cast<double>(a_ms) - static_cast<double>(b_ms));
  return static_cast<float>(1.0 - std::min(dt / static_cast<double>(delta_ms), 1.0));
}

inline float location_weight(double km, double delta_km) {
  return static_cast<float>(1.0 - std::min(km / delta_km, 1.0));
}

// Fills every field of `out` but `offer` for request r and offer o. Vectors may be null
// (notext without embeddings): s_text is then 0.
inline void score_pair(const MatchPost& r, const float* rv, const MatchPost& o, const float* ov, size_t dim,
                       const MatchParams& p, ScoredOffer& out) {
  out.s_text = (rv != nullptr && ov != nullptr) ? dot(rv, ov, dim) : 0.0F;
  out.w_time = time_weight(r.time_ms, o.time_ms, p.delta_time_ms);
  if (located(r) && located(o)) {
    out.km = haversine_km(*r.geo, *o.geo);
    out.w_loc = location_weight(out.km, p.delta_km);
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
