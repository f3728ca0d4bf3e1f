// crema/geo/gazetteer.h: the GeoNames gazetteer as a compact binary index loaded by mmap.
//
// A gazetteer file (docs/gazetteer_format.md) holds every place crema can name: cities
// (GeoNames cities15000 with all their alternate names, in any script), second- and
// first-level administrative divisions and countries (country names in many languages come
// from ICU's display names). Names are keys of a marisa-trie in two normalised forms
// (name_key(): case-folded, punctuation -> space; and the same with Latin accents stripped);
// each key points at the list of entries that carry that name.
//
// The file is compiled by a build step (target crema_gazetteer_build, producing
// <build>/data/gazetteer.bin from data/geonames/) or at run time by build_gazetteer().
//
// Thread safety: a Gazetteer is immutable after open() and may be shared by any number of
// threads. Copies share the mapping (cheap). Failures: a missing file is kNotFound, a file
// with a wrong magic/version/checksum or inconsistent sections is kCorrupt; never a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crema/common/result.h"

namespace crema::geo {

// What a gazetteer entry is. Ordered from most to least specific.
enum class PlaceKind : uint8_t { kCity = 0, kAdmin2 = 1, kAdmin1 = 2, kCountry = 3 };

// "city", "admin2", "admin1", "country".
std::string_view place_kind_name(PlaceKind kind);

// One gazetteer entry, materialised (the file stores it packed).
struct Place {
  uint32_t index = 0;         // position in the gazetteer (stable for one file)
  uint32_t geonameid = 0;     // GeoNames id; 0 for countries/admins GeoNames gives none
  double lat = 0.0;           // degrees WGS84; for admins/countries the population-weighted
  double lon = 0.0;           //   centroid of their cities
  std::string name;           // the GeoNames main name ("Kathmandu", "Nepal", "Bagmati")
  std::string country;        // ISO 3166-1 alpha-2, upper case ("NP")
  std::string admin1;         // name of the first-level division it lies in ("" if unknown)
  std::string feature_code;   // GeoNames feature code ("PPLC", "ADM1", "PCLI")
  PlaceKind kind = PlaceKind::kCity;
  uint64_t population = 0;    // GeoNames population (sum of cities for admins); may be 0
  double radius_km = 0.0;     // how far the name reaches: ~5–30 km for a city by population,
                              // the spread of its cities for an admin, sqrt(area)/2 for a country
};

// Sizes and provenance of an opened file.
struct GazetteerInfo {
  std::string path;
  uint32_t version = 0;
  uint64_t file_bytes = 0;
  uint32_t entries = 0;       // all places
  uint32_t cities = 0;
  uint32_t names = 0;         // distinct keys in the name trie
  uint32_t unigrams = 0;      // words in the hashtag-segmentation unigram table
};

// name_key(): the lookup form of a name: NFC, Unicode case folding, every run of characters
// that are not letters/digits/marks -> one space, trimmed. strip_accents=true also drops
// Latin combining diacritics (U+0300–U+036F after NFD): "São Paulo" -> "sao paulo".
std::string name_key(std::string_view text, bool strip_accents);

class Gazetteer {
 public:
  // Maps the file read-only and checks magic, version, size, checksum and every section's
  // bounds. Open time is dominated by the checksum pass (docs/geo.md gives measurements).
  static Result<Gazetteer> open(const std::string& path);

  // Entries whose name has this key (first the exact folded key, else the accent-stripped
  // one). `text` is any surface form; it is passed through name_key(). Empty when unknown.
  std::vector<uint32_t> lookup(std::string_view text) const;
  // Same with an already computed key (name_key(text, false) or (text, true)).
  std::vector<uint32_t> lookup_key(std::string_view key) const;
  // True if some name starts with key + " " (a longer multi-word name could still match).
  bool has_longer_name(std::string_view key) const;

  uint32_t size() const;
  Place place(uint32_t index) const;   // index < size(); out of range gives a default Place
  std::string_view name(uint32_t index) const;  // the main name (view into the mapped file); "" out of range
  PlaceKind kind(uint32_t index) const;
  uint64_t population(uint32_t index) const;
  std::string_view country(uint32_t index) const;  // ISO2
  uint32_t admin1_of(uint32_t index) const;        // index of its admin1 entry, or kNone
  double lat(uint32_t index) const;
  double lon(uint32_t index) const;
  double radius_km(uint32_t index) const;
  // Index of the country entry for an ISO2 code, or kNone.
  uint32_t country_index(std::string_view iso2) const;

  // The city nearest to (lat, lon) by great-circle distance, with the distance in km; nullopt
  // when the gazetteer has no cities. Uses a 1-degree grid (exact: searches rings until the
  // nearest is proven).
  std::optional<std::pair<uint32_t, double>> nearest_city(double lat, double lon) const;

  // Unigram count of a lower-case word in the bundled corpora (0 if unseen), how many of
  // those occurrences were capitalised mid-sentence (estimated from the texts that use case:
  // all-lower-case and all-capitals texts do not count), and the total count of all words.
  uint64_t unigram_count(std::string_view word) const;
  uint64_t unigram_capitalised(std::string_view word) const;
  uint64_t unigram_total() const;

  // Cue word lists compiled into the file (data/geonames/toponym_cues.tsv): "prep", "suffix",
  // "prefix", "stop". Membership test on a name_key(…, true) form.
  bool is_cue(std::string_view list, std::string_view key) const;

  const GazetteerInfo& info() const;

  static constexpr uint32_t kNone = 0xFFFFFFFFu;

  // Internal: the opened file (defined in src/geo). Use open().
  struct Impl;
  explicit Gazetteer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<const Impl> impl_;
};

// Where build_gazetteer() reads from. Plain or .gz files (zlib reads both).
struct GazetteerSources {
  std::vector<std::string> cities;  // GeoNames "geoname" tables (cities15000.txt.gz); rows
                                    // with the same geonameid are taken once (first file wins)
  std::string admin1;               // admin1CodesASCII.txt
  std::string admin2;               // admin2Codes.txt(.gz); empty = no admin2 entries
  std::string countries;            // countryInfo.txt
  std::string cues;                 // toponym_cues.tsv; empty = no cue lists
  std::string unigrams;             // gazetteer_unigrams.tsv ("word\tcount[\tcaps[\tcased]]"); empty = none
  std::string aliases;              // country_aliases.tsv ("ISO2\talias"); empty = none
  std::string admin_names;          // admin_names.tsv ("CC.X[.Y]\tname": division names in other
                                    // languages, ISO 3166-2); empty = none
  std::vector<std::string> country_name_languages = {};  // ICU display languages; empty =
                                    // the built-in list (en es fr pt it de nl ...)
};

// The files under dir (the repo's data/geonames/ layout).
GazetteerSources gazetteer_sources_in(const std::string& dir);

// Compiles sources into a gazetteer file at out_path (written atomically). Malformed rows
// are skipped and counted; a missing source file is kNotFound; an unusable one kParseError
// naming the file and line.
struct GazetteerBuildStats {
  uint32_t cities = 0, admin1 = 0, admin2 = 0, countries = 0, names = 0, skipped_rows = 0;
  uint64_t bytes = 0;
};
Result<GazetteerBuildStats> build_gazetteer(const GazetteerSources& sources,
                                            const std::string& out_path);

// The gazetteer a Geocoder opens when no path is given: $CREMA_GAZETTEER if set, else the
// file the build step produced (compiled-in <build>/data/gazetteer.bin) if it exists, else
// resource_path("data/gazetteer.bin").
std::string default_gazetteer_path();

}  // namespace crema::geo
