#include <cstdint>
#include <string>
#include <utility>

#include "backends.h"
#include "crema/filter/prefilter.h"

namespace crema::filter {
namespace detail {
namespace {

// Length of the well-formed UTF-8 sequence at s[i], or 0 if it is ill-formed; on 0, *skip is
// the length of its maximal subpart (at least 1).
size_t sequence_length(std::string_view s, size_t i, size_t* skip) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  size_t n = 0;
  uint8_t lo = 0x80;
  uint8_t hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    *skip = 1;
    return 0;
  }
  for (size_t k = 1; k < n; ++k) {
    if (i + k >= s.size()) {
      *skip = k;
      return 0;
    }
    const auto b = static_cast<uint8_t>(s[i + k]);
    const bool ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) {
      *skip = k;
      return 0;
    }
  }
  return n;
}

}  // namespace

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
    const size_t n = sequence_length(text, i, &skip);
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
