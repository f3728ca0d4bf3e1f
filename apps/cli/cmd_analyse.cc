// crema analyse: who asks, who offers, where and when — per-country/language/resource/month
// tables with O:R ratios and Wilson intervals, from a store (docs/analyse.md).
#include <cmath>
#include <cstdio>
#include <memory>

#include "command.h"
#include "crema/analyse/analyse.h"

namespace crema::cli {
namespace {

struct AnalyseArgs {
  std::string db;
  std::string out;
  uint64_t min_count = 50;
  bool include_duplicates = false;
  std::string countries;
  int top = 10;
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
  std::printf("\nwrote %s/{by_country,by_language,by_resource,by_day,by_month}.csv and analyse.json\n",
              out.c_str());
}

int run_analyse(const AnalyseArgs& args, const GlobalOptions& global) {
  if (args.top < 0) return usage_error("--top must be >= 0");
  ProgressBar bar(global.quiet);
  analyse::AnalyseOptions options;
  options.min_count = args.min_count;
  options.include_duplicates = args.include_duplicates;
  options.countries_path = args.countries;
  options.progress = bar.callback();
  auto report = analyse::analyse_store(args.db, options);
  bar.finish();
  if (!report) return report_error(report.error());
  if (auto st = analyse::write_report(*report, args.out); !st) return report_error(st.error());
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
  cmd->callback([args, &global, &exit_code] { exit_code = run_analyse(*args, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("d-analyse", install_analyse);
}  // namespace crema::cli
