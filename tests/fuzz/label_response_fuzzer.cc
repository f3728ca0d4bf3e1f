// Fuzz target: hostile chat-completions bodies and model replies. Arbitrary bytes go
// through parse_chat_response and parse_reply; neither may crash, an answer is never kError,
// and a valid answer always has a known label and resources that follow the guide
// (canonical order, none for irrelevant, at least one otherwise).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crema/label/label.h"

namespace {

void check(const crema::label::Answer& a) {
  using crema::label::AnswerStatus;
  if (a.status == AnswerStatus::kError) std::abort();
  if (a.status == AnswerStatus::kInvalid) {
    if (a.reason.empty()) std::abort();
    return;
  }
  if (a.label == crema::Label::kUnknown) std::abort();
  if ((a.label == crema::Label::kIrrelevant) != a.resources.empty()) std::abort();
  size_t last = 0;
  for (const auto& r : a.resources) {
    const auto it = std::find(crema::kResourceNames.begin(), crema::kResourceNames.end(), r);
    if (it == crema::kResourceNames.end()) std::abort();
    const auto index = static_cast<size_t>(it - crema::kResourceNames.begin()) + 1;
    if (index <= last) std::abort();  // out of order or repeated
    last = index;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto reply = crema::label::parse_reply(bytes);
  check(reply);
  if (reply.raw != bytes) std::abort();
  check(crema::label::parse_chat_response(bytes));
  return 0;
}
