// crema/common/hash.h: the 64-bit hashes crema's trained artifacts depend on. Frozen: the
// tfidf IDF sketch, the glove-sif vocabulary table, MinHash signatures and the seeded splits
// are all built from these exact functions, so changing them invalidates shipped files.
#pragma once

#include <cstdint>
#include <string_view>

namespace crema {

inline constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;

// 64-bit FNV-1a over bytes, continuing from state h (start with kFnvOffset).
inline uint64_t fnv1a(uint64_t h, std::string_view bytes) {
  for (const char c : bytes) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// splitmix64's finaliser: spreads every input bit over all 64 output bits (FNV's high bits
// are weak on their own).
inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// One step of the SplitMix64 generator: advances state, returns the next value.
inline uint64_t splitmix64_next(uint64_t& state) { return mix64(state += 0x9e3779b97f4a7c15ULL); }

}  // namespace crema
