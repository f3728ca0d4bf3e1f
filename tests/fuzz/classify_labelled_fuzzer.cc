// Fuzz target: labelled JSONL files (`crema train/eval classifier --data`). Arbitrary bytes
// must load or fail with a parse error naming the line; never crash.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "crema/classify/classifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1 << 20)) return 0;
  const auto path = std::filesystem::temp_directory_path() / ("crema_fuzz_labelled_" + std::to_string(::getpid()));
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto posts = crema::classify::load_labelled(path.string());
  if (!posts && posts.error().message.find(path.string()) == std::string::npos) std::abort();
  std::filesystem::remove(path);
  return 0;
}
