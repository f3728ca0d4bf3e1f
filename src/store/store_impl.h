// src/store/store_impl.h: the SQLite implementation of crema::store::Store.
#pragma once

#include <string>

#include "crema/store/store.h"
#include "sqlite.h"

namespace crema::store {

// True for posts that have a request lifecycle (request or request_and_offer, not a
// near-duplicate).
bool is_request_post(const ProcessedPost& p);
// Fills radius_km, resources, seq, label and status of r from columns col .. col + 4 of a
// row (geo_radius_km, resources, seq, label, status).
Status read_match_extras(const sqlite::Statement& s, int col, MatchRow& r);

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
  Result<LiveBatchResult> write_live_batch(int64_t run_id, const LiveBatch& batch) override;
  Result<std::vector<MatchRow>> load_live_posts(int64_t since_ms) override;
  Result<std::vector<StoredMatch>> load_live_matches(int64_t since_ms) override;
  Result<PostBounds> post_bounds() override;
  Result<Counts> counts() override;

  Result<std::optional<RequestState>> request_state(const std::string& id) override;
  Result<DecisionOutcome> record_decision(const DecisionInput& input) override;
  Result<std::vector<Event>> expire_requests(int64_t cutoff_ms, int64_t at_ms) override;
  Result<std::vector<Event>> events_since(int64_t after_id, size_t limit) override;
  Result<int64_t> last_event_id() override;
  Result<NewApiKey> add_api_key(const std::string& name, Role role) override;
  Result<std::optional<ApiKeyInfo>> verify_api_key(std::string_view token) override;
  Status revoke_api_key(int64_t id) override;
  Result<std::vector<ApiKeyInfo>> list_api_keys() override;
  Status check_integrity() override;

  Status export_posts_jsonl(const std::string& path) override;
  Status export_posts_csv(const std::string& path) override;
  Status export_matches_jsonl(const std::string& path) override;
  Status export_matches_csv(const std::string& path) override;

 private:
  Error invalid(const std::string& what) const;
  // write_batch's checks of posts and rejects (nothing written).
  Status validate_batch(std::span<const ProcessedPost> posts, std::span<const Reject> rejects) const;
  // Inserts validated posts, their embeddings and rejects inside the caller's transaction.
  Result<BatchCounts> insert_batch(int64_t run_id, std::span<const ProcessedPost> posts,
                                   std::span<const Reject> rejects, const char* what);
  // Moves a request to `to` and appends its status_change event (inside a transaction).
  Result<Event> change_status(const std::string& request_id, RequestStatus from, RequestStatus to,
                              std::string_view reason, std::string_view offer_id, int64_t at_ms);
  Result<int64_t> append_event(EventType type, std::string_view payload_json, int64_t at_ms);
  // Inserts one match row of request_id (m.request_id is not read) inside the caller's
  // transaction; the error names the rank and request.
  Status insert_match(std::string_view request_id, const StoredMatch& m, int64_t run_id);

  sqlite::Database db_;
  int version_;
};

}  // namespace crema::store
