// src/extract/lexicon.h: text folding, light stemming and the lexicon files of the extractor.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "crema/common/result.h"
#include "crema/extract/extractor.h"

namespace crema::extract::detail {

// Lower-cased, accent-stripped (Latin), Devanagari/Arabic-Indic digits -> ASCII digits.
std::string fold(std::string_view s);
// Light multilingual plural stemmer over a folded word: tents->tent, medicines->medicin,
// bezwen->bezwen. Idempotent enough for lexicon lookups (both sides use it).
std::string stem(std::string_view folded);

struct NumberWord {
  double value = 0.0;
  enum Kind : uint8_t { kNum, kMult, kVague } kind = kNum;
  // A multiplier that is a number on its own (kind `mult1`: "mil tiendas", "mille tentes");
  // others ("hundred", "thousand") need "a"/"one"/"un"… or a number first.
  bool standalone = false;
};

// org_cues.tsv kinds: a known organisation ("red cross", "unicef"); a cue word that makes a
// capitalised name run an organisation ("foundation", "team"); a cue that also names a body
// on its own ("Army", "Government").
enum class OrgKind : uint8_t { kOrg, kCue, kBody };

struct Lexicon {
  // Stemmed phrase (tokens joined by ' ') -> class.
  std::unordered_map<std::string, ResourceClass> resources;
  size_t max_phrase_tokens = 1;
  // Keys of the first 1..k-1 tokens of every k-token phrase, so a lookup grows a phrase only
  // while some entry continues it.
  std::unordered_set<std::string> resource_prefixes;
  std::unordered_map<std::string, NumberWord> numbers;  // folded word -> value
  std::unordered_map<std::string, OrgKind> orgs;        // folded phrase -> kind
  size_t max_org_tokens = 1;
  std::unordered_set<std::string> org_prefixes;
};

Status load_lexicon(const std::string& dir, Lexicon& lexicon);

}  // namespace crema::extract::detail
