// crema/engine.h: the pipeline that ties the modules together
// (ingest -> normalize -> prefilter -> classify -> embed -> store -> match), and the
// one-shot classify and match jobs the CLI exposes. Library first: the CLI and the server
// only wrap these calls.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crema/common/post.h"
#include "crema/common/progress.h"
#include "crema/common/result.h"
#include "crema/ingest/reader.h"
#include "crema/match/matcher.h"

namespace crema::engine {

// Which models and rules the per-post stages use. Empty paths mean the bundled defaults
// under resource_root() (models/classifier, data/prefilter/patterns.txt).
struct ModelOptions {
  std::string classifier_dir;
  std::string encoder;  // empty = embed::default_encoder_name()
  bool prefilter = false;
  std::string prefilter_path;
  // Geo-resolution of every post (geotag, else the source's place, a place named in the
  // text, the author's profile location; docs/geo.md), so posts without coordinates can be
  // matched by distance too. gazetteer_path empty = geo::default_gazetteer_path().
  bool locate = true;
  std::string gazetteer_path;
  std::string region;  // "" | ISO2 | "minlon,minlat,maxlon,maxlat": the event's region
  // Extraction (resources, quantities, sources, contacts; docs/extraction.md) of actionable
  // posts, stored as posts.extraction_json (contacts unmasked: the store is the data).
  bool extract = true;
};

struct RunOptions {
  std::vector<std::string> inputs;  // files, "-" = stdin
  std::string out_dir;
  std::string db_path;              // empty = out_dir/crema.sqlite
  bool resume = false;              // continue the last unfinished run from its checkpoints
  int threads = 0;                  // 0 = all cores
  size_t batch_size = 4096;         // posts per transaction (and per checkpoint)
  ModelOptions models;
  ingest::ReaderOptions reader;
  match::MatchParams match;
  std::string command_line;         // recorded in the runs table
  ProgressFn progress;
};

struct RunSummary {
  uint64_t read = 0;        // records read from inputs this run (posts + rejects)
  uint64_t rejected = 0;    // records that could not become posts (see rejects.jsonl)
  uint64_t inserted = 0;    // new posts stored
  uint64_t existing = 0;    // posts whose id was already stored (idempotent re-ingest)
  uint64_t duplicates = 0;  // near-duplicates linked to an earlier post (this run)
  uint64_t prefilter_dropped = 0;
  uint64_t requests = 0, offers = 0, request_and_offer = 0, irrelevant = 0;  // this run
  // Matching is over the whole store, not only this run's posts.
  uint64_t match_requests = 0, match_offers = 0;
  uint64_t unlocated_requests = 0;
  uint64_t matches = 0, matched_requests = 0;
  double seconds = 0;
  // Wall time per stage: read + dedup, normalise + language + prefilter + classify, embed,
  // store writes (on a second thread, overlapping the next batch), matching, exports. The
  // rest of `seconds` is start-up (models, the near-duplicate index of what is stored).
  double ingest_seconds = 0, label_seconds = 0, embed_seconds = 0, store_seconds = 0, match_seconds = 0;
  double export_seconds = 0;
  std::string db_path, rejects_path, posts_jsonl, posts_csv, matches_jsonl, matches_csv;
  std::string encoder;

  std::string to_json() const;
  std::string to_table() const;  // the short table `crema run` prints
};

// Installs crema::embed::make_encoder as classify's feature-encoder factory (once per
// process; later calls do nothing), so that linear-head classifier folders
// (crema/classify/linear_head.h) can be loaded and trained. Every engine entry point that
// loads a classifier calls it; call it yourself before using crema::classify directly.
// Thread-safe.
void install_feature_encoders();

// The whole pipeline. Rejects go to out_dir/rejects.jsonl and the store; results are
// exported next to the database. Safe to interrupt: committed batches are kept and
// `resume` continues after them.
Result<RunSummary> run(const RunOptions& options);

struct ClassifyOptions {
  std::vector<std::string> inputs;
  std::string out_path;      // JSONL, one line per post (see docs/cli.md)
  std::string rejects_path;  // empty = out_path + ".rejects.jsonl"
  int threads = 0;
  ModelOptions models;
  ingest::ReaderOptions reader;
  ProgressFn progress;
};

struct ClassifySummary {
  uint64_t read = 0, rejected = 0, classified = 0;
  uint64_t requests = 0, offers = 0, request_and_offer = 0, irrelevant = 0;
  double seconds = 0;
  std::string to_json() const;
  std::string to_text() const;  // one line for people
};

Result<ClassifySummary> classify(const ClassifyOptions& options);

struct MatchJobOptions {
  std::vector<std::string> inputs;
  std::string out_path;  // JSONL, one line per request
  std::string rejects_path;
  int threads = 0;
  ModelOptions models;
  ingest::ReaderOptions reader;
  match::MatchParams match;
  ProgressFn progress;
};

struct MatchJobSummary {
  uint64_t read = 0, rejected = 0, requests = 0, offers = 0, classified = 0;
  uint64_t repeated_ids = 0;  // records whose id appeared earlier in the input (skipped)
  uint64_t unlocated_requests = 0, matched_requests = 0, matches = 0;
  double seconds = 0;
  std::string to_json() const;
  std::string to_text() const;  // one line for people
};

// Posts whose input has a kind use it; the others are classified first.
Result<MatchJobSummary> match_posts(const MatchJobOptions& options);

}  // namespace crema::engine
