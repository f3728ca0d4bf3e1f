// src/ingest/fields.h: field conversions shared by the JSON and CSV readers (private).
#pragma once

#include <optional>
#include <string_view>

#include "crema/common/post.h"
#include "crema/common/result.h"

namespace crema::ingest::detail {

// s without leading/trailing ASCII whitespace.
std::string_view trim(std::string_view s);

// A "kind" value: "" and "unknown" -> Label::kUnknown, else crema::parse_label (ASCII case
// ignored). Unknown names are a parse error whose message is the reject reason.
Result<Label> parse_kind(std::string_view s);

// A coordinate written as text ("27.7", " -85.3 ", "+1e1"); "" -> nullopt. Anything else
// that is not a whole decimal number is a parse error naming `name`.
Result<std::optional<double>> parse_coordinate(std::string_view s, std::string_view name);

}  // namespace crema::ingest::detail
