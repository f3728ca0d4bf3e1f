// Fuzz target: parse_json_post on arbitrary bytes. Besides not crashing, a parsed post must
// pass validate_post and every reject reason must be non-empty; reject_to_json must cope
// with whatever bytes the record had.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crema/ingest/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  for (const bool require_time : {true, false}) {
    auto post = crema::ingest::parse_json_post(json, {"fuzz", 1}, require_time);
    if (post) {
      if (!crema::ingest::validate_post(*post)) std::abort();
    } else {
      if (post.error().message.empty()) std::abort();
      crema::ingest::Reject reject{{"fuzz", 1}, std::string(json.substr(0, 64)), post.error().message,
                                   std::string(json.substr(0, 200))};
      if (crema::ingest::reject_to_json(reject).empty()) std::abort();
    }
  }
  return 0;
}
