// hf_classifier.h: a Hugging Face transformer folder as the 4-class actionable-help
// classifier (private to classify; Classifier::load("hf:DIR" | "hf-int8:DIR")).
#pragma once

#include <memory>
#include <string>

#include "crema/classify/classifier.h"
#include "crema/common/result.h"

namespace crema::classify {

// spec is "hf:DIR" (fp32) or "hf-int8:DIR" (int8 linear layers). DIR holds a
// *ForSequenceClassification or CremaMeanPoolClassifier folder (docs/nn.md) whose id2label
// names are crema's labels (request, offer, request_and_offer, irrelevant; case-insensitive,
// each at most once). Resource types come from DIR/resources.ftz, else the bundled
// models/classifier/resources.ftz, else none. kInvalidArgument for a folder without a
// classification head, kCorrupt naming config.json and the label for an unknown label.
Result<std::unique_ptr<Classifier>> load_hf_classifier(const std::string& spec);

}  // namespace crema::classify
