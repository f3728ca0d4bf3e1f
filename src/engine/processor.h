// src/engine/processor.h: the per-post stages (normalise, language id, geo-resolution,
// prefilter, classify, extract, embed) applied to a batch in parallel. Private to the engine.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crema/classify/classifier.h"
#include "crema/embed/encoder.h"
#include "crema/engine.h"
#include "crema/extract/extractor.h"
#include "crema/filter/prefilter.h"
#include "crema/geo/geocoder.h"
#include "crema/store/store.h"

namespace crema::engine {

class Processor {
 public:
  // Loads the classifier, encoder and (if enabled) prefilter named by options.
  static Result<std::unique_ptr<Processor>> create(const ModelOptions& options);

  // Fills every field of each ProcessedPost from its .post (duplicate_of excepted) using
  // up to `threads` threads. Posts whose input gave a kind keep it as their label.
  // Only request, offer and request_and_offer posts are embedded.
  Status process(std::vector<store::ProcessedPost>& batch, int threads) const;

  // The two halves of process(): text, language, prefilter and labels; then embeddings.
  void process_labels(std::vector<store::ProcessedPost>& batch, int threads) const;
  Status embed(std::vector<store::ProcessedPost>& batch, int threads) const;

  const embed::Encoder& encoder() const { return *encoder_; }

 private:
  std::unique_ptr<classify::Classifier> classifier_;
  std::unique_ptr<embed::Encoder> encoder_;
  std::unique_ptr<filter::Prefilter> prefilter_;
  std::optional<geo::Geocoder> geocoder_;
  std::unique_ptr<extract::Extractor> extractor_;
  bool locate_ = false;  // store the geocoder's resolution (it may run for extraction only)
};

// True for labels that take part in matching.
inline bool is_actionable(Label label) {
  return label == Label::kRequest || label == Label::kOffer || label == Label::kRequestAndOffer;
}

}  // namespace crema::engine
