// Fuzz target: the safetensors header and tensor reads on arbitrary bytes (safetensors.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crema/nn/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto st = crema::nn::SafeTensors::parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  if (!st) return 0;
  for (const auto& t : st->tensors()) {
    auto v = st->get(t.name);
    if (v && !v->data.empty()) {
      volatile float sink = v->data.front() + v->data.back();
      (void)sink;
    }
  }
  return 0;
}
