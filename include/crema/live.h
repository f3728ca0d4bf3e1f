// crema/live.h: live matching over a store (CReMa §III-D on a stream). Posts arrive in
// batches; each new request gets its top-n offers at once, each new offer is pushed to the
// open requests whose top-n it enters, and posts leave memory once δ_time has passed on the
// stream's clock. Every batch (posts, rejects, changed top-n lists, events, expiries) is one
// store transaction, so the store always holds exactly what was reported.
//
// Equivalence: for a stream whose posts arrive at most `lateness_ms` after a later post's
// created_at, the matches table after any sequence of ingest() calls (and restarts) equals
// what `crema run`'s batch matching computes over the same posts (same scores, ranks and
// ties: offers with equal score are ordered by insertion order).
//
// Memory: the open requests and the offers inside the window (max δ_time over the params
// and decay profiles, plus lateness_ms, before the clock), with their embeddings
// (dim * 4 bytes each), plus the near-duplicate index of every stored original.
//
// Threads: one writer at a time (ingest, submit, flush, advance_clock, record_decision are
// serialised by an internal mutex); the read accessors (matches_of, stats) may be called
// concurrently from any thread while a batch is processed, and see the state before or
// after a batch (with submit(): possibly a batch whose transaction is still in flight).
//
// Pipelining: ingest() matches a batch and then waits for its transaction (and fsync).
// submit() returns once the batch is matched and its transaction handed to a writer
// thread, so that transaction overlaps the next batch's work (docs/live.md, Throughput);
// a batch's report is only handed out after its commit. Results, events and event ids are
// the same either way.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "crema/common/post.h"
#include "crema/common/result.h"
#include "crema/engine.h"
#include "crema/ingest/reader.h"
#include "crema/match/matcher.h"
#include "crema/store/store.h"

namespace crema::engine {

struct LiveOptions {
  ModelOptions models;
  // Method, windows, top_n, decay profiles, allow_unlocated, min_score. exhaustive is
  // ignored (live search is always exact over the window).
  match::MatchParams match;
  int threads = 0;  // per-post stages and scoring; 0 = all cores
  // How late (ms) a post may arrive relative to the newest created_at seen: posts stay in
  // memory for their window plus this. A post later than that is stored and gets its own
  // matches, but offers already gone from memory are not considered for it.
  int64_t lateness_ms = 3'600'000;
  // Expire by max(stream clock, system time) instead of the stream clock alone (for a
  // server whose stream may pause: open requests still expire on time).
  bool wall_clock = false;
  std::string command_line;  // recorded in the runs table
};

enum class IngestOutcome : uint8_t { kStored, kDuplicate, kRejected };
std::string_view ingest_outcome_name(IngestOutcome outcome);  // "stored", "duplicate", "rejected"

// What happened to one input record, in input order (posts first, then rejects given).
struct IngestResult {
  std::string id;
  IngestOutcome outcome = IngestOutcome::kStored;
  std::string reason;                       // why rejected, or "id already stored"
  Label label = Label::kUnknown;            // for stored posts
  std::optional<std::string> duplicate_of;  // stored as a near-duplicate of this post
};

// A match event (docs/live.md): new_request (the request and its top-n at arrival),
// new_match (an offer entered a request's top-n; offers is the new top-n) or
// status_change (from -> to). Also written to the store's events table with this id.
struct MatchEvent {
  store::EventType type = store::EventType::kNewRequest;
  int64_t event_id = 0;
  std::string request_id;
  int64_t request_created_at_ms = 0;
  std::string offer_id;  // new_match: the offer that entered
  int rank = 0;          // new_match: its rank
  std::vector<store::StoredMatch> offers;  // new_request / new_match: the top-n, by rank
  std::vector<std::string> resources;      // new_request
  std::optional<GeoPoint> geo;             // new_request: matching location
  Label label = Label::kUnknown;           // new_request
  store::RequestStatus from = store::RequestStatus::kOpen, to = store::RequestStatus::kOpen;  // status_change
  std::string reason;                      // status_change: "expired" or the decision
  int64_t at_ms = 0;                       // the clock when it happened

  // The events-table payload (a JSON object without the id), and the JSONL line
  // {"id": event_id, "type": …, …payload} that `crema match --follow` prints.
  std::string payload_json() const;
  std::string to_json() const;
};

struct IngestReport {
  std::vector<IngestResult> results;
  std::vector<MatchEvent> events;  // in event-id order
};

struct LiveStats {
  int64_t clock_ms = 0;           // newest created_at seen (or wall time when later)
  uint64_t open_requests = 0;     // requests in memory
  uint64_t live_offers = 0;       // offers in memory
  uint64_t stored = 0, duplicates = 0, rejected = 0, events = 0, expired = 0;  // since open
  uint64_t loaded_requests = 0, loaded_offers = 0;  // rebuilt from the store at open
  uint64_t skipped_wrong_dim = 0;  // stored posts whose embedding dim is not the encoder's
  std::string encoder;
};

class LivePipeline {
 public:
  // Loads the models once, opens (or creates) the store, begins a run and rebuilds memory
  // from the store: the newest stored created_at is the clock; requests still open and
  // offers inside the window are loaded with the requests' stored top-n lists. Stored
  // posts whose embedding has another dimension (another encoder) are skipped and counted
  // in stats().skipped_wrong_dim, never deleted. Errors: bad options (kInvalidArgument),
  // models, store (see Store::open).
  static Result<std::unique_ptr<LivePipeline>> open(const std::string& db_path, const LiveOptions& options);
  // Finishes the run if close() was not called (errors are dropped then).
  ~LivePipeline();
  LivePipeline(const LivePipeline&) = delete;
  LivePipeline& operator=(const LivePipeline&) = delete;

  // Processes a batch: rejects (from the reader) are stored as given; posts are validated
  // (ingest::validate_post, a created_at is required, finite coordinates), repeated ids
  // are reported as duplicate, near-duplicates are stored and linked but not matched; the
  // rest go through the per-post stages and matching. One transaction. An error
  // (kIoError, kCorrupt) means nothing of the batch was stored and memory is as before.
  // Waits for a batch still in flight from submit() first (its report is kept for the next
  // submit() or flush(); an error of its write is returned here, see submit()).
  Result<IngestReport> ingest(std::span<const Post> posts, std::span<const ingest::Reject> rejects = {});

  // Pipelined ingest: does what ingest() does up to the store transaction, waits for the
  // previous submitted batch's transaction, then starts this batch's transaction on a
  // writer thread and returns. Returns the reports of the batches committed since the last
  // submit()/flush(), in submission order (usually the previous batch's; empty on the first
  // call). At most one batch is in flight, so a crash loses at most the batch whose report
  // was not yet returned. Errors: as ingest(); this batch was not stored. If the batch in
  // flight failed to commit, it was not stored either and memory is rebuilt from the store
  // (as after the last returned report); otherwise its report comes with the next flush()
  // or submit(). Call flush() to collect the last report before close().
  Result<std::vector<IngestReport>> submit(std::span<const Post> posts, std::span<const ingest::Reject> rejects = {});
  // Waits for the batch in flight; returns the reports not yet returned (as submit()).
  Result<std::vector<IngestReport>> flush();

  // advance_clock, record_decision and close wait for a batch in flight first.
  // Moves the clock to max(clock, now_ms) and expires what fell out of the window
  // (status_change events for requests). For servers whose stream pauses.
  Result<std::vector<MatchEvent>> advance_clock(int64_t now_ms);

  // Store::record_decision, then a served or rejected request leaves memory (no more
  // pushes). Returns the status_change event, if the status changed.
  Result<std::optional<MatchEvent>> record_decision(const store::DecisionInput& input);

  // The current top-n of a request in memory (empty when unknown or no longer in memory).
  std::vector<store::StoredMatch> matches_of(const std::string& request_id) const;
  LiveStats stats() const;

  // Finishes the run with a summary (a report still unreturned by flush() is dropped; its
  // batch is stored). Further calls return kInvalidArgument.
  Status close();

 private:
  struct Impl;
  explicit LivePipeline(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace crema::engine
