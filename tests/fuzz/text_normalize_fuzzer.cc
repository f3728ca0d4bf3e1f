// Fuzz target: normalize(), normalize_text(), detect_language() and word_tokens() on
// arbitrary bytes. Aborts when an invariant of crema/text/normalize.h does not hold.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crema/text/normalize.h"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crema::text;
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const NormalizedText n = normalize(raw);
  check(is_valid_utf8(n.text), "output is valid UTF-8");
  check(n.offsets.size() == n.text.size() + 1, "offsets.size() == text.size() + 1");
  check(n.offsets.back() == raw.size(), "offsets.back() == raw.size()");
  for (size_t i = 0; i + 1 < n.offsets.size(); ++i) {
    check(n.offsets[i] < raw.size(), "offset in range");
    check(n.offsets[i] <= n.offsets[i + 1], "offsets non-decreasing");
  }
  check(n.text.empty() || (n.text.front() != ' ' && n.text.back() != ' '), "trimmed");
  check(n.text.find("  ") == std::string::npos, "no double spaces");
  check(normalize_text(raw) == n.text, "normalize_text == normalize().text");
  check(normalize_text(n.text) == n.text, "idempotent");
  const LanguageGuess guess = detect_language(n.text);
  check(!guess.code.empty() && guess.percent >= 0 && guess.percent <= 100, "language guess sane");
  for (const std::string& token : word_tokens(raw)) {
    check(!token.empty() && is_valid_utf8(token), "tokens non-empty valid UTF-8");
  }
  return 0;
}
