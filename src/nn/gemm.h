// Linear layers for the nn module: y = act(x W + b) (or y += x W + b) with W stored [in, out]
// (TF layout).
// fp32 runs through oneDNN's f32 matmul (weights reordered once to its blocked layout, bias
// and activation fused) or OpenBLAS sgemm, whichever measured faster (gemm_backend()). int8
// quantises W per output channel at load and x per row at run time, multiplies with oneDNN's
// s8 x s8 -> s32 matmul on pre-packed weights and rescales, adds the bias and applies the
// activation in one pass. All kernels run single-threaded inside the caller's thread (crema
// splits batches itself). oneDNN primitives are made per row-count bucket and cached.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "hf_kernels.h"

namespace crema::nn {

enum class GemmBackend { kOneDnn, kOpenBlas };

// fp32 backend: CREMA_NN_GEMM=openblas|onednn in the environment (read once), else oneDNN.
GemmBackend gemm_backend();

class Linear {
 public:
  // w is [in, out] row-major, bias has out entries (or is empty). int8 quantises w. act, when
  // set, is applied to x W + b by forward() (not by forward_add()).
  Linear(size_t in, size_t out, std::span<const float> w, std::span<const float> bias, bool int8,
         std::optional<Activation> act = std::nullopt);
  Linear(Linear&&) noexcept;
  Linear& operator=(Linear&&) noexcept;
  ~Linear();

  size_t in() const { return in_; }
  size_t out() const { return out_; }
  // y[rows, out] = act(x[rows, in] W + b). Thread-safe: concurrent calls use their own scratch.
  void forward(const float* x, size_t rows, float* y) const;
  // y[rows, out] += x[rows, in] W + b (the residual connection fused into the layer).
  void forward_add(const float* x, size_t rows, float* y) const;

 private:
  void run(const float* x, size_t rows, float* y, bool add) const;
  void run_int8(const float* x, size_t rows, float* y, bool add) const;
  void epilogue(float* y, size_t rows, bool add, const int32_t* acc, const float* xscale) const;
  dnnl::memory packed_weights(const dnnl::matmul::primitive_desc& pd) const;

  size_t in_ = 0, out_ = 0;
  bool int8_ = false;
  std::optional<Activation> act_;
  GemmBackend backend_ = GemmBackend::kOneDnn;
  std::vector<float> w_, bias_;
  std::vector<float> wscale_;  // int8: [out]
  struct Dnnl;
  std::unique_ptr<Dnnl> dnnl_;
};

// Makes OpenBLAS and oneDNN run single-threaded inside each caller thread (crema splits
// batches itself). Idempotent.
void use_single_threaded_kernels();

}  // namespace crema::nn
