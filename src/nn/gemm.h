// Linear layers for the nn module: y = x W + b with W stored [in, out] (TF layout).
// fp32 runs through OpenBLAS sgemm (single-threaded; the caller splits the batch across
// threads). int8 quantises W per output channel at load and x per row at run time, multiplies
// with oneDNN's s8 x s8 -> s32 matmul and rescales in fp32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace crema::nn {

class Linear {
 public:
  // w is [in, out] row-major, bias has out entries (or is empty). int8 quantises w.
  Linear(size_t in, size_t out, std::span<const float> w, std::span<const float> bias, bool int8);
  Linear(Linear&&) noexcept;
  Linear& operator=(Linear&&) noexcept;
  ~Linear();

  size_t in() const { return in_; }
  size_t out() const { return out_; }
  // y[rows, out] = x[rows, in] W + b. Thread-safe: concurrent calls use their own scratch.
  void forward(const float* x, size_t rows, float* y) const;

 private:
  size_t in_ = 0, out_ = 0;
  bool int8_ = false;
  std::vector<float> w_, bias_;
  std::vector<int8_t> wq_;       // [in, out]
  std::vector<float> wscale_;    // [out]
  struct Dnnl;
  std::unique_ptr<Dnnl> dnnl_;
};

// Makes OpenBLAS and oneDNN run single-threaded inside each caller thread (crema splits
// batches itself). Idempotent.
void use_single_threaded_kernels();

}  // namespace crema::nn
