// temp_file.h: a file kept while training runs (private to classify).
#pragma once

#include <filesystem>
#include <string>

namespace crema::classify {

// Removes `path` when it goes out of scope, however training ends.
struct TempFile {
  std::string path;
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

}  // namespace crema::classify
