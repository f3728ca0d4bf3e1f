// One streaming pass over a crema store's posts into per-group counts (analyse.h).
#include "crema/analyse/analyse.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <unordered_map>

#include <simdjson.h>

#include "crema/store/store.h"

namespace crema::analyse {
namespace {

constexpr int64_t kApplicationId = 1129467201;  // "CRMA", docs/store.md

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

Error sqlite_error(sqlite3* db, int rc, const std::string& path, const std::string& what) {
  const int primary = rc & 0xff;
  const ErrorCode code = (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) ? ErrorCode::kCorrupt
                                                                                 : ErrorCode::kIoError;
  return Error{code, path + ": " + what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc))};
}

Result<StmtPtr> prepare(sqlite3* db, const std::string& path, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(sqlite_error(db, rc, path, std::string("preparing ") + sql));
  return StmtPtr(raw);
}

Result<int64_t> query_int(sqlite3* db, const std::string& path, const char* sql) {
  auto stmt = prepare(db, path, sql);
  if (!stmt) return tl::unexpected(stmt.error());
  const int rc = sqlite3_step(stmt->get());
  if (rc != SQLITE_ROW) return tl::unexpected(sqlite_error(db, rc, path, sql));
  return static_cast<int64_t>(sqlite3_column_int64(stmt->get(), 0));
}

std::string_view column_text(sqlite3_stmt* stmt, int col) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
  if (p == nullptr) return {};
  return {p, static_cast<size_t>(sqlite3_column_bytes(stmt, col))};
}

// Days since 1970-01-01 (floor) of a UTC millisecond time.
int64_t day_number(int64_t ms) {
  return ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
}

// ISO 8601 week of a day number: the week (Monday first) belongs to the year of its Thursday.
std::string week_key(int64_t day) {
  const int64_t weekday = ((day + 3) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; Monday = 0
  const int64_t thursday = day - weekday + 3;
  const std::chrono::sys_days t{std::chrono::days{thursday}};
  const std::chrono::year_month_day ymd{t};
  const std::chrono::sys_days jan1{ymd.year() / std::chrono::January / 1};
  const int64_t week = (t - jan1).count() / 7 + 1;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-W%02lld", static_cast<int>(ymd.year()), static_cast<long long>(week));
  return buf;
}

std::string day_key(int64_t day) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

void add_label(GroupCounts& g, int label) {
  ++g.posts;
  switch (label) {
    case 0: ++g.request; break;
    case 1: ++g.offer; break;
    case 2: ++g.request_and_offer; break;
    case 3: ++g.irrelevant; break;
    default: ++g.unknown; break;
  }
}

int parse_label_name(std::string_view s) {
  if (s == "request") return 0;
  if (s == "offer") return 1;
  if (s == "request_and_offer") return 2;
  if (s == "irrelevant") return 3;
  if (s == "unknown") return 4;
  return -1;
}

GroupRow make_row(std::string key, const GroupCounts& counts) {
  GroupRow row;
  row.key = std::move(key);
  row.counts = counts;
  row.ratios = group_ratios(counts);
  return row;
}

void add_counts(GroupCounts& into, const GroupCounts& c) {
  into.posts += c.posts;
  into.request += c.request;
  into.offer += c.offer;
  into.request_and_offer += c.request_and_offer;
  into.irrelevant += c.irrelevant;
  into.unknown += c.unknown;
}

void sort_by_posts(std::vector<GroupRow>& rows) {
  std::sort(rows.begin(), rows.end(), [](const GroupRow& a, const GroupRow& b) {
    if (a.counts.posts != b.counts.posts) return a.counts.posts > b.counts.posts;
    return a.key < b.key;
  });
}

// Keeps rows above min_count; tallies the rest.
void apply_threshold(std::vector<GroupRow>& rows, uint64_t min_count, uint64_t& groups_below,
                     uint64_t& posts_below, const std::string& always_keep) {
  std::vector<GroupRow> kept;
  for (auto& row : rows) {
    if (row.counts.posts > min_count || (!always_keep.empty() && row.key == always_keep)) {
      kept.push_back(std::move(row));
    } else {
      ++groups_below;
      posts_below += row.counts.posts;
    }
  }
  rows = std::move(kept);
  sort_by_posts(rows);
}

}  // namespace

Interval wilson_interval(uint64_t successes, uint64_t n, double z) {
  if (n == 0) return {0, 0, 1};
  successes = std::min(successes, n);
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(successes) / nn;
  const double z2 = z * z;
  const double denom = 1 + z2 / nn;
  const double centre = (p + z2 / (2 * nn)) / denom;
  const double half = z * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / denom;
  Interval out{p, std::max(0.0, centre - half), std::min(1.0, centre + half)};
  // Exact at the ends (rounding would otherwise leave 1e-17 above 0 / below 1).
  if (successes == 0) out.lo = 0;
  if (successes == n) out.hi = 1;
  return out;
}

GroupRatios group_ratios(const GroupCounts& counts) {
  GroupRatios r;
  const uint64_t R = counts.requests(), O = counts.offers();
  r.offer_share = wilson_interval(O, R + O);
  auto odds = [](double p) { return p >= 1 ? INFINITY : p / (1 - p); };
  auto inv_odds = [](double p) { return p <= 0 ? INFINITY : (1 - p) / p; };
  if (R + O == 0) {
    r.o_r = r.r_o = NAN;
    r.o_r_lo = r.r_o_lo = 0;
    r.o_r_hi = r.r_o_hi = INFINITY;
    return r;
  }
  r.o_r = R == 0 ? INFINITY : static_cast<double>(O) / static_cast<double>(R);
  r.r_o = O == 0 ? INFINITY : static_cast<double>(R) / static_cast<double>(O);
  r.o_r_lo = odds(r.offer_share.lo);
  r.o_r_hi = odds(r.offer_share.hi);
  r.r_o_lo = inv_odds(r.offer_share.hi);
  r.r_o_hi = inv_odds(r.offer_share.lo);
  return r;
}

Result<AnalyseReport> analyse_store(const std::string& db_path, const AnalyseOptions& options) {
  auto index = options.countries_path.empty() ? CountryIndex::load_default()
                                              : CountryIndex::load(options.countries_path);
  if (!index) return tl::unexpected(index.error());
  return analyse_store(db_path, options, *index);
}

Result<AnalyseReport> analyse_store(const std::string& db_path, const AnalyseOptions& options,
                                    const CountryIndex& countries) {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(db_path, ec)) {
    return make_error(ErrorCode::kNotFound, db_path + ": no such store file");
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(db_path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return tl::unexpected(sqlite_error(raw, rc, db_path, "opening read-only"));
  sqlite3_busy_timeout(db.get(), 10000);

  auto app_id = query_int(db.get(), db_path, "PRAGMA application_id");
  if (!app_id) {
    return make_error(ErrorCode::kCorrupt, db_path + ": not a crema store (not an SQLite database, or a damaged one)");
  }
  if (*app_id != kApplicationId) {
    return make_error(ErrorCode::kCorrupt, db_path + ": not a crema store (an SQLite database of another application)");
  }
  auto version = query_int(db.get(), db_path, "PRAGMA user_version");
  if (!version) return tl::unexpected(version.error());
  if (*version > store::kSchemaVersion) {
    return make_error(ErrorCode::kUnsupported, db_path + ": store schema version " + std::to_string(*version) +
                                                   " was made by a newer crema (this build reads up to " +
                                                   std::to_string(store::kSchemaVersion) + ")");
  }

  // One read snapshot for the count and the pass.
  if (rc = sqlite3_exec(db.get(), "BEGIN", nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    return tl::unexpected(sqlite_error(db.get(), rc, db_path, "BEGIN"));
  }
  auto total_rows = query_int(db.get(), db_path, "SELECT count(*) FROM posts");
  if (!total_rows) return tl::unexpected(total_rows.error());
  // The best match score of a request comes from the matches primary key (request_id, rank).
  // Store v2 adds the resolved location and the request status; v1 has geotags only.
  const std::string location_columns =
      *version >= 2 ? "coalesce(p.geo_lat, p.lat), coalesce(p.geo_lon, p.lon), "
                      "CASE WHEN p.geo_lat IS NULL AND p.lat IS NOT NULL THEN 'geotag' ELSE p.geo_source END, "
                      "coalesce(p.geo_confidence, 1.0), p.country, p.admin1, p.city, p.status"
                    : "p.lat, p.lon, 'geotag', 1.0, NULL, NULL, NULL, NULL";
  const std::string sql =
      "SELECT p.id, p.created_at_ms, p.lang, " + location_columns +
      ", p.label, p.resources, p.duplicate_of IS NOT NULL, "
      "CASE WHEN p.label IN ('request', 'request_and_offer') "
      "THEN (SELECT max(m.score) FROM matches m WHERE m.request_id = p.id) END "
      "FROM posts p ORDER BY p.seq";
  enum Col { kId, kCreated, kLang, kLat, kLon, kSource, kConfidence, kCountry, kAdmin1, kCity, kStatus, kLabel,
             kResources, kDuplicate, kBestScore };
  auto stmt = prepare(db.get(), db_path, sql.c_str());
  if (!stmt) return tl::unexpected(stmt.error());

  AnalyseReport report;
  report.db_path = db_path;
  report.min_count = options.min_count;
  report.include_duplicates = options.include_duplicates;
  const size_t ncountries = countries.countries().size();
  std::vector<GroupCounts> by_country(ncountries + 1);  // last: unplaced
  std::unordered_map<std::string, GroupCounts> by_language, by_resource, by_admin1, by_city;
  std::unordered_map<std::string, int> country_of_iso2;
  for (size_t c = 0; c < ncountries; ++c) {
    const std::string& iso = countries.countries()[c].iso_a2;
    if (!iso.empty()) country_of_iso2.emplace(iso, static_cast<int>(c));
  }
  std::map<int64_t, GroupCounts> by_day;
  struct Need {
    uint64_t requests = 0, met = 0;
  };
  std::map<std::pair<size_t, std::string>, Need> need;  // (country, resource)
  simdjson::dom::parser json;
  std::vector<std::string_view> resources;
  uint64_t read = 0;
  const auto total = static_cast<uint64_t>(std::max<int64_t>(*total_rows, 0));

  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    sqlite3_stmt* s = stmt->get();
    ++read;
    if (options.progress && read % 65536 == 0) options.progress("analyse", read, total);
    if (sqlite3_column_int(s, kDuplicate) != 0 && !options.include_duplicates) {
      ++report.skipped_duplicates;
      continue;
    }
    const std::string_view id = column_text(s, kId);
    const int label = parse_label_name(column_text(s, kLabel));
    if (label < 0) {
      return make_error(ErrorCode::kCorrupt, db_path + ": post " + std::string(id) + ": unknown label \"" +
                                                 std::string(column_text(s, kLabel)) + "\"");
    }
    const int64_t created = sqlite3_column_int64(s, kCreated);
    add_label(report.total, label);
    report.first_ms = report.first_ms ? std::min(*report.first_ms, created) : created;
    report.last_ms = report.last_ms ? std::max(*report.last_ms, created) : created;

    size_t country = ncountries;
    if (sqlite3_column_type(s, kLat) == SQLITE_NULL || sqlite3_column_type(s, kLon) == SQLITE_NULL) {
      ++report.placement.no_coordinates;
    } else {
      const double lat = sqlite3_column_double(s, kLat), lon = sqlite3_column_double(s, kLon);
      int c = CountryIndex::kUnplaced;
      if (!std::isfinite(lat) || !std::isfinite(lon) || std::abs(lat) > 90 || std::abs(lon) > 180) {
        ++report.placement.invalid_coordinates;
      } else if (c = countries.lookup(lat, lon); c == CountryIndex::kUnplaced) {
        // A coastal or small-island point the 1:110m outline misses: the resolver's country.
        if (auto it = country_of_iso2.find(std::string(column_text(s, kCountry))); it != country_of_iso2.end()) {
          c = it->second;
        } else {
          ++report.placement.outside_polygons;
        }
      }
      if (c != CountryIndex::kUnplaced) {
        auto& pl = report.placement;
        ++pl.placed;
        country = static_cast<size_t>(c);
        const std::string_view source = column_text(s, kSource);
        ++(source == "place" ? pl.by_place : source == "toponym" ? pl.by_toponym : source == "user" ? pl.by_user
                                                                                                      : pl.by_geotag);
        pl.confidence_sum += sqlite3_column_double(s, kConfidence);
      }
    }
    add_label(by_country[country], label);
    const std::string_view iso2 = column_text(s, kCountry), admin1 = column_text(s, kAdmin1);
    const std::string_view city = column_text(s, kCity);
    if (!iso2.empty() && !admin1.empty()) add_label(by_admin1[std::string(iso2) + "/" + std::string(admin1)], label);
    if (!iso2.empty() && !city.empty()) add_label(by_city[std::string(iso2) + "/" + std::string(city)], label);
    const std::string_view lang = column_text(s, kLang);
    add_label(by_language[std::string(lang.empty() ? "und" : lang)], label);
    add_label(by_day[day_number(created)], label);

    const std::string_view res_json = column_text(s, kResources);
    simdjson::dom::array arr;
    if (json.parse(res_json.data(), res_json.size()).get_array().get(arr) != simdjson::SUCCESS) {
      return make_error(ErrorCode::kCorrupt,
                        db_path + ": post " + std::string(id) + ": resources is not a JSON array");
    }
    resources.clear();
    for (auto el : arr) {
      std::string_view r;
      if (el.get_string().get(r) != simdjson::SUCCESS) {
        return make_error(ErrorCode::kCorrupt,
                          db_path + ": post " + std::string(id) + ": resources holds a non-string");
      }
      if (std::find(resources.begin(), resources.end(), r) == resources.end()) resources.push_back(r);
    }
    if (resources.empty()) ++report.posts_without_resources;
    for (auto r : resources) add_label(by_resource[std::string(r)], label);

    if (label == 0 || label == 2) {
      const std::string_view status = column_text(s, kStatus);
      const bool met = status == "served" || status == "partly_served" ||
                       (sqlite3_column_type(s, kBestScore) != SQLITE_NULL &&
                        sqlite3_column_double(s, kBestScore) >= options.met_score);
      ++(met ? report.requests_met : report.requests_unmet);
      auto count_need = [&](std::string resource) {
        Need& n = need[{country, std::move(resource)}];
        ++n.requests;
        n.met += met ? 1 : 0;
      };
      if (resources.empty()) count_need("unspecified");
      for (auto r : resources) count_need(std::string(r));
    }
  }
  if (rc != SQLITE_DONE) return tl::unexpected(sqlite_error(db.get(), rc, db_path, "reading posts"));
  stmt->reset();
  sqlite3_exec(db.get(), "COMMIT", nullptr, nullptr, nullptr);
  if (options.progress) options.progress("analyse", read, total);

  for (size_t c = 0; c <= ncountries; ++c) {
    if (by_country[c].posts == 0) continue;
    GroupRow row;
    if (c == ncountries) {
      row = make_row("unplaced", by_country[c]);
      row.name = "(no country)";
    } else {
      const Country& country = countries.countries()[c];
      row = make_row(country.a3, by_country[c]);
      row.name = country.name;
      row.iso_a2 = country.iso_a2;
    }
    report.countries.push_back(std::move(row));
  }
  apply_threshold(report.countries, options.min_count, report.countries_below_threshold,
                  report.country_posts_below_threshold, "unplaced");
  for (auto& [key, counts] : by_language) report.languages.push_back(make_row(key, counts));
  apply_threshold(report.languages, options.min_count, report.languages_below_threshold,
                  report.language_posts_below_threshold, "");
  uint64_t ignored_posts = 0;
  // Keys are "ISO2/name": the row carries both parts for the CSV's iso_a2 and name columns.
  auto place_row = [](const std::string& key, const GroupCounts& counts) {
    GroupRow row = make_row(key, counts);
    const size_t slash = key.find('/');
    row.iso_a2 = key.substr(0, slash);
    row.name = key.substr(slash + 1);
    return row;
  };
  for (auto& [key, counts] : by_admin1) report.admin1.push_back(place_row(key, counts));
  apply_threshold(report.admin1, options.min_count, report.admin1_below_threshold, ignored_posts, "");
  for (auto& [key, counts] : by_city) report.cities.push_back(place_row(key, counts));
  apply_threshold(report.cities, options.min_count, report.cities_below_threshold, ignored_posts, "");
  for (auto& [key, counts] : by_resource) report.resources.push_back(make_row(key, counts));
  apply_threshold(report.resources, options.min_count, report.resources_below_threshold,
                  report.resource_posts_below_threshold, "");

  std::map<std::string, GroupCounts> by_week, by_month;
  for (const auto& [day, counts] : by_day) {
    std::string key = day_key(day);
    add_counts(by_month[key.substr(0, 7)], counts);
    add_counts(by_week[week_key(day)], counts);
    report.days.push_back(make_row(std::move(key), counts));
  }
  for (const auto& [key, counts] : by_week) report.weeks.push_back(make_row(key, counts));
  for (const auto& [key, counts] : by_month) report.months.push_back(make_row(key, counts));

  report.met_score = options.met_score;
  for (const auto& [cell, n] : need) {
    UnmetRow row;
    if (cell.first == ncountries) {
      row.country = "unplaced";
      row.name = "(no country)";
    } else {
      const Country& c = countries.countries()[cell.first];
      row.country = c.a3;
      row.name = c.name;
      row.iso_a2 = c.iso_a2;
    }
    row.resource = cell.second;
    row.requests = n.requests;
    row.met = n.met;
    row.unmet_share = wilson_interval(n.requests - n.met, n.requests);
    report.unmet.push_back(std::move(row));
  }
  std::sort(report.unmet.begin(), report.unmet.end(), [](const UnmetRow& a, const UnmetRow& b) {
    if (a.unmet() != b.unmet()) return a.unmet() > b.unmet();
    if (a.country != b.country) return a.country < b.country;
    return a.resource < b.resource;
  });
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace crema::analyse
