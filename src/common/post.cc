#include "crema/common/post.h"

namespace crema {

std::string_view label_name(Label label) {
  switch (label) {
    case Label::kRequest: return "request";
    case Label::kOffer: return "offer";
    case Label::kRequestAndOffer: return "request_and_offer";
    case Label::kIrrelevant: return "irrelevant";
    case Label::kUnknown: return "unknown";
  }
  return "unknown";
}

std::optional<Label> parse_label(std::string_view name) {
  if (name == "request") return Label::kRequest;
  if (name == "offer") return Label::kOffer;
  if (name == "request_and_offer" || name == "request-and-offer" || name == "both")
    return Label::kRequestAndOffer;
  if (name == "irrelevant") return Label::kIrrelevant;
  return std::nullopt;
}

}  // namespace crema
