// Private: the on-disk layout of a gazetteer file (docs/gazetteer_format.md) and the
// in-memory form both the mmap loader and the fuzz target use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crema/common/result.h"
#include "crema/geo/gazetteer.h"

namespace crema::geo::detail {

inline constexpr char kMagic[8] = {'C', 'R', 'E', 'M', 'A', 'G', 'Z', '\x1a'};
inline constexpr uint32_t kVersion = 1;

enum Section : uint32_t {
  kEntries = 0,     // EntryRecord[num_entries]
  kStrings,         // NUL-terminated UTF-8 names
  kNameTrie,        // marisa-trie of name keys
  kPostingStarts,   // uint32[num_keys + 1], indexed by trie key id
  kPostings,        // uint32 entry indices
  kUnigramTrie,     // marisa-trie of lower-case words
  kUnigramCounts,   // uint32[2 * num_unigrams]: count, capitalised count (by trie key id)
  kCues,            // "list\tword\n" lines
  kNumSections
};

struct SectionRef {
  uint64_t offset;
  uint64_t size;
};

// Little-endian, 8-byte aligned sections; checksum covers bytes [sizeof(FileHeader), file_size).
struct FileHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_size;
  uint64_t file_size;
  uint64_t checksum;
  uint32_t num_entries;
  uint32_t num_cities;     // entries [0, num_cities) are cities
  uint32_t num_keys;
  uint32_t num_unigrams;
  uint64_t unigram_total;
  SectionRef sections[kNumSections];
};
static_assert(sizeof(FileHeader) == 184);

struct EntryRecord {
  uint32_t geonameid;
  float lat;
  float lon;
  uint32_t population;
  uint32_t name_offset;    // into kStrings
  uint32_t admin1;         // entry index of its admin1, or Gazetteer::kNone
  float radius_km;
  char country[2];         // ISO2
  uint8_t kind;            // PlaceKind
  uint8_t reserved;
  char feature_code[8];    // NUL-padded
};
static_assert(sizeof(EntryRecord) == 40);

// 64-bit checksum over bytes (word-wise multiply-rotate; detects corruption, not tampering).
uint64_t checksum(const unsigned char* data, size_t size);

// Opens a gazetteer from bytes held in memory (copied). check_checksum=false lets the fuzz
// target reach the structural checks behind the checksum.
Result<Gazetteer> open_gazetteer_bytes(std::string bytes, bool check_checksum);

}  // namespace crema::geo::detail
