// crema/common/post.h: the post record that flows through the pipeline, and the label
// vocabularies shared by every module.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crema {

// A point on the WGS84 ellipsoid in decimal degrees; lat in [-90, 90], lon in [-180, 180].
struct GeoPoint {
  double lat = 0.0;
  double lon = 0.0;
};

// CHO's 4-class actionable-help task. kUnknown means "not classified / not given".
enum class Label : uint8_t { kRequest = 0, kOffer = 1, kRequestAndOffer = 2, kIrrelevant = 3, kUnknown = 4 };
inline constexpr int kNumLabels = 4;

// Stable lower-case names: "request", "offer", "request_and_offer", "irrelevant", "unknown".
std::string_view label_name(Label label);
// Parses a name from label_name(); also accepts "request-and-offer" and "both".
std::optional<Label> parse_label(std::string_view name);

// Resource types (CReMa §III-B + water, transport, power, blood), multi-label.
inline constexpr std::array<std::string_view, 11> kResourceNames = {
    "money", "volunteers", "clothing", "shelter", "medical", "food",
    "water", "transport", "power",     "blood",   "other"};

// Where a record came from, so errors and rejects can name it.
struct SourceRef {
  std::string file;   // path as given, or "-" for stdin
  uint64_t line = 0;  // 1-based line (JSONL/CSV record start); 0 when not applicable
};

// One post as read from input. Text is the raw text (valid UTF-8, checked by ingest).
struct Post {
  std::string id;                 // unique within a store; ingest is idempotent by id
  std::string text;               // raw text, valid UTF-8
  int64_t created_at_ms = 0;      // UTC, milliseconds since the Unix epoch
  std::string lang;               // ISO 639-1 as given by the source; empty if none
  std::optional<GeoPoint> geo;    // the post's own coordinates (geotag), if any
  std::string place;              // place name given by the source (Twitter place.full_name)
  std::string user;               // author handle or id, if any
  std::string user_location;      // the author's free-text profile location, if any
  Label kind = Label::kUnknown;   // a label given by the input ("kind" field), if any
  SourceRef source;
};

}  // namespace crema
