// The exports `crema run` writes (posts.jsonl, posts.csv, matches.jsonl, matches.csv):
// streamed from one read snapshot, written to path.tmp and renamed over path only when
// complete. Posts are masked like every export (crema/store/export.h); `crema run
// --unmask-pii` rewrites them unmasked through export_store().
#include "crema/common/parallel.h"
#include "export_internal.h"
#include "store_impl.h"

namespace crema::store {
namespace {

Status export_run_posts(sqlite::Database& db, const std::string& path, ExportFormat format) {
  auto masker = PiiMasker::create();
  if (!masker) return tl::unexpected(masker.error());
  detail::PostPassSettings settings;
  settings.layout = PostLayout::kRun;
  settings.threads = resolve_threads(0);
  settings.masker = &*masker;
  const std::pair<ExportFormat, std::string> output{format, path};
  auto pass = detail::export_posts(db, detail::PostQuery{}, std::span(&output, 1), settings);
  if (!pass) return tl::unexpected(pass.error());
  return {};
}

Status export_all_matches(sqlite::Database& db, const std::string& path, ExportFormat format) {
  auto rows = detail::export_matches(db, format, path, std::nullopt, std::nullopt);
  if (!rows) return tl::unexpected(rows.error());
  return {};
}

}  // namespace

Status SqliteStore::export_posts_jsonl(const std::string& path) {
  return export_run_posts(db_, path, ExportFormat::kJsonl);
}

Status SqliteStore::export_posts_csv(const std::string& path) { return export_run_posts(db_, path, ExportFormat::kCsv); }

Status SqliteStore::export_matches_jsonl(const std::string& path) {
  return export_all_matches(db_, path, ExportFormat::kJsonl);
}

Status SqliteStore::export_matches_csv(const std::string& path) {
  return export_all_matches(db_, path, ExportFormat::kCsv);
}

}  // namespace crema::store
