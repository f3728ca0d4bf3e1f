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

}  // namespace

std::string rows_csv(const std::vector<GroupRow>& rows, const std::string& key_header, bool with_country_columns) {
  std::string out;
  csv_field(out, key_header);
  if (with_country_columns) out += ",iso_a2,name";
  out +=
      ",posts,requests,offers,request,offer,request_and_offer,irrelevant,unknown,"
      "offer_share,offer_share_lo,offer_share_hi,o_r,o_r_lo,o_r_hi,r_o,r_o_lo,r_o_hi\r\n";
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
  w.key("outside_polygons").value(p.outside_polygons).end_object();
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
  w.key("languages");
  json_rows(w, report.languages, false);
  w.key("resources");
  json_rows(w, report.resources, false);
  w.key("months");
  json_rows(w, report.months, false);
  w.key("days");
  json_rows(w, report.days, false);
  w.end_object();
  return w.take();
}

Status write_report(const AnalyseReport& report, const std::string& out_dir) {
  if (auto st = ensure_directory(out_dir); !st) return st;
  const struct {
    const char* file;
    const std::vector<GroupRow>* rows;
    const char* key;
    bool country;
  } tables[] = {
      {"by_country.csv", &report.countries, "country", true},
      {"by_language.csv", &report.languages, "language", false},
      {"by_resource.csv", &report.resources, "resource", false},
      {"by_day.csv", &report.days, "day", false},
      {"by_month.csv", &report.months, "month", false},
  };
  for (const auto& t : tables) {
    if (auto st = write_file_atomic(out_dir + "/" + t.file, rows_csv(*t.rows, t.key, t.country)); !st) return st;
  }
  return write_file_atomic(out_dir + "/analyse.json", report_json(report) + "\n");
}

}  // namespace crema::analyse
