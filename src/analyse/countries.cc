// Country polygons: GeoJSON parsing, validation and the grid index (countries.h).
#include "crema/analyse/countries.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

#include <simdjson.h>

#include "crema/common/file_io.h"
#include "crema/common/paths.h"

namespace crema::analyse {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

std::string optional_property(object props, const char* field) {
  std::string_view s;
  if (props[field].get_string().get(s) != simdjson::SUCCESS || s == "-99") return {};
  return std::string(s);
}

// Builds a polygon (outer ring + holes) into flat vertex arrays, unwrapping rings that
// cross the antimeridian. Errors name the ring; the caller adds the feature.
class PolygonReader {
 public:
  struct Ring {
    std::vector<double> xs, ys;
  };

  static Result<Ring> read_ring(array positions, size_t ring_index) {
    Ring ring;
    const std::string where = "ring " + std::to_string(ring_index);
    for (element pos : positions) {
      array xy;
      if (pos.get_array().get(xy) != simdjson::SUCCESS || xy.size() < 2) {
        return make_error(ErrorCode::kCorrupt, where + ": a position is not an array of 2+ numbers");
      }
      double x = 0, y = 0;
      if (xy.at(0).get_double().get(x) != simdjson::SUCCESS ||
          xy.at(1).get_double().get(y) != simdjson::SUCCESS) {
        return make_error(ErrorCode::kCorrupt, where + ": a coordinate is not a number");
      }
      if (!std::isfinite(x) || !std::isfinite(y) || x < -180 || x > 180 || y < -90 || y > 90) {
        return make_error(ErrorCode::kCorrupt, where + ": coordinate out of range (" +
                                                   std::to_string(x) + ", " + std::to_string(y) + ")");
      }
      ring.xs.push_back(x);
      ring.ys.push_back(y);
    }
    const size_t n = ring.xs.size();
    if (n < 4) return make_error(ErrorCode::kCorrupt, where + ": fewer than 4 positions");
    if (ring.xs[0] != ring.xs[n - 1] || ring.ys[0] != ring.ys[n - 1]) {
      return make_error(ErrorCode::kCorrupt, where + ": not closed (first position != last)");
    }
    // Unwrap: a step of more than 180° crosses the antimeridian, unless both ends lie on
    // ±180° (an edge along the map border, as Antarctica's).
    double shift = 0, prev = ring.xs[0];
    for (size_t i = 1; i < n; ++i) {
      const double x = ring.xs[i], step = x - prev;
      if (std::abs(step) > 180 && !(std::abs(prev) == 180 && std::abs(x) == 180)) {
        shift += step > 0 ? 360 : -360;
      }
      prev = x;
      ring.xs[i] = x - shift;
    }
    if (ring.xs[0] != ring.xs[n - 1]) {
      return make_error(ErrorCode::kCorrupt, where + ": winds around a pole (split it at ±180°)");
    }
    return ring;
  }
};

}  // namespace

Result<CountryIndex> CountryIndex::load(const std::string& path, const CountryIndexOptions& options) {
  auto text = read_file(path);
  if (!text) return tl::unexpected(text.error());
  return parse_geojson(*text, path, options);
}

Result<CountryIndex> CountryIndex::load_default(const CountryIndexOptions& options) {
  return load(resource_path(kDefaultCountriesPath), options);
}

Result<CountryIndex> CountryIndex::parse_geojson(std::string_view json, const std::string& source,
                                                 const CountryIndexOptions& options) {
  if (!(options.cell_degrees > 0 && options.cell_degrees <= 90)) {
    return make_error(ErrorCode::kInvalidArgument, "cell_degrees must be in (0, 90]");
  }
  if (json.size() > options.max_bytes) {
    return make_error(ErrorCode::kInvalidArgument,
                      source + ": " + std::to_string(json.size()) + " bytes is above the limit of " +
                          std::to_string(options.max_bytes));
  }
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  element root;
  if (auto err = parser.parse(padded).get(root); err != simdjson::SUCCESS) {
    return make_error(ErrorCode::kParseError,
                      source + ": not valid JSON (" + simdjson::error_message(err) + ")");
  }
  auto corrupt = [&source](const std::string& what) {
    return make_error(ErrorCode::kCorrupt, source + ": " + what);
  };
  object top;
  std::string_view type;
  if (root.get_object().get(top) != simdjson::SUCCESS || top["type"].get_string().get(type) != simdjson::SUCCESS ||
      type != "FeatureCollection") {
    return corrupt("not a GeoJSON FeatureCollection");
  }
  array features;
  if (top["features"].get_array().get(features) != simdjson::SUCCESS) {
    return corrupt("\"features\" is missing or not an array");
  }

  CountryIndex index;
  std::unordered_set<std::string> keys;
  size_t feature_index = 0;
  index.ring_offsets_.push_back(0);
  for (element feature : features) {
    const std::string where = "feature " + std::to_string(feature_index);
    object fobj, props, geom;
    if (feature.get_object().get(fobj) != simdjson::SUCCESS) return corrupt(where + ": not an object");
    if (fobj["properties"].get_object().get(props) != simdjson::SUCCESS) {
      return corrupt(where + ": \"properties\" is missing or not an object");
    }
    Country country;
    std::string_view a3;
    if (props["ADM0_A3"].get_string().get(a3) != simdjson::SUCCESS || a3.empty()) {
      return corrupt(where + ": property ADM0_A3 is missing or not a non-empty string");
    }
    country.a3 = std::string(a3);
    if (!keys.insert(country.a3).second) return corrupt(where + ": duplicate ADM0_A3 \"" + country.a3 + "\"");
    country.iso_a2 = optional_property(props, "ISO_A2");
    country.iso_a3 = optional_property(props, "ISO_A3");
    country.name = optional_property(props, "NAME");
    country.continent = optional_property(props, "CONTINENT");
    const std::string fwhere = where + " (" + country.a3 + ")";

    std::string_view gtype;
    array coords;
    if (fobj["geometry"].get_object().get(geom) != simdjson::SUCCESS ||
        geom["type"].get_string().get(gtype) != simdjson::SUCCESS ||
        geom["coordinates"].get_array().get(coords) != simdjson::SUCCESS) {
      return corrupt(fwhere + ": geometry is missing or has no type/coordinates");
    }
    std::vector<array> polygons;
    if (gtype == "Polygon") {
      polygons.push_back(coords);
    } else if (gtype == "MultiPolygon") {
      for (element p : coords) {
        array pa;
        if (p.get_array().get(pa) != simdjson::SUCCESS) return corrupt(fwhere + ": a polygon is not an array");
        polygons.push_back(pa);
      }
    } else {
      return corrupt(fwhere + ": geometry type \"" + std::string(gtype) + "\" is not Polygon or MultiPolygon");
    }
    if (polygons.empty()) return corrupt(fwhere + ": no polygons");

    const int country_id = static_cast<int>(index.countries_.size());
    for (size_t pi = 0; pi < polygons.size(); ++pi) {
      std::vector<PolygonReader::Ring> rings;
      size_t ri = 0;
      for (element r : polygons[pi]) {
        array ra;
        if (r.get_array().get(ra) != simdjson::SUCCESS) {
          return corrupt(fwhere + " polygon " + std::to_string(pi) + ": a ring is not an array");
        }
        auto ring = PolygonReader::read_ring(ra, ri++);
        if (!ring) return corrupt(fwhere + " polygon " + std::to_string(pi) + " " + ring.error().message);
        rings.push_back(std::move(*ring));
      }
      if (rings.empty()) return corrupt(fwhere + " polygon " + std::to_string(pi) + ": no rings");
      // Holes were unwrapped on their own: move each next to the outer ring.
      const double outer_x = rings[0].xs[0];
      for (size_t k = 1; k < rings.size(); ++k) {
        const double d = rings[k].xs[0] - outer_x;
        const double shift = d > 180 ? 360 : (d < -180 ? -360 : 0);
        for (double& x : rings[k].xs) x -= shift;
      }
      Part part;
      part.country = country_id;
      part.min_x = part.min_y = INFINITY;
      part.max_x = part.max_y = -INFINITY;
      part.ring_begin = static_cast<uint32_t>(index.ring_offsets_.size() - 1);
      for (const auto& ring : rings) {
        if (index.xs_.size() + ring.xs.size() > options.max_vertices) {
          return make_error(ErrorCode::kInvalidArgument,
                            source + ": more than " + std::to_string(options.max_vertices) + " vertices");
        }
        index.xs_.insert(index.xs_.end(), ring.xs.begin(), ring.xs.end());
        index.ys_.insert(index.ys_.end(), ring.ys.begin(), ring.ys.end());
        index.ring_offsets_.push_back(static_cast<uint32_t>(index.xs_.size()));
        for (size_t i = 0; i < ring.xs.size(); ++i) {
          part.min_x = std::min(part.min_x, ring.xs[i]);
          part.max_x = std::max(part.max_x, ring.xs[i]);
          part.min_y = std::min(part.min_y, ring.ys[i]);
          part.max_y = std::max(part.max_y, ring.ys[i]);
        }
      }
      part.ring_end = static_cast<uint32_t>(index.ring_offsets_.size() - 1);
      index.parts_.push_back(part);
      // A polygon reaching past ±180° after unwrapping also answers for the other side.
      if (part.max_x > 180 || part.min_x < -180) {
        const double shift = part.max_x > 180 ? -360 : 360;
        Part copy = part;
        copy.ring_begin = static_cast<uint32_t>(index.ring_offsets_.size() - 1);
        for (uint32_t r = part.ring_begin; r < part.ring_end; ++r) {
          for (uint32_t v = index.ring_offsets_[r]; v < index.ring_offsets_[r + 1]; ++v) {
            index.xs_.push_back(index.xs_[v] + shift);
            index.ys_.push_back(index.ys_[v]);
          }
          index.ring_offsets_.push_back(static_cast<uint32_t>(index.xs_.size()));
        }
        copy.ring_end = static_cast<uint32_t>(index.ring_offsets_.size() - 1);
        copy.min_x += shift;
        copy.max_x += shift;
        index.parts_.push_back(copy);
      }
    }
    index.countries_.push_back(std::move(country));
    ++feature_index;
  }
  if (index.countries_.empty()) return corrupt("the FeatureCollection has no features");
  index.build_grid(options.cell_degrees);
  return index;
}

bool CountryIndex::part_contains(const Part& part, double x, double y) const {
  if (x < part.min_x || x > part.max_x || y < part.min_y || y > part.max_y) return false;
  bool inside = false;
  for (uint32_t r = part.ring_begin; r < part.ring_end; ++r) {
    const uint32_t begin = ring_offsets_[r], end = ring_offsets_[r + 1];
    // Rings are closed, so edges are (v, v+1) for v in [begin, end-1).
    for (uint32_t v = begin; v + 1 < end; ++v) {
      const double x1 = xs_[v], y1 = ys_[v], x2 = xs_[v + 1], y2 = ys_[v + 1];
      if ((y1 > y) != (y2 > y)) {
        const double cross_x = x1 + (y - y1) * (x2 - x1) / (y2 - y1);
        if (x < cross_x) inside = !inside;
      }
    }
  }
  return inside;
}

int CountryIndex::lookup_brute_force(double lat, double lon) const {
  if (!std::isfinite(lat) || !std::isfinite(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180) {
    return kUnplaced;
  }
  for (const Part& part : parts_) {
    if (part_contains(part, lon, lat)) return part.country;
  }
  return kUnplaced;
}

int CountryIndex::cell_of(double x, double y) const {
  const int cx = std::clamp(static_cast<int>(std::floor((x + 180.0) / cell_)), 0, nx_ - 1);
  const int cy = std::clamp(static_cast<int>(std::floor((y + 90.0) / cell_)), 0, ny_ - 1);
  return cy * nx_ + cx;
}

int CountryIndex::lookup(double lat, double lon) const {
  if (!std::isfinite(lat) || !std::isfinite(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180) {
    return kUnplaced;
  }
  const auto cell = static_cast<size_t>(cell_of(lon, lat));
  const int32_t answer = cell_answer_[cell];
  if (answer != kMixedCell) return answer;
  for (uint32_t i = cell_begin_[cell]; i < cell_begin_[cell + 1]; ++i) {
    const Part& part = parts_[cell_parts_[i]];
    if (part_contains(part, lon, lat)) return part.country;
  }
  return kUnplaced;
}

int CountryIndex::find(std::string_view a3) const {
  for (size_t i = 0; i < countries_.size(); ++i) {
    if (countries_[i].a3 == a3) return static_cast<int>(i);
  }
  return kUnplaced;
}

double CountryIndex::direct_cell_fraction() const {
  if (cell_answer_.empty()) return 0;
  const auto direct = std::count_if(cell_answer_.begin(), cell_answer_.end(),
                                    [](int32_t a) { return a != kMixedCell; });
  return static_cast<double>(direct) / static_cast<double>(cell_answer_.size());
}

// Every cell gets the parts whose bounding box overlaps it (in file order) and a flag per
// part: does any edge of it touch the cell? A cell with no touching edge has one answer
// throughout (no boundary crosses it), found by testing its centre; otherwise the parts
// that can still answer are listed. Cells are indexed with the same floor() as lookup(),
// so "touches" is judged on exactly the cells points map to.
void CountryIndex::build_grid(double cell_degrees) {
  cell_ = cell_degrees;
  nx_ = static_cast<int>(std::ceil(360.0 / cell_));
  ny_ = static_cast<int>(std::ceil(180.0 / cell_));
  const size_t ncells = static_cast<size_t>(nx_) * static_cast<size_t>(ny_);
  auto cx_of = [this](double x) { return std::clamp(static_cast<int>(std::floor((x + 180.0) / cell_)), 0, nx_ - 1); };
  auto cy_of = [this](double y) { return std::clamp(static_cast<int>(std::floor((y + 90.0) / cell_)), 0, ny_ - 1); };

  std::vector<std::vector<uint32_t>> candidates(ncells);
  std::vector<uint32_t> touched_by(ncells, UINT32_MAX);  // last part whose edges touch the cell
  std::vector<std::vector<uint32_t>> touched(ncells);     // parts whose edges touch the cell
  for (uint32_t p = 0; p < parts_.size(); ++p) {
    const Part& part = parts_[p];
    if (part.max_x < -180 || part.min_x > 180) continue;
    for (int cy = cy_of(part.min_y); cy <= cy_of(part.max_y); ++cy) {
      for (int cx = cx_of(part.min_x); cx <= cx_of(part.max_x); ++cx) {
        candidates[static_cast<size_t>(cy * nx_ + cx)].push_back(p);
      }
    }
    for (uint32_t r = part.ring_begin; r < part.ring_end; ++r) {
      for (uint32_t v = ring_offsets_[r]; v + 1 < ring_offsets_[r + 1]; ++v) {
        const double x1 = xs_[v], x2 = xs_[v + 1], y1 = ys_[v], y2 = ys_[v + 1];
        if (std::max(x1, x2) < -180 || std::min(x1, x2) > 180) continue;
        for (int cy = cy_of(std::min(y1, y2)); cy <= cy_of(std::max(y1, y2)); ++cy) {
          for (int cx = cx_of(std::min(x1, x2)); cx <= cx_of(std::max(x1, x2)); ++cx) {
            const auto c = static_cast<size_t>(cy * nx_ + cx);
            if (touched_by[c] != p) {
              touched_by[c] = p;
              touched[c].push_back(p);
            }
          }
        }
      }
    }
  }

  cell_answer_.assign(ncells, kUnplaced);
  cell_begin_.assign(ncells + 1, 0);
  cell_parts_.clear();
  for (size_t c = 0; c < ncells; ++c) {
    cell_begin_[c] = static_cast<uint32_t>(cell_parts_.size());
    const auto& cand = candidates[c];
    if (cand.empty()) continue;
    const double cx = -180.0 + (static_cast<double>(c % static_cast<size_t>(nx_)) + 0.5) * cell_;
    const double cy = -90.0 + (static_cast<double>(c / static_cast<size_t>(nx_)) + 0.5) * cell_;
    const auto& t = touched[c];
    std::vector<uint32_t> list;
    for (uint32_t p : cand) {
      if (std::find(t.begin(), t.end(), p) != t.end()) {
        list.push_back(p);
      } else if (part_contains(parts_[p], cx, cy)) {
        // Contains the whole cell: nothing after it in file order can answer.
        list.push_back(p);
        if (list.size() == 1) {
          cell_answer_[c] = parts_[p].country;
          list.clear();
        }
        break;
      }
    }
    if (!list.empty()) {
      cell_answer_[c] = kMixedCell;
      cell_parts_.insert(cell_parts_.end(), list.begin(), list.end());
    }
  }
  cell_begin_[ncells] = static_cast<uint32_t>(cell_parts_.size());
}

}  // namespace crema::analyse
