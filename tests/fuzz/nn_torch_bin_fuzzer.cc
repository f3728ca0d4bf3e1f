// Fuzz target: the restricted torch.save reader (zip directory, pickle interpreter, tensor
// reads) on arbitrary bytes (torch_bin.h). Seeds in corpus/nn_torch_bin/: small state dicts
// written by python3-torch 1.13.1's torch.save (float32, float16 with a storage offset, int64,
// an OrderedDict with _metadata), a zip64 copy, and hostile ones (os.system via REDUCE,
// deflated entries, a truncated file, a storage shorter than its element count).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crema/nn/torch_bin.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto tb = crema::nn::TorchBin::parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  if (!tb) return 0;
  for (const auto& t : tb->tensors()) {
    auto v = tb->get(t.name);
    if (v && !v->data.empty()) {
      volatile float sink = v->data.front() + v->data.back();
      (void)sink;
    }
  }
  return 0;
}
