// PII masking for exports: span replacement, handles, contact values, and PiiMasker
// (the extractor's contacts + @mentions + a phone-like digit backstop).
#include <algorithm>

#include "crema/store/export.h"

namespace crema::store {
namespace {

constexpr std::string_view kDots = "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2";  // "•••"

bool is_ascii_word(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }
bool is_phone_separator(unsigned char c) {
  return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/';
}
bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// "@name" after a non-word byte; the normaliser's "@USER" placeholder is not a person.
void find_mentions(std::string_view t, std::vector<PiiSpan>& spans) {
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    if (t[i] != '@') continue;
    if (i > 0 && is_ascii_word(static_cast<unsigned char>(t[i - 1]))) continue;  // an e-mail's @
    size_t j = i + 1;
    while (j < t.size() && is_ascii_word(static_cast<unsigned char>(t[j]))) ++j;
    if (j == i + 1) continue;
    if (t.substr(i + 1, j - i - 1) == "USER") continue;
    spans.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(j), "@" + std::string(kDots)});
    i = j - 1;
  }
}

// A year 1900–2099 followed by "-", "." or "/" and a one- or two-digit group: the start of
// a date ("2012-05-20"), which ends a digit run ("Ml:4.3 2012-05-23 21:41").
bool starts_date(std::string_view t, size_t begin, size_t end) {
  if (end - begin != 4 || !(t.substr(begin, 2) == "19" || t.substr(begin, 2) == "20")) return false;
  if (end + 1 >= t.size() || (t[end] != '-' && t[end] != '.' && t[end] != '/')) return false;
  size_t k = end + 1;
  while (k < t.size() && is_digit(static_cast<unsigned char>(t[k]))) ++k;
  return k - end - 1 >= 1 && k - end - 1 <= 2;
}

// Phone-like digit runs: digit groups joined by at most two of " -.()/", 9–15 digits (7–15
// after a "+"). Letters may touch them ("TEL052275484", "3923556690Fate": posts glue
// words to numbers). A group that would pass 15 digits starts the next run ("052275484-
// 3923556690" is two numbers); a lone group of more than 15 digits is an id, not a phone.
// A final group followed by ":" and a digit is an hour ("2013-09-12 10:30"), and a date
// ends the run: neither is part of it.
void find_digit_runs(std::string_view t, std::vector<PiiSpan>& spans) {
  const size_t n = t.size();
  size_t i = 0;
  while (i < n) {
    const auto c = static_cast<unsigned char>(t[i]);
    const bool plus = c == '+' && i + 1 < n && is_digit(static_cast<unsigned char>(t[i + 1]));
    const bool continues_number = i > 0 && (is_digit(static_cast<unsigned char>(t[i - 1])) || t[i - 1] == '+');
    if (!(is_digit(c) || plus) || continues_number) {
      ++i;
      continue;
    }
    size_t j = plus ? i + 1 : i;
    size_t digits = 0, end = j, last_group_start = j, digits_before_last = 0;
    while (j < n) {
      size_t k = j;
      while (k < n && is_digit(static_cast<unsigned char>(t[k]))) ++k;
      if (k == j || starts_date(t, j, k)) break;
      if (digits + (k - j) > 15) {
        if (digits == 0) end = k;  // an id: skipped whole
        break;
      }
      last_group_start = j;
      digits_before_last = digits;
      digits += k - j;
      end = k;
      size_t s = k;
      while (s < n && s - k < 2 && is_phone_separator(static_cast<unsigned char>(t[s]))) ++s;
      if (s == k || s >= n || !is_digit(static_cast<unsigned char>(t[s]))) break;
      j = s;
    }
    if (end + 1 < n && t[end] == ':' && is_digit(static_cast<unsigned char>(t[end + 1])) && last_group_start > i) {
      digits = digits_before_last;
      end = last_group_start;
      while (end > i && !is_digit(static_cast<unsigned char>(t[end - 1]))) --end;
    }
    const size_t min_digits = plus ? 7 : 9;
    if (digits >= min_digits) {
      extract::Contact phone;
      phone.kind = extract::ContactKind::kPhone;
      phone.text = std::string(t.substr(i, end - i));
      for (char ch : phone.text)
        if (is_digit(static_cast<unsigned char>(ch)) || ch == '+') phone.value += ch;
      spans.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(end), extract::mask_contact(phone)});
    }
    // Past the run; a run cut before a separator resumes at the next group.
    i = std::max(end, i + 1);
    while (i < n && is_phone_separator(static_cast<unsigned char>(t[i]))) ++i;
  }
}

std::string collapse_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool in_space = false;
  for (char c : s) {
    if (is_space(static_cast<unsigned char>(c))) {
      if (!in_space) out.push_back(' ');
      in_space = true;
    } else {
      out.push_back(c);
      in_space = false;
    }
  }
  return out;
}

}  // namespace

std::string replace_spans(std::string_view text, std::vector<PiiSpan> spans) {
  const auto size = static_cast<uint32_t>(std::min<size_t>(text.size(), UINT32_MAX));
  for (auto& s : spans) {
    s.end = std::min(s.end, size);
    s.start = std::min(s.start, s.end);
    while (s.start > 0 && is_continuation(static_cast<unsigned char>(text[s.start]))) --s.start;
    while (s.end < size && is_continuation(static_cast<unsigned char>(text[s.end]))) ++s.end;
  }
  std::erase_if(spans, [](const PiiSpan& s) { return s.start >= s.end; });
  std::sort(spans.begin(), spans.end(), [](const PiiSpan& a, const PiiSpan& b) {
    return a.start != b.start ? a.start < b.start : a.end > b.end;
  });
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  size_t i = 0;
  while (i < spans.size()) {
    // spans[i] starts first (longest on a tie): it names the merged group.
    uint32_t end = spans[i].end;
    size_t j = i + 1;
    while (j < spans.size() && spans[j].start < end) end = std::max(end, spans[j++].end);
    out.append(text.substr(pos, spans[i].start - pos));
    out.append(spans[i].replacement);
    pos = end;
    i = j;
  }
  out.append(text.substr(pos));
  return out;
}

std::string mask_handle(std::string_view handle) { return handle.empty() ? std::string() : std::string(kDots); }

std::string mask_contact_value(std::string_view value) {
  extract::Contact c;
  c.text = std::string(value);
  c.value = std::string(value);
  if (value.find('@') != std::string_view::npos) {
    c.kind = extract::ContactKind::kEmail;
  } else if (!value.empty() && (value.front() == '+' || is_digit(static_cast<unsigned char>(value.front())))) {
    c.kind = extract::ContactKind::kPhone;
  } else {
    c.kind = extract::ContactKind::kUrl;
  }
  return extract::mask_contact(c);
}

Result<PiiMasker> PiiMasker::create(const PiiMaskerOptions& options) {
  extract::ExtractorOptions eopts;
  eopts.data_dir = options.data_dir;
  eopts.encoder.clear();  // contacts only: the semantic resource fallback is not needed
  auto extractor = extract::Extractor::create(eopts);
  if (!extractor) return tl::unexpected(extractor.error());
  return PiiMasker(std::shared_ptr<const extract::Extractor>(std::move(*extractor)));
}

MaskedText PiiMasker::mask(std::string_view text, std::string_view region) const {
  MaskedText out;
  extract::ExtractContext context;
  context.region = std::string(region);
  extract::Extraction ex = extractor_->extract(text, context);
  out.contacts = std::move(ex.contacts);
  std::stable_sort(out.contacts.begin(), out.contacts.end(),
                   [](const extract::Contact& a, const extract::Contact& b) { return a.span.start < b.span.start; });
  for (const auto& c : out.contacts) out.spans.push_back({c.span.start, c.span.end, extract::mask_contact(c)});
  find_mentions(text, out.spans);
  find_digit_runs(text, out.spans);
  std::sort(out.spans.begin(), out.spans.end(), [](const PiiSpan& a, const PiiSpan& b) {
    return a.start != b.start ? a.start < b.start : a.end > b.end;
  });
  out.text = replace_spans(text, out.spans);
  return out;
}

std::string PiiMasker::mask_derived(std::string_view derived, const MaskedText& masked, std::string_view original) const {
  std::vector<PiiSpan> spans;
  for (const auto& s : masked.spans) {
    if (s.end > original.size() || s.start >= s.end) continue;
    const std::string needle = collapse_whitespace(original.substr(s.start, s.end - s.start));
    if (needle.empty() || needle == " ") continue;
    for (size_t at = derived.find(needle); at != std::string_view::npos; at = derived.find(needle, at + needle.size())) {
      spans.push_back({static_cast<uint32_t>(at), static_cast<uint32_t>(at + needle.size()), s.replacement});
    }
  }
  find_mentions(derived, spans);
  find_digit_runs(derived, spans);
  return replace_spans(derived, std::move(spans));
}

}  // namespace crema::store
