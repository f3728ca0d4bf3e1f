// export_store(): every requested (kind, format) file of a store from one read snapshot.
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "crema/common/json_writer.h"
#include "crema/common/parallel.h"
#include "crema/store/store.h"
#include "export_internal.h"

namespace crema::store {
namespace {

constexpr std::array<std::string_view, 5> kKindNames = {"posts", "requests", "offers", "matches", "extractions"};
constexpr std::array<std::string_view, 4> kFormatNames = {"jsonl", "csv", "geojson", "hxl"};

bool is_post_kind(ExportKind kind) {
  return kind == ExportKind::kPosts || kind == ExportKind::kRequests || kind == ExportKind::kOffers;
}

template <typename T>
std::vector<T> unique_in_order(const std::vector<T>& items) {
  std::vector<T> out;
  for (T item : items)
    if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
  return out;
}

}  // namespace

std::string_view export_kind_name(ExportKind kind) { return kKindNames[static_cast<size_t>(kind)]; }

std::optional<ExportKind> parse_export_kind(std::string_view name) {
  for (size_t i = 0; i < kKindNames.size(); ++i)
    if (kKindNames[i] == name) return static_cast<ExportKind>(i);
  return std::nullopt;
}

std::string_view export_format_name(ExportFormat format) { return kFormatNames[static_cast<size_t>(format)]; }

std::optional<ExportFormat> parse_export_format(std::string_view name) {
  for (size_t i = 0; i < kFormatNames.size(); ++i)
    if (kFormatNames[i] == name) return static_cast<ExportFormat>(i);
  return std::nullopt;
}

bool export_supported(ExportKind kind, ExportFormat format) {
  return is_post_kind(kind) || format == ExportFormat::kJsonl || format == ExportFormat::kCsv;
}

std::string export_file_name(ExportKind kind, ExportFormat format) {
  static constexpr std::array<std::string_view, 4> kExtensions = {".jsonl", ".csv", ".geojson", ".hxl.csv"};
  return std::string(export_kind_name(kind)) + std::string(kExtensions[static_cast<size_t>(format)]);
}

std::string ExportSummary::to_json() const {
  JsonWriter w;
  w.begin_object().key("db").value(db_path).key("out").value(out_dir).key("masked").value(masked);
  w.key("masked_spans").value(masked_spans).key("files").begin_array();
  for (const auto& f : files) {
    w.begin_object().key("what").value(export_kind_name(f.kind)).key("format").value(export_format_name(f.format));
    w.key("path").value(f.path).key("rows").value(f.rows).end_object();
  }
  w.end_array().key("skipped").begin_array();
  for (const auto& s : skipped) w.value(s);
  w.end_array().key("seconds").value(seconds).end_object();
  return w.take();
}

std::string ExportSummary::to_table() const {
  std::string out = "exported " + db_path + " -> " + out_dir +
                    (masked ? " (personal data masked)\n" : " (personal data UNMASKED)\n");
  char line[512];
  for (const auto& f : files) {
    std::snprintf(line, sizeof line, "  %-24s %10llu %s\n", std::filesystem::path(f.path).filename().c_str(),
                  static_cast<unsigned long long>(f.rows), f.format == ExportFormat::kGeoJson ? "features" : "rows");
    out += line;
  }
  if (!skipped.empty()) {
    out += "  skipped (no such format for that data):";
    for (const auto& s : skipped) out += " " + s;
    out += "\n";
  }
  std::snprintf(line, sizeof line, "  %.2f s\n", seconds);
  out += line;
  return out;
}

Result<ExportSummary> export_store(const ExportOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.db_path.empty()) return make_error(ErrorCode::kInvalidArgument, "export: no store given");
  if (options.out_dir.empty()) return make_error(ErrorCode::kInvalidArgument, "export: no output directory given");
  if (options.since_ms && options.until_ms && *options.since_ms >= *options.until_ms) {
    return make_error(ErrorCode::kInvalidArgument, "export: the time range is empty (since must be before until)");
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(options.db_path, ec)) {
    return make_error(ErrorCode::kNotFound, "store " + options.db_path + " does not exist (or is not a file)");
  }

  ExportSummary summary;
  summary.db_path = options.db_path;
  summary.out_dir = options.out_dir;
  summary.masked = !options.unmask_pii;
  std::vector<std::pair<ExportKind, std::vector<ExportFormat>>> plan;
  bool need_masker = false;
  for (ExportKind kind : unique_in_order(options.kinds)) {
    std::vector<ExportFormat> formats;
    for (ExportFormat format : unique_in_order(options.formats)) {
      if (!export_supported(kind, format)) {
        summary.skipped.push_back(export_file_name(kind, format));
        continue;
      }
      formats.push_back(format);
      if (is_post_kind(kind)) {
        need_masker = need_masker || !options.unmask_pii || options.layout == PostLayout::kFull ||
                      format == ExportFormat::kGeoJson || format == ExportFormat::kHxl;
      }
    }
    if (!formats.empty()) plan.emplace_back(kind, std::move(formats));
  }
  if (plan.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "export: nothing to write (matches and extractions exist only as jsonl and csv)");
  }

  // Store::open checks that this is a crema store and migrates an older one.
  {
    auto store = Store::open(options.db_path);
    if (!store) return tl::unexpected(store.error());
  }
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) return make_error(ErrorCode::kIoError, "cannot create " + options.out_dir + ": " + ec.message());
  auto db = sqlite::Database::open(options.db_path);
  if (!db) return tl::unexpected(db.error());
  sqlite3_busy_timeout(db->handle(), 10000);
  std::optional<PiiMasker> masker;
  if (need_masker) {
    auto created = PiiMasker::create(options.masker);
    if (!created) return tl::unexpected(created.error());
    masker.emplace(std::move(*created));
  }

  // One read transaction: every file sees the same snapshot.
  auto snapshot = sqlite::Transaction::begin(*db, false);
  if (!snapshot) return tl::unexpected(snapshot.error());
  const std::filesystem::path dir(options.out_dir);
  for (const auto& [kind, formats] : plan) {
    if (kind == ExportKind::kMatches) {
      for (ExportFormat format : formats) {
        const std::string path = (dir / export_file_name(kind, format)).string();
        if (options.progress) options.progress("export matches", 0, 0);
        auto rows = detail::export_matches(*db, format, path, options.since_ms, options.until_ms);
        if (!rows) return tl::unexpected(rows.error());
        summary.files.push_back({kind, format, path, *rows});
      }
      continue;
    }
    std::vector<std::pair<ExportFormat, std::string>> outputs;
    for (ExportFormat format : formats) outputs.emplace_back(format, (dir / export_file_name(kind, format)).string());
    detail::PostQuery query;
    query.kind = kind;
    query.label = options.label;
    query.since_ms = options.since_ms;
    query.until_ms = options.until_ms;
    detail::PostPassSettings settings;
    settings.unmask_pii = options.unmask_pii;
    settings.layout = options.layout;
    settings.threads = resolve_threads(options.threads);
    settings.masker = masker ? &*masker : nullptr;
    settings.progress = options.progress;
    auto pass = detail::export_posts(*db, query, outputs, settings);
    if (!pass) return tl::unexpected(pass.error());
    summary.masked_spans += pass->masked_spans;
    for (size_t i = 0; i < outputs.size(); ++i) {
      summary.files.push_back({kind, outputs[i].first, outputs[i].second, pass->rows[i]});
    }
  }
  if (auto status = snapshot->commit(); !status) return tl::unexpected(status.error());
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace crema::store
