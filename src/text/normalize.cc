// normalize(): two stages over a code-point array that remembers where each code point came
// from in the raw bytes.
//
// Stage 1 (decode) turns bytes into code points (invalid UTF-8 -> U+FFFD) and then applies,
// until nothing changes, the rewrites whose results can form new input for one another:
// mojibake repair, dropping invisible characters, HTML entity decoding. Running them to a
// fixed point ("&amp;lt;" -> "<", "Ã&copy;" -> "é", "&am\x01p;" -> "&") is what makes
// normalize() idempotent.
// Stage 2 (render) writes the output: URLs, mentions, emoji names, whitespace runs. Nothing it
// writes can start a stage-1 pattern (emoji names are padded with spaces, replacements are
// plain ASCII words), so its output is stable too.
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <array>
#include <string>
#include <unordered_map>
#include <vector>

#include "crema/text/normalize.h"
#include "html_entities.h"

namespace crema::text {
namespace {

struct CodePoint {
  char32_t c;
  uint32_t offset;  // raw byte offset of the first byte this code point came from
  bool exact;       // true if raw holds exactly this code point's UTF-8 bytes at offset
};

using CodePoints = std::vector<CodePoint>;

constexpr char32_t kReplacement = 0xFFFD;
constexpr char32_t kZwj = 0x200D;
constexpr char32_t kKeycap = 0x20E3;

bool is_ascii_alnum(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_alnum(char32_t c) {
  if (c < 0x80) return is_ascii_alnum(c);
  return u_isalnum(static_cast<UChar32>(c)) != 0;
}

bool is_space(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= '\t' && c <= '\r');
  return u_isUWhiteSpace(static_cast<UChar32>(c)) != 0;
}

bool is_skin_tone(char32_t c) { return c >= 0x1F3FB && c <= 0x1F3FF; }
bool is_regional_indicator(char32_t c) { return c >= 0x1F1E6 && c <= 0x1F1FF; }

bool is_pictographic(char32_t c) {
  // Cheap range test first: every Extended_Pictographic code point lies in these ranges.
  if (c != 0xA9 && c != 0xAE && !(c >= 0x2000 && c < 0x3300) && !(c >= 0x1F000 && c < 0x20000)) {
    return false;
  }
  return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_EXTENDED_PICTOGRAPHIC) != 0;
}

// Invisible code points that are dropped everywhere (ZWJ is decided by its neighbours).
bool is_ignorable(char32_t c, bool drop_skin_tones) {
  if (c < 0x80) return (c < 0x20 && !is_space(c)) || c == 0x7F;
  if (c < 0xA0) return c != 0x85;  // C1 controls; U+0085 (NEL) is whitespace
  if (c < 0x2000) return c == 0xAD || c == 0x61C || c == 0x180E;
  if (c <= 0x206F) {
    return c == 0x200B || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2060 && c <= 0x2064) || (c >= 0x2066 && c <= 0x2069);
  }
  if (c >= 0xFE00 && c <= 0xFE0F) return true;  // variation selectors
  if (c == 0xFEFF) return true;                 // BOM / zero-width no-break space
  if (c >= 0xE0000 && c <= 0xE007F) return true;  // tags (subdivision flags)
  if (c >= 0xE0100 && c <= 0xE01EF) return true;  // variation selectors supplement
  return drop_skin_tones && is_skin_tone(c);
}

// Decodes the code point at bytes[i] and advances i; an ill-formed sequence yields -1 and
// advances over its maximal subpart (one U+FFFD per subpart, as ICU and WHATWG do).
int32_t next_code_point(const uint8_t* bytes, size_t size, size_t& i) {
  const size_t remaining = size - i;
  const int32_t window = remaining > 4 ? 4 : static_cast<int32_t>(remaining);
  int32_t k = 0;
  UChar32 c = 0;
  U8_NEXT(bytes + i, k, window, c);
  i += static_cast<size_t>(k);
  return c;
}

void decode_utf8(std::string_view raw, CodePoints& out) {
  out.clear();
  out.reserve(raw.size());
  const auto* bytes = reinterpret_cast<const uint8_t*>(raw.data());
  size_t i = 0;
  while (i < raw.size()) {
    if (bytes[i] < 0x80) {
      out.push_back({bytes[i], static_cast<uint32_t>(i), true});
      ++i;
      continue;
    }
    const auto start = static_cast<uint32_t>(i);
    const auto c = next_code_point(bytes, raw.size(), i);
    if (c < 0) {
      out.push_back({kReplacement, start, false});
    } else {
      out.push_back({static_cast<char32_t>(c), start, true});
    }
  }
}

// ---- mojibake ------------------------------------------------------------------------------

// The byte that Windows-1252 (or Latin-1, for its C1 controls) decodes to c, or -1.
int cp1252_byte(char32_t c) {
  if (c >= 0x80 && c <= 0xFF) return static_cast<int>(c);
  switch (c) {
    case 0x20AC: return 0x80;
    case 0x201A: return 0x82;
    case 0x0192: return 0x83;
    case 0x201E: return 0x84;
    case 0x2026: return 0x85;
    case 0x2020: return 0x86;
    case 0x2021: return 0x87;
    case 0x02C6: return 0x88;
    case 0x2030: return 0x89;
    case 0x0160: return 0x8A;
    case 0x2039: return 0x8B;
    case 0x0152: return 0x8C;
    case 0x017D: return 0x8E;
    case 0x2018: return 0x91;
    case 0x2019: return 0x92;
    case 0x201C: return 0x93;
    case 0x201D: return 0x94;
    case 0x2022: return 0x95;
    case 0x2013: return 0x96;
    case 0x2014: return 0x97;
    case 0x02DC: return 0x98;
    case 0x2122: return 0x99;
    case 0x0161: return 0x9A;
    case 0x203A: return 0x9B;
    case 0x0153: return 0x9C;
    case 0x017E: return 0x9E;
    case 0x0178: return 0x9F;
    default: return -1;
  }
}

// Characters that correct text often puts right after an accented capital or letter
// ("JOSÉ’S", "olé…"). A lone candidate whose continuation characters are all of these is
// left alone unless its lead is one of the usual mojibake leads.
bool is_natural_follower(char32_t c) {
  switch (c) {
    case 0x2019: case 0x2018: case 0x201C: case 0x201D: case 0x201A: case 0x201E:
    case 0x2026: case 0x2013: case 0x2014: case 0x2022: case 0x2039: case 0x203A:
    case 0xAB: case 0xBB: case 0xA1: case 0xBF: case 0xA0: case 0xB0: case 0xAE:
    case 0xA9: case 0x2122: case 0xAA: case 0xBA: case 0xB9: case 0xB2: case 0xB3:
    case 0xB4: case 0xB7:
      return true;
    default:
      return false;
  }
}

struct Candidate {
  size_t start;
  size_t length;  // code points consumed
  char32_t value;
  bool strong;
};

// A candidate at cps[i]: 2-4 code points whose Windows-1252 bytes form one valid multi-byte
// UTF-8 sequence.
bool mojibake_candidate(const CodePoints& cps, size_t i, Candidate& out) {
  const char32_t lead = cps[i].c;
  if (lead < 0xC2 || lead > 0xF4) return false;
  const size_t n = lead < 0xE0 ? 2 : (lead < 0xF0 ? 3 : 4);
  if (i + n > cps.size()) return false;
  std::array<uint8_t, 4> bytes{static_cast<uint8_t>(lead), 0, 0, 0};
  bool strong = lead == 0xC2 || lead == 0xC3 || lead == 0xE2 || lead == 0xF0;
  for (size_t k = 1; k < n; ++k) {
    const int b = cp1252_byte(cps[i + k].c);
    if (b < 0x80 || b > 0xBF) return false;
    bytes[k] = static_cast<uint8_t>(b);
    if (!is_natural_follower(cps[i + k].c)) strong = true;
  }
  // U8_NEXT rejects overlongs, surrogates and values above U+10FFFF.
  int32_t pos = 0;
  UChar32 c = 0;
  U8_NEXT(bytes.data(), pos, static_cast<int32_t>(n), c);
  if (c < 0 || static_cast<size_t>(pos) != n) return false;
  out = Candidate{i, n, static_cast<char32_t>(c), strong};
  return true;
}

// Repairs runs of adjacent candidates; a run is accepted if it has several candidates or a
// strong one. Returns true if anything changed.
bool repair_mojibake(CodePoints& cps, CodePoints& scratch, std::vector<Candidate>& found) {
  found.clear();
  for (size_t i = 0; i < cps.size();) {
    Candidate cand{};
    if (mojibake_candidate(cps, i, cand)) {
      found.push_back(cand);
      i += cand.length;
    } else {
      ++i;
    }
  }
  if (found.empty()) return false;
  // Mark rejected runs by zeroing their length.
  for (size_t r = 0; r < found.size();) {
    size_t end = r + 1;
    bool strong = found[r].strong;
    while (end < found.size() && found[end].start == found[end - 1].start + found[end - 1].length) {
      strong = strong || found[end].strong;
      ++end;
    }
    if (end - r == 1 && !strong) found[r].length = 0;
    r = end;
  }
  bool changed = false;
  scratch.clear();
  size_t next = 0;
  for (size_t i = 0; i < cps.size();) {
    while (next < found.size() && (found[next].start < i || found[next].length == 0)) ++next;
    if (next < found.size() && found[next].start == i) {
      scratch.push_back({found[next].value, cps[i].offset, false});
      i += found[next].length;
      changed = true;
    } else {
      scratch.push_back(cps[i]);
      ++i;
    }
  }
  if (changed) cps.swap(scratch);
  return changed;
}

// ---- invisible characters ------------------------------------------------------------------

bool drop_ignorables(CodePoints& cps, bool drop_skin_tones) {
  size_t w = 0;
  bool changed = false;
  for (size_t i = 0; i < cps.size(); ++i) {
    const char32_t c = cps[i].c;
    bool drop = is_ignorable(c, drop_skin_tones);
    if (c == kZwj) {
      // Kept only inside an emoji sequence: pictograph (ZWJ) pictograph.
      size_t j = i + 1;
      while (j < cps.size() && is_ignorable(cps[j].c, drop_skin_tones)) ++j;
      const bool prev_ok = w > 0 && is_pictographic(cps[w - 1].c);
      const bool next_ok = j < cps.size() && is_pictographic(cps[j].c);
      drop = !(prev_ok && next_ok);
    }
    if (drop) {
      changed = true;
      continue;
    }
    cps[w++] = cps[i];
  }
  cps.resize(w);
  return changed;
}

// ---- HTML entities -------------------------------------------------------------------------

// HTML5 maps numeric references in 0x80-0x9F to the Windows-1252 characters they meant.
char32_t numeric_reference_value(uint64_t v) {
  if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return kReplacement;
  if (v >= 0x80 && v <= 0x9F) {
    for (char32_t c : {0x20AC, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030,
                       0x0160, 0x2039, 0x0152, 0x017D, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
                       0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x017E, 0x0178}) {
      if (static_cast<uint64_t>(cp1252_byte(c)) == v) return c;
    }
  }
  return static_cast<char32_t>(v);
}

int hex_value(char32_t c) {
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<int>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<int>(c - 'A' + 10);
  return -1;
}

// Parses an entity starting at cps[i] == '&'. On success sets value and the index one past ';'.
bool parse_entity(const CodePoints& cps, size_t i, char32_t& value, size_t& end) {
  constexpr size_t kMaxDigits = 10;
  size_t j = i + 1;
  if (j < cps.size() && cps[j].c == '#') {
    ++j;
    const bool hex = j < cps.size() && (cps[j].c == 'x' || cps[j].c == 'X');
    if (hex) ++j;
    const size_t digits_start = j;
    uint64_t v = 0;
    while (j < cps.size() && j - digits_start < kMaxDigits + 1) {
      const int d = hex ? hex_value(cps[j].c) : (cps[j].c >= '0' && cps[j].c <= '9'
                                                       ? static_cast<int>(cps[j].c - '0')
                                                       : -1);
      if (d < 0) break;
      v = v * (hex ? 16u : 10u) + static_cast<uint64_t>(d);
      ++j;
    }
    const size_t digits = j - digits_start;
    if (digits == 0 || digits > kMaxDigits || j >= cps.size() || cps[j].c != ';') return false;
    value = numeric_reference_value(v);
    end = j + 1;
    return true;
  }
  char name[detail::kMaxEntityNameLength];
  size_t n = 0;
  while (j < cps.size() && is_ascii_alnum(cps[j].c)) {
    if (n == detail::kMaxEntityNameLength) return false;
    name[n++] = static_cast<char>(cps[j].c);
    ++j;
  }
  if (n == 0 || j >= cps.size() || cps[j].c != ';') return false;
  const auto found = detail::lookup_html_entity(std::string_view(name, n));
  if (!found) return false;
  value = *found;
  end = j + 1;
  return true;
}

bool decode_entities(CodePoints& cps) {
  size_t w = 0;
  bool changed = false;
  for (size_t i = 0; i < cps.size();) {
    char32_t value = 0;
    size_t end = 0;
    if (cps[i].c == '&' && parse_entity(cps, i, value, end)) {
      cps[w++] = {value, cps[i].offset, false};
      i = end;
      changed = true;
      continue;
    }
    cps[w++] = cps[i++];
  }
  cps.resize(w);
  return changed;
}

bool needs_stage1(std::string_view raw, const NormalizeOptions& options) {
  for (const char ch : raw) {
    const auto b = static_cast<uint8_t>(ch);
    if (b >= 0x80 || b < 0x20 || b == 0x7F || (ch == '&' && options.decode_html)) return true;
  }
  return false;
}

struct Scratch {
  CodePoints cps;
  CodePoints tmp;
  std::vector<Candidate> candidates;
};

void decode(std::string_view raw, const NormalizeOptions& options, Scratch& s) {
  decode_utf8(raw, s.cps);
  if (!needs_stage1(raw, options)) return;
  // Each pass that changes something shortens the array, so this terminates.
  for (;;) {
    bool changed = false;
    if (options.repair_mojibake) changed |= repair_mojibake(s.cps, s.tmp, s.candidates);
    changed |= drop_ignorables(s.cps, options.emoji_names);
    if (options.decode_html) changed |= decode_entities(s.cps);
    if (!changed) break;
  }
}

// ---- stage 2 -------------------------------------------------------------------------------

// ":crying_face:" for U+1F622, from ICU's character name; empty if the code point has none.
const std::string& emoji_name(char32_t c) {
  thread_local std::unordered_map<char32_t, std::string> cache;
  auto [it, inserted] = cache.try_emplace(c);
  if (inserted) {
    char buf[128];
    UErrorCode status = U_ZERO_ERROR;
    const int32_t len = u_charName(static_cast<UChar32>(c), U_UNICODE_CHAR_NAME, buf,
                                   static_cast<int32_t>(sizeof buf), &status);
    if (U_SUCCESS(status) && len > 0 && len < static_cast<int32_t>(sizeof buf)) {
      std::string& name = it->second;
      name.reserve(static_cast<size_t>(len) + 2);
      name.push_back(':');
      for (int32_t k = 0; k < len; ++k) {
        const char ch = buf[k];
        name.push_back(ch == ' ' ? '_' : (ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch + 32) : ch));
      }
      name.push_back(':');
    }
  }
  return it->second;
}

bool ascii_equal_ci(const CodePoints& cps, size_t i, std::string_view lower) {
  if (i + lower.size() > cps.size()) return false;
  for (size_t k = 0; k < lower.size(); ++k) {
    char32_t c = cps[i + k].c;
    if (c >= 'A' && c <= 'Z') c += 32;
    if (c != static_cast<char32_t>(lower[k])) return false;
  }
  return true;
}

bool url_char(char32_t c) {
  if (c < 0x80) return c > ' ' && c != '"' && c != '<' && c != '>' && c != 0x7F;
  if (is_space(c)) return false;
  // Non-ASCII letters, digits and marks can be part of an IRI; symbols (…, emoji) end it.
  const int8_t type = u_charType(static_cast<UChar32>(c));
  return u_isalnum(static_cast<UChar32>(c)) || type == U_NON_SPACING_MARK ||
         type == U_COMBINING_SPACING_MARK;
}

// Length in code points of a URL starting at cps[i], or 0.
size_t match_url(const CodePoints& cps, size_t i) {
  if (i > 0 && is_alnum(cps[i - 1].c)) return 0;
  size_t prefix = 0;
  if (ascii_equal_ci(cps, i, "http://")) prefix = 7;
  else if (ascii_equal_ci(cps, i, "https://")) prefix = 8;
  else if (ascii_equal_ci(cps, i, "www.")) prefix = 4;
  else return 0;
  size_t end = i + prefix;
  int parens = 0;
  int brackets = 0;
  while (end < cps.size() && url_char(cps[end].c)) {
    const char32_t c = cps[end].c;
    parens += c == '(' ? 1 : (c == ')' ? -1 : 0);
    brackets += c == '[' ? 1 : (c == ']' ? -1 : 0);
    ++end;
  }
  // Trailing punctuation belongs to the sentence; a closing bracket only when unbalanced.
  while (end > i + prefix) {
    const char32_t c = cps[end - 1].c;
    if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '\'' ||
        c == '*') {
      --end;
    } else if (c == ')' && parens < 0) {
      ++parens;
      --end;
    } else if (c == ']' && brackets < 0) {
      ++brackets;
      --end;
    } else {
      break;
    }
  }
  return end > i + prefix ? end - i : 0;
}

bool mention_char(char32_t c) { return is_ascii_alnum(c) || c == '_'; }

// Length in code points of an @mention starting at cps[i] == '@', or 0.
size_t match_mention(const CodePoints& cps, size_t i) {
  if (i > 0 && (is_alnum(cps[i - 1].c) || cps[i - 1].c == '_')) return 0;  // e-mail address
  size_t end = i + 1;
  while (end < cps.size() && mention_char(cps[end].c)) ++end;
  const size_t name_length = end - i - 1;
  return name_length >= 1 && name_length <= 15 ? end - i : 0;
}

template <bool kTrack>
class Writer {
 public:
  Writer(std::string& text, std::vector<uint32_t>* offsets) : text_(text), offsets_(offsets) {}

  void space(uint32_t offset) {
    if (text_.empty() || pending_space_) return;
    pending_space_ = true;
    pending_offset_ = offset;
  }

  // Bytes of one code point; exact ones map byte by byte, others all to offset.
  void code_point(char32_t c, uint32_t offset, bool exact) {
    flush_space();
    char buf[U8_MAX_LENGTH];
    int32_t len = 0;
    U8_APPEND_UNSAFE(buf, len, static_cast<UChar32>(c));
    text_.append(buf, static_cast<size_t>(len));
    if constexpr (kTrack) {
      for (int32_t k = 0; k < len; ++k) {
        offsets_->push_back(exact ? offset + static_cast<uint32_t>(k) : offset);
      }
    }
  }

  void ascii(char c, uint32_t offset) {
    flush_space();
    text_.push_back(c);
    if constexpr (kTrack) offsets_->push_back(offset);
  }

  void token(std::string_view s, uint32_t offset) {
    flush_space();
    text_.append(s);
    if constexpr (kTrack) offsets_->insert(offsets_->end(), s.size(), offset);
  }

  // A token kept apart from its neighbours by spaces (emoji names).
  void padded_token(std::string_view s, uint32_t offset) {
    space(offset);
    token(s, offset);
    space(offset);
  }

 private:
  void flush_space() {
    if (!pending_space_) return;
    pending_space_ = false;
    text_.push_back(' ');
    if constexpr (kTrack) offsets_->push_back(pending_offset_);
  }

  std::string& text_;
  std::vector<uint32_t>* offsets_;
  bool pending_space_ = false;
  uint32_t pending_offset_ = 0;
};

template <bool kTrack>
void render(const CodePoints& cps, const NormalizeOptions& options, Writer<kTrack>& out) {
  for (size_t i = 0; i < cps.size();) {
    const CodePoint& cp = cps[i];
    const char32_t c = cp.c;
    if (c < 0x80) {
      if (is_space(c)) {
        out.space(cp.offset);
        ++i;
        continue;
      }
      if (options.replace_urls && (c == 'h' || c == 'H' || c == 'w' || c == 'W')) {
        if (const size_t n = match_url(cps, i)) {
          out.token("HTTPURL", cp.offset);
          i += n;
          continue;
        }
      }
      if (options.replace_mentions && c == '@') {
        if (const size_t n = match_mention(cps, i)) {
          out.token("@USER", cp.offset);
          i += n;
          continue;
        }
      }
      if (options.emoji_names && i + 1 < cps.size() && cps[i + 1].c == kKeycap &&
          ((c >= '0' && c <= '9') || c == '#' || c == '*')) {
        char name[] = ":keycap_X:";
        name[8] = static_cast<char>(c);
        out.padded_token(name, cp.offset);
        i += 2;
        continue;
      }
      out.ascii(static_cast<char>(c), cp.offset);
      ++i;
      continue;
    }
    if (is_space(c)) {
      out.space(cp.offset);
      ++i;
      continue;
    }
    if (options.emoji_names) {
      if (is_regional_indicator(c)) {
        if (i + 1 < cps.size() && is_regional_indicator(cps[i + 1].c)) {
          char name[] = ":flag_XX:";
          name[6] = static_cast<char>('A' + (c - 0x1F1E6));
          name[7] = static_cast<char>('A' + (cps[i + 1].c - 0x1F1E6));
          out.padded_token(name, cp.offset);
          i += 2;
          continue;
        }
        out.padded_token(emoji_name(c), cp.offset);
        ++i;
        continue;
      }
      if (c == kZwj) {  // joins two pictographs; each is named on its own
        ++i;
        continue;
      }
      if (is_pictographic(c)) {
        const std::string& name = emoji_name(c);
        if (!name.empty()) {
          out.padded_token(name, cp.offset);
          ++i;
          continue;
        }
      }
    }
    out.code_point(c, cp.offset, cp.exact);
    ++i;
  }
}

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

}  // namespace

NormalizedText normalize(std::string_view raw, const NormalizeOptions& options) {
  Scratch& s = scratch();
  decode(raw, options, s);
  NormalizedText result;
  result.text.reserve(raw.size() + 16);
  result.offsets.reserve(raw.size() + 17);
  Writer<true> writer(result.text, &result.offsets);
  render(s.cps, options, writer);
  result.offsets.push_back(static_cast<uint32_t>(raw.size()));
  return result;
}

std::string normalize_text(std::string_view raw, const NormalizeOptions& options) {
  Scratch& s = scratch();
  decode(raw, options, s);
  std::string text;
  text.reserve(raw.size() + 16);
  Writer<false> writer(text, nullptr);
  render(s.cps, options, writer);
  return text;
}

bool is_valid_utf8(std::string_view s) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(s.data());
  size_t i = 0;
  while (i < s.size()) {
    if (bytes[i] < 0x80) {
      ++i;
      continue;
    }
    if (next_code_point(bytes, s.size(), i) < 0) return false;
  }
  return true;
}

}  // namespace crema::text
