#include "crema/common/parallel.h"

#include <algorithm>
#include <thread>
#include <vector>

namespace crema {

int resolve_threads(int requested) {
  if (requested > 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

void parallel_for(size_t n, int threads, const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  const size_t t = std::min(static_cast<size_t>(std::max(threads, 1)), n);
  if (t <= 1) {
    fn(0, n);
    return;
  }
  const size_t chunk = (n + t - 1) / t;
  std::vector<std::thread> workers;
  workers.reserve(t - 1);
  for (size_t w = 1; w < t; ++w) {
    const size_t begin = w * chunk;
    const size_t end = std::min(n, begin + chunk);
    if (begin >= end) break;
    workers.emplace_back([&fn, begin, end] { fn(begin, end); });
  }
  fn(0, std::min(n, chunk));
  for (auto& w : workers) w.join();
}

}  // namespace crema
