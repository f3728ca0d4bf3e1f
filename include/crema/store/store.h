// crema/store/store.h: the embedded store, one SQLite file in WAL mode holding posts,
// labels, embeddings, matches, rejects and runs. Schema: docs/store.md (version in
// kSchemaVersion, checked on open; older versions are migrated, newer ones refused).
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
#include <vector>

#include "crema/common/post.h"
#include "crema/common/result.h"

namespace crema::store {

inline constexpr int kSchemaVersion = 1;

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
};

// A post as needed by matching.
struct MatchRow {
  std::string id;
  int64_t created_at_ms = 0;
  std::optional<GeoPoint> geo;
  std::vector<float> embedding;
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

  // Replaces all matches with these (one transaction), recording the run. On any error
  // (rank < 1, a repeated (request_id, rank), non-finite scores) the old matches stay.
  virtual Status replace_matches(int64_t run_id, std::span<const StoredMatch> matches) = 0;

  virtual Result<Counts> counts() = 0;

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
