// Fuzz target: hostile encoder model files. The first byte picks the file (glove-sif.bin or
// the tfidf idf.bin); the rest is its content. Loading must fail cleanly or give an encoder
// whose output rows are unit length or zero; never a crash.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "crema/embed/encoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > (1 << 20)) return 0;
  const bool glove = (data[0] & 1) != 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto root = std::filesystem::temp_directory_path() / ("crema_fuzz_embed_" + std::to_string(::getpid()));
  const auto dir = root / (glove ? "glove-sif" : "tfidf");
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / (glove ? "glove-sif.bin" : "idf.bin"), std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  crema::embed::EncoderOptions options;
  options.models_dir = root.string();
  if (auto encoder = crema::embed::make_encoder(glove ? "glove-sif" : "tfidf", options)) {
    const std::vector<std::string_view> texts = {"need water and food", "", "नमस्ते पानी"};
    std::vector<float> out(texts.size() * (*encoder)->dim());
    if ((*encoder)->encode(texts, out)) {
      for (size_t row = 0; row < texts.size(); ++row) {
        double norm = 0;
        for (size_t k = 0; k < (*encoder)->dim(); ++k) norm += out[row * (*encoder)->dim() + k] * out[row * (*encoder)->dim() + k];
        if (norm != 0 && std::fabs(norm - 1.0) > 1e-3) std::abort();
      }
    }
  }
  std::filesystem::remove_all(root);
  return 0;
}
