// crema/embed/tfidf_stats.h: building the corpus statistics of the "tfidf" encoder.
//
// The encoder weights each hashed feature by IDF = ln((N+1)/(df+1)) + 1, where df counts the
// corpus documents holding the feature. Document frequencies are kept in a count-min sketch
// (two rows of 2^19 buckets, the smaller count wins) and stored as 8-bit quantised IDF, so the
// file is 1 MiB whatever the corpus size. tools/make_tfidf_stats.py drives this.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "crema/common/result.h"

namespace crema::embed {

struct TfidfStatsInfo {
  uint64_t documents = 0;      // N
  uint64_t features = 0;       // feature occurrences counted (after per-document dedup)
  float idf_min = 0, idf_max = 0;
};

// Counts document frequencies of the tfidf encoder's features over docs (normalised texts)
// and writes the stats file (format in docs/encoders.md) atomically to path.
Result<TfidfStatsInfo> write_tfidf_stats(std::span<const std::string_view> docs, const std::string& path);

}  // namespace crema::embed
