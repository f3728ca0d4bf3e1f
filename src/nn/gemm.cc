// Linear layers: OpenBLAS sgemm for fp32, oneDNN s8 matmul for int8 (gemm.h).
#include "gemm.h"

#include <cblas.h>
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>

namespace crema::nn {

struct Linear::Dnnl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::matmul prim;
  dnnl::memory::desc src_md, wei_md, dst_md;
  dnnl::memory wei;
};

void use_single_threaded_kernels() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
  // oneDNN runs on libgomp here; its thread count is a per-thread OpenMP setting, so each
  // calling thread sets it. Looked up at run time because libgomp is only linked through
  // libdnnl.
  using SetThreads = void (*)(int);
  static const auto set_threads = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  thread_local bool done = false;
  if (set_threads && !done) {
    set_threads(1);
    done = true;
  }
}

Linear::Linear(size_t in, size_t out, std::span<const float> w, std::span<const float> bias, bool int8)
    : in_(in), out_(out), int8_(int8), bias_(bias.begin(), bias.end()) {
  if (!int8) {
    w_.assign(w.begin(), w.end());
    return;
  }
  wq_.resize(in * out);
  wscale_.assign(out, 0.0f);
  for (size_t k = 0; k < in; ++k)
    for (size_t n = 0; n < out; ++n) wscale_[n] = std::max(wscale_[n], std::fabs(w[k * out + n]));
  for (auto& s : wscale_) s = s > 0 ? s / 127.0f : 1.0f;
  for (size_t k = 0; k < in; ++k)
    for (size_t n = 0; n < out; ++n)
      wq_[k * out + n] = static_cast<int8_t>(std::clamp(std::nearbyint(w[k * out + n] / wscale_[n]), -127.0f, 127.0f));
  dnnl_ = std::make_unique<Dnnl>();
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  const auto K = static_cast<dnnl::memory::dim>(in), N = static_cast<dnnl::memory::dim>(out);
  dnnl_->src_md = dnnl::memory::desc({DNNL_RUNTIME_DIM_VAL, K}, dt::s8, tag::ab);
  dnnl_->wei_md = dnnl::memory::desc({K, N}, dt::s8, tag::ab);
  dnnl_->dst_md = dnnl::memory::desc({DNNL_RUNTIME_DIM_VAL, N}, dt::s32, tag::ab);
  const dnnl::matmul::desc desc(dnnl_->src_md, dnnl_->wei_md, dnnl_->dst_md);
  dnnl_->prim = dnnl::matmul(dnnl::matmul::primitive_desc(desc, dnnl_->engine));
  dnnl_->wei = dnnl::memory(dnnl_->wei_md, dnnl_->engine, wq_.data());
}

Linear::Linear(Linear&&) noexcept = default;
Linear& Linear::operator=(Linear&&) noexcept = default;
Linear::~Linear() = default;

void Linear::forward(const float* x, size_t rows, float* y) const {
  if (rows == 0) return;
  const auto M = static_cast<blasint>(rows), N = static_cast<blasint>(out_), K = static_cast<blasint>(in_);
  if (!int8_) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, x, K, w_.data(), N, 0.0f, y, N);
  } else {
    use_single_threaded_kernels();
    thread_local std::vector<int8_t> xq;
    thread_local std::vector<int32_t> acc;
    thread_local std::vector<float> xscale;
    xq.resize(rows * in_);
    acc.resize(rows * out_);
    xscale.resize(rows);
    for (size_t r = 0; r < rows; ++r) {
      const float* xr = x + r * in_;
      float amax = 0;
      for (size_t k = 0; k < in_; ++k) amax = std::max(amax, std::fabs(xr[k]));
      const float s = amax > 0 ? amax / 127.0f : 1.0f;
      const float inv = 1.0f / s;
      xscale[r] = s;
      int8_t* q = xq.data() + r * in_;
      for (size_t k = 0; k < in_; ++k) q[k] = static_cast<int8_t>(std::nearbyint(xr[k] * inv));
    }
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    const auto Md = static_cast<dnnl::memory::dim>(rows);
    dnnl::memory src({{Md, static_cast<dnnl::memory::dim>(in_)}, dt::s8, tag::ab}, dnnl_->engine, xq.data());
    dnnl::memory dst({{Md, static_cast<dnnl::memory::dim>(out_)}, dt::s32, tag::ab}, dnnl_->engine, acc.data());
    dnnl::stream stream(dnnl_->engine);
    dnnl_->prim.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, dnnl_->wei}, {DNNL_ARG_DST, dst}});
    stream.wait();
    for (size_t r = 0; r < rows; ++r) {
      float* yr = y + r * out_;
      const int32_t* ar = acc.data() + r * out_;
      for (size_t n = 0; n < out_; ++n) yr[n] = static_cast<float>(ar[n]) * xscale[r] * wscale_[n];
    }
  }
  if (!bias_.empty()) {
    for (size_t r = 0; r < rows; ++r) {
      float* yr = y + r * out_;
      for (size_t n = 0; n < out_; ++n) yr[n] += bias_[n];
    }
  }
}

}  // namespace crema::nn
