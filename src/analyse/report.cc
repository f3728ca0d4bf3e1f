// CSV and JSON outputs of an AnalyseReport (analyse.h; formats in docs/analyse.md).
#include <cmath>
#include <cstdio>

#include "crema/analyse/analyse.h"
#include "crema/common/file_io.h"
#include "crema/common/json_writer.h"
#include "crema/common/time.h"

namespace crema::analyse {
namespace {

// Ratios: 6 significant digits; +inf and NaN (no posts) are empty cells.
std::string number(double v) {
  if (!std::isfinite(v)) return {};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void csv_field(std::string& out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(s);
    return;
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void json_number(JsonWriter& w, double v) {
  if (std::isfinite(v)) {
    w.value(v);
  } else {
    w.null();
  }
}

void json_rows(JsonWriter& w, const std::vector<GroupRow>& rows, bool country) {
  w.begin_array();
  for (const auto& row : rows) {
    const auto& c = row.counts;
    const auto& r = row.ratios;
    w.begin_object().key("key").value(row.key);
    if (country) w.key("iso_a2").value(row.iso_a2).key("name").value(row.name);
    w.key("posts").value(c.posts).key("requests").value(c.requests()).key("offers").value(c.offers());
    w.key("request").value(c.request).key("offer").value(c.offer).key("request_and_offer").value(c.request_and_offer);
    w.key("irrelevant").value(c.irrelevant).key("unknown").value(c.unknown);
    w.key("offer_share");
    if (c.requests() + c.offers() == 0) {
      w.null();
    } else {
      w.begin_object().key("p").value(r.offer_share.estimate).key("lo").value(r.offer_share.lo);
      w.key("hi").value(r.offer_share.hi).end_object();
    }
    w.key("o_r").begin_array();
    json_number(w, r.o_r);
    json_number(w, r.o_r_lo);
    json_number(w, r.o_r_hi);
    w.end_array().key("r_o").begin_array();
    json_number(w, r.r_o);
    json_number(w, r.r_o_lo);
    json_number(w, r.r_o_hi);
    w.end_array().end_object();
  }
  w.end_array();
}

// HXL hashtag of a table's first column (docs/analyse.md).
std::string hxl_key_tag(const std::string& key_header) {
  if (key_header == "country") return "#country+code";
  if (key_header == "resource") return "#sector";
  if (key_header == "admin1") return "#adm1+code";
  if (key_header == "city") return "#loc+code";
  if (key_header == "day" || key_header == "week" || key_header == "month") return "#date+" + key_header;
  return "#meta+" + key_header;
}

}  // namespace

std::string rows_csv(const std::vector<GroupRow>& rows, const std::string& key_header, bool with_country_columns,
                     bool hxl) {
  static constexpr const char* kColumns[] = {
      "posts", "requests", "offers", "request", "offer", "request_and_offer", "irrelevant", "unknown",
      "offer_share", "offer_share_lo", "offer_share_hi", "o_r", "o_r_lo", "o_r_hi", "r_o", "r_o_lo", "r_o_hi"};
  std::string out;
  csv_field(out, key_header);
  if (with_country_columns) out += ",iso_a2,name";
  for (const char* c : kColumns) out += std::string(",") + c;
  out += "\r\n";
  if (hxl) {
    out += hxl_key_tag(key_header);
    if (with_country_columns) {
      out += key_header == "admin1" ? ",#country+code+iso2,#adm1+name"
             : key_header == "city" ? ",#country+code+iso2,#loc+name"
                                    : ",#country+code+iso2,#country+name";
    }
    for (const char* c : kColumns) out += std::string(",#indicator+") + c + "+num";
    out += "\r\n";
  }
  for (const auto& row : rows) {
    const auto& c = row.counts;
    const auto& r = row.ratios;
    csv_field(out, row.key);
    if (with_country_columns) {
      out.push_back(',');
      csv_field(out, row.iso_a2);
      out.push_back(',');
      csv_field(out, row.name);
    }
    for (uint64_t v : {c.posts, c.requests(), c.offers(), c.request, c.offer, c.request_and_offer, c.irrelevant,
                       c.unknown}) {
      out += ',' + std::to_string(v);
    }
    const bool any = c.requests() + c.offers() > 0;
    for (double v : {r.offer_share.estimate, r.offer_share.lo, r.offer_share.hi}) {
      out += ',' + (any ? number(v) : std::string());
    }
    for (double v : {r.o_r, r.o_r_lo, r.o_r_hi, r.r_o, r.r_o_lo, r.r_o_hi}) out += ',' + number(v);
    out += "\r\n";
  }
  return out;
}

std::string unmet_csv(const std::vector<UnmetRow>& rows, bool hxl) {
  std::string out = "country,iso_a2,name,resource,requests,met,unmet,unmet_share,unmet_share_lo,unmet_share_hi\r\n";
  if (hxl) {
    out +=
        "#country+code,#country+code+iso2,#country+name,#sector,#indicator+requests+num,#indicator+met+num,"
        "#indicator+unmet+num,#indicator+unmet_share+num,#indicator+unmet_share_lo+num,"
        "#indicator+unmet_share_hi+num\r\n";
  }
  for (const auto& row : rows) {
    csv_field(out, row.country);
    out.push_back(',');
    csv_field(out, row.iso_a2);
    out.push_back(',');
    csv_field(out, row.name);
    out.push_back(',');
    csv_field(out, row.resource);
    for (uint64_t v : {row.requests, row.met, row.unmet()}) out += ',' + std::to_string(v);
    for (double v : {row.unmet_share.estimate, row.unmet_share.lo, row.unmet_share.hi}) out += ',' + number(v);
    out += "\r\n";
  }
  return out;
}

std::string report_json(const AnalyseReport& report) {
  JsonWriter w;
  const auto& t = report.total;
  const auto& p = report.placement;
  w.begin_object().key("db").value(report.db_path).key("min_count").value(report.min_count);
  w.key("include_duplicates").value(report.include_duplicates).key("seconds").value(report.seconds);
  w.key("first_created_at");
  if (report.first_ms) {
    w.value(format_timestamp(*report.first_ms));
  } else {
    w.null();
  }
  w.key("last_created_at");
  if (report.last_ms) {
    w.value(format_timestamp(*report.last_ms));
  } else {
    w.null();
  }
  w.key("totals").begin_object().key("posts").value(t.posts).key("requests").value(t.requests());
  w.key("offers").value(t.offers()).key("request").value(t.request).key("offer").value(t.offer);
  w.key("request_and_offer").value(t.request_and_offer).key("irrelevant").value(t.irrelevant);
  w.key("unknown").value(t.unknown).key("skipped_duplicates").value(report.skipped_duplicates);
  w.key("without_resources").value(report.posts_without_resources).end_object();
  w.key("placement").begin_object().key("placed").value(p.placed).key("unplaced").value(p.unplaced());
  w.key("no_coordinates").value(p.no_coordinates).key("invalid_coordinates").value(p.invalid_coordinates);
  w.key("outside_polygons").value(p.outside_polygons);
  w.key("placed_by").begin_object().key("geotag").value(p.by_geotag).key("place").value(p.by_place);
  w.key("toponym").value(p.by_toponym).key("user").value(p.by_user).end_object();
  w.key("mean_confidence");
  if (p.placed > 0) {
    w.value(p.confidence_sum / static_cast<double>(p.placed));
  } else {
    w.null();
  }
  w.end_object();
  w.key("below_threshold").begin_object();
  w.key("countries").begin_object().key("groups").value(report.countries_below_threshold);
  w.key("posts").value(report.country_posts_below_threshold).end_object();
  w.key("languages").begin_object().key("groups").value(report.languages_below_threshold);
  w.key("posts").value(report.language_posts_below_threshold).end_object();
  w.key("resources").begin_object().key("groups").value(report.resources_below_threshold);
  w.key("posts").value(report.resource_posts_below_threshold).end_object();
  w.end_object();
  w.key("overall");
  json_rows(w, {GroupRow{"all", "", "", t, group_ratios(t)}}, false);
  w.key("countries");
  json_rows(w, report.countries, true);
  w.key("admin1");
  json_rows(w, report.admin1, true);
  w.key("cities");
  json_rows(w, report.cities, true);
  w.key("languages");
  json_rows(w, report.languages, false);
  w.key("resources");
  json_rows(w, report.resources, false);
  w.key("weeks");
  json_rows(w, report.weeks, false);
  w.key("months");
  json_rows(w, report.months, false);
  w.key("days");
  json_rows(w, report.days, false);
  w.key("unmet_need").begin_object().key("met_score").value(report.met_score);
  w.key("requests_met").value(report.requests_met).key("requests_unmet").value(report.requests_unmet);
  w.key("cells").begin_array();
  for (const auto& row : report.unmet) {
    w.begin_object().key("country").value(row.country).key("iso_a2").value(row.iso_a2).key("name").value(row.name);
    w.key("resource").value(row.resource).key("requests").value(row.requests).key("met").value(row.met);
    w.key("unmet").value(row.unmet()).key("unmet_share").begin_array();
    json_number(w, row.unmet_share.estimate);
    json_number(w, row.unmet_share.lo);
    json_number(w, row.unmet_share.hi);
    w.end_array().end_object();
  }
  w.end_array().end_object();
  w.end_object();
  return w.take();
}

Status write_report(const AnalyseReport& report, const std::string& out_dir, const CountryIndex& countries) {
  if (auto st = ensure_directory(out_dir); !st) return st;
  const struct {
    const char* file;
    const std::vector<GroupRow>* rows;
    const char* key;
    bool country;
  } tables[] = {
      {"by_country.csv", &report.countries, "country", true},
      {"by_admin1.csv", &report.admin1, "admin1", true},
      {"by_city.csv", &report.cities, "city", true},
      {"by_language.csv", &report.languages, "language", false},
      {"by_resource.csv", &report.resources, "resource", false},
      {"by_day.csv", &report.days, "day", false},
      {"by_week.csv", &report.weeks, "week", false},
      {"by_month.csv", &report.months, "month", false},
  };
  for (const auto& t : tables) {
    if (auto st = write_file_atomic(out_dir + "/" + t.file, rows_csv(*t.rows, t.key, t.country)); !st) return st;
  }
  if (auto st = write_file_atomic(out_dir + "/by_country.hxl.csv", rows_csv(report.countries, "country", true, true));
      !st) {
    return st;
  }
  if (auto st = write_file_atomic(out_dir + "/by_admin1.hxl.csv", rows_csv(report.admin1, "admin1", true, true)); !st) {
    return st;
  }
  if (auto st = write_file_atomic(out_dir + "/by_resource.hxl.csv", rows_csv(report.resources, "resource", false, true));
      !st) {
    return st;
  }
  if (auto st = write_file_atomic(out_dir + "/unmet_need.csv", unmet_csv(report.unmet)); !st) return st;
  if (auto st = write_file_atomic(out_dir + "/unmet_need.hxl.csv", unmet_csv(report.unmet, true)); !st) return st;
  if (auto st = write_file_atomic(out_dir + "/report.html", report_html(report, countries)); !st) return st;
  return write_file_atomic(out_dir + "/analyse.json", report_json(report) + "\n");
}

}  // namespace crema::analyse
