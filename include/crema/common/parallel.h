// crema/common/parallel.h: data-parallel loops over a batch.
#pragma once

#include <cstddef>
#include <functional>

namespace crema {

// Number of threads to use when the user asked for `requested` (0 = all hardware threads).
int resolve_threads(int requested);

// Calls fn(begin, end) on disjoint chunks covering [0, n) using up to `threads` threads
// (the calling thread included). Chunks are contiguous; fn must be thread-safe across
// chunks. Runs inline when threads <= 1 or n is small.
void parallel_for(size_t n, int threads, const std::function<void(size_t, size_t)>& fn);

}  // namespace crema
