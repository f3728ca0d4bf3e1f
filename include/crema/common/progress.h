// crema/common/progress.h: how long-running library calls report progress.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace crema {

// Called with (stage, done, total); total == 0 when unknown. May be called from any thread
// that the library call uses, but never concurrently. Must be cheap.
using ProgressFn = std::function<void(std::string_view stage, uint64_t done, uint64_t total)>;

}  // namespace crema
