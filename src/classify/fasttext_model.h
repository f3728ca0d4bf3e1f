// fasttext_model.h: one checked, loaded fastText model (private to classify).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crema/classify/evaluation.h"
#include "crema/common/result.h"

namespace fasttext {
class FastText;
}

namespace crema::classify {

struct FastTextModel {
  FastTextModelInfo info;
  std::shared_ptr<const fasttext::FastText> ft;

  // Reads path, checks it with check_fasttext_model, then lets fastText load it.
  // kNotFound if missing, kCorrupt if the bytes are not a valid model.
  static Result<FastTextModel> load(const std::string& path);

  // probs[i] = probability of model label i for one input line (ending in '\n').
  // Thread-safe; reuses thread-local buffers.
  void predict(std::string_view input_line, std::vector<float>& probs) const;
};

}  // namespace crema::classify
