// The self-contained HTML report of `crema analyse` (analyse.h): inline SVG charts drawn
// here, so the page needs no script, no network and no charting library.
#include <algorithm>
#include <chrono>
#include <optional>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "crema/analyse/analyse.h"
#include "crema/common/time.h"

namespace crema::analyse {
namespace {

constexpr const char* kRequestColour = "#c2570c";  // requests: orange (also in the legend)
constexpr const char* kOfferColour = "#5e3c99";    // offers: purple
constexpr const char* kNoDataColour = "#e4e4e4";

std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string fmt(double v, const char* spec = "%.2f") {
  if (std::isnan(v)) return "–";
  if (std::isinf(v)) return "∞";
  char buf[48];
  std::snprintf(buf, sizeof buf, spec, v);
  return buf;
}

std::string px(double v) { return fmt(v, "%.1f"); }

std::string count(uint64_t v) { return std::to_string(v); }

std::string ratio_with_ci(double v, double lo, double hi) {
  return fmt(v) + " [" + fmt(lo) + ", " + fmt(hi) + "]";
}

// O:R classes of the map, symmetric on a log scale around 1.
struct Bin {
  double upper;
  const char* colour;
  const char* label;
};
constexpr Bin kBins[] = {{0.25, "#b35806", "< 0.25 (requests dominate)"},
                         {1.0, "#f1a340", "0.25 – 1"},
                         {4.0, "#998ec3", "1 – 4"},
                         {INFINITY, "#542788", "≥ 4 (offers dominate)"}};

const char* bin_colour(double o_r) {
  for (const Bin& b : kBins) {
    if (o_r < b.upper) return b.colour;
  }
  return kBins[3].colour;
}

constexpr double kMapW = 960, kMapH = 480;

std::string map_svg(const AnalyseReport& report, const CountryIndex& countries, bool standalone) {
  std::vector<std::string> paths(countries.countries().size());
  countries.for_each_ring([&](int c, std::span<const double> xs, std::span<const double> ys) {
    std::string& d = paths[static_cast<size_t>(c)];
    for (size_t i = 0; i < xs.size(); ++i) {
      d += i == 0 ? 'M' : 'L';
      d += px((xs[i] + 180) * kMapW / 360) + ',' + px((90 - ys[i]) * kMapH / 180);
    }
    d += 'Z';
  });
  std::vector<const GroupRow*> row_of(countries.countries().size(), nullptr);
  for (const auto& row : report.countries) {
    const int c = countries.find(row.key);
    if (c != CountryIndex::kUnplaced) row_of[static_cast<size_t>(c)] = &row;
  }
  std::string svg = "<svg class=\"chart map\" viewBox=\"0 0 960 480\" role=\"img\" aria-labelledby=\"map-title\"";
  if (standalone) svg += " xmlns=\"http://www.w3.org/2000/svg\" width=\"960\" height=\"480\"";
  svg += "><title id=\"map-title\">Offers per request (O:R) by country</title>";
  svg += "<rect width=\"960\" height=\"480\" fill=\"#f4f8fb\"/>";
  for (size_t c = 0; c < paths.size(); ++c) {
    if (paths[c].empty()) continue;
    const Country& country = countries.countries()[c];
    const GroupRow* row = row_of[c];
    const bool has_ratio = row != nullptr && row->counts.requests() + row->counts.offers() > 0;
    svg += "<path class=\"country";
    svg += has_ratio ? " has-data" : "";
    svg += "\" data-a3=\"" + esc(country.a3) + "\" fill-rule=\"evenodd\" fill=\"";
    svg += has_ratio ? bin_colour(row->ratios.o_r) : kNoDataColour;
    svg += "\" stroke=\"#ffffff\" stroke-width=\"0.5\" d=\"" + paths[c] + "\"><title>" + esc(country.name);
    if (row != nullptr) {
      svg += ": " + count(row->counts.requests()) + " requests, " + count(row->counts.offers()) + " offers";
      if (has_ratio) svg += ", O:R " + ratio_with_ci(row->ratios.o_r, row->ratios.o_r_lo, row->ratios.o_r_hi);
    } else {
      svg += ": at most " + count(report.min_count) + " posts";
    }
    svg += "</title></path>";
  }
  // Legend.
  double y = 330;
  svg += "<g class=\"legend\" font-size=\"12\" font-family=\"sans-serif\"><text x=\"12\" y=\"" + px(y - 8) +
         "\">O:R</text>";
  for (const Bin& b : kBins) {
    svg += "<rect x=\"12\" y=\"" + px(y) + "\" width=\"14\" height=\"14\" fill=\"" + b.colour + "\"/>";
    svg += "<text x=\"32\" y=\"" + px(y + 11) + "\">" + esc(b.label) + "</text>";
    y += 20;
  }
  svg += "<rect x=\"12\" y=\"" + px(y) + "\" width=\"14\" height=\"14\" fill=\"" + kNoDataColour + "\"/>";
  svg += "<text x=\"32\" y=\"" + px(y + 11) + "\">too few posts</text></g></svg>";
  return svg;
}

// Horizontal grouped bars: for each row a request bar and an offer bar.
std::string bars_svg(const std::vector<const GroupRow*>& rows, const std::string& id, const std::string& title,
                     bool by_name, bool standalone) {
  const double label_w = 170, bar_h = 11, group_h = 30, top = 28, width = 720;
  const double height = top + group_h * static_cast<double>(rows.size()) + 10;
  uint64_t max_v = 1;
  for (const GroupRow* r : rows) max_v = std::max({max_v, r->counts.requests(), r->counts.offers()});
  const double scale = (width - label_w - 60) / static_cast<double>(max_v);
  std::string svg = "<svg class=\"chart bars\" id=\"" + id + "-chart\" viewBox=\"0 0 " + px(width) + ' ' + px(height) +
                    "\" role=\"img\" aria-labelledby=\"" + id + "-title\"";
  if (standalone) {
    svg += " xmlns=\"http://www.w3.org/2000/svg\" width=\"" + px(width) + "\" height=\"" + px(height) + "\"";
  }
  svg += "><title id=\"" + id + "-title\">" + esc(title) + "</title>";
  svg += "<g font-size=\"12\" font-family=\"sans-serif\">";
  svg += "<rect x=\"" + px(label_w) + "\" y=\"6\" width=\"10\" height=\"10\" fill=\"" + kRequestColour + "\"/>";
  svg += "<text x=\"" + px(label_w + 14) + "\" y=\"15\">requests</text>";
  svg += "<rect x=\"" + px(label_w + 90) + "\" y=\"6\" width=\"10\" height=\"10\" fill=\"" + kOfferColour + "\"/>";
  svg += "<text x=\"" + px(label_w + 104) + "\" y=\"15\">offers</text>";
  double y = top;
  for (const GroupRow* r : rows) {
    const std::string label = by_name && !r->name.empty() ? r->name : r->key;
    svg += "<text x=\"" + px(label_w - 6) + "\" y=\"" + px(y + bar_h + 3) + "\" text-anchor=\"end\">" +
           esc(label.substr(0, 28)) + "</text>";
    const struct {
      uint64_t v;
      const char* colour;
      const char* what;
    } bars[] = {{r->counts.requests(), kRequestColour, "requests"}, {r->counts.offers(), kOfferColour, "offers"}};
    double by = y;
    for (const auto& b : bars) {
      const double w = std::max(1.0, static_cast<double>(b.v) * scale);
      svg += "<rect class=\"bar\" x=\"" + px(label_w) + "\" y=\"" + px(by) + "\" width=\"" + px(w) + "\" height=\"" +
             px(bar_h) + "\" fill=\"" + b.colour + "\"><title>" + esc(label) + ": " + count(b.v) + ' ' + b.what +
             "</title></rect>";
      svg += "<text x=\"" + px(label_w + w + 4) + "\" y=\"" + px(by + bar_h - 1) + "\">" + count(b.v) + "</text>";
      by += bar_h + 1;
    }
    y += group_h;
  }
  svg += "</g></svg>";
  return svg;
}

struct Timeline {
  std::vector<GroupRow> rows;  // contiguous buckets, empty ones included
  const char* unit = "day";
};

std::optional<int64_t> parse_day(const std::string& key) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (std::sscanf(key.c_str(), "%d-%u-%u", &y, &m, &d) != 3) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

std::string day_label(int64_t day, bool month_only) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  char buf[32];
  if (month_only) {
    std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()));
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
  }
  return buf;
}

// Requests and offers over time in contiguous buckets (a quiet month is a zero, not skipped):
// months when the posts span more than 90 days, weeks (starting Monday) when more than 21,
// else days.
Timeline make_timeline(const AnalyseReport& report) {
  Timeline t;
  std::vector<std::pair<int64_t, const GroupCounts*>> days;
  for (const auto& row : report.days) {
    if (auto d = parse_day(row.key)) days.emplace_back(*d, &row.counts);
  }
  if (days.empty()) return t;
  const int64_t first = days.front().first, last = days.back().first;
  const int64_t span = last - first;
  // Bucket start of a day number.
  auto bucket = [&](int64_t day) -> int64_t {
    if (span > 90) {
      const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
      return std::chrono::sys_days{ymd.year() / ymd.month() / 1}.time_since_epoch().count();
    }
    if (span > 21) return day - (((day + 3) % 7 + 7) % 7);  // back to Monday
    return day;
  };
  t.unit = span > 90 ? "month" : span > 21 ? "week" : "day";
  std::vector<int64_t> starts;
  for (int64_t b = bucket(first); b <= last;) {
    starts.push_back(b);
    if (span > 90) {
      const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{b}}};
      const auto next = ymd.year() / ymd.month() / 1 + std::chrono::months{1};
      b = std::chrono::sys_days{next}.time_since_epoch().count();
    } else {
      b += span > 21 ? 7 : 1;
    }
  }
  t.rows.resize(starts.size());
  for (size_t i = 0; i < starts.size(); ++i) t.rows[i].key = day_label(starts[i], span > 90);
  size_t i = 0;
  for (const auto& [day, counts] : days) {
    const int64_t b = bucket(day);
    while (i + 1 < starts.size() && starts[i] < b) ++i;
    GroupCounts& into = t.rows[i].counts;
    into.posts += counts->posts;
    into.request += counts->request;
    into.offer += counts->offer;
    into.request_and_offer += counts->request_and_offer;
    into.irrelevant += counts->irrelevant;
    into.unknown += counts->unknown;
  }
  for (auto& row : t.rows) row.ratios = group_ratios(row.counts);
  return t;
}

std::string timeline_svg(const Timeline& t, bool standalone) {
  const auto& rows = t.rows;
  const double width = 720, height = 260, left = 50, right = 30, top = 30, bottom = 40;
  uint64_t max_v = 1;
  for (const auto& r : rows) max_v = std::max({max_v, r.counts.requests(), r.counts.offers()});
  const double n = static_cast<double>(std::max<size_t>(rows.size(), 2) - 1);
  auto x_of = [&](size_t i) { return left + (width - left - right) * (rows.size() < 2 ? 0.5 : static_cast<double>(i) / n); };
  auto y_of = [&](uint64_t v) {
    return top + (height - top - bottom) * (1 - static_cast<double>(v) / static_cast<double>(max_v));
  };
  std::string svg = "<svg class=\"chart timeline\" id=\"timeline-chart\" viewBox=\"0 0 720 260\" role=\"img\" "
                    "aria-labelledby=\"timeline-title\"";
  if (standalone) svg += " xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"260\"";
  svg += "><title id=\"timeline-title\">Requests and offers per " + std::string(t.unit) + "</title>";
  svg += "<g font-size=\"12\" font-family=\"sans-serif\">";
  for (uint64_t tick : {uint64_t{0}, max_v / 2, max_v}) {
    const double y = y_of(tick);
    svg += "<line x1=\"" + px(left) + "\" x2=\"" + px(width - right) + "\" y1=\"" + px(y) + "\" y2=\"" + px(y) +
           "\" stroke=\"#dddddd\"/><text x=\"" + px(left - 6) + "\" y=\"" + px(y + 4) + "\" text-anchor=\"end\">" +
           count(tick) + "</text>";
  }
  if (!rows.empty()) {
    const size_t last = rows.size() - 1;
    std::vector<size_t> marks = {0, last / 2, last};
    marks.erase(std::unique(marks.begin(), marks.end()), marks.end());
    for (size_t i : marks) {
      const char* anchor = rows.size() == 1 ? "middle" : i == 0 ? "start" : i == last ? "end" : "middle";
      svg += "<text x=\"" + px(x_of(i)) + "\" y=\"" + px(height - bottom + 18) + "\" text-anchor=\"" + anchor +
             "\">" + esc(rows[i].key) + "</text>";
    }
  }
  const struct {
    bool requests;
    const char* colour;
    const char* what;
  } series[] = {{true, kRequestColour, "requests"}, {false, kOfferColour, "offers"}};
  for (const auto& s : series) {
    std::string points;
    for (size_t i = 0; i < rows.size(); ++i) {
      const uint64_t v = s.requests ? rows[i].counts.requests() : rows[i].counts.offers();
      points += px(x_of(i)) + ',' + px(y_of(v)) + ' ';
    }
    svg += "<polyline class=\"series\" fill=\"none\" stroke-width=\"2\" stroke=\"" + std::string(s.colour) +
           "\" points=\"" + points + "\"/>";
    for (size_t i = 0; i < rows.size(); ++i) {
      const uint64_t v = s.requests ? rows[i].counts.requests() : rows[i].counts.offers();
      svg += "<circle class=\"point\" r=\"3\" cx=\"" + px(x_of(i)) + "\" cy=\"" + px(y_of(v)) + "\" fill=\"" +
             s.colour + "\"><title>" + esc(rows[i].key) + ": " + count(v) + ' ' + s.what + "</title></circle>";
    }
  }
  svg += "<rect x=\"" + px(left) + "\" y=\"8\" width=\"10\" height=\"10\" fill=\"" + kRequestColour + "\"/>";
  svg += "<text x=\"" + px(left + 14) + "\" y=\"17\">requests</text>";
  svg += "<rect x=\"" + px(left + 90) + "\" y=\"8\" width=\"10\" height=\"10\" fill=\"" + kOfferColour + "\"/>";
  svg += "<text x=\"" + px(left + 104) + "\" y=\"17\">offers</text></g></svg>";
  return svg;
}

std::vector<const GroupRow*> top_countries(const AnalyseReport& report, size_t n) {
  std::vector<const GroupRow*> out;
  for (const auto& row : report.countries) {
    if (row.key == "unplaced") continue;
    if (out.size() == n) break;
    out.push_back(&row);
  }
  return out;
}

std::vector<const GroupRow*> all_rows(const std::vector<GroupRow>& rows) {
  std::vector<const GroupRow*> out;
  for (const auto& r : rows) out.push_back(&r);
  return out;
}

// A table twin of a group chart (for screen readers and for copying numbers).
std::string rows_table(const std::vector<const GroupRow*>& rows, const char* key_header, bool with_name) {
  std::string h = "<details><summary>Table</summary><table><thead><tr><th scope=\"col\">";
  h += key_header;
  h += "</th>";
  if (with_name) h += "<th scope=\"col\">name</th>";
  h += "<th scope=\"col\">posts</th><th scope=\"col\">requests</th><th scope=\"col\">offers</th>"
       "<th scope=\"col\">O:R [95% CI]</th></tr></thead><tbody>";
  for (const GroupRow* r : rows) {
    h += "<tr><td>" + esc(r->key) + "</td>";
    if (with_name) h += "<td>" + esc(r->name) + "</td>";
    h += "<td>" + count(r->counts.posts) + "</td><td>" + count(r->counts.requests()) + "</td><td>" +
         count(r->counts.offers()) + "</td><td>" + ratio_with_ci(r->ratios.o_r, r->ratios.o_r_lo, r->ratios.o_r_hi) +
         "</td></tr>";
  }
  return h + "</tbody></table></details>";
}

constexpr const char* kStyle = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1000px;
padding:1rem 1.5rem;color:#1d1d1d;background:#fff;line-height:1.45}
h1{font-size:1.5rem;margin:.5rem 0}h2{font-size:1.15rem;margin:1.8rem 0 .4rem}
.chart{width:100%;height:auto;display:block}
.totals{display:flex;flex-wrap:wrap;gap:.6rem;margin:.8rem 0;padding:0;list-style:none}
.totals li{border:1px solid #d0d0d0;border-radius:6px;padding:.4rem .8rem}
.totals b{display:block;font-size:1.2rem}
table{border-collapse:collapse;font-size:.9rem;margin:.5rem 0}
th,td{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:right}
th:first-child,td:first-child,td.text{text-align:left}
caption{text-align:left;font-weight:600;padding:.3rem 0}
.note{color:#4a4a4a;font-size:.9rem}
summary{cursor:pointer;color:#1f4e8c}
)css";

}  // namespace

std::vector<std::pair<std::string, std::string>> report_charts_svg(const AnalyseReport& report,
                                                                   const CountryIndex& countries) {
  const std::string header = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  return {{"map", header + map_svg(report, countries, true)},
          {"countries", header + bars_svg(top_countries(report, 10), "countries", "Top countries: requests and offers",
                                          true, true)},
          {"resources", header + bars_svg(all_rows(report.resources), "resources",
                                          "Resources: requests and offers", false, true)},
          {"timeline", header + timeline_svg(make_timeline(report), true)}};
}

std::string report_html(const AnalyseReport& report, const CountryIndex& countries) {
  const auto& t = report.total;
  const auto& p = report.placement;
  std::string h = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  "<title>crema analyse: who asks, who offers</title><style>";
  h += kStyle;
  h += "</style></head><body><main>";
  h += "<h1>Who asks, who offers: where and when</h1><p class=\"note\">Store <code>" + esc(report.db_path) + "</code>";
  if (report.first_ms && report.last_ms) {
    h += ", posts from " + esc(format_timestamp(*report.first_ms)) + " to " + esc(format_timestamp(*report.last_ms));
  }
  h += ". Near-duplicates " + std::string(report.include_duplicates ? "included" : "skipped") + " (" +
       count(report.skipped_duplicates) + "). Made by <code>crema analyse</code>.</p>";
  const GroupRatios overall = group_ratios(t);
  h += "<ul class=\"totals\" aria-label=\"Totals\">";
  h += "<li><b>" + count(t.posts) + "</b>posts</li>";
  h += "<li><b>" + count(t.requests()) + "</b>requests</li>";
  h += "<li><b>" + count(t.offers()) + "</b>offers</li>";
  h += "<li><b>" + fmt(overall.o_r) + "</b>O:R [" + fmt(overall.o_r_lo) + ", " + fmt(overall.o_r_hi) + "]</li>";
  h += "<li><b>" + count(report.requests_unmet) + "</b>requests without a match ≥ " + fmt(report.met_score) + "</li>";
  h += "<li><b>" + count(p.unplaced()) + "</b>posts not placed in a country</li></ul>";

  h += "<section id=\"map\"><h2>Offers per request (O:R) by country</h2>";
  h += map_svg(report, countries, false);
  h += "<p class=\"note\">Countries with more than " + count(report.min_count) +
       " posts are coloured; hover a country for its counts and the 95% Wilson interval of O:R. "
       "Country of a post: its coordinates in the Natural Earth 1:110m admin-0 shapes.</p>";
  std::vector<const GroupRow*> placed;
  for (const auto& row : report.countries) {
    if (row.key != "unplaced") placed.push_back(&row);
  }
  h += rows_table(placed, "country", true) + "</section>";

  const auto top = top_countries(report, 10);
  h += "<section id=\"countries\"><h2>Top countries</h2>";
  h += bars_svg(top, "countries", "Top countries: requests and offers", true, false);
  h += rows_table(top, "country", true) + "</section>";

  const auto resources = all_rows(report.resources);
  h += "<section id=\"resources\"><h2>Resources asked for and offered</h2>";
  h += bars_svg(resources, "resources", "Resources: requests and offers", false, false);
  h += "<p class=\"note\">A post with two resources counts in both; " + count(report.posts_without_resources) +
       " posts name none.</p>";
  h += rows_table(resources, "resource", false) + "</section>";

  if (!report.cities.empty()) {
    std::vector<const GroupRow*> cities;
    for (const auto& row : report.cities) {
      if (cities.size() == 10) break;
      cities.push_back(&row);
    }
    h += "<section id=\"cities\"><h2>Top cities</h2>";
    h += bars_svg(cities, "cities", "Top cities: requests and offers", true, false);
    h += rows_table(cities, "city", true) + "</section>";
  }

  const Timeline tl = make_timeline(report);
  h += "<section id=\"timeline\"><h2>Requests and offers over time</h2>";
  h += timeline_svg(tl, false);
  h += rows_table(all_rows(tl.rows), tl.unit, false) + "</section>";

  h += "<section id=\"unmet\"><h2>Unmet need</h2><p class=\"note\">Requests whose best match scores below " +
       fmt(report.met_score) +
       " (or that have none inside δ_time and δ_distance), by country and resource; most unmet first. " +
       count(report.requests_met) + " requests met, " + count(report.requests_unmet) + " unmet.</p>";
  h += "<table id=\"unmet-table\"><caption>Unmet need by country and resource</caption><thead><tr>"
       "<th scope=\"col\">country</th><th scope=\"col\">resource</th><th scope=\"col\">requests</th>"
       "<th scope=\"col\">met</th><th scope=\"col\">unmet</th><th scope=\"col\">unmet share [95% CI]</th>"
       "</tr></thead><tbody>";
  size_t shown = 0;
  for (const auto& row : report.unmet) {
    if (shown++ == 25) break;
    h += "<tr><td class=\"text\">" + esc(row.name) + "</td><td class=\"text\">" + esc(row.resource) + "</td><td>" +
         count(row.requests) + "</td><td>" + count(row.met) + "</td><td>" + count(row.unmet()) + "</td><td>" +
         ratio_with_ci(row.unmet_share.estimate, row.unmet_share.lo, row.unmet_share.hi) + "</td></tr>";
  }
  h += "</tbody></table>";
  if (report.unmet.size() > 25) {
    h += "<p class=\"note\">" + count(report.unmet.size() - 25) + " more cells in unmet_need.csv.</p>";
  }
  h += "</section>";

  h += "<section id=\"placement\"><h2>Placement</h2><p class=\"note\">" + count(p.placed) +
       " posts placed in a country; " + count(p.no_coordinates) + " without coordinates, " +
       count(p.invalid_coordinates) + " with unusable ones, " + count(p.outside_polygons) +
       " outside every country shape (at sea, or a state too small for 1:110m). Unplaced posts are counted in "
       "the totals and the <code>unplaced</code> row of by_country.csv, never dropped. Placed by geotag " +
       count(p.by_geotag) + ", by the source's place " + count(p.by_place) + ", by a place named in the text " +
       count(p.by_toponym) + ", by the author's profile location " + count(p.by_user) +
       (p.placed > 0 ? "; mean confidence " + fmt(p.confidence_sum / static_cast<double>(p.placed)) : std::string()) +
       ".</p></section>";
  h += "</main></body></html>\n";
  return h;
}

}  // namespace crema::analyse
