// crema analyse: who asks, who offers, where and when — per-country/language/resource/month
// tables with O:R ratios and Wilson intervals, from a store (docs/analyse.md).
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "command.h"
#include "crema/analyse/analyse.h"
#include "crema/common/file_io.h"

namespace crema::cli {
namespace {

struct AnalyseArgs {
  std::string db;
  std::string out;
  uint64_t min_count = 50;
  bool include_duplicates = false;
  std::string countries;
  int top = 10;
  double met_score = 0.1;
  bool png = false;
  std::string chromium;
};

std::string ratio_text(double v) {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return "inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

void print_table(const analyse::AnalyseReport& r, const std::string& out, int top) {
  const auto& p = r.placement;
  std::printf("crema analyse: %llu posts (%llu requests, %llu offers, %llu both) in %.3f s\n",
              static_cast<unsigned long long>(r.total.posts), static_cast<unsigned long long>(r.total.request),
              static_cast<unsigned long long>(r.total.offer),
              static_cast<unsigned long long>(r.total.request_and_offer), r.seconds);
  std::printf("placed %llu; unplaced %llu (no coordinates %llu, invalid %llu, outside every country %llu)\n",
              static_cast<unsigned long long>(p.placed), static_cast<unsigned long long>(p.unplaced()),
              static_cast<unsigned long long>(p.no_coordinates),
              static_cast<unsigned long long>(p.invalid_coordinates),
              static_cast<unsigned long long>(p.outside_polygons));
  std::printf("countries with > %llu posts: %zu listed (incl. unplaced), %llu below the threshold\n\n",
              static_cast<unsigned long long>(r.min_count), r.countries.size(),
              static_cast<unsigned long long>(r.countries_below_threshold));
  std::printf("%-9s %-24s %8s %8s %8s %6s  %s\n", "country", "name", "posts", "R", "O", "O:R", "95% CI");
  int shown = 0;
  for (const auto& row : r.countries) {
    if (shown++ == top) break;
    const auto& c = row.counts;
    std::printf("%-9s %-24.24s %8llu %8llu %8llu %6s  [%s, %s]\n", row.key.c_str(), row.name.c_str(),
                static_cast<unsigned long long>(c.posts), static_cast<unsigned long long>(c.requests()),
                static_cast<unsigned long long>(c.offers()), ratio_text(row.ratios.o_r).c_str(),
                ratio_text(row.ratios.o_r_lo).c_str(), ratio_text(row.ratios.o_r_hi).c_str());
  }
  std::printf("\nrequests met (best match >= %.2f): %llu, unmet: %llu\n", r.met_score,
              static_cast<unsigned long long>(r.requests_met), static_cast<unsigned long long>(r.requests_unmet));
  std::printf("wrote %s/report.html, by_{country,language,resource,day,week,month}.csv, unmet_need.csv, "
              "*.hxl.csv and analyse.json\n",
              out.c_str());
}

// The first Chromium found on PATH (Debian: chromium), or "".
std::string find_chromium(const std::string& given) {
  if (!given.empty()) return given;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin";
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    size_t start = 0;
    while (start <= dirs.size()) {
      const size_t end = std::min(dirs.find(':', start), dirs.size());
      const std::string candidate = dirs.substr(start, end - start) + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      start = end + 1;
    }
  }
  return {};
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

// Renders each chart's standalone SVG to PNG with headless Chromium (no network, own profile).
Status write_pngs(const analyse::AnalyseReport& report, const analyse::CountryIndex& countries,
                  const std::string& out, const std::string& chromium) {
  const std::string charts = out + "/charts";
  if (auto st = ensure_directory(charts); !st) return st;
  char profile_template[] = "/tmp/crema_chromium_XXXXXX";
  if (::mkdtemp(profile_template) == nullptr) return make_error(ErrorCode::kIoError, "cannot create a temporary profile");
  const std::string profile = profile_template;
  Status result;
  for (const auto& [name, svg] : analyse::report_charts_svg(report, countries)) {
    const std::string svg_path = charts + "/" + name + ".svg";
    if (auto st = write_file_atomic(svg_path, svg); !st) {
      result = st;
      break;
    }
    // The SVG's own width/height set the window; a little margin avoids scroll bars.
    const size_t w_at = svg.find("width=\""), h_at = svg.find("height=\"");
    const int w = w_at == std::string::npos ? 960 : std::atoi(svg.c_str() + w_at + 7) + 16;
    const int h = h_at == std::string::npos ? 480 : std::atoi(svg.c_str() + h_at + 8) + 16;
    const std::string abs = std::filesystem::absolute(svg_path).string();
    const std::string cmd =
        shell_quote(chromium) +
        " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
        " --disable-component-update --disable-sync --hide-scrollbars --user-data-dir=" +
        shell_quote(profile) + " --window-size=" + std::to_string(w) + "," + std::to_string(h) +
        " --screenshot=" + shell_quote(charts + "/" + name + ".png") + " " + shell_quote("file://" + abs) +
        " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      result = make_error(ErrorCode::kIoError, "chromium failed to render " + svg_path);
      break;
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(profile, ec);
  return result;
}

int run_analyse(const AnalyseArgs& args, const GlobalOptions& global) {
  if (args.top < 0) return usage_error("--top must be >= 0");
  if (!(args.met_score >= 0)) return usage_error("--met-score must be >= 0");
  std::string chromium;
  if (args.png) {
    chromium = find_chromium(args.chromium);
    if (chromium.empty()) {
      return report_error(Error{ErrorCode::kNotFound, "--png needs Chromium (apt install chromium) or --chromium PATH"});
    }
  }
  auto countries = args.countries.empty() ? analyse::CountryIndex::load_default()
                                          : analyse::CountryIndex::load(args.countries);
  if (!countries) return report_error(countries.error());
  ProgressBar bar(global.quiet);
  analyse::AnalyseOptions options;
  options.min_count = args.min_count;
  options.include_duplicates = args.include_duplicates;
  options.met_score = args.met_score;
  options.progress = bar.callback();
  auto report = analyse::analyse_store(args.db, options, *countries);
  bar.finish();
  if (!report) return report_error(report.error());
  if (auto st = analyse::write_report(*report, args.out, *countries); !st) return report_error(st.error());
  if (args.png) {
    if (auto st = write_pngs(*report, *countries, args.out, chromium); !st) return report_error(st.error());
  }
  if (global.json) {
    std::printf("%s\n", analyse::report_json(*report).c_str());
  } else if (!global.quiet) {
    print_table(*report, args.out, args.top);
  }
  return kExitOk;
}

void install_analyse(CLI::App& app, GlobalOptions& global, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "analyse", "Requests, offers and O:R by country, language, resource, day and month (CReMa §IV-D)");
  auto args = std::make_shared<AnalyseArgs>();
  cmd->add_option("--db", args->db, "crema store (crema.sqlite), opened read-only")->required();
  cmd->add_option("--out", args->out, "directory for the CSV tables and analyse.json")->required();
  cmd->add_option("--min-count", args->min_count,
                  "list countries/languages/resources with more than this many posts")
      ->capture_default_str();
  cmd->add_flag("--include-duplicates", args->include_duplicates, "count near-duplicates (retweets) too");
  cmd->add_option("--countries", args->countries,
                  "country polygons (GeoJSON; default: the bundled Natural Earth 1:110m file)");
  cmd->add_option("--top", args->top, "countries shown in the printed table")->capture_default_str();
  cmd->add_option("--met-score", args->met_score,
                  "a request with a match scoring at least this counts as met (unmet need)")
      ->capture_default_str();
  cmd->add_flag("--png", args->png, "also write charts/*.svg and charts/*.png (headless Chromium)");
  cmd->add_option("--chromium", args->chromium, "Chromium binary for --png (default: chromium on PATH)");
  cmd->callback([args, &global, &exit_code] { exit_code = run_analyse(*args, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("d-analyse", install_analyse);
}  // namespace crema::cli
