// Fuzz target: hostile linear_head.bin files (the linear-head classifier's weights). Arbitrary
// bytes go through parse_linear_head; a head that parses must serialise back to the same
// bytes and give finite probabilities that sum to ~1. Must never crash.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "crema/classify/linear_head.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto head = crema::classify::parse_linear_head(bytes, "fuzz/linear_head.bin");
  if (!head) return 0;
  if (crema::classify::serialize_linear_head(*head) != bytes) std::abort();
  const std::vector<float> x(head->dim, 0.5f);
  float sum = 0;
  for (float p : head->probs(x)) {
    if (!std::isfinite(p)) std::abort();
    sum += p;
  }
  if (std::fabs(sum - 1.0f) > 1e-3f) std::abort();
  return 0;
}
