// crema/store/store.h: the embedded store, one SQLite file in WAL mode holding posts,
// labels, embeddings, resolved locations, matches, rejects and runs, and (schema v2) the
// request lifecycle: request status, dispatcher decisions, an event log and API keys.
// Schema: docs/store.md (version in kSchemaVersion, checked on open; older versions are
// migrated in place, newer ones refused with kUnsupported).
//
// Crash safety: every write_batch() is one transaction that also advances the input
// checkpoint of the run, so after Ctrl-C or kill -9 the store holds exactly the batches
// that committed and `crema run --resume` restarts after the last checkpoint. Commits
// are fsynced (synchronous=FULL), so they also survive power loss.
//
// Threads: a Store is used from one thread at a time (it may move between threads).
// Several processes may open the same file; writers wait up to 10 s for each other.
// Errors: every method returns kIoError when the OS or a lock refuses, kCorrupt when the
// file is damaged (naming file, operation and SQL), kInvalidArgument for bad arguments.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crema/common/post.h"
#include "crema/common/result.h"

namespace crema::store {

inline constexpr int kSchemaVersion = 3;

// Where a post's matching location came from: its own coordinates (geotag), the source's
// place name, a place named in the text (toponym), the author's profile location (user).
enum class GeoSource : uint8_t { kNone, kGeotag, kPlace, kToponym, kUser };
// "none", "geotag", "place", "toponym", "user".
std::string_view geo_source_name(GeoSource source);
std::optional<GeoSource> parse_geo_source(std::string_view name);

// The location a post is matched at (filled by the geo module; plain fields so the store
// does not depend on it).
struct ResolvedLocation {
  GeoSource source = GeoSource::kNone;
  std::optional<GeoPoint> point;  // set exactly when source != kNone
  double confidence = 0;          // [0, 1]
  double radius_km = 0;           // uncertainty disc around point, km, >= 0 (0 = exact)
  std::string country;            // ISO 3166-1 alpha-2, empty when unknown
  std::string admin1;             // first-level division name, empty when unknown
  std::string city;               // empty when unknown
  int64_t geonameid = 0;          // GeoNames id of the place, 0 when none
};
// The resolution used until the geo module fills one: the post's own coordinates as a
// geotag (confidence 1, radius 0), or none.
ResolvedLocation geotag_location(const Post& post);

// Lifecycle of a request post (label request or request_and_offer, not a duplicate):
//   open -> partly_served -> served;  open/partly_served -> expired (older than δ_time)
//   open/partly_served/expired -> rejected (a dispatcher rejects the request itself).
// Rules of record_decision() below.
enum class RequestStatus : uint8_t { kOpen, kPartlyServed, kServed, kExpired, kRejected };
// "open", "partly_served", "served", "expired", "rejected".
std::string_view request_status_name(RequestStatus status);
std::optional<RequestStatus> parse_request_status(std::string_view name);

// A post after the per-post stages (normalise … embed).
struct ProcessedPost {
  Post post;
  std::string normalized;
  std::string detected_lang;            // "und" when unknown
  std::optional<std::string> duplicate_of;
  std::optional<bool> prefilter_pass;   // nullopt when the prefilter was off
  std::vector<int> prefilter_rules;     // ids of the matching patterns
  Label label = Label::kUnknown;        // classifier's label (or the input's kind if given)
  std::array<float, kNumLabels> probs{};
  bool label_from_input = false;        // true when label came from the input's kind
  std::vector<std::string> resources;
  std::vector<float> embedding;         // empty when not embedded (irrelevant, filtered out)
  // Matching location. When source is kNone and the post has coordinates, write_batch
  // stores geotag_location(post) instead (so get_post returns that).
  ResolvedLocation location;
  std::string extraction_json;          // the `crema extract` line for the post; empty = none
};

struct RunInfo {
  std::string command_line;
  std::vector<std::string> inputs;
  std::string config_json;  // encoder, method, deltas, … as given
};

// Where a run got to in one input file.
struct Checkpoint {
  std::string input;      // path as given
  uint64_t offset = 0;    // byte offset just past the last committed record
  uint64_t line = 0;      // its line number
};

struct BatchCounts {
  uint64_t inserted = 0;    // new posts
  uint64_t existing = 0;    // ids already in the store (idempotent re-ingest)
};

struct StoredMatch {
  std::string request_id;
  std::string offer_id;
  int rank = 0;  // 1-based
  float score = 0, s_text = 0, w_time = 0, w_loc = 0;
  double km = -1;  // -1 (stored as NULL) when either side has no coordinates
  int64_t offer_seq = 0;  // the offer's posts.seq; filled by load_live_matches, ignored on write
};

// A post as needed by matching. geo is the resolved location (ResolvedLocation::point).
struct MatchRow {
  std::string id;
  int64_t created_at_ms = 0;
  std::optional<GeoPoint> geo;
  std::vector<float> embedding;
  double radius_km = 0;                 // ResolvedLocation::radius_km
  std::vector<std::string> resources;
  int64_t seq = 0;                      // insertion order (posts.seq)
  Label label = Label::kUnknown;
  std::optional<RequestStatus> status;  // set for requests
};

// What a dispatcher decided about a match (request, offer), or about the request itself.
enum class Decision : uint8_t { kConfirm, kReject, kFulfilled };
std::string_view decision_name(Decision decision);  // "confirm", "reject", "fulfilled"
std::optional<Decision> parse_decision(std::string_view name);

enum class Role : uint8_t { kViewer, kDispatcher, kAdmin };
std::string_view role_name(Role role);  // "viewer", "dispatcher", "admin"
std::optional<Role> parse_role(std::string_view name);

// Who made a change: an API key, or (key_id 0) the local operator (CLI), who acts as admin.
struct Actor {
  int64_t key_id = 0;
  Role role = Role::kAdmin;
};

struct DecisionInput {
  std::string request_id;
  std::string offer_id;  // empty: the decision is about the request itself (only kReject)
  Decision decision = Decision::kConfirm;
  std::string note;      // free text, may be empty
  Actor actor;
  int64_t at_ms = 0;     // 0 = now
};

struct DecisionOutcome {
  int64_t decision_id = 0;
  RequestStatus before = RequestStatus::kOpen, after = RequestStatus::kOpen;
  int64_t event_id = 0;  // the status_change event, 0 when the status did not change
};

enum class EventType : uint8_t { kNewRequest, kNewMatch, kStatusChange };
std::string_view event_type_name(EventType type);  // "new_request", "new_match", "status_change"
std::optional<EventType> parse_event_type(std::string_view name);

// One row of the event log. Ids are strictly increasing and never reused (a consumer
// tails the log with events_since(last id seen)).
struct Event {
  int64_t id = 0;
  EventType type = EventType::kNewRequest;
  std::string payload_json;  // a JSON object (docs/live.md)
  int64_t at_ms = 0;
};
struct NewEvent {
  EventType type = EventType::kNewRequest;
  std::string payload_json;  // must be a JSON object
  int64_t at_ms = 0;
};

struct ApiKeyInfo {
  int64_t id = 0;
  std::string name;
  Role role = Role::kViewer;
  int64_t created_at_ms = 0;
  std::optional<int64_t> revoked_at_ms;
};
struct NewApiKey {
  ApiKeyInfo info;
  // The token to hand to the user, shown once: "crema_<16 hex key id>_<48 hex secret>".
  // Only a salted SHA-256 of the secret is stored.
  std::string token;
};

// The matches of one request, replacing whatever the store had for it.
struct RequestTopN {
  std::string request_id;
  std::vector<StoredMatch> matches;  // ranks 1..n
};

// Newest post time and largest posts.seq (0 and 0 for an empty store).
struct PostBounds {
  int64_t newest_created_at_ms = 0;
  int64_t max_seq = 0;
};

// Whole-store totals (one consistent snapshot). Label counts are over all posts,
// duplicates included; prefilter counts only over posts that went through the prefilter.
struct Counts {
  uint64_t posts = 0, duplicates = 0, rejects = 0;
  uint64_t requests = 0, offers = 0, request_and_offer = 0, irrelevant = 0;
  uint64_t prefilter_kept = 0, prefilter_dropped = 0;
  uint64_t matches = 0, matched_requests = 0;
};

class Store {
 public:
  // Opens or creates the database (parent directory must exist; a zero-byte file is
  // initialised like a new one). Errors: kCorrupt for a file that is not an SQLite
  // database, a damaged one, or another application's database (left untouched);
  // kUnsupported for a store made by a newer crema; kIoError when it cannot be opened.
  static Result<std::unique_ptr<Store>> open(const std::string& path);
  virtual ~Store() = default;

  virtual int schema_version() const = 0;

  // Runs. A run is "open" until finish_run. config_json and summary_json must be valid
  // JSON (empty means {} / none). finish_run: kNotFound for an unknown run,
  // kInvalidArgument for one already finished.
  virtual Result<int64_t> begin_run(const RunInfo& info) = 0;
  virtual Status finish_run(int64_t run_id, const std::string& summary_json) = 0;
  // The most recent run that was begun but not finished, if any.
  virtual Result<std::optional<int64_t>> last_open_run() = 0;
  // The run's checkpoints, one per input it has committed a batch of, ordered by input.
  virtual Result<std::vector<Checkpoint>> checkpoints(int64_t run_id) = 0;

  // Writes posts (insert-or-ignore by id: re-ingesting adds nothing and keeps the first
  // version), the embeddings of newly inserted posts, rejects (ignored when the same
  // input, line and reason is already stored) and the run's checkpoint for
  // checkpoint.input (skipped when that is empty), all in one transaction. The batch is
  // validated first and refused whole (kInvalidArgument) for an unknown run, an empty id,
  // or a non-finite probability, coordinate or embedding value.
  struct Reject {
    std::string input;
    uint64_t line = 0;
    std::string id, reason, excerpt;
  };
  virtual Result<BatchCounts> write_batch(int64_t run_id, std::span<const ProcessedPost> posts,
                                          std::span<const Reject> rejects,
                                          const Checkpoint& checkpoint) = 0;

  // One transaction of the live pipeline: posts and rejects as in write_batch (new request
  // posts start open and get no event here: the caller passes its new_request events),
  // the changed top-n lists (each replaces that request's rows in matches), the requests
  // that left the live window (open or partly_served ones become expired, each with a
  // status_change event appended after `events`), then `events` in order.
  struct LiveBatch {
    std::span<const ProcessedPost> posts;
    std::span<const Reject> rejects;
    std::span<const RequestTopN> top_n;
    std::span<const std::string> expired_requests;
    std::span<const NewEvent> events;
    int64_t at_ms = 0;  // time of the status changes; 0 = now
  };
  struct LiveBatchResult {
    BatchCounts counts;
    std::vector<int64_t> event_ids;  // ids of `events`, in order
    std::vector<Event> status_events; // the expiry status_change events written
  };
  // Validation as write_batch (whole batch refused), plus: a top-n list for an unknown
  // request or with a bad rank/score, an event payload that is not a JSON object.
  virtual Result<LiveBatchResult> write_live_batch(int64_t run_id, const LiveBatch& batch) = 0;

  virtual Result<bool> has_post(const std::string& id) = 0;
  // has_post for many ids in one read transaction (much cheaper per id); result[i] is for
  // ids[i].
  virtual Result<std::vector<bool>> has_posts(std::span<const std::string> ids) = 0;

  // The stored post with this id, or nullopt. Fields round-trip exactly, except that an
  // empty `lang`/`place`/`user` and a missing geo are stored as SQL NULL (same meaning).
  // post.source is where the post was first read.
  virtual Result<std::optional<ProcessedPost>> get_post(const std::string& id) = 0;

  // Calls fn(id, raw_text) for every post that is not a duplicate, in insertion order
  // (used to rebuild the near-duplicate index on resume). fn must not call this Store.
  virtual Status for_each_original(const std::function<void(const std::string&, const std::string&)>& fn) = 0;

  // Non-duplicate posts with an embedding whose label is `label`, in insertion order.
  // request_and_offer posts are returned for both kRequest and kOffer.
  virtual Result<std::vector<MatchRow>> load_for_matching(Label label) = 0;

  // The live window after a restart: non-duplicate request, offer and request_and_offer
  // posts with an embedding and created_at_ms >= since_ms, in insertion order (label,
  // status, resources, seq filled); and the stored matches of the requests among them,
  // by request then rank, with offer_seq filled.
  virtual Result<std::vector<MatchRow>> load_live_posts(int64_t since_ms) = 0;
  virtual Result<std::vector<StoredMatch>> load_live_matches(int64_t since_ms) = 0;
  virtual Result<PostBounds> post_bounds() = 0;

  // Replaces all matches with these (one transaction), recording the run. On any error
  // (rank < 1, a repeated (request_id, rank), non-finite scores) the old matches stay.
  virtual Status replace_matches(int64_t run_id, std::span<const StoredMatch> matches) = 0;

  virtual Result<Counts> counts() = 0;

  // --- request lifecycle (schema v2) ---

  // A request's status and when it last changed; nullopt when `id` is not a request post.
  struct RequestState {
    RequestStatus status = RequestStatus::kOpen;
    int64_t changed_at_ms = 0;
  };
  virtual Result<std::optional<RequestState>> request_state(const std::string& id) = 0;

  // Records a decision and moves the request's status (one transaction, with a
  // status_change event when it changes):
  //   confirm    open/partly_served -> served when every resource of the request is among
  //              the resources of its confirmed or fulfilled offers, else partly_served
  //              (a request without resources -> partly_served); other states unchanged.
  //   fulfilled  any state but rejected -> served.
  //   reject     of a match: recorded, status unchanged (rejecting every match leaves the
  //              request open). With an empty offer_id: open/partly_served/expired ->
  //              rejected (the request itself is not actionable).
  // Errors: kNotFound for an unknown request (or a post that is not a request) or offer
  // (or a post that is not an offer); kInvalidArgument for a viewer actor, an empty
  // offer_id with confirm/fulfilled, or offer_id == request_id.
  virtual Result<DecisionOutcome> record_decision(const DecisionInput& input) = 0;

  // Requests (open or partly_served) created before cutoff_ms become expired, each with a
  // status_change event at at_ms (0 = now). Returns those events.
  virtual Result<std::vector<Event>> expire_requests(int64_t cutoff_ms, int64_t at_ms) = 0;

  // Events with id > after_id, oldest first, at most `limit`.
  virtual Result<std::vector<Event>> events_since(int64_t after_id, size_t limit) = 0;
  virtual Result<int64_t> last_event_id() = 0;

  // API keys. add_api_key: a new key (name must be non-empty; names need not be unique);
  // the token is random (OpenSSL RAND_bytes) and only its salted SHA-256 is stored.
  // verify_api_key: the key's info for a valid, unrevoked token; nullopt for a malformed,
  // unknown, wrong or revoked one (compared in constant time). revoke_api_key: kNotFound
  // for an unknown id; revoking twice keeps the first time.
  virtual Result<NewApiKey> add_api_key(const std::string& name, Role role) = 0;
  virtual Result<std::optional<ApiKeyInfo>> verify_api_key(std::string_view token) = 0;
  virtual Status revoke_api_key(int64_t id) = 0;
  virtual Result<std::vector<ApiKeyInfo>> list_api_keys() = 0;

  // Runs SQLite's integrity_check and foreign_key_check over the whole file (seconds per
  // GB). kCorrupt, naming the first problems, when either finds anything.
  virtual Status check_integrity() = 0;

  // Exports (formats in docs/store.md). Each streams from one read snapshot into
  // path + ".tmp", fsyncs and renames it over path, so path is complete or untouched.
  //
  // One JSONL line per post in insertion order: id, created_at (ISO 8601), lang, label,
  // probs, resources, duplicate_of, lat, lon, place, user, text, normalized. The CSV
  // (RFC 4180) has the same columns with probs as p_* columns and resources joined by ';'.
  virtual Status export_posts_jsonl(const std::string& path) = 0;
  virtual Status export_posts_csv(const std::string& path) = 0;
  // One JSONL line per request that has matches (crema match's shape, offers by rank),
  // and a flat CSV: request_id, rank, offer_id, score, s_text, w_time, w_loc, km.
  virtual Status export_matches_jsonl(const std::string& path) = 0;
  virtual Status export_matches_csv(const std::string& path) = 0;
};

}  // namespace crema::store
