// Fuzz target: tokenizer.json parsing, then encoding a fixed text with whatever parsed.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crema/nn/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  auto tok = crema::nn::parse_tokenizer_json(json, "fuzz.json");
  if (tok) {
    (void)(*tok)->encode("Need water at 5th St. ¿Dónde? 水 🆘 [MASK] <s>", 16);
  }
  return 0;
}
