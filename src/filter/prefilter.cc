#include <cstdint>
#include <string>
#include <utility>

#include "backends.h"
#include "crema/common/utf8.h"
#include "crema/filter/prefilter.h"

namespace crema::filter {
namespace detail {

bool sanitize_utf8(std::string_view text, std::string& out) {
  size_t i = 0;
  while (i < text.size() && static_cast<uint8_t>(text[i]) < 0x80) ++i;
  bool changed = false;
  while (i < text.size()) {
    if (static_cast<uint8_t>(text[i]) < 0x80) {
      if (changed) out.push_back(text[i]);
      ++i;
      continue;
    }
    size_t skip = 0;
    const size_t n = utf8_sequence_length(text, i, &skip);
    if (n > 0) {
      if (changed) out.append(text.substr(i, n));
      i += n;
      continue;
    }
    if (!changed) {
      out.assign(text.substr(0, i));
      changed = true;
    }
    out.append("\xEF\xBF\xBD");
    i += skip;
  }
  return changed;
}

}  // namespace detail

bool hyperscan_available() {
#ifdef CREMA_HAVE_HYPERSCAN
  return true;
#else
  return false;
#endif
}

Result<std::unique_ptr<Prefilter>> Prefilter::compile(std::vector<Pattern> patterns,
                                                      Backend backend) {
  if (patterns.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "prefilter: no patterns to compile");
  }
  switch (backend) {
    case Backend::kRe2:
      return detail::compile_re2(std::move(patterns));
    case Backend::kHyperscan:
#ifdef CREMA_HAVE_HYPERSCAN
      return detail::compile_hyperscan(std::move(patterns));
#else
      return make_error(ErrorCode::kUnsupported, "prefilter: this build has no Hyperscan");
#endif
    case Backend::kAuto:
      break;
  }
#ifdef CREMA_HAVE_HYPERSCAN
  return detail::compile_hyperscan(std::move(patterns));
#else
  return detail::compile_re2(std::move(patterns));
#endif
}

Result<std::unique_ptr<Prefilter>> Prefilter::load(const std::string& path, Backend backend) {
  auto patterns = load_patterns(path);
  if (!patterns) return tl::unexpected(patterns.error());
  return compile(std::move(*patterns), backend);
}

}  // namespace crema::filter
