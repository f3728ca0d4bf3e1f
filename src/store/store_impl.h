// src/store/store_impl.h: the SQLite implementation of crema::store::Store.
#pragma once

#include <string>

#include "crema/store/store.h"
#include "sqlite.h"

namespace crema::store {

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite::Database db, int version) : db_(std::move(db)), version_(version) {}

  int schema_version() const override { return version_; }

  Result<int64_t> begin_run(const RunInfo& info) override;
  Status finish_run(int64_t run_id, const std::string& summary_json) override;
  Result<std::optional<int64_t>> last_open_run() override;
  Result<std::vector<Checkpoint>> checkpoints(int64_t run_id) override;

  Result<BatchCounts> write_batch(int64_t run_id, std::span<const ProcessedPost> posts,
                                  std::span<const Reject> rejects, const Checkpoint& checkpoint) override;
  Result<bool> has_post(const std::string& id) override;
  Result<std::vector<bool>> has_posts(std::span<const std::string> ids) override;
  Result<std::optional<ProcessedPost>> get_post(const std::string& id) override;
  Status for_each_original(const std::function<void(const std::string&, const std::string&)>& fn) override;
  Result<std::vector<MatchRow>> load_for_matching(Label label) override;
  Status replace_matches(int64_t run_id, std::span<const StoredMatch> matches) override;
  Result<Counts> counts() override;
  Status check_integrity() override;

  Status export_posts_jsonl(const std::string& path) override;
  Status export_posts_csv(const std::string& path) override;
  Status export_matches_jsonl(const std::string& path) override;
  Status export_matches_csv(const std::string& path) override;

 private:
  Error invalid(const std::string& what) const;

  sqlite::Database db_;
  int version_;
};

}  // namespace crema::store
