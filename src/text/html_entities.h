// src/text/html_entities.h: the HTML 4.01 named character references (plus &apos;), used by
// normalize() to decode entities in posts.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace crema::text::detail {

// Code point of the named entity `name` (without '&' and ';'), case-sensitive as in HTML
// ("Eacute" != "eacute"); nullopt if unknown.
std::optional<char32_t> lookup_html_entity(std::string_view name);

// Number of names in the table (253: the 252 of HTML 4.01 and "apos").
std::size_t html_entity_count();

// Longest entity name, in bytes.
constexpr std::size_t kMaxEntityNameLength = 8;

}  // namespace crema::text::detail
