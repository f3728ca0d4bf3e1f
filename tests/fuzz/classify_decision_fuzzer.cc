// Fuzz target: hostile decision.txt files (the cascade thresholds / prior-correction biases
// of a classifier model directory). Arbitrary bytes go through parse_decision_rule; a rule
// that parses must format back to a file that parses to the same rule. Must never crash.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crema/classify/evaluation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rule = crema::classify::parse_decision_rule(text, "fuzz/decision.txt");
  if (!rule) return 0;
  auto again = crema::classify::parse_decision_rule(crema::classify::format_decision_rule(*rule), "again");
  if (!again || again->type != rule->type || again->bias != rule->bias ||
      again->request_threshold != rule->request_threshold || again->offer_threshold != rule->offer_threshold || again->encoder != rule->encoder) {
    std::abort();
  }
  (void)crema::classify::cascade_decision(0.5f, 0.5f, rule->request_threshold, rule->offer_threshold);
  (void)crema::classify::biased_argmax({0.25f, 0.25f, 0.25f, 0.25f}, rule->bias);
  return 0;
}
