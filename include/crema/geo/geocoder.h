// crema/geo/geocoder.h: toponyms in a post's text and the post's location (Dutt §5.2).
//
// locate() finds location mentions in the raw text (proper-noun runs of up to 4 tokens,
// place suffixes/prefixes, place prepositions in several languages, hashtags segmented
// Norvig-style with corpus unigram counts, acronyms that are gazetteer alternate names),
// verifies every candidate against the gazetteer, disambiguates it (population prior,
// country/admin co-mentions, the post's geotag/place/user_location, an optional region),
// and resolves the post to one point: geotag first, then the place field, then the best
// text toponym, then the author's profile location.
//
// Thread safety: a Geocoder is immutable after open(); locate() and nearest_city() may be
// called from any number of threads at once. Copies share the gazetteer mapping.
// Failures: open() returns kNotFound when the gazetteer file is missing, kCorrupt when it is
// damaged, kInvalidArgument for a bad region. locate() never fails: any UTF-8 (or invalid
// bytes), any length, any script gives a result, possibly with source kNone.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crema/common/post.h"
#include "crema/common/result.h"
#include "crema/geo/gazetteer.h"

namespace crema::geo {

enum class GeoSource : uint8_t { kNone = 0, kGeotag, kPlace, kToponym, kUser };

// "none", "geotag", "place", "toponym", "user".
std::string_view geo_source_name(GeoSource source);

// One location mention in the post text: a gazetteer place (entry set), or an unresolved
// street, neighbourhood or landmark name ("rue Innovation", "Marine Pde", "Foothills Mall";
// entry == Gazetteer::kNone, name/country/admin1 empty, geonameid/lat/lon/radius_km 0,
// confidence 0.3), which is a location mention but never places the post.
struct LocationMention {
  std::string text;          // the raw bytes text[start, end) of the post
  uint32_t start = 0;        // byte offsets into Post::text (raw, not normalised)
  uint32_t end = 0;
  std::string name;          // gazetteer main name of the chosen entry
  uint32_t geonameid = 0;
  double lat = 0.0;
  double lon = 0.0;
  std::string country;       // ISO2
  std::string admin1;        // admin1 name, "" if none
  PlaceKind kind = PlaceKind::kCity;
  double radius_km = 0.0;
  double confidence = 0.0;   // 0–1: evidence that this is a place and this entry
  uint32_t entry = Gazetteer::kNone;  // gazetteer index of the chosen entry
};

// Where the post is. source kNone: nothing found, the numbers are 0 and strings empty.
struct GeoResolution {
  double lat = 0.0;
  double lon = 0.0;
  GeoSource source = GeoSource::kNone;
  double confidence = 0.0;   // 0–1
  double radius_km = 0.0;    // precision: ~0.1 for a geotag, city/admin/country extent else
  std::string country;       // ISO2, "" if unknown
  std::string admin1;        // admin1 name
  std::string city;          // city name (nearest city for a geotag), "" if not city-level
  uint32_t geonameid = 0;    // of the entry placed on (nearest city for a geotag); 0 if none
};

struct GeoResult {
  GeoResolution geo;
  std::vector<LocationMention> locations;  // in text order, non-overlapping
};

// An event region: a country or a bounding box. Empty = none.
struct Region {
  std::string country;  // ISO2 upper case, or ""
  std::optional<std::array<double, 4>> bbox;  // min_lon, min_lat, max_lon, max_lat
  bool empty() const { return country.empty() && !bbox; }
};

// Parses "NP" (ISO2, any case) or "minlon,minlat,maxlon,maxlat". "" gives an empty region.
// kInvalidArgument names the problem: a two-letter code that is not an ISO 3166-1 alpha-2
// country ("XX", "UK"), a bbox with other than 4 finite numbers, out of [-180,180]x[-90,90],
// or with min >= max.
Result<Region> parse_region(std::string_view text);

struct GeocoderOptions {
  std::string gazetteer_path;      // empty = default_gazetteer_path()
  std::string region;              // "" | ISO2 | "minlon,minlat,maxlon,maxlat"
  bool use_place = true;           // resolve Post::place when there is no geotag
  bool use_user_location = true;   // fall back to Post::user_location
  size_t max_text_bytes = 20000;   // longer texts are scanned up to this byte (at a char edge)
};

class Geocoder {
 public:
  static Result<Geocoder> open(const GeocoderOptions& options = {});
  // Uses an already opened gazetteer (shared, not copied).
  static Result<Geocoder> with_gazetteer(Gazetteer gazetteer, const GeocoderOptions& options = {});

  // Mentions and resolution of one post. Thread-safe, never fails.
  GeoResult locate(const Post& post) const;

  // Only the text mentions (no geotag/place/user fallback), for a bare text.
  std::vector<LocationMention> mentions(std::string_view text) const;

  // The nearest gazetteer city to a point: lat/lon/name/country/admin1 of the city, source
  // kGeotag, radius_km = the distance to it. kNotFound if the gazetteer has no cities;
  // kInvalidArgument for coordinates out of range or not finite.
  Result<GeoResolution> nearest_city(double lat, double lon) const;

  // Resolves a free-text place string ("Kathmandu, Nepal", "Manhattan, NY") as used for
  // Post::place and Post::user_location. source is kPlace; nullopt if nothing matched.
  std::optional<GeoResolution> resolve_place_string(std::string_view text) const;

  // The words of a hashtag body (without '#'): split at '_', case changes and digits, long
  // lower-case runs segmented by unigram probability ("nepalearthquake" -> nepal earthquake).
  // Each word is returned as written, with its byte range in tag.
  struct Segment {
    std::string word;
    uint32_t start = 0;
    uint32_t end = 0;
  };
  std::vector<Segment> segment_hashtag(std::string_view tag) const;

  const Gazetteer& gazetteer() const { return gazetteer_; }

 private:
  Geocoder(Gazetteer gazetteer, Region region, GeocoderOptions options)
      : gazetteer_(std::move(gazetteer)), region_(std::move(region)), options_(std::move(options)) {}
  Gazetteer gazetteer_;
  Region region_;
  GeocoderOptions options_;
};

}  // namespace crema::geo
