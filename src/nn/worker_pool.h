// Persistent worker threads for the nn forward passes. crema's parallel_for starts fresh
// threads on every call, so each batch of posts paid for thread start-up and for new
// per-thread state (oneDNN stream and scratchpad, quantisation and layer buffers, all
// thread_local) with page faults on first touch. These workers live for the process.
#pragma once

#include <cstddef>
#include <functional>

namespace crema::nn {

// Calls fn(begin, end) on contiguous chunks covering [0, n): one chunk per thread, the
// calling thread included, like crema::parallel_for. Runs inline when threads <= 1 or n <= 1;
// falls back to parallel_for while another caller's job holds the workers. fn must not throw.
void run_on_workers(size_t n, int threads, const std::function<void(size_t, size_t)>& fn);

}  // namespace crema::nn
