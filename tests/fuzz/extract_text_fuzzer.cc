// Fuzz target: the extractor over arbitrary bytes (any script, emoji, huge or bogus numbers)
// must never crash, and every span must lie inside the text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crema/extract/extractor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto extractor = [] {
    crema::extract::ExtractorOptions o;
    o.encoder = "";
    return crema::extract::Extractor::create(o);
  }();
  if (!extractor) std::abort();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  crema::extract::ExtractContext ctx;
  ctx.region = size % 2 ? "NP" : "";
  auto ex = (*extractor)->extract(text, ctx);
  auto check = [&](crema::extract::Span s) {
    if (s.start > s.end || s.end > text.size()) std::abort();
  };
  for (const auto& r : ex.resources) check(r.span);
  for (const auto& q : ex.quantities) {
    check(q.span);
    if (q.resource >= static_cast<int>(ex.resources.size())) std::abort();
  }
  for (const auto& s : ex.sources) check(s.span);
  for (const auto& c : ex.contacts) {
    check(c.span);
    (void)crema::extract::mask_contact(c);
  }
  return 0;
}
