// compact_lang_det.h uses FILE without including <cstdio>.
#include <cstdio>

#include <cld2/public/compact_lang_det.h>

#include <string>

#include "crema/text/normalize.h"

namespace crema::text {
namespace {

// CLD2 codes that differ from ISO 639-1 (or carry a region/script suffix we do not keep).
std::string iso_code(CLD2::Language language) {
  if (language == CLD2::UNKNOWN_LANGUAGE || language == CLD2::TG_UNKNOWN_LANGUAGE) return "und";
  std::string code = CLD2::LanguageCode(language);
  if (code.empty() || code == "un" || code == "xxx") return "und";
  if (code == "iw") return "he";
  if (code == "in") return "id";
  if (code == "ji") return "yi";
  if (code == "jw") return "jv";
  if (code == "mo") return "ro";
  if (code == "zh-Hant" || code == "zh-TW") return "zh";
  if (code == "sr-ME") return "sr";
  if (code == "pt-BR" || code == "pt-PT") return "pt";
  return code;
}

}  // namespace

LanguageGuess detect_language(std::string_view text) {
  LanguageGuess guess;
  guess.code = "und";
  if (text.empty()) return guess;
  // CLD2 reads only valid UTF-8; int lengths bound what it can take in one call.
  std::string cleaned;
  std::string_view input = text;
  if (!is_valid_utf8(text)) {
    cleaned = normalize_text(text, NormalizeOptions{false, false, false, false, false});
    input = cleaned;
  }
  constexpr size_t kMaxBytes = 1 << 20;
  if (input.size() > kMaxBytes) {
    size_t cut = kMaxBytes;
    while (cut > 0 && (static_cast<unsigned char>(input[cut]) & 0xC0) == 0x80) --cut;
    input = input.substr(0, cut);
  }
  CLD2::Language language3[3];
  int percent3[3] = {0, 0, 0};
  double scores3[3] = {0, 0, 0};
  int text_bytes = 0;
  bool reliable = false;
  int valid_prefix = 0;
  const CLD2::Language top = CLD2::ExtDetectLanguageSummaryCheckUTF8(
      input.data(), static_cast<int>(input.size()), /*is_plain_text=*/true, nullptr, 0, language3,
      percent3, scores3, nullptr, &text_bytes, &reliable, &valid_prefix);
  guess.code = iso_code(top);
  if (guess.code == "und") return guess;
  guess.percent = language3[0] == top ? percent3[0] : 0;
  guess.reliable = reliable;
  return guess;
}

}  // namespace crema::text
