// crema/extract/eval.h: scoring extraction (and geocoding) against a hand-annotated gold set
// (tests/testdata/extraction_gold.jsonl, format and matching rules in docs/extraction.md and
// docs/extraction_guide.md).
//
// Matching rules (per post, one-to-one, greedy in text order):
//   resources   predicted text vs gold text, folded (lower case, no accents): equal, or one
//               contains the other on word boundaries
//   classes     the set of resource classes of the post ("other" is ignored on both sides)
//   quantities  numeric amount equal (ranges: both ends; "~" vague marks ignored), within 0.5%
//   locations   folded text equal or contained either way (on word boundaries)
//   sources     folded text without leading @/#, equal or contained either way
//   contacts    phones: the last 8 digits equal; e-mails/URLs: folded text equal
// Span-matching variants for resources, locations and sources, reported next to the rule
// above (which stays the headline figure):
//   strict      folded text equal (leading @/# dropped): exact boundaries
//   overlap     the headline rule, or the two share a content word (folded word tokens of
//               2+ characters that are not function words: "the American Red Cross
//               volunteers" ~ "Red Cross Society"); lenient about boundaries, as Dutt §7.1's
//               human judges were (they marked an extraction correct or not, with no span rule)
// Geocoding: share of gold posts with a point whose predicted point is within 25 / 100 km,
// and share of gold posts with a country whose predicted country is the same.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crema/common/post.h"
#include "crema/common/result.h"
#include "crema/extract/extractor.h"

namespace crema::extract {

struct GoldPost {
  std::string id;
  std::string text;
  std::string split;  // "dev" | "test"
  std::string lang;
  struct GoldResource {
    std::string text;
    std::string cls;  // a class name, or "other"
  };
  std::vector<GoldResource> resources;
  std::vector<std::string> quantities;  // normalised amounts ("500", "~1000", "50-100")
  std::vector<std::string> locations;
  std::vector<std::string> sources;
  std::vector<std::string> contacts;
  std::optional<GeoPoint> point;
  std::string country;  // ISO2 or ""
};

// Reads a gold JSONL file. kNotFound if missing; kParseError naming file:line and the field.
Result<std::vector<GoldPost>> read_gold(const std::string& path);

// What the system said about one post (same order as the gold).
struct Prediction {
  Extraction extraction;
  std::vector<std::string> locations;  // location mention texts
  std::optional<GeoPoint> point;
  std::string country;
};

struct FieldScore {
  uint64_t tp = 0, fp = 0, fn = 0;
  double precision() const;
  double recall() const;
  double f1() const;
};

// The span rules above. kContained is the headline rule of resources/locations/sources.
enum class SpanRule { kStrict, kContained, kOverlap };

// Whether a predicted span text matches a gold one under `rule` (pure; thread-safe).
bool span_match(std::string_view pred, std::string_view gold, SpanRule rule);

// One field scored under the other two span rules (the headline figure is the FieldScore).
struct SpanVariants {
  FieldScore strict, overlap;
};

struct ExtractionEval {
  uint64_t posts = 0;
  FieldScore resources, classes, quantities, locations, sources, contacts, contacts_no_url;
  SpanVariants resources_spans, locations_spans, sources_spans;
  uint64_t geo_gold = 0, within_25km = 0, within_100km = 0;
  uint64_t country_gold = 0, country_right = 0;
  std::string to_json() const;
  std::string to_text() const;  // the P/R/F1 table
};

// Scores predictions[i] against gold[i]; sizes must be equal (kInvalidArgument otherwise).
Result<ExtractionEval> evaluate(std::span<const GoldPost> gold, std::span<const Prediction> predictions);

}  // namespace crema::extract
