#include "pii.h"

#include <simdjson.h>

#include "crema/common/json_writer.h"

namespace crema::server {
namespace {

constexpr std::string_view kDots = "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2";  // "•••"

bool is_word(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_email_local(unsigned char c) { return is_word(c) || c == '.' || c == '-' || c == '+'; }
bool is_domain(unsigned char c) { return is_word(c) || c == '.' || c == '-'; }

void write_masked_value(JsonWriter& w, simdjson::dom::element v, std::string_view key);

void write_element(JsonWriter& w, simdjson::dom::element v) {
  switch (v.type()) {
    case simdjson::dom::element_type::OBJECT: {
      w.begin_object();
      for (auto [k, child] : simdjson::dom::object(v)) {
        if (k == "contacts" && child.is_array()) {
          w.key(k).begin_object().key("masked").value(static_cast<uint64_t>(simdjson::dom::array(child).size())).end_object();
          continue;
        }
        w.key(k);
        write_masked_value(w, child, k);
      }
      w.end_object();
      break;
    }
    case simdjson::dom::element_type::ARRAY:
      w.begin_array();
      for (auto child : simdjson::dom::array(v)) write_element(w, child);
      w.end_array();
      break;
    case simdjson::dom::element_type::STRING:
      w.value(std::string_view(v));
      break;
    case simdjson::dom::element_type::INT64:
      w.value(int64_t(v));
      break;
    case simdjson::dom::element_type::UINT64:
      w.value(uint64_t(v));
      break;
    case simdjson::dom::element_type::DOUBLE:
      w.value(double(v));
      break;
    case simdjson::dom::element_type::BOOL:
      w.value(bool(v));
      break;
    case simdjson::dom::element_type::NULL_VALUE:
      w.null();
      break;
  }
}

void write_masked_value(JsonWriter& w, simdjson::dom::element v, std::string_view key) {
  if (v.is_string()) {
    const std::string_view s(v);
    if (key == "user" || key == "user_handle" || key == "author" || key == "handle") {
      w.value(mask_handle(s));
      return;
    }
    if (key == "text" || key == "normalized") {
      w.value(mask_pii(s));
      return;
    }
  }
  write_element(w, v);
}

}  // namespace

std::string mask_handle(std::string_view handle) { return handle.empty() ? std::string() : std::string(kDots); }

std::string mask_pii(std::string_view t) {
  std::string out;
  out.reserve(t.size());
  const size_t n = t.size();
  size_t i = 0;
  while (i < n) {
    const auto c = static_cast<unsigned char>(t[i]);
    const bool at_start = i == 0 || !is_word(static_cast<unsigned char>(t[i - 1]));
    // @handle
    if (c == '@' && at_start && i + 1 < n && is_word(static_cast<unsigned char>(t[i + 1]))) {
      size_t j = i + 1;
      while (j < n && is_word(static_cast<unsigned char>(t[j]))) ++j;
      out += '@';
      out += kDots;
      i = j;
      continue;
    }
    // e-mail: local@domain.tld
    if (is_email_local(c) && at_start) {
      size_t j = i;
      while (j < n && is_email_local(static_cast<unsigned char>(t[j]))) ++j;
      if (j < n && t[j] == '@') {
        size_t k = j + 1;
        while (k < n && is_domain(static_cast<unsigned char>(t[k]))) ++k;
        const std::string_view domain = t.substr(j + 1, k - j - 1);
        if (domain.find('.') != std::string_view::npos && domain.front() != '.' && domain.back() != '.') {
          out += t[i];
          out += kDots;
          out.append(t.substr(j, k - j));
          i = k;
          continue;
        }
      }
    }
    // phone: [+]digits with separators, >= 7 digits in total
    if ((is_digit(c) || (c == '+' && i + 1 < n && is_digit(static_cast<unsigned char>(t[i + 1])))) && at_start) {
      size_t j = i + (c == '+' ? 1 : 0);
      size_t digits = 0, last_digit_end = j;
      while (j < n) {
        const auto d = static_cast<unsigned char>(t[j]);
        if (is_digit(d)) {
          ++digits;
          last_digit_end = j + 1;
        } else if (!(d == ' ' || d == '-' || d == '.' || d == '(' || d == ')')) {
          break;
        }
        ++j;
      }
      const bool ends_clean = last_digit_end == n || !is_word(static_cast<unsigned char>(t[last_digit_end]));
      if (digits >= 7 && ends_clean) {
        out += kDots;
        out.append(t.substr(last_digit_end - 2, 2));
        i = last_digit_end;
        continue;
      }
      // Not a phone: copy the digit run as is.
      out.append(t.substr(i, last_digit_end > i ? last_digit_end - i : 1));
      i = last_digit_end > i ? last_digit_end : i + 1;
      continue;
    }
    out += t[i];
    ++i;
  }
  return out;
}

std::string mask_json_for_viewer(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS || !doc.is_object()) return "{}";
  JsonWriter w;
  write_element(w, doc);
  return w.take();
}

}  // namespace crema::server
