// crema/text/normalize.h: the text normalisation every model sees (CHO §3.5, CReMa §III-B3),
// language identification, and the word tokeniser shared by dedup, classifiers and encoders.
//
// normalize() turns a raw post into the form models are trained on: URLs -> "HTTPURL",
// @mentions -> "@USER", HTML entities decoded, mojibake (UTF-8 read as Latin-1/CP1252)
// repaired, emojis -> their names (":face_with_tears_of_joy:" style from ICU character names),
// control characters dropped and every run of whitespace (incl. newlines) -> one space,
// trimmed. It keeps a byte map back to the raw text so that later extraction can point at
// the original bytes. All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crema::text {

struct NormalizeOptions {
  bool replace_urls = true;      // http(s)://…, www.… -> HTTPURL
  bool replace_mentions = true;  // @name -> @USER
  bool decode_html = true;       // &amp; &lt; &#39; &#x1F600; …
  bool emoji_names = true;       // 😢 -> :crying_face:
  bool repair_mojibake = true;   // "cafÃ©" -> "café"
};

struct NormalizedText {
  std::string text;  // valid UTF-8
  // offsets[i] is the byte offset in the raw input of the byte that produced text[i];
  // offsets.size() == text.size() + 1 and offsets.back() == raw.size(). Non-decreasing.
  std::vector<uint32_t> offsets;
};

// Normalises raw (which may contain invalid UTF-8: invalid bytes become U+FFFD).
NormalizedText normalize(std::string_view raw, const NormalizeOptions& options = {});

// Same as normalize(raw).text, without building the offset map.
std::string normalize_text(std::string_view raw, const NormalizeOptions& options = {});

// True if s is well-formed UTF-8 (no overlongs, surrogates or values > U+10FFFF).
bool is_valid_utf8(std::string_view s);

// Lower-cased word tokens of s: runs of letters/digits (Unicode-aware, ICU properties);
// ideographic characters (CJK) are one token each; punctuation and spaces separate tokens.
// "HTTPURL" and "@USER" placeholders come out as "httpurl" and "user".
std::vector<std::string> word_tokens(std::string_view s);

struct LanguageGuess {
  std::string code;  // ISO 639-1 where one exists ("en", "es", "ht"), else CLD2's code; "und" if unknown
  int percent = 0;   // share of the text in that language, 0..100
  bool reliable = false;
};

// Language of a (normalised) post by CLD2. Short or mixed texts may be unreliable.
LanguageGuess detect_language(std::string_view text);

}  // namespace crema::text
