// src/ingest/json_syntax.h: finds where a JSON text goes wrong (private).
//
// simdjson says *that* a record is bad but not where; this scanner runs only on records
// simdjson refused, to name the byte offset and the reason for the reject.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace crema::ingest::detail {

struct JsonSyntaxError {
  size_t offset = 0;  // 0-based byte offset in the text
  std::string what;   // e.g. "unclosed string"
};

// The first RFC 8259 syntax error in s (including ill-formed UTF-8 inside strings), or
// nullopt when s is one well-formed JSON value. Iterative: deep nesting cannot overflow.
std::optional<JsonSyntaxError> find_json_syntax_error(std::string_view s);

}  // namespace crema::ingest::detail
