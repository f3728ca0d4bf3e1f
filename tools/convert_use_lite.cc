// Converts the TF.js USE-Lite folder into crema's compact copy (models/use-lite/):
//   crema_convert_use_lite <tfjs dir> <out dir> [f16|i8|f32]
// Writes <out dir>/use_lite.crnn (weights, see crema/nn/weights_file.h) and copies vocab.json.
// Matrices in int8 get one scale per output column; the embedding table one per row.
#include <cstdio>
#include <string>
#include <vector>

#include "crema/common/file_io.h"
#include "crema/nn/use_lite.h"

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s <tfjs dir> <out dir> [f16|i8|f32]\n", argv[0]);
    return 2;
  }
  const std::string in = argv[1], out = argv[2], mode = argc == 4 ? argv[3] : "f16";
  crema::nn::DType matrices = crema::nn::DType::kF16;
  if (mode == "i8") matrices = crema::nn::DType::kI8;
  else if (mode == "f32") matrices = crema::nn::DType::kF32;
  else if (mode != "f16") {
    std::fprintf(stderr, "unknown storage '%s' (f16, i8, f32)\n", mode.c_str());
    return 2;
  }
  auto model = crema::nn::UseLiteModel::load_tfjs(in, crema::nn::Precision::kFp32);
  if (!model) {
    std::fprintf(stderr, "error: %s\n", model.error().message.c_str());
    return 1;
  }
  std::vector<crema::nn::TensorToWrite> tensors;
  for (const auto& [name, t] : (*model)->weights()) {
    crema::nn::TensorToWrite w{name, t.shape, t.data, crema::nn::DType::kF32, 0};
    // Vectors (biases, LayerNorm, timing scales) stay fp32: they are tiny and sensitive.
    if (t.shape.size() == 2 && t.shape[0] > 1) {
      w.store_as = matrices;
      w.quant_axis = name == "embeddings" ? 0 : 1;
    }
    tensors.push_back(w);
  }
  if (auto st = crema::ensure_directory(out); !st) {
    std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
    return 1;
  }
  if (auto st = crema::nn::write_weights_file(out + "/use_lite.crnn", "use-lite", tensors); !st) {
    std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
    return 1;
  }
  auto vocab = crema::read_file(in + "/vocab.json");
  if (!vocab || !crema::write_file_atomic(out + "/vocab.json", *vocab)) {
    std::fprintf(stderr, "error: cannot copy vocab.json\n");
    return 1;
  }
  std::printf("wrote %s/use_lite.crnn (%s matrices)\n", out.c_str(), mode.c_str());
  return 0;
}
