// fasttext_model.h: one checked, loaded fastText model (private to classify).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crema/classify/evaluation.h"
#include "crema/classify/linear_head.h"
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

class FeatureEncoder;

// "fasttext:PATH": the sentence vector (mean of the input rows of the line's words and
// n-grams, as fastText's own getSentenceVector) of the supervised model at PATH, for
// linear-head features. The text goes through fasttext_input first, as for the classifier.
Result<std::unique_ptr<FeatureEncoder>> make_fasttext_sentence_encoder(const std::string& path);

}  // namespace crema::classify
