// Helpers shared by the classify tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "crema/classify/classifier.h"

namespace crema::classify::testing {

// A fastText trainer small enough for a unit test: dim 8, 4,000 hash buckets, 1,000 rows kept
// by quantisation; the caller sets epochs, grid axes and the rest.
inline TrainOptions tiny_fasttext_options(const std::string& data_path, const std::string& out_dir) {
  TrainOptions o;
  o.data_path = data_path;
  o.out_dir = out_dir;
  o.dim = 8;
  o.bucket = 4000;
  o.quantize_cutoff = 1000;
  return o;
}

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (std::filesystem::temp_directory_path() /
             ("crema_classify_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
              std::to_string(reinterpret_cast<uintptr_t>(this))))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_text(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace crema::classify::testing
