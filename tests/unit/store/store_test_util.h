// Shared helpers for the store tests: a scratch directory and post builders.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "crema/store/store.h"

namespace crema::store::testing {

// A fresh directory under the test temp dir, removed when the fixture ends.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = ::testing::TempDir() + "crema_store_XXXXXX";
    char* made = ::mkdtemp(pattern.data());
    if (made == nullptr) ADD_FAILURE() << "mkdtemp failed for " << pattern;
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline ProcessedPost make_post(const std::string& id, Label label, int64_t created_at_ms = 1539202764000,
                               std::vector<float> embedding = {0.6f, 0.8f, 0.0f}) {
  ProcessedPost p;
  p.post.id = id;
  p.post.text = "text of " + id;
  p.post.created_at_ms = created_at_ms;
  p.post.source = {"in.jsonl", 1};
  p.normalized = "text of " + id;
  p.detected_lang = "en";
  p.label = label;
  p.probs[static_cast<size_t>(label == Label::kUnknown ? Label::kIrrelevant : label)] = 1.0f;
  p.embedding = std::move(embedding);
  return p;
}

inline std::unique_ptr<Store> open_or_die(const std::string& path) {
  auto store = Store::open(path);
  if (!store) {
    ADD_FAILURE() << store.error().message;
    return nullptr;
  }
  return std::move(*store);
}

}  // namespace crema::store::testing
