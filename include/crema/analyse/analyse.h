// crema/analyse/analyse.h: who asks, who offers, where and when (CReMa §IV-D, CHO §5).
//
// analyse_store() reads a crema store (docs/store.md) read-only in one streaming pass
// (one SELECT over posts, in one read snapshot) and counts requests, offers and
// request_and_offer posts by country (point in polygon, countries.h), language, resource
// type, day and month. Memory is bounded by the number of groups, not posts.
//
// Conventions (docs/analyse.md):
//  * R = request + request_and_offer, O = offer + request_and_offer (a request_and_offer
//    post counts on both sides, as in docs/store.md's queries).
//  * The offer share p = O / (R + O) gets a 95 % Wilson score interval; O:R = p / (1 − p)
//    and R/O = (1 − p) / p, with intervals mapped from p's end points (both are monotone in p).
//  * Duplicates (duplicate_of set) are skipped unless include_duplicates.
//  * Every post is counted somewhere: a post without coordinates, with unusable ones, or
//    outside every polygon goes to the "unplaced" country row, never dropped.
//
// Thread safety: analyse_store() has no shared state; concurrent calls are fine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crema/analyse/countries.h"
#include "crema/common/progress.h"
#include "crema/common/result.h"

namespace crema::analyse {

// The 95 % Wilson score interval for a binomial proportion: `successes` of `n`, z = 1.959964.
// n == 0 gives {0, 0, 1} (nothing known); successes > n is clamped to n.
struct Interval {
  double estimate = 0, lo = 0, hi = 1;
};
Interval wilson_interval(uint64_t successes, uint64_t n, double z = 1.959963984540054);

// Counts of one group (a country, a language, a month, …).
struct GroupCounts {
  uint64_t posts = 0;              // all counted posts of the group, irrelevant/unknown included
  uint64_t request = 0, offer = 0, request_and_offer = 0;
  uint64_t irrelevant = 0, unknown = 0;

  uint64_t requests() const { return request + request_and_offer; }  // R
  uint64_t offers() const { return offer + request_and_offer; }      // O
};

// Ratios of a group, from its counts. Ratios with a zero denominator are +inf (JSON null).
struct GroupRatios {
  Interval offer_share;            // O / (R + O)
  double o_r = 0, o_r_lo = 0, o_r_hi = 0;  // O:R
  double r_o = 0, r_o_lo = 0, r_o_hi = 0;  // R/O
};
GroupRatios group_ratios(const GroupCounts& counts);

struct GroupRow {
  std::string key;        // country ADM0_A3 / "unplaced", language code, resource, "YYYY-MM"
  std::string name;       // country name ("" for other tables)
  std::string iso_a2;     // country ISO 3166-1 alpha-2 ("" when none or not a country)
  GroupCounts counts;
  GroupRatios ratios;
};

struct AnalyseOptions {
  // Groups of the country, language and resource tables are listed only when their post
  // count is strictly above this (CReMa lists countries with > 50 posts). The "unplaced"
  // country row and the day/month tables are always listed.
  uint64_t min_count = 50;
  bool include_duplicates = false;
  // Country shapes; empty = the bundled data/geo file (kDefaultCountriesPath).
  std::string countries_path;
  // A request counts as met when its best stored match (matches table, inside δ_time and
  // δ_distance by construction) scores at least this; the others are unmet need. Scores
  // depend on the encoder and method (tfidf + tts: rank-1 scores are mostly 0.05–0.25).
  double met_score = 0.1;
  ProgressFn progress;  // stage "analyse", done = posts read, total = posts in the store
};

struct Placement {
  uint64_t placed = 0;               // inside a country polygon (or by the resolved ISO code)
  uint64_t no_coordinates = 0;       // no geotag and no resolved location
  uint64_t invalid_coordinates = 0;  // not finite or out of range
  uint64_t outside_polygons = 0;     // at sea or in a state too small for the data set
  uint64_t unplaced() const { return no_coordinates + invalid_coordinates + outside_polygons; }
  // Placed posts by how their location was found (store v2 geo_source; a v1 store has
  // geotags only), and the sum of the resolver's confidence over them (mean = sum / count).
  uint64_t by_geotag = 0, by_place = 0, by_toponym = 0, by_user = 0;
  double confidence_sum = 0;
};

// Unmet need of one (country, resource) cell: requests (R side, duplicates skipped) and how
// many of them have a match scoring at least met_score. A request without resources is in
// the "unspecified" resource; one with two resources is in two cells.
struct UnmetRow {
  std::string country;  // ADM0_A3 or "unplaced"
  std::string name;     // country name
  std::string iso_a2;
  std::string resource;
  uint64_t requests = 0, met = 0;  // met: best match >= met_score, or served / partly served
  uint64_t unmet() const { return requests - met; }
  Interval unmet_share;  // unmet / requests, 95 % Wilson
};

struct AnalyseReport {
  std::string db_path;
  uint64_t min_count = 0;
  bool include_duplicates = false;
  GroupCounts total;
  Placement placement;
  uint64_t skipped_duplicates = 0;
  uint64_t posts_without_resources = 0;
  std::optional<int64_t> first_ms, last_ms;  // created_at range of the counted posts
  // Sorted by posts descending, then key. Groups at or below min_count are left out of
  // countries/languages/resources and tallied in *_below_threshold (groups, posts).
  std::vector<GroupRow> countries, languages, resources;
  // First-level divisions ("NP/Bagmati Province") and cities ("NP/Kathmandu") from the
  // store's resolved locations (v2; empty for a v1 store), above min_count, most posts first.
  std::vector<GroupRow> admin1, cities;
  uint64_t admin1_below_threshold = 0, cities_below_threshold = 0;
  std::vector<GroupRow> days, weeks, months;  // by key ascending (UTC; weeks ISO 8601, "2015-W17")
  double met_score = 0;
  uint64_t requests_met = 0, requests_unmet = 0;  // over all requests (R side)
  // Unmet need by country and resource, most unmet first; cells with requests only.
  std::vector<UnmetRow> unmet;
  uint64_t countries_below_threshold = 0, country_posts_below_threshold = 0;
  uint64_t languages_below_threshold = 0, language_posts_below_threshold = 0;
  uint64_t resources_below_threshold = 0, resource_posts_below_threshold = 0;
  double seconds = 0;  // wall time of the pass
};

// Analyses the store at db_path (opened read-only; never modified). Errors: kNotFound when
// the file does not exist, kCorrupt when it is not a crema store or a row is malformed
// (naming the post id), kUnsupported for a newer schema, kIoError for other SQLite errors,
// and the errors of CountryIndex::load.
Result<AnalyseReport> analyse_store(const std::string& db_path, const AnalyseOptions& options);
// Same, with an already loaded index (the caller keeps it alive during the call).
Result<AnalyseReport> analyse_store(const std::string& db_path, const AnalyseOptions& options,
                                    const CountryIndex& countries);

// Writes by_country.csv, by_language.csv, by_resource.csv, by_day.csv, by_week.csv,
// by_month.csv, unmet_need.csv, their HXL-tagged twins (*.hxl.csv for country, resource and
// unmet need), analyse.json and report.html into out_dir (created if missing), each
// crash-safely (write_file_atomic). `countries` draws the report's map. Formats:
// docs/analyse.md.
Status write_report(const AnalyseReport& report, const std::string& out_dir, const CountryIndex& countries);
// The self-contained HTML report (no network: inline SVG charts, inline CSS): a choropleth
// world map of O:R, bar charts of top countries and resources, requests and offers over
// time, and the unmet-need table. Every chart has a table twin for screen readers.
std::string report_html(const AnalyseReport& report, const CountryIndex& countries);
// Each chart of report_html() as a standalone SVG document: {"map", "countries",
// "resources", "timeline"} in that order (for --png).
std::vector<std::pair<std::string, std::string>> report_charts_svg(const AnalyseReport& report,
                                                                   const CountryIndex& countries);
// The analyse.json document (also what `crema analyse --json` prints).
std::string report_json(const AnalyseReport& report);
// One table as RFC 4180 CSV (CRLF line ends), header included; key_header names the first
// column ("country", "language", …). Country tables add iso_a2 and name columns. With
// `hxl`, a second row carries HXL hashtags (https://hxlstandard.org), e.g. #country+code.
std::string rows_csv(const std::vector<GroupRow>& rows, const std::string& key_header,
                     bool with_country_columns, bool hxl = false);
std::string unmet_csv(const std::vector<UnmetRow>& rows, bool hxl = false);

}  // namespace crema::analyse
