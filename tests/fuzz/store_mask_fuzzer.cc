// Fuzz target: PII masking over arbitrary bytes must never crash, every span must lie in
// the text, masking well-formed UTF-8 must give well-formed UTF-8, and replace_spans must
// accept any spans (out of range, overlapping, inside characters).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "crema/store/export.h"
#include "crema/text/normalize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto masker = crema::store::PiiMasker::create();
  if (!masker) std::abort();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const crema::store::MaskedText m = masker->mask(text, size % 2 ? "NP" : "");
  for (const auto& s : m.spans) {
    if (s.start >= s.end || s.end > text.size()) std::abort();
  }
  const bool valid = crema::text::is_valid_utf8(text);
  if (valid && !crema::text::is_valid_utf8(m.text)) std::abort();
  const std::string derived = masker->mask_derived(text, m, text);
  if (valid && !crema::text::is_valid_utf8(derived)) std::abort();

  // Spans made from the input's own bytes.
  std::vector<crema::store::PiiSpan> spans;
  for (size_t i = 0; i + 1 < size && spans.size() < 16; i += 2) {
    spans.push_back({data[i], static_cast<uint32_t>(data[i] + data[i + 1] % 32), "#"});
  }
  const std::string replaced = crema::store::replace_spans(text, spans);
  if (valid && !crema::text::is_valid_utf8(replaced)) std::abort();
  return 0;
}
