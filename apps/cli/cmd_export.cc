// crema export: a store's posts, requests, offers, matches and extraction records as JSONL,
// CSV, GeoJSON and HXL CSV (docs/export.md), with personal data masked unless
// --unmask-pii.
#include <cstdio>

#include "command.h"
#include "crema/common/time.h"
#include "crema/store/export.h"
#include "pipeline_options.h"

namespace crema::cli {
namespace {

struct ExportFlags {
  std::string db;
  std::string out;
  std::vector<std::string> what{"posts", "matches"};
  std::vector<std::string> formats{"jsonl", "csv"};
  std::string label;
  std::string since, until;
  bool unmask = false;
};

Result<std::optional<int64_t>> parse_time_flag(const std::string& flag, const std::string& text) {
  if (text.empty()) return std::optional<int64_t>();
  auto ms = parse_timestamp(text);
  if (!ms) {
    return make_error(ErrorCode::kInvalidArgument,
                      flag + ": cannot read '" + text + "' as a time (ISO 8601 such as 2013-11-08 or "
                      "2013-11-08T06:00:00Z, or epoch seconds): " + ms.error().message);
  }
  return std::optional<int64_t>(*ms);
}

int run_export(const ExportFlags& flags, const GlobalOptions& global) {
  store::ExportOptions options;
  options.db_path = flags.db;
  options.out_dir = flags.out;
  options.kinds.clear();
  for (const auto& name : flags.what) {
    auto kind = store::parse_export_kind(name);
    if (!kind) return usage_error("--what: unknown '" + name + "' (posts, requests, offers, matches, extractions)");
    options.kinds.push_back(*kind);
  }
  options.formats.clear();
  for (const auto& name : flags.formats) {
    auto format = store::parse_export_format(name);
    if (!format) return usage_error("--format: unknown '" + name + "' (jsonl, csv, geojson, hxl)");
    options.formats.push_back(*format);
  }
  if (!flags.label.empty()) {
    options.label = parse_label(flags.label);
    if (!options.label) {
      return usage_error("--label: unknown '" + flags.label + "' (request, offer, request_and_offer, irrelevant, unknown)");
    }
  }
  auto since = parse_time_flag("--since", flags.since);
  if (!since) return usage_error(since.error().message);
  auto until = parse_time_flag("--until", flags.until);
  if (!until) return usage_error(until.error().message);
  options.since_ms = *since;
  options.until_ms = *until;
  if (options.since_ms && options.until_ms && *options.since_ms >= *options.until_ms) {
    return usage_error("--since must be before --until");
  }
  options.unmask_pii = flags.unmask;
  options.threads = global.threads;
  if (flags.unmask) {
    std::fprintf(stderr,
                 "crema: warning: --unmask-pii: the export holds personal data in full (phone numbers, e-mail "
                 "addresses, user handles, @mentions); keep it to people allowed to see it\n");
  }
  return run_job(global, options, store::export_store, [](const store::ExportSummary& s) { return s.to_table(); });
}

void install_export(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Export a store's posts, requests, offers, matches or extractions (JSONL, CSV, GeoJSON, HXL), PII masked");
  cmd->add_option("--db", flags->db, "The crema store (SQLite file written by crema run)")->required();
  cmd->add_option("--out", flags->out, "Output directory (created if missing)")->required();
  cmd->add_option("--what", flags->what, "What to export: posts, requests, offers, matches, extractions (comma list)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--format", flags->formats, "Formats: jsonl, csv, geojson, hxl (comma list)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--label", flags->label,
                  "Only posts with this label (request, offer, request_and_offer, irrelevant, unknown)");
  cmd->add_option("--since", flags->since, "Only posts created at or after this time (ISO 8601 or epoch seconds)");
  cmd->add_option("--until", flags->until, "Only posts created before this time");
  cmd->add_flag("--unmask-pii", flags->unmask,
                "Write contacts, handles and @mentions in full (personal data; prints a warning)");
  cmd->callback([flags, &global, &exit_code] { exit_code = run_export(*flags, global); });
}

}  // namespace
CREMA_REGISTER_COMMAND("e-export", install_export);
}  // namespace crema::cli
