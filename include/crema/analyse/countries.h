// crema/analyse/countries.h: which country a coordinate lies in (point in polygon against
// Natural Earth admin-0 shapes, data/geo/PROVENANCE.md).
//
// Polygons come from a GeoJSON FeatureCollection of Polygon / MultiPolygon features (holes
// allowed; even-odd rule over all rings of a polygon). Each feature needs an "ADM0_A3"
// string property (the key: Natural Earth leaves ISO codes "-99" for some states); "ISO_A2",
// "ISO_A3", "NAME" and "CONTINENT" are read when present ("-99" becomes empty).
//
// Antimeridian: Natural Earth splits Russia and Fiji at ±180°, but a ring that crosses it
// (a step of more than 180° of longitude between vertices not both on ±180°) is unwrapped
// and indexed on both sides, so either form works. A ring that winds around a pole is refused.
//
// Lookup: a uniform lon/lat grid. A cell that no polygon edge touches holds its answer
// directly (a country or the sea); other cells list the polygons to test, in file order, so
// lookup() always equals lookup_brute_force() (the first feature in file order containing
// the point wins where polygons overlap). Points on an edge may go either way.
//
// Thread safety: a loaded CountryIndex is immutable; lookups may run concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crema/common/result.h"

namespace crema::analyse {

// The bundled shapes, relative to resource_root() (crema/common/paths.h).
inline constexpr const char* kDefaultCountriesPath = "data/geo/ne_110m_admin_0_countries.geojson";

struct Country {
  std::string a3;         // ADM0_A3, e.g. "FRA"; unique key
  std::string iso_a2;     // "FR"; empty when the feature has none
  std::string iso_a3;     // "FRA"; empty when none
  std::string name;       // "France"
  std::string continent;  // "Europe"; empty when absent
};

struct CountryIndexOptions {
  double cell_degrees = 0.5;  // grid cell size; (0, 90]
  // Refuse inputs above these (hostile files): bytes of JSON, total vertices.
  size_t max_bytes = size_t{256} << 20;
  size_t max_vertices = size_t{20} << 20;
};

class CountryIndex {
 public:
  static constexpr int kUnplaced = -1;

  // Parses GeoJSON text. `source` names the input in error messages. Errors: kParseError
  // for JSON that does not parse (truncated, not JSON), kCorrupt for valid JSON that is not a
  // usable FeatureCollection (missing/ill-typed members, a ring with fewer than 4 positions or
  // not closed, non-finite or out-of-range coordinates, a ring around a pole, a duplicate
  // ADM0_A3 key), naming the feature index and reason; kInvalidArgument for bad options or
  // input above the limits.
  static Result<CountryIndex> parse_geojson(std::string_view json, const std::string& source,
                                            const CountryIndexOptions& options = {});
  // Reads and parses a file (kNotFound / kIoError when it cannot be read).
  static Result<CountryIndex> load(const std::string& path, const CountryIndexOptions& options = {});
  // load(resource_path(kDefaultCountriesPath)).
  static Result<CountryIndex> load_default(const CountryIndexOptions& options = {});

  // Index into countries() of the country containing (lat, lon) in WGS84 degrees, or
  // kUnplaced (sea, a state too small for the data set, or coordinates that are not finite
  // or outside lat [-90, 90] / lon [-180, 180]).
  int lookup(double lat, double lon) const;
  // The same answer by testing every polygon's bounding box and rings (for tests, benches).
  int lookup_brute_force(double lat, double lon) const;

  const std::vector<Country>& countries() const { return countries_; }
  // Index of the country with this ADM0_A3 code, or kUnplaced.
  int find(std::string_view a3) const;

  // Calls fn(country index, lons, lats) for every ring of every polygon (closed: the last
  // vertex repeats the first; antimeridian copies reach beyond ±180°). For drawing maps.
  template <typename Fn>
  void for_each_ring(Fn&& fn) const {
    for (const Part& part : parts_) {
      for (uint32_t r = part.ring_begin; r < part.ring_end; ++r) {
        const size_t b = ring_offsets_[r], e = ring_offsets_[r + 1];
        fn(part.country, std::span<const double>(xs_.data() + b, e - b),
           std::span<const double>(ys_.data() + b, e - b));
      }
    }
  }

  size_t num_polygons() const { return parts_.size(); }  // antimeridian copies included
  size_t num_vertices() const { return xs_.size(); }
  // Share of grid cells answered without any polygon test (for tuning the cell size).
  double direct_cell_fraction() const;

 private:
  struct Part {
    int country = 0;
    uint32_t ring_begin = 0, ring_end = 0;  // into ring_offsets_ (ring r spans [off[r], off[r+1]))
    double min_x = 0, max_x = 0, min_y = 0, max_y = 0;
  };
  static constexpr int32_t kMixedCell = -2;

  bool part_contains(const Part& part, double x, double y) const;
  int cell_of(double x, double y) const;
  void build_grid(double cell_degrees);

  std::vector<Country> countries_;
  std::vector<Part> parts_;
  std::vector<uint32_t> ring_offsets_;  // ring r: vertices [ring_offsets_[r], ring_offsets_[r+1])
  std::vector<double> xs_, ys_;         // lon, lat of every vertex (rings closed)
  double cell_ = 1.0;
  int nx_ = 0, ny_ = 0;
  std::vector<int32_t> cell_answer_;    // country, kUnplaced, or kMixedCell
  std::vector<uint32_t> cell_begin_;    // mixed cell c: parts cell_parts_[begin[c], begin[c+1])
  std::vector<uint32_t> cell_parts_;
};

}  // namespace crema::analyse
