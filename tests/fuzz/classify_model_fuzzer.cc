// Fuzz target: hostile fastText model files. Arbitrary bytes go through the structural
// check that guards fastText's loader, and, when they pass, through Classifier::load and a
// prediction. Must never crash, hang or allocate without bound.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "crema/classify/classifier.h"
#include "crema/classify/evaluation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1 << 20)) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (!crema::classify::check_fasttext_model(bytes, "fuzz.ftz")) return 0;
  const auto dir = std::filesystem::temp_directory_path() / ("crema_fuzz_model_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / "actionable.ftz", std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  if (auto classifier = crema::classify::Classifier::load(dir.string())) {
    (void)(*classifier)->classify("we need water and food near the bridge");
  }
  std::filesystem::remove_all(dir);
  return 0;
}
