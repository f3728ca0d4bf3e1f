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
  auto stmt = prepare(db.get(), db_path,
                      "SELECT id, created_at_ms, lang, lat, lon, label, resources, duplicate_of IS NOT NULL "
                      "FROM posts ORDER BY seq");
  if (!stmt) return tl::unexpected(stmt.error());

  AnalyseReport report;
  report.db_path = db_path;
  report.min_count = options.min_count;
  report.include_duplicates = options.include_duplicates;
  const size_t ncountries = countries.countries().size();
  std::vector<GroupCounts> by_country(ncountries + 1);  // last: unplaced
  std::unordered_map<std::string, GroupCounts> by_language, by_resource;
  std::map<int64_t, GroupCounts> by_day;
  simdjson::dom::parser json;
  std::vector<std::string_view> resources;
  uint64_t read = 0;
  const auto total = static_cast<uint64_t>(std::max<int64_t>(*total_rows, 0));

  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    sqlite3_stmt* s = stmt->get();
    ++read;
    if (options.progress && read % 65536 == 0) options.progress("analyse", read, total);
    if (sqlite3_column_int(s, 7) != 0 && !options.include_duplicates) {
      ++report.skipped_duplicates;
      continue;
    }
    const std::string_view id = column_text(s, 0);
    const int label = parse_label_name(column_text(s, 5));
    if (label < 0) {
      return make_error(ErrorCode::kCorrupt, db_path + ": post " + std::string(id) + ": unknown label \"" +
                                                 std::string(column_text(s, 5)) + "\"");
    }
    const int64_t created = sqlite3_column_int64(s, 1);
    add_label(report.total, label);
    report.first_ms = report.first_ms ? std::min(*report.first_ms, created) : created;
    report.last_ms = report.last_ms ? std::max(*report.last_ms, created) : created;

    size_t country = ncountries;
    if (sqlite3_column_type(s, 3) == SQLITE_NULL || sqlite3_column_type(s, 4) == SQLITE_NULL) {
      ++report.placement.no_coordinates;
    } else {
      const double lat = sqlite3_column_double(s, 3), lon = sqlite3_column_double(s, 4);
      if (!std::isfinite(lat) || !std::isfinite(lon) || std::abs(lat) > 90 || std::abs(lon) > 180) {
        ++report.placement.invalid_coordinates;
      } else if (const int c = countries.lookup(lat, lon); c == CountryIndex::kUnplaced) {
        ++report.placement.outside_polygons;
      } else {
        ++report.placement.placed;
        country = static_cast<size_t>(c);
      }
    }
    add_label(by_country[country], label);
    const std::string_view lang = column_text(s, 2);
    add_label(by_language[std::string(lang.empty() ? "und" : lang)], label);
    add_label(by_day[day_number(created)], label);

    const std::string_view res_json = column_text(s, 6);
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
  for (auto& [key, counts] : by_resource) report.resources.push_back(make_row(key, counts));
  apply_threshold(report.resources, options.min_count, report.resources_below_threshold,
                  report.resource_posts_below_threshold, "");

  std::map<std::string, GroupCounts> by_month;
  for (const auto& [day, counts] : by_day) {
    std::string key = day_key(day);
    GroupCounts& m = by_month[key.substr(0, 7)];
    m.posts += counts.posts;
    m.request += counts.request;
    m.offer += counts.offer;
    m.request_and_offer += counts.request_and_offer;
    m.irrelevant += counts.irrelevant;
    m.unknown += counts.unknown;
    report.days.push_back(make_row(std::move(key), counts));
  }
  for (const auto& [key, counts] : by_month) report.months.push_back(make_row(key, counts));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace crema::analyse
