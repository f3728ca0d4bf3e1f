// src/ingest/stop_words.h: the stop words dedup ignores (private).
#pragma once

#include <string_view>

namespace crema::ingest::detail {

// True for a lower-case function word of English, Spanish, French, Portuguese, Italian,
// German, Indonesian or Tagalog, and for tweet noise ("rt", "amp" from "&amp;", "via",
// the "httpurl"/"user" placeholders of normalised text). Thread-safe.
bool is_stop_word(std::string_view word);

}  // namespace crema::ingest::detail
