// src/filter/backends.h: the two Prefilter implementations and what they share.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crema/filter/prefilter.h"

namespace crema::filter::detail {

// text with every ill-formed UTF-8 sequence replaced by U+FFFD, or empty if text is already
// valid (the caller then matches text itself). Hyperscan's UTF-8 mode requires valid input.
bool sanitize_utf8(std::string_view text, std::string& out);

Result<std::unique_ptr<Prefilter>> compile_re2(std::vector<Pattern> patterns);
#ifdef CREMA_HAVE_HYPERSCAN
Result<std::unique_ptr<Prefilter>> compile_hyperscan(std::vector<Pattern> patterns);
#endif

}  // namespace crema::filter::detail
