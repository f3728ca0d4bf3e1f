// Aligned text, character classes and normalizers of the tokenizer pipeline.
#include <unicode/errorcode.h>
#include <unicode/normalizer2.h>
#include <unicode/regex.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/ustring.h>

#include <algorithm>
#include <cstring>

#include "crema/common/utf8.h"
#include "tokenizer_internal.h"

namespace crema::nn::tok {

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

char32_t decode_at(std::string_view s, size_t i, size_t* len) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    *len = 1;
    return b0;
  }
  auto cont = [&](size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k]) & 0x3F); };
  if (b0 < 0xE0) {
    *len = 2;
    return (static_cast<char32_t>(b0 & 0x1F) << 6) | cont(1);
  }
  if (b0 < 0xF0) {
    *len = 3;
    return (static_cast<char32_t>(b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2);
  }
  *len = 4;
  return (static_cast<char32_t>(b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
}

void AlignedText::push(char32_t cp, uint32_t b, uint32_t e) {
  append_utf8(text, cp);
  begin.resize(text.size(), b);
  end.resize(text.size(), e);
}

void AlignedText::push_bytes(std::string_view bytes, uint32_t b, uint32_t e) {
  text.append(bytes);
  begin.resize(text.size(), b);
  end.resize(text.size(), e);
}

AlignedText AlignedText::slice(size_t from, size_t to) const {
  AlignedText out;
  out.text.assign(text, from, to - from);
  out.begin.assign(begin.begin() + static_cast<std::ptrdiff_t>(from), begin.begin() + static_cast<std::ptrdiff_t>(to));
  out.end.assign(end.begin() + static_cast<std::ptrdiff_t>(from), end.begin() + static_cast<std::ptrdiff_t>(to));
  return out;
}

AlignedText make_aligned(std::string_view input, uint32_t base) {
  AlignedText out;
  out.text.reserve(input.size());
  out.begin.reserve(input.size());
  out.end.reserve(input.size());
  size_t i = 0;
  while (i < input.size()) {
    size_t bad = 0;
    const size_t n = utf8_sequence_length(input, i, &bad);
    const auto b = static_cast<uint32_t>(base + i);
    if (n == 0) {
      out.push(0xFFFD, b, static_cast<uint32_t>(b + bad));
      i += bad;
    } else {
      out.push_bytes(input.substr(i, n), b, static_cast<uint32_t>(b + n));
      i += n;
    }
  }
  return out;
}

bool is_whitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_WHITE_SPACE) != 0;
}

bool is_bert_punctuation(char32_t c) {
  if (c < 0x80) {
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  }
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_P_MASK) != 0;
}

bool is_word_char(char32_t c) {
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
  const auto u = static_cast<UChar32>(c);
  return u_hasBinaryProperty(u, UCHAR_ALPHABETIC) || (U_GET_GC_MASK(u) & (U_GC_M_MASK | U_GC_ND_MASK | U_GC_PC_MASK)) != 0 ||
         u_hasBinaryProperty(u, UCHAR_JOIN_CONTROL);
}

bool is_letter(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_L_MASK) != 0;
}

bool is_number(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_N_MASK) != 0;
}

void split_by(const AlignedText& text, const std::vector<std::pair<size_t, size_t>>& matches,
              SplitBehavior behavior, std::vector<AlignedText>& out) {
  // Pieces as (from, to, is_match), then merged by behavior.
  std::vector<std::pair<size_t, size_t>> spans;
  std::vector<bool> is_match;
  size_t pos = 0;
  for (const auto& [a, b] : matches) {
    if (a > pos) {
      spans.emplace_back(pos, a);
      is_match.push_back(false);
    }
    spans.emplace_back(a, b);
    is_match.push_back(true);
    pos = b;
  }
  if (pos < text.size()) {
    spans.emplace_back(pos, text.size());
    is_match.push_back(false);
  }
  std::vector<std::pair<size_t, size_t>> result;
  switch (behavior) {
    case SplitBehavior::kRemoved:
      for (size_t i = 0; i < spans.size(); ++i) {
        if (!is_match[i]) result.push_back(spans[i]);
      }
      break;
    case SplitBehavior::kIsolated:
      result = spans;
      break;
    case SplitBehavior::kMergedWithPrevious:
      for (size_t i = 0; i < spans.size(); ++i) {
        if (is_match[i] && !result.empty() && !is_match[i - 1]) {
          result.back().second = spans[i].second;
        } else {
          result.push_back(spans[i]);
        }
      }
      break;
    case SplitBehavior::kMergedWithNext:
      for (size_t i = 0; i < spans.size(); ++i) {
        if (i > 0 && !is_match[i] && is_match[i - 1]) {
          result.back().second = spans[i].second;
        } else {
          result.push_back(spans[i]);
        }
      }
      break;
    case SplitBehavior::kContiguous:
      for (size_t i = 0; i < spans.size(); ++i) {
        if (i > 0 && is_match[i] && is_match[i - 1] && spans[i - 1].second == spans[i].first) {
          result.back().second = spans[i].second;
        } else {
          result.push_back(spans[i]);
        }
      }
      break;
  }
  for (const auto& [a, b] : result) {
    if (b > a) out.push_back(text.slice(a, b));
  }
}

namespace {

// Rewrites text character by character: f(cp, emit) calls emit(cp) for each output char.
template <typename F>
void map_chars(AlignedText& t, F&& f) {
  AlignedText out;
  out.text.reserve(t.text.size());
  out.begin.reserve(t.text.size());
  out.end.reserve(t.text.size());
  size_t i = 0;
  while (i < t.text.size()) {
    size_t n = 0;
    const char32_t cp = decode_at(t.text, i, &n);
    const uint32_t b = t.begin[i];
    const uint32_t e = t.end[i + n - 1];
    f(cp, [&](char32_t o) { out.push(o, b, e); });
    i += n;
  }
  t = std::move(out);
}

void lower_char(char32_t c, auto&& emit) {
  if (c < 0x80) {
    emit((c >= 'A' && c <= 'Z') ? c + 32 : c);
    return;
  }
  // Full (context-free) Unicode lower-casing of one character, as Rust's char::to_lowercase.
  UChar src[2];
  int32_t src_len = 0;
  U16_APPEND_UNSAFE(src, src_len, static_cast<UChar32>(c));
  UChar dst[8];
  UErrorCode status = U_ZERO_ERROR;
  const int32_t n = u_strToLower(dst, 8, src, src_len, "", &status);
  if (U_FAILURE(status)) {
    emit(c);
    return;
  }
  for (int32_t k = 0; k < n;) {
    UChar32 o;
    U16_NEXT(dst, k, n, o);
    emit(static_cast<char32_t>(o));
  }
}

bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool is_other(char32_t c) {
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & (U_GC_CC_MASK | U_GC_CF_MASK | U_GC_CS_MASK | U_GC_CO_MASK | U_GC_CN_MASK)) != 0;
}

bool all_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x80; });
}

// Unicode normalization by segments that start at a normalization boundary; every output
// character of a segment maps to the whole segment's input span.
void unicode_normalize(AlignedText& t, const icu::Normalizer2& norm) {
  if (all_ascii(t.text)) return;
  AlignedText out;
  size_t i = 0;
  while (i < t.text.size()) {
    const size_t seg_start = i;
    size_t n = 0;
    decode_at(t.text, i, &n);
    i += n;
    while (i < t.text.size()) {
      const char32_t c = decode_at(t.text, i, &n);
      if (norm.hasBoundaryBefore(static_cast<UChar32>(c))) break;
      i += n;
    }
    const std::string_view seg(t.text.data() + seg_start, i - seg_start);
    const uint32_t b = t.begin[seg_start];
    const uint32_t e = t.end[i - 1];
    UErrorCode status = U_ZERO_ERROR;
    const icu::UnicodeString src = icu::UnicodeString::fromUTF8(icu::StringPiece(seg.data(), static_cast<int32_t>(seg.size())));
    const icu::UnicodeString dst = norm.normalize(src, status);
    if (U_FAILURE(status)) {
      out.push_bytes(seg, b, e);
      continue;
    }
    std::string utf8;
    dst.toUTF8String(utf8);
    if (utf8 == seg) {
      // Unchanged: keep the finer per-character alignment.
      out.text.append(seg);
      out.begin.insert(out.begin.end(), t.begin.begin() + static_cast<std::ptrdiff_t>(seg_start), t.begin.begin() + static_cast<std::ptrdiff_t>(i));
      out.end.insert(out.end.end(), t.end.begin() + static_cast<std::ptrdiff_t>(seg_start), t.end.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      out.push_bytes(utf8, b, e);
    }
  }
  t = std::move(out);
}

const icu::Normalizer2* nfd_instance() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFDInstance(status);
  return U_SUCCESS(status) ? n : nullptr;
}

class BertNormalizer final : public Normalizer {
 public:
  BertNormalizer(bool clean_text, bool chinese, bool strip_accents, bool lowercase)
      : clean_text_(clean_text), chinese_(chinese), strip_accents_(strip_accents), lowercase_(lowercase),
        nfd_(nfd_instance()) {}

  void apply(AlignedText& t) const override {
    if (clean_text_ || chinese_) {
      map_chars(t, [&](char32_t c, auto&& emit) {
        if (clean_text_) {
          const bool control = c != '\t' && c != '\n' && c != '\r' && is_other(c);
          if (c == 0 || c == 0xFFFD || control) return;
          if (is_whitespace(c)) c = ' ';
        }
        if (chinese_ && is_chinese_char(c)) {
          emit(' ');
          emit(c);
          emit(' ');
          return;
        }
        emit(c);
      });
    }
    if (strip_accents_ && nfd_ != nullptr && !all_ascii(t.text)) {
      unicode_normalize(t, *nfd_);
      map_chars(t, [](char32_t c, auto&& emit) {
        if (c >= 0x80 && u_charType(static_cast<UChar32>(c)) == U_NON_SPACING_MARK) return;
        emit(c);
      });
    }
    if (lowercase_) map_chars(t, [](char32_t c, auto&& emit) { lower_char(c, emit); });
  }

 private:
  bool clean_text_, chinese_, strip_accents_, lowercase_;
  const icu::Normalizer2* nfd_;
};

class Lowercase final : public Normalizer {
 public:
  void apply(AlignedText& t) const override {
    map_chars(t, [](char32_t c, auto&& emit) { lower_char(c, emit); });
  }
};

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(const icu::Normalizer2* n) : norm_(n) {}
  void apply(AlignedText& t) const override { unicode_normalize(t, *norm_); }

 private:
  const icu::Normalizer2* norm_;
};

class StripAccents final : public Normalizer {
 public:
  void apply(AlignedText& t) const override {
    map_chars(t, [](char32_t c, auto&& emit) {
      if (c >= 0x80 && (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_M_MASK) != 0) return;
      emit(c);
    });
  }
};

class Strip final : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void apply(AlignedText& t) const override {
    size_t a = 0;
    size_t b = t.size();
    size_t n = 0;
    while (left_ && a < b && is_whitespace(decode_at(t.text, a, &n))) a += n;
    while (right_ && b > a) {
      size_t s = b - 1;
      while (s > a && (static_cast<unsigned char>(t.text[s]) & 0xC0) == 0x80) --s;
      if (!is_whitespace(decode_at(t.text, s, &n))) break;
      b = s;
    }
    if (a != 0 || b != t.size()) t = t.slice(a, b);
  }

 private:
  bool left_, right_;
};

class Prepend final : public Normalizer {
 public:
  explicit Prepend(std::string p) : prepend_(std::move(p)) {}
  void apply(AlignedText& t) const override {
    if (t.text.empty()) return;
    AlignedText out;
    out.push_bytes(prepend_, t.begin[0], t.begin[0]);
    out.text += t.text;
    out.begin.insert(out.begin.end(), t.begin.begin(), t.begin.end());
    out.end.insert(out.end.end(), t.end.begin(), t.end.end());
    t = std::move(out);
  }

 private:
  std::string prepend_;
};

// Byte ranges of every match of a literal or ICU regex in text.
class Matcher {
 public:
  static Result<Matcher> make(std::string pattern, bool is_regex) {
    Matcher m;
    m.literal_ = std::move(pattern);
    if (is_regex) {
      UErrorCode status = U_ZERO_ERROR;
      UParseError perr;
      m.regex_.reset(icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(m.literal_), perr, status));
      if (U_FAILURE(status)) {
        return make_error(ErrorCode::kUnsupported, "regex '" + m.literal_ + "' is not supported: " + u_errorName(status));
      }
    } else if (m.literal_.empty()) {
      return make_error(ErrorCode::kInvalidArgument, "empty split/replace pattern");
    }
    return m;
  }

  std::vector<std::pair<size_t, size_t>> find_all(const std::string& text) const {
    std::vector<std::pair<size_t, size_t>> out;
    if (!regex_) {
      size_t pos = 0;
      while ((pos = text.find(literal_, pos)) != std::string::npos) {
        out.emplace_back(pos, pos + literal_.size());
        pos += literal_.size();
      }
      return out;
    }
    // ICU works in UTF-16: map UTF-16 indices back to byte offsets.
    const icu::UnicodeString u = icu::UnicodeString::fromUTF8(text);
    std::vector<size_t> byte_at(static_cast<size_t>(u.length()) + 1, text.size());
    size_t byte = 0;
    for (int32_t k = 0; k < u.length();) {
      byte_at[static_cast<size_t>(k)] = byte;
      const UChar32 c = u.char32At(k);
      const int32_t units = U16_LENGTH(c);
      byte += static_cast<size_t>(U8_LENGTH(c));
      for (int32_t j = 1; j < units; ++j) byte_at[static_cast<size_t>(k + j)] = byte;
      k += units;
    }
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::RegexMatcher> m(regex_->matcher(u, status));
    if (U_FAILURE(status)) return out;
    while (m->find(status) && U_SUCCESS(status)) {
      const int32_t s = m->start(status);
      const int32_t e = m->end(status);
      if (e > s) out.emplace_back(byte_at[static_cast<size_t>(s)], byte_at[static_cast<size_t>(e)]);
    }
    return out;
  }

 private:
  std::string literal_;
  std::shared_ptr<icu::RegexPattern> regex_;
};

class Replace final : public Normalizer {
 public:
  Replace(Matcher m, std::string content) : matcher_(std::move(m)), content_(std::move(content)) {}
  void apply(AlignedText& t) const override {
    const auto matches = matcher_.find_all(t.text);
    if (matches.empty()) return;
    AlignedText out;
    size_t pos = 0;
    auto copy = [&](size_t a, size_t b) {
      out.text.append(t.text, a, b - a);
      out.begin.insert(out.begin.end(), t.begin.begin() + static_cast<std::ptrdiff_t>(a), t.begin.begin() + static_cast<std::ptrdiff_t>(b));
      out.end.insert(out.end.end(), t.end.begin() + static_cast<std::ptrdiff_t>(a), t.end.begin() + static_cast<std::ptrdiff_t>(b));
    };
    for (const auto& [a, b] : matches) {
      copy(pos, a);
      out.push_bytes(content_, t.begin[a], t.end[b - 1]);
      pos = b;
    }
    copy(pos, t.size());
    t = std::move(out);
  }

 private:
  Matcher matcher_;
  std::string content_;
};

class NormalizerSequence final : public Normalizer {
 public:
  explicit NormalizerSequence(std::vector<std::unique_ptr<Normalizer>> items) : items_(std::move(items)) {}
  void apply(AlignedText& t) const override {
    for (const auto& n : items_) n->apply(t);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> items_;
};

// SentencePiece's precompiled charsmap: a darts-clone double-array trie over UTF-8 byte
// strings whose values are offsets of NUL-terminated replacements. Applied as Hugging Face's
// spm_precompiled does: per extended grapheme cluster (shorter than 6 bytes) when the
// cluster as a whole has a replacement, else character by character.
class Precompiled final : public Normalizer {
 public:
  static Result<std::unique_ptr<Normalizer>> make(std::string blob) {
    if (blob.size() < 4) return make_error(ErrorCode::kCorrupt, "Precompiled: charsmap shorter than 4 bytes");
    uint32_t trie_bytes = 0;
    std::memcpy(&trie_bytes, blob.data(), 4);
    if (trie_bytes % 4 != 0 || trie_bytes > blob.size() - 4 || trie_bytes == 0) {
      return make_error(ErrorCode::kCorrupt, "Precompiled: trie size " + std::to_string(trie_bytes) +
                                                 " does not fit the " + std::to_string(blob.size()) + "-byte charsmap");
    }
    auto p = std::make_unique<Precompiled>();
    p->units_.resize(trie_bytes / 4);
    std::memcpy(p->units_.data(), blob.data() + 4, trie_bytes);
    p->normalized_ = blob.substr(4 + trie_bytes);
    return std::unique_ptr<Normalizer>(std::move(p));
  }

  void apply(AlignedText& t) const override {
    AlignedText out;
    out.text.reserve(t.size());
    size_t i = 0;
    while (i < t.size()) {
      const size_t g_end = grapheme_end(t.text, i);
      const uint32_t gb = t.begin[i];
      const uint32_t ge = t.end[g_end - 1];
      std::string_view rep;
      if (g_end - i < 6 && transform(std::string_view(t.text).substr(i, g_end - i), &rep)) {
        out.push_bytes(rep, gb, ge);
        i = g_end;
        continue;
      }
      while (i < g_end) {
        size_t n = 0;
        decode_at(t.text, i, &n);
        const uint32_t b = t.begin[i];
        const uint32_t e = t.end[i + n - 1];
        if (transform(std::string_view(t.text).substr(i, n), &rep)) {
          out.push_bytes(rep, b, e);
        } else {
          out.push_bytes(std::string_view(t.text).substr(i, n), b, e);
        }
        i += n;
      }
    }
    t = std::move(out);
  }

 private:
  // Replacement of the shortest trie key that is a prefix of `key` (spm_precompiled takes
  // the first result of the common-prefix search).
  bool transform(std::string_view key, std::string_view* rep) const {
    size_t node = 0;
    if (units_.empty()) return false;
    uint32_t unit = units_[0];
    node ^= offset(unit);
    for (const char ch : key) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == 0) return false;
      node ^= c;
      if (node >= units_.size()) return false;
      unit = units_[node];
      if (label(unit) != c) return false;
      node ^= offset(unit);
      if (node >= units_.size()) return false;
      if (has_leaf(unit)) {
        const uint32_t value = units_[node] & 0x7FFFFFFFu;
        if (value >= normalized_.size()) return false;
        const size_t z = normalized_.find('\0', value);
        *rep = std::string_view(normalized_).substr(value, (z == std::string::npos ? normalized_.size() : z) - value);
        return true;
      }
    }
    return false;
  }

  static uint32_t offset(uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); }
  static uint32_t label(uint32_t unit) { return unit & ((1u << 31) | 0xFFu); }
  static bool has_leaf(uint32_t unit) { return ((unit >> 8) & 1u) == 1u; }

  // End of the extended grapheme cluster starting at byte i (ICU character break rules).
  static size_t grapheme_end(const std::string& text, size_t i) {
    size_t n = 0;
    decode_at(text, i, &n);
    size_t j = i + n;
    UChar32 prev = static_cast<UChar32>(decode_at(text, i, &n));
    int regional = (u_getIntPropertyValue(prev, UCHAR_GRAPHEME_CLUSTER_BREAK) == U_GCB_REGIONAL_INDICATOR) ? 1 : 0;
    while (j < text.size()) {
      const UChar32 c = static_cast<UChar32>(decode_at(text, j, &n));
      if (!continues_cluster(prev, c, regional)) break;
      if (u_getIntPropertyValue(c, UCHAR_GRAPHEME_CLUSTER_BREAK) == U_GCB_REGIONAL_INDICATOR) ++regional;
      prev = c;
      j += n;
    }
    return j;
  }

  // A compact subset of UAX #29 (GB3-GB9b, GB11 ZWJ, GB12/13 flags) — enough for the
  // clusters shorter than 6 bytes that the charsmap can match whole.
  static bool continues_cluster(UChar32 prev, UChar32 c, int regional) {
    const auto pb = u_getIntPropertyValue(prev, UCHAR_GRAPHEME_CLUSTER_BREAK);
    const auto cb = u_getIntPropertyValue(c, UCHAR_GRAPHEME_CLUSTER_BREAK);
    if (pb == U_GCB_CR && cb == U_GCB_LF) return true;
    if (pb == U_GCB_CONTROL || pb == U_GCB_CR || pb == U_GCB_LF) return false;
    if (cb == U_GCB_CONTROL || cb == U_GCB_CR || cb == U_GCB_LF) return false;
    if (pb == U_GCB_L && (cb == U_GCB_L || cb == U_GCB_V || cb == U_GCB_LV || cb == U_GCB_LVT)) return true;
    if ((pb == U_GCB_LV || pb == U_GCB_V) && (cb == U_GCB_V || cb == U_GCB_T)) return true;
    if ((pb == U_GCB_LVT || pb == U_GCB_T) && cb == U_GCB_T) return true;
    if (cb == U_GCB_EXTEND || cb == U_GCB_ZWJ || cb == U_GCB_SPACING_MARK) return true;
    if (pb == U_GCB_PREPEND) return true;
    if (pb == U_GCB_ZWJ && u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC)) return true;
    if (pb == U_GCB_REGIONAL_INDICATOR && cb == U_GCB_REGIONAL_INDICATOR) return regional % 2 == 1;
    return false;
  }

  std::vector<uint32_t> units_;
  std::string normalized_;
};

}  // namespace

std::unique_ptr<Normalizer> make_bert_normalizer(bool clean_text, bool handle_chinese_chars,
                                                 std::optional<bool> strip_accents, bool lowercase) {
  // HF: strip_accents unset follows lowercase.
  return std::make_unique<BertNormalizer>(clean_text, handle_chinese_chars, strip_accents.value_or(lowercase), lowercase);
}

std::unique_ptr<Normalizer> make_lowercase() { return std::make_unique<Lowercase>(); }

Result<std::unique_ptr<Normalizer>> make_unicode_normalizer(std::string_view form) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = nullptr;
  if (form == "NFC") n = icu::Normalizer2::getNFCInstance(status);
  else if (form == "NFD") n = icu::Normalizer2::getNFDInstance(status);
  else if (form == "NFKC") n = icu::Normalizer2::getNFKCInstance(status);
  else if (form == "NFKD") n = icu::Normalizer2::getNFKDInstance(status);
  else return make_error(ErrorCode::kUnsupported, "unknown Unicode normal form " + std::string(form));
  if (U_FAILURE(status) || n == nullptr) {
    return make_error(ErrorCode::kUnsupported, "ICU has no data for " + std::string(form));
  }
  return std::unique_ptr<Normalizer>(std::make_unique<UnicodeNormalizer>(n));
}

std::unique_ptr<Normalizer> make_strip_accents() { return std::make_unique<StripAccents>(); }
std::unique_ptr<Normalizer> make_strip(bool left, bool right) { return std::make_unique<Strip>(left, right); }
std::unique_ptr<Normalizer> make_prepend(std::string prepend) { return std::make_unique<Prepend>(std::move(prepend)); }

Result<std::unique_ptr<Normalizer>> make_replace(std::string pattern, bool is_regex, std::string content) {
  auto m = Matcher::make(std::move(pattern), is_regex);
  if (!m) return tl::unexpected(m.error());
  return std::unique_ptr<Normalizer>(std::make_unique<Replace>(std::move(*m), std::move(content)));
}

Result<std::unique_ptr<Normalizer>> make_precompiled(std::string charsmap) {
  return Precompiled::make(std::move(charsmap));
}

std::unique_ptr<Normalizer> make_normalizer_sequence(std::vector<std::unique_ptr<Normalizer>> items) {
  return std::make_unique<NormalizerSequence>(std::move(items));
}

// ---- pre-tokenizers -------------------------------------------------------------------

namespace {

// Matches of a per-character predicate (each char its own match, or runs when contiguous).
template <typename Pred>
std::vector<std::pair<size_t, size_t>> char_matches(const std::string& s, Pred pred) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t n = 0;
    const char32_t c = decode_at(s, i, &n);
    if (pred(c)) out.emplace_back(i, i + n);
    i += n;
  }
  return out;
}

template <typename F>
void for_each_piece(std::vector<AlignedText>& pieces, F&& f) {
  std::vector<AlignedText> out;
  out.reserve(pieces.size() * 2);
  for (auto& p : pieces) f(p, out);
  pieces = std::move(out);
}

class BertPreTokenizer final : public PreTokenizer {
 public:
  void apply(std::vector<AlignedText>& pieces, bool) const override {
    for_each_piece(pieces, [](AlignedText& p, std::vector<AlignedText>& out) {
      std::vector<AlignedText> words;
      split_by(p, char_matches(p.text, [](char32_t c) { return is_whitespace(c); }), SplitBehavior::kRemoved, words);
      for (auto& w : words) {
        split_by(w, char_matches(w.text, [](char32_t c) { return is_bert_punctuation(c); }), SplitBehavior::kIsolated, out);
      }
    });
  }
};

class WhitespaceSplit final : public PreTokenizer {
 public:
  void apply(std::vector<AlignedText>& pieces, bool) const override {
    for_each_piece(pieces, [](AlignedText& p, std::vector<AlignedText>& out) {
      split_by(p, char_matches(p.text, [](char32_t c) { return is_whitespace(c); }), SplitBehavior::kRemoved, out);
    });
  }
};

// \w+|[^\w\s]+
class Whitespace final : public PreTokenizer {
 public:
  void apply(std::vector<AlignedText>& pieces, bool) const override {
    for_each_piece(pieces, [](AlignedText& p, std::vector<AlignedText>& out) {
      std::vector<std::pair<size_t, size_t>> runs;
      size_t i = 0;
      int cls_prev = -1;
      while (i < p.size()) {
        size_t n = 0;
        const char32_t c = decode_at(p.text, i, &n);
        const int cls = is_word_char(c) ? 0 : (is_whitespace(c) ? 2 : 1);
        if (cls != 2) {
          if (cls == cls_prev && !runs.empty() && runs.back().second == i) runs.back().second = i + n;
          else runs.emplace_back(i, i + n);
        }
        cls_prev = cls;
        i += n;
      }
      for (const auto& [a, b] : runs) out.push_back(p.slice(a, b));
    });
  }
};

class Punctuation final : public PreTokenizer {
 public:
  explicit Punctuation(SplitBehavior b) : behavior_(b) {}
  void apply(std::vector<AlignedText>& pieces, bool) const override {
    for_each_piece(pieces, [&](AlignedText& p, std::vector<AlignedText>& out) {
      split_by(p, char_matches(p.text, [](char32_t c) { return is_bert_punctuation(c); }), behavior_, out);
    });
  }

 private:
  SplitBehavior behavior_;
};

class Digits final : public PreTokenizer {
 public:
  explicit Digits(bool individual) : individual_(individual) {}
  void apply(std::vector<AlignedText>& pieces, bool) const override {
    for_each_piece(pieces, [&](AlignedText& p, std::vector<AlignedText>& out) {
      split_by(p, char_matches(p.text, [](char32_t c) { return is_number(c); }),
               individual_ ? SplitBehavior::kIsolated : SplitBehavior::kContiguous, out);
    });
  }

 private:
  bool individual_;
};

class SplitPreTokenizer final : public PreTokenizer {
 public:
  SplitPreTokenizer(Matcher m, SplitBehavior b, bool invert) : matcher_(std::move(m)), behavior_(b), invert_(invert) {}
  void apply(std::vector<AlignedText>& pieces, bool) const override {
    for_each_piece(pieces, [&](AlignedText& p, std::vector<AlignedText>& out) {
      auto matches = matcher_.find_all(p.text);
      if (invert_) {
        std::vector<std::pair<size_t, size_t>> inv;
        size_t pos = 0;
        for (const auto& [a, b] : matches) {
          if (a > pos) inv.emplace_back(pos, a);
          pos = b;
        }
        if (pos < p.size()) inv.emplace_back(pos, p.size());
        matches = std::move(inv);
      }
      split_by(p, matches, behavior_, out);
    });
  }

 private:
  Matcher matcher_;
  SplitBehavior behavior_;
  bool invert_;
};

// GPT-2's pattern, hand-matched:
// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
std::vector<std::pair<size_t, size_t>> gpt2_matches(const std::string& s) {
  std::vector<std::pair<size_t, size_t>> out;
  auto at = [&](size_t i, size_t* n) { return decode_at(s, i, n); };
  auto kind = [](char32_t c) { return is_letter(c) ? 0 : is_number(c) ? 1 : is_whitespace(c) ? 3 : 2; };
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '\'') {
      static constexpr std::string_view kSuffixes[] = {"s", "t", "re", "ve", "m", "ll", "d"};
      bool hit = false;
      for (const auto suf : kSuffixes) {
        if (s.compare(i + 1, suf.size(), suf) == 0 && i + 1 + suf.size() <= s.size()) {
          out.emplace_back(i, i + 1 + suf.size());
          i += 1 + suf.size();
          hit = true;
          break;
        }
      }
      if (hit) continue;
    }
    size_t n = 0;
    size_t j = i;
    if (s[i] == ' ' && i + 1 < s.size()) j = i + 1;
    const int k = kind(at(j, &n));
    if (k != 3 && (j == i || s[i] == ' ')) {
      // ` ?X+` for X in letters, numbers, other.
      size_t e = j;
      while (e < s.size()) {
        const char32_t c = at(e, &n);
        if (kind(c) != k) break;
        e += n;
      }
      out.emplace_back(i, e);
      i = e;
      continue;
    }
    // Whitespace run [i, e).
    size_t e = i;
    size_t last = i;
    while (e < s.size()) {
      const char32_t c = at(e, &n);
      if (!is_whitespace(c)) break;
      last = e;
      e += n;
    }
    if (e < s.size() && last > i) e = last;  // \s+(?!\S): leave the last space to the next word
    out.emplace_back(i, e);
    i = e;
  }
  return out;
}

class ByteLevel final : public PreTokenizer {
 public:
  ByteLevel(bool add_prefix_space, bool use_regex) : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {}
  void apply(std::vector<AlignedText>& pieces, bool) const override {
    for_each_piece(pieces, [&](AlignedText& p, std::vector<AlignedText>& out) {
      AlignedText src;
      if (add_prefix_space_ && !p.text.empty() && p.text[0] != ' ') {
        src.push(' ', p.begin[0], p.begin[0]);
        src.text += p.text;
        src.begin.insert(src.begin.end(), p.begin.begin(), p.begin.end());
        src.end.insert(src.end.end(), p.end.begin(), p.end.end());
      } else {
        src = std::move(p);
      }
      std::vector<AlignedText> words;
      if (use_regex_) {
        split_by(src, gpt2_matches(src.text), SplitBehavior::kIsolated, words);
      } else {
        words.push_back(std::move(src));
      }
      for (auto& w : words) {
        AlignedText mapped;
        mapped.text.reserve(w.size() * 2);
        for (size_t i = 0; i < w.size(); ++i) {
          mapped.push_bytes(byte_level_char(static_cast<uint8_t>(w.text[i])), w.begin[i], w.end[i]);
        }
        out.push_back(std::move(mapped));
      }
    });
  }

 private:
  bool add_prefix_space_, use_regex_;
};

class Metaspace final : public PreTokenizer {
 public:
  Metaspace(std::string replacement, std::string prepend, bool split)
      : replacement_(std::move(replacement)), prepend_(std::move(prepend)), split_(split) {}
  void apply(std::vector<AlignedText>& pieces, bool first) const override {
    bool first_piece = true;
    for_each_piece(pieces, [&](AlignedText& p, std::vector<AlignedText>& out) {
      AlignedText r;
      r.text.reserve(p.size() + 3);
      const bool prepend = prepend_ == "always" || (prepend_ == "first" && first && first_piece);
      first_piece = false;
      if (prepend && !p.text.empty() && p.text.compare(0, replacement_.size(), replacement_) != 0 && p.text[0] != ' ') {
        r.push_bytes(replacement_, p.begin[0], p.begin[0]);
      }
      for (size_t i = 0; i < p.size(); ++i) {
        if (p.text[i] == ' ') r.push_bytes(replacement_, p.begin[i], p.end[i]);
        else r.push_bytes(std::string_view(&p.text[i], 1), p.begin[i], p.end[i]);
      }
      if (!split_) {
        out.push_back(std::move(r));
        return;
      }
      std::vector<std::pair<size_t, size_t>> matches;
      size_t pos = 0;
      while ((pos = r.text.find(replacement_, pos)) != std::string::npos) {
        matches.emplace_back(pos, pos + replacement_.size());
        pos += replacement_.size();
      }
      split_by(r, matches, SplitBehavior::kMergedWithNext, out);
    });
  }

 private:
  std::string replacement_;
  std::string prepend_;
  bool split_;
};

class PreTokenizerSequence final : public PreTokenizer {
 public:
  explicit PreTokenizerSequence(std::vector<std::unique_ptr<PreTokenizer>> items) : items_(std::move(items)) {}
  void apply(std::vector<AlignedText>& pieces, bool first) const override {
    for (const auto& p : items_) p->apply(pieces, first);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> items_;
};

}  // namespace

const std::string& byte_level_char(uint8_t byte) {
  static const std::vector<std::string> table = [] {
    std::vector<std::string> t(256);
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + extra++);
      append_utf8(t[static_cast<size_t>(b)], cp);
    }
    return t;
  }();
  return table[byte];
}

std::unique_ptr<PreTokenizer> make_bert_pre_tokenizer() { return std::make_unique<BertPreTokenizer>(); }
std::unique_ptr<PreTokenizer> make_whitespace() { return std::make_unique<Whitespace>(); }
std::unique_ptr<PreTokenizer> make_whitespace_split() { return std::make_unique<WhitespaceSplit>(); }
std::unique_ptr<PreTokenizer> make_punctuation(SplitBehavior behavior) { return std::make_unique<Punctuation>(behavior); }
std::unique_ptr<PreTokenizer> make_digits(bool individual) { return std::make_unique<Digits>(individual); }

Result<std::unique_ptr<PreTokenizer>> make_split(std::string pattern, bool is_regex, SplitBehavior behavior, bool invert) {
  auto m = Matcher::make(std::move(pattern), is_regex);
  if (!m) return tl::unexpected(m.error());
  return std::unique_ptr<PreTokenizer>(std::make_unique<SplitPreTokenizer>(std::move(*m), behavior, invert));
}

std::unique_ptr<PreTokenizer> make_byte_level(bool add_prefix_space, bool use_regex) {
  return std::make_unique<ByteLevel>(add_prefix_space, use_regex);
}

std::unique_ptr<PreTokenizer> make_metaspace(std::string replacement, std::string prepend, bool split) {
  return std::make_unique<Metaspace>(std::move(replacement), std::move(prepend), split);
}

std::unique_ptr<PreTokenizer> make_pre_tokenizer_sequence(std::vector<std::unique_ptr<PreTokenizer>> items) {
  return std::make_unique<PreTokenizerSequence>(std::move(items));
}

}  // namespace crema::nn::tok
