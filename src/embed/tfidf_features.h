// Private: the hashed features of the "tfidf" encoder, shared by the encoder and the
// statistics builder so both see exactly the same features.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crema/common/hash.h"

namespace crema::embed::detail {

using crema::fnv1a;
using crema::kFnvOffset;
using crema::mix64;

// Feature hashes of one text, in two blocks that the encoder normalises separately:
// words (unigrams "w:tok" and bigrams "b:tok tok") and chars (3..5-grams of "<tok>", counted
// in code points, never crossing a word boundary).
struct FeatureBuffers {
  std::vector<uint64_t> words;
  std::vector<uint64_t> chars;
  std::string padded;              // "<tok>" scratch
  std::vector<uint32_t> boundaries;  // code point starts in padded, plus its end
};

inline constexpr int kMinCharGram = 3;
inline constexpr int kMaxCharGram = 5;

void extract_features(std::string_view text, FeatureBuffers& buffers);

// Count-min IDF sketch geometry (tfidf_stats.h).
inline constexpr uint32_t kIdfRows = 2;
inline constexpr uint32_t kIdfLog2Buckets = 19;
inline constexpr uint32_t kIdfBuckets = 1U << kIdfLog2Buckets;

inline uint32_t idf_index(uint64_t h, uint32_t row) {
  return static_cast<uint32_t>(h >> (24 + 20 * row)) & (kIdfBuckets - 1);
}

// Stats file layout (little-endian): magic "CRTFIDF1", u32 version, u32 rows,
// u32 log2_buckets, u32 reserved, u64 documents, f32 idf_min, f32 idf_max,
// then rows * buckets u8 quantised IDF.
inline constexpr char kTfidfMagic[8] = {'C', 'R', 'T', 'F', 'I', 'D', 'F', '1'};
inline constexpr uint32_t kTfidfVersion = 1;
inline constexpr size_t kTfidfHeaderSize = 8 + 4 * 4 + 8 + 4 * 2;

}  // namespace crema::embed::detail
