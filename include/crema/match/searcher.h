// crema/match/searcher.h: match()'s candidate search, built once over a fixed set of offers
// and asked one request at a time — for benchmarks and for callers that answer requests as
// they arrive against an offer set that changes rarely (rebuild it when it does).
//
// exact-window: located offers in latitude-row/longitude-cell buckets; each cell keeps its
// offers sorted by time with their unit-sphere coordinates alongside, so a request reads
// only the cells that can hold offers within its reach, binary-searches each for its
// δ_time window and drops offers outside the δ_distance disc by a chord test before any
// vector is touched. The result equals brute force (exhaustive) — see matcher.h.
// ann:FACTORY: the request's k textually nearest offers from an Index, re-ranked by the
// method's score (CReMa's hybrid).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "crema/common/result.h"
#include "crema/match/matcher.h"

namespace crema::match {

class OfferSearcher {
 public:
  // `offers` (posts and vectors) must outlive the searcher; params are copied. For ann
  // without params.index an index of params.search.factory is built over the offers'
  // vectors. Errors: bad parameters, a negative/non-finite radius_km, vectors that do not
  // fit posts × dim, notext with ann, an index build error.
  static Result<std::unique_ptr<OfferSearcher>> build(const MatchSet& offers, const MatchParams& params);
  ~OfferSearcher();
  OfferSearcher(const OfferSearcher&) = delete;
  OfferSearcher& operator=(const OfferSearcher&) = delete;

  // The best params.top_n offers for one request, best first (ties by offer index), with
  // score > min_score. `vector` holds dim floats (may be null for notext). Thread-safe.
  // scored (optional) receives how many pairs were considered.
  Result<std::vector<ScoredOffer>> search(const MatchPost& request, const float* vector,
                                          size_t* scored = nullptr) const;

  // Bytes held by the candidate structure (grid or index), not counting the offers.
  size_t memory_bytes() const;

 private:
  OfferSearcher();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crema::match
