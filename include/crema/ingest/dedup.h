// crema/ingest/dedup.h: near-duplicate detection (Dutt §4) that stays linear at scale.
//
// Two posts are near-duplicates when the Jaccard similarity of their word sets, after
// removing stop words, URLs and @mentions, is >= threshold (0.8 in Dutt). Candidates come
// from MinHash + LSH banding; every candidate is confirmed by the exact Jaccard, so there
// are no false positives (false negatives are possible but rare, see the header of
// dedup.cc for the band/row choice). A duplicate is linked to the first post seen.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crema::ingest {

struct DedupOptions {
  double threshold = 0.8;
  int bands = 16;  // LSH bands
  int rows = 4;    // rows per band; bands*rows = number of MinHash permutations
  uint64_t seed = 42;
  // Posts with fewer content words than this are only exact-duplicate matched.
  int min_words = 3;
};

// The word set used for Jaccard: lower-cased words minus stop words (multilingual list),
// URLs, @mentions and "rt". Sorted and unique.
std::vector<std::string> dedup_words(std::string_view raw_text);

// Streaming index: each add() costs time linear in the post's words (bounded bucket
// walks), so a whole stream is linear in its size. Memory: a few hundred bytes per original
// (word hashes, id, LSH links), nothing per duplicate. Not thread-safe; movable only via
// the owning pointer.
class NearDuplicateIndex {
 public:
  explicit NearDuplicateIndex(const DedupOptions& options = {});
  ~NearDuplicateIndex();
  NearDuplicateIndex(const NearDuplicateIndex&) = delete;
  NearDuplicateIndex& operator=(const NearDuplicateIndex&) = delete;

  // Returns the id of the earliest added post this one near-duplicates, or nullopt; then
  // adds this post (only originals are indexed, so chains link to the first post).
  // A post with no content words (only URLs, mentions, stop words) is always an original
  // and never a match target.
  std::optional<std::string> add(std::string_view id, std::string_view raw_text);

  // Number of originals so far (add() calls that returned nullopt).
  size_t size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crema::ingest
