// crema/match/eval.h: CReMa's matching protocol (Table VII) on a labelled stream.
//
// A stream is JSONL with id, pair, kind (request/offer), lang, text, created_at, lat, lon
// (../shared/eval/README.md). For each language L: the requests in L are matched against
// the offers in L; Top-n accuracy = share of requests whose own offer (same pair) ranks in
// the first n (n = 1, 2, 3); ties count against the true offer. Methods T, TS, TTS and the
// no-text floor. The random-language run draws each pair member's language uniformly
// (seeded) from the languages that pair has, so requests and offers are mostly in different
// languages; then all drawn requests are matched against all drawn offers.
// Texts are normalised (crema/text/normalize.h) before encoding. Posts without coordinates
// get W_location = 0 (CReMa assumes geotagged posts). Optional fields: "resource" (picks a
// decay profile when options name a profiles file) and "city" (coarsening). A request whose pair has no offer in
// the run is not counted. Errors: unreadable stream, malformed records (named by line).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crema/common/progress.h"
#include "crema/common/result.h"
#include "crema/embed/encoder.h"
#include "crema/match/matcher.h"

namespace crema::match {

struct EvalMatchOptions {
  std::string stream_path;
  int64_t delta_time_ms = 30LL * 86'400'000;
  double delta_km = 10.0;
  double alpha = 0.5;
  uint64_t seed = 42;  // random-language draw (and the coarsening draw)
  // Decay profiles file (load_decay_profiles); empty = plain TTS windows. Requests are
  // matched under the profile of their "resource" field (matcher.h).
  std::string decay_profiles_path;
  // City-level placement: when coarsen_km > 0, a seeded share coarsen_share of the posts
  // that have a "city" (drawn per pair and kind, so all languages of a post alike) is
  // moved to the city's centre (mean coordinates of that city's posts in the stream) with
  // uncertainty radius coarsen_km; with ignore_radius the centre is taken as exact
  // (radius 0), the naive baseline.
  double coarsen_km = 0;
  double coarsen_share = 1.0;
  bool ignore_radius = false;
  // Candidate search: exact-window (default; every offer is ranked) or ann, where T, TS and
  // TTS rank only the search.k textually nearest offers of an index over the run's offers
  // (the own offer outside them is a miss) — what CReMa's top-K-then-re-rank loses.
  SearchMode search{};
  int threads = 1;
  ProgressFn progress;
};

struct TopN {
  double top1 = 0, top2 = 0, top3 = 0;
};

struct EvalMatchRow {
  std::string language;  // "en", …, or "random"
  size_t requests = 0;
  TopN t, ts, tts, notext;
};

struct EvalMatchReport {
  std::string encoder;
  std::string stream;
  int64_t delta_time_ms = 0;  // the options the report was made with
  double delta_km = 0, alpha = 0;
  uint64_t seed = 0;
  std::string search = "exact-window";
  int k = 0;  // ann: text candidates per request; 0 for exact-window
  std::string decay_profiles;  // path, empty when none
  double coarsen_km = 0, coarsen_share = 0;
  bool ignore_radius = false;
  std::vector<EvalMatchRow> rows;  // languages sorted, then "random", then "mean"
  std::string to_text() const;     // a Markdown table
  std::string to_json() const;
};

Result<EvalMatchReport> evaluate_matching(const embed::Encoder& encoder, const EvalMatchOptions& options);

}  // namespace crema::match
