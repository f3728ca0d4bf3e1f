// Persistent workers for the nn module (worker_pool.h).
#include "worker_pool.h"

#include <algorithm>
#include <cstdint>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "crema/common/parallel.h"
#include "gemm.h"

namespace crema::nn {
namespace {

class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }

  // False when another job holds the pool.
  bool run(size_t n, size_t chunks, const std::function<void(size_t, size_t)>& fn) {
    std::unique_lock job(job_mu_, std::try_to_lock);
    if (!job.owns_lock()) return false;
    const size_t per = (n + chunks - 1) / chunks;
    chunks = (n + per - 1) / per;
    {
      std::lock_guard lock(mu_);
      while (threads_.size() < chunks - 1) threads_.emplace_back([this, id = threads_.size()] { loop(id); });
      fn_ = &fn;
      n_ = n;
      per_ = per;
      active_ = chunks - 1;
      pending_ = chunks - 1;
      ++generation_;
    }
    wake_.notify_all();
    fn(0, std::min(n, per));
    std::unique_lock lock(mu_);
    done_.wait(lock, [&] { return pending_ == 0; });
    fn_ = nullptr;
    return true;
  }

 private:
  void loop(size_t id) {
    use_single_threaded_kernels();
    uint64_t seen = 0;
    std::unique_lock lock(mu_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      if (id >= active_) continue;  // this job needs fewer workers
      const size_t begin = (id + 1) * per_, end = std::min(n_, begin + per_);
      const auto* fn = fn_;
      lock.unlock();
      (*fn)(begin, end);
      lock.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::mutex job_mu_;  // one job at a time
  std::mutex mu_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> threads_;
  const std::function<void(size_t, size_t)>* fn_ = nullptr;
  size_t n_ = 0, per_ = 1, active_ = 0, pending_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

}  // namespace

void run_on_workers(size_t n, int threads, const std::function<void(size_t, size_t)>& fn) {
  const auto chunks = std::min(n, static_cast<size_t>(std::max(threads, 1)));
  if (chunks <= 1) {
    if (n > 0) fn(0, n);
    return;
  }
  static Pool pool;
  if (!pool.run(n, chunks, fn)) parallel_for(n, threads, fn);
}

}  // namespace crema::nn
