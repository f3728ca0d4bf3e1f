#include "json_syntax.h"

#include <cstdint>
#include <vector>

#include "utf8_util.h"

namespace crema::ingest::detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string describe_byte(char c) {
  const auto b = static_cast<uint8_t>(c);
  if (b >= 0x21 && b < 0x7F) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[b >> 4] + kHex[b & 15];
}

// Scans the string starting at s[i] == '"'; on success i is just past the closing quote.
std::optional<JsonSyntaxError> scan_string(std::string_view s, size_t& i) {
  const size_t start = i;
  ++i;
  while (true) {
    if (i >= s.size()) return JsonSyntaxError{start, "unclosed string"};
    const char c = s[i];
    const auto b = static_cast<uint8_t>(c);
    if (c == '"') {
      ++i;
      return std::nullopt;
    }
    if (c == '\\') {
      if (i + 1 >= s.size()) return JsonSyntaxError{start, "unclosed string"};
      const char e = s[i + 1];
      if (e == 'u') {
        for (size_t k = 2; k < 6; ++k) {
          if (i + k >= s.size() || !is_hex(s[i + k])) return JsonSyntaxError{i, "invalid \\u escape"};
        }
        i += 6;
      } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
                 e == 't') {
        i += 2;
      } else {
        return JsonSyntaxError{i, "invalid escape \\" + std::string(1, e)};
      }
      continue;
    }
    if (b < 0x20) return JsonSyntaxError{i, "unescaped control character in string"};
    if (b >= 0x80) {
      const size_t len = utf8_sequence_length(s.substr(i));
      if (len == 0) return JsonSyntaxError{i, "invalid UTF-8 in string"};
      i += len;
      continue;
    }
    ++i;
  }
}

std::optional<JsonSyntaxError> scan_number(std::string_view s, size_t& i) {
  const size_t start = i;
  auto digits = [&] {
    const size_t from = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    return i > from;
  };
  if (s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return JsonSyntaxError{start, "invalid number"};
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return JsonSyntaxError{start, "invalid number: no digits after '.'"};
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return JsonSyntaxError{start, "invalid number: no digits in exponent"};
  }
  return std::nullopt;
}

}  // namespace

std::optional<JsonSyntaxError> find_json_syntax_error(std::string_view s) {
  enum class Want { kValue, kValueOrClose, kKey, kKeyOrClose, kColon, kCommaOrClose, kEnd };
  std::vector<char> stack;
  Want want = Want::kValue;
  size_t i = 0;
  auto after_value = [&] { want = stack.empty() ? Want::kEnd : Want::kCommaOrClose; };
  auto close = [&] {
    stack.pop_back();
    ++i;
    after_value();
  };
  while (true) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    if (i == s.size()) {
      if (want == Want::kEnd) return std::nullopt;
      if (stack.empty()) return JsonSyntaxError{i, "empty input"};
      return JsonSyntaxError{i, stack.back() == '{' ? "unexpected end of input: unclosed object"
                                                    : "unexpected end of input: unclosed array"};
    }
    const char c = s[i];
    switch (want) {
      case Want::kEnd:
        return JsonSyntaxError{i, "unexpected " + describe_byte(c) + " after the JSON value"};
      case Want::kColon:
        if (c != ':') return JsonSyntaxError{i, "expected ':' after object key, got " + describe_byte(c)};
        ++i;
        want = Want::kValue;
        continue;
      case Want::kCommaOrClose:
        if (c == ',') {
          ++i;
          want = stack.back() == '{' ? Want::kKey : Want::kValue;
          continue;
        }
        if ((c == '}' && stack.back() == '{') || (c == ']' && stack.back() == '[')) {
          close();
          continue;
        }
        return JsonSyntaxError{i, std::string("expected ',' or '") + (stack.back() == '{' ? '}' : ']') +
                                      "', got " + describe_byte(c)};
      case Want::kKeyOrClose:
        if (c == '}') {
          close();
          continue;
        }
        [[fallthrough]];
      case Want::kKey:
        if (c != '"') return JsonSyntaxError{i, "expected a string key, got " + describe_byte(c)};
        if (auto e = scan_string(s, i)) return e;
        want = Want::kColon;
        continue;
      case Want::kValueOrClose:
        if (c == ']') {
          close();
          continue;
        }
        [[fallthrough]];
      case Want::kValue:
        if (c == '{' || c == '[') {
          stack.push_back(c);
          ++i;
          want = c == '{' ? Want::kKeyOrClose : Want::kValueOrClose;
          continue;
        }
        if (c == '"') {
          if (auto e = scan_string(s, i)) return e;
        } else if (c == '-' || is_digit(c)) {
          if (auto e = scan_number(s, i)) return e;
        } else if (s.substr(i, 4) == "true" || s.substr(i, 4) == "null") {
          i += 4;
        } else if (s.substr(i, 5) == "false") {
          i += 5;
        } else {
          return JsonSyntaxError{i, "unexpected " + describe_byte(c)};
        }
        after_value();
        continue;
    }
  }
}

}  // namespace crema::ingest::detail
