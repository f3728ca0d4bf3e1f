#include "fields.h"

#include <charconv>
#include <string>

#include "utf8_util.h"

namespace crema::ingest::detail {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

Result<Label> parse_kind(std::string_view s) {
  s = trim(s);
  std::string lower(s);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (lower.empty() || lower == "unknown") return Label::kUnknown;
  if (auto label = parse_label(lower)) return *label;
  return make_error(ErrorCode::kParseError,
                    "unknown kind '" + utf8_excerpt(s, 40) +
                        "' (expected request, offer, request_and_offer, irrelevant or unknown)");
}

Result<std::optional<double>> parse_coordinate(std::string_view s, std::string_view name) {
  s = trim(s);
  if (s.empty()) return std::optional<double>();
  const char* begin = s.data() + (s.front() == '+' ? 1 : 0);
  double v = 0;
  const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return make_error(ErrorCode::kParseError,
                      std::string(name) + " is not a number: '" + utf8_excerpt(s, 40) + "'");
  }
  return std::optional<double>(v);
}

}  // namespace crema::ingest::detail
