// Fuzz target: arbitrary bytes as a pattern file. Parsing and compiling must either succeed
// or fail with an error; a prefilter that compiles must then match its own pattern text and
// the input without crashing.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crema/filter/prefilter.h"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crema::filter;
  if (size > 4096) return 0;  // Hyperscan compile time grows fast with pattern size
  const std::string_view content(reinterpret_cast<const char*>(data), size);
  auto patterns = parse_patterns(content, "fuzz");
  if (!patterns) {
    check(!patterns.error().message.empty(), "parse error has a message");
    return 0;
  }
  auto re2 = Prefilter::compile(*patterns, Prefilter::Backend::kRe2);
  if (!re2) check(!re2.error().message.empty(), "re2 error has a message");
  std::unique_ptr<Prefilter> hs;
  if (hyperscan_available()) {
    auto compiled = Prefilter::compile(*patterns, Prefilter::Backend::kHyperscan);
    if (compiled) hs = std::move(*compiled);
    else check(!compiled.error().message.empty(), "hyperscan error has a message");
  }
  for (const auto* p : {re2 ? re2->get() : nullptr, hs.get()}) {
    if (p == nullptr) continue;
    const auto ids = p->matching_ids(content);
    check(p->matches(content) == !ids.empty(), "matches() == !matching_ids().empty()");
    for (const Pattern& pattern : p->patterns()) p->matching_ids(pattern.regex);
  }
  return 0;
}
