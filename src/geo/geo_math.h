// Private: great-circle distance.
#pragma once

#include <algorithm>
#include <cmath>

namespace crema::geo {

inline constexpr double kPi = 3.14159265358979323846;
inline constexpr double kEarthRadiusKm = 6371.0088;
inline constexpr double kKmPerDegree = kEarthRadiusKm * kPi / 180.0;

inline double haversine_km(double lat1, double lon1, double lat2, double lon2) {
  const double to_rad = kPi / 180.0;
  const double dlat = (lat2 - lat1) * to_rad;
  const double dlon = (lon2 - lon1) * to_rad;
  const double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(lat1 * to_rad) * std::cos(lat2 * to_rad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2.0 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(a)));
}

}  // namespace crema::geo
