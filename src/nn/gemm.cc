// Linear layers: oneDNN (pre-packed f32 or s8 weights) or OpenBLAS sgemm (gemm.h).
#include "gemm.h"

#include <cblas.h>
#include <dlfcn.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <string_view>

namespace crema::nn {
namespace {

// Rows per oneDNN call and the granularity of the cached row counts: at most
// kMaxRows / kRowStep primitives per layer and mode, padding at most kRowStep - 1 rows.
constexpr size_t kRowStep = 32;
constexpr size_t kMaxRows = 1024;

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& thread_stream() {
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

// oneDNN's library-managed scratchpad is shared between primitives (not safe for calls from
// several threads at once), so every primitive takes a user scratchpad: this thread's.
dnnl::memory thread_scratchpad(size_t bytes) {
  thread_local std::vector<uint8_t> buffer;
  if (buffer.size() < bytes) buffer.resize(bytes);
  return dnnl::memory({{static_cast<dnnl::memory::dim>(std::max<size_t>(bytes, 1))}, dnnl::memory::data_type::u8,
                       dnnl::memory::format_tag::a},
                      cpu_engine(), buffer.data());
}

dnnl::primitive_attr user_scratchpad_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

using dim = dnnl::memory::dim;
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

// Round to nearest (ties away from the exact half only at the float's rounding), written so
// that it vectorises at the baseline ISA.
inline float round_magic(float v) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
  return (v + kMagic) - kMagic;
}

// Quantises rows of x[rows, in] to q with one scale per row (max |x| / 127).
CREMA_NN_CLONES void quantize_rows(const float* x, size_t rows, size_t in, int8_t* q, float* scale) {
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * in;
    // max |x| on the bit patterns (non-negative floats order as integers): vectorises.
    int32_t amax_bits = 0;
    for (size_t k = 0; k < in; ++k) amax_bits = std::max(amax_bits, std::bit_cast<int32_t>(xr[k]) & 0x7fffffff);
    const float amax = std::bit_cast<float>(amax_bits);
    const float s = amax > 0 && std::isfinite(amax) ? amax / 127.0f : 1.0f;
    const float inv = 1.0f / s;
    scale[r] = s;
    int8_t* qr = q + r * in;
    for (size_t k = 0; k < in; ++k) qr[k] = static_cast<int8_t>(static_cast<int32_t>(round_magic(xr[k] * inv)));
  }
}

// y = acc * (xscale[row] * wscale[col]) + bias (y += ... when add), then act unless add.
CREMA_NN_CLONES void rescale_rows(float* y, size_t rows, size_t out, bool add, const int32_t* acc,
                                  const float* xscale, const float* wscale, const float* b,
                                  const std::optional<Activation>& act) {
  for (size_t r = 0; r < rows; ++r) {
    float* yr = y + r * out;
    const int32_t* ar = acc + r * out;
    const float s = xscale[r];
    if (add) {
      for (size_t n = 0; n < out; ++n) yr[n] += static_cast<float>(ar[n]) * (s * wscale[n]) + (b ? b[n] : 0.0f);
    } else {
      for (size_t n = 0; n < out; ++n) yr[n] = static_cast<float>(ar[n]) * (s * wscale[n]) + (b ? b[n] : 0.0f);
    }
    // The row is still in L1: the activation costs no extra pass over memory.
    if (act && !add) activate(*act, yr, out);
  }
}

}  // namespace

GemmBackend gemm_backend() {
  static const GemmBackend backend = [] {
    const char* v = std::getenv("CREMA_NN_GEMM");
    return v && std::string_view(v) == "openblas" ? GemmBackend::kOpenBlas : GemmBackend::kOneDnn;
  }();
  return backend;
}

struct Linear::Dnnl {
  struct Entry {
    dnnl::matmul prim;
    dnnl::memory wei;  // in the layout prim wants
    size_t scratch_bytes = 0;
  };
  dnnl::memory::desc packed_md;
  dnnl::memory packed;      // weights in the layout of the first primitive made
  dnnl::memory bias;        // f32 path only
  std::vector<float> user;  // the [in, out] weights until packed (f32 or s8 bytes)
  std::vector<int8_t> user_q;
  std::mutex mu;
  std::map<std::pair<size_t, bool>, Entry> cache;
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

Linear::Linear(size_t in, size_t out, std::span<const float> w, std::span<const float> bias, bool int8,
               std::optional<Activation> act)
    : in_(in), out_(out), int8_(int8), act_(act), backend_(int8 ? GemmBackend::kOneDnn : gemm_backend()),
      bias_(bias.begin(), bias.end()) {
  if (!int8 && backend_ == GemmBackend::kOpenBlas) {
    w_.assign(w.begin(), w.end());
    return;
  }
  dnnl_ = std::make_unique<Dnnl>();
  if (int8) {
    dnnl_->user_q.resize(in * out);
    wscale_.assign(out, 0.0f);
    for (size_t k = 0; k < in; ++k)
      for (size_t n = 0; n < out; ++n) wscale_[n] = std::max(wscale_[n], std::fabs(w[k * out + n]));
    for (auto& s : wscale_) s = s > 0 ? s / 127.0f : 1.0f;
    for (size_t k = 0; k < in; ++k)
      for (size_t n = 0; n < out; ++n)
        dnnl_->user_q[k * out + n] =
            static_cast<int8_t>(std::clamp(std::nearbyint(w[k * out + n] / wscale_[n]), -127.0f, 127.0f));
  } else {
    dnnl_->user.assign(w.begin(), w.end());
    if (bias_.empty()) bias_.assign(out, 0.0f);
    dnnl_->bias = dnnl::memory({{1, static_cast<dim>(out)}, dt::f32, tag::ab}, cpu_engine(), bias_.data());
  }
}

Linear::Linear(Linear&&) noexcept = default;
Linear& Linear::operator=(Linear&&) noexcept = default;
Linear::~Linear() = default;

void Linear::forward(const float* x, size_t rows, float* y) const { run(x, rows, y, false); }
void Linear::forward_add(const float* x, size_t rows, float* y) const { run(x, rows, y, true); }

void Linear::epilogue(float* y, size_t rows, bool add, const int32_t* acc, const float* xscale) const {
  const float* b = bias_.empty() ? nullptr : bias_.data();
  if (acc) return rescale_rows(y, rows, out_, add, acc, xscale, wscale_.data(), b, act_);
  for (size_t r = 0; r < rows; ++r) {
    float* yr = y + r * out_;
    if (b)
      for (size_t n = 0; n < out_; ++n) yr[n] += b[n];
    if (act_ && !add) activate(*act_, yr, out_);
  }
}

// The weights in the layout pd wants: the packed copy made for the first primitive when the
// layouts agree (they do for every row bucket in practice), else a fresh reorder.
dnnl::memory Linear::packed_weights(const dnnl::matmul::primitive_desc& pd) const {
  auto pack = [&] {
    void* data = int8_ ? static_cast<void*>(dnnl_->user_q.data()) : static_cast<void*>(dnnl_->user.data());
    dnnl::memory user({{static_cast<dim>(in_), static_cast<dim>(out_)}, int8_ ? dt::s8 : dt::f32, tag::ab},
                      cpu_engine(), data);
    dnnl::memory packed(pd.weights_desc(), cpu_engine());
    dnnl::reorder(user, packed).execute(thread_stream(), user, packed);
    thread_stream().wait();
    return packed;
  };
  if (!dnnl_->packed) {
    dnnl_->packed = pack();
    dnnl_->packed_md = pd.weights_desc();
  }
  return pd.weights_desc() == dnnl_->packed_md ? dnnl_->packed : pack();
}

void Linear::run(const float* x, size_t rows, float* y, bool add) const {
  if (rows == 0) return;
  use_single_threaded_kernels();
  if (int8_) return run_int8(x, rows, y, add);
  if (backend_ == GemmBackend::kOpenBlas) {
    const auto M = static_cast<blasint>(rows), N = static_cast<blasint>(out_), K = static_cast<blasint>(in_);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, x, K, w_.data(), N, add ? 1.0f : 0.0f, y,
                N);
    epilogue(y, rows, add, nullptr, nullptr);
    return;
  }
  // oneDNN f32: full kRowStep multiples straight from x into y; the tail through a padded copy.
  auto entry = [&](size_t m) -> const Dnnl::Entry& {
    std::lock_guard lock(dnnl_->mu);
    auto it = dnnl_->cache.find({m, add});
    if (it != dnnl_->cache.end()) return it->second;
    const dnnl::memory::desc src_md({static_cast<dim>(m), static_cast<dim>(in_)}, dt::f32, tag::ab);
    const dnnl::memory::desc wei_md({static_cast<dim>(in_), static_cast<dim>(out_)}, dt::f32, tag::any);
    const dnnl::memory::desc bias_md({1, static_cast<dim>(out_)}, dt::f32, tag::ab);
    const dnnl::memory::desc dst_md({static_cast<dim>(m), static_cast<dim>(out_)}, dt::f32, tag::ab);
    dnnl::post_ops po;
    if (add) {
      po.append_sum(1.0f);
    } else if (act_) {
      const auto alg = *act_ == Activation::kGeluErf    ? dnnl::algorithm::eltwise_gelu_erf
                       : *act_ == Activation::kGeluTanh ? dnnl::algorithm::eltwise_gelu_tanh
                                                        : dnnl::algorithm::eltwise_relu;
      po.append_eltwise(1.0f, alg, 0.0f, 0.0f);
    }
    dnnl::primitive_attr attr = user_scratchpad_attr();
    attr.set_post_ops(po);
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, wei_md, bias_md, dst_md), attr, cpu_engine());
    Dnnl::Entry e{dnnl::matmul(pd), packed_weights(pd), pd.scratchpad_desc().get_size()};
    return dnnl_->cache.emplace(std::pair{m, add}, std::move(e)).first->second;
  };
  auto exec = [&](const float* src, size_t m, float* dst) {
    const Dnnl::Entry& e = entry(m);
    dnnl::memory s({{static_cast<dim>(m), static_cast<dim>(in_)}, dt::f32, tag::ab}, cpu_engine(),
                   const_cast<float*>(src));
    dnnl::memory d({{static_cast<dim>(m), static_cast<dim>(out_)}, dt::f32, tag::ab}, cpu_engine(), dst);
    e.prim.execute(thread_stream(),
                   {{DNNL_ARG_SRC, s},
                    {DNNL_ARG_WEIGHTS, e.wei},
                    {DNNL_ARG_BIAS, dnnl_->bias},
                    {DNNL_ARG_DST, d},
                    {DNNL_ARG_SCRATCHPAD, thread_scratchpad(e.scratch_bytes)}});
  };
  size_t r = 0;
  while (rows - r >= kRowStep) {
    const size_t m = std::min(kMaxRows, (rows - r) / kRowStep * kRowStep);
    exec(x + r * in_, m, y + r * out_);
    r += m;
  }
  if (r < rows) {
    const size_t tail = rows - r;
    thread_local std::vector<float> src, dst;
    src.assign(kRowStep * in_, 0.0f);
    dst.resize(kRowStep * out_);
    std::memcpy(src.data(), x + r * in_, tail * in_ * sizeof(float));
    if (add) std::memcpy(dst.data(), y + r * out_, tail * out_ * sizeof(float));
    exec(src.data(), kRowStep, dst.data());
    std::memcpy(y + r * out_, dst.data(), tail * out_ * sizeof(float));
  }
  thread_stream().wait();
}

void Linear::run_int8(const float* x, size_t rows, float* y, bool add) const {
  thread_local std::vector<int8_t> xq;
  thread_local std::vector<int32_t> acc;
  thread_local std::vector<float> xscale;
  for (size_t r0 = 0; r0 < rows; r0 += kMaxRows) {
    const size_t n = std::min(kMaxRows, rows - r0);
    const size_t m = (n + kRowStep - 1) / kRowStep * kRowStep;  // padded rows: whatever xq held
    xq.resize(m * in_);
    acc.resize(m * out_);
    xscale.resize(m);
    quantize_rows(x + r0 * in_, n, in_, xq.data(), xscale.data());
    const Dnnl::Entry* e = nullptr;
    {
      std::lock_guard lock(dnnl_->mu);
      auto it = dnnl_->cache.find({m, false});
      if (it == dnnl_->cache.end()) {
        const dnnl::memory::desc src_md({static_cast<dim>(m), static_cast<dim>(in_)}, dt::s8, tag::ab);
        const dnnl::memory::desc wei_md({static_cast<dim>(in_), static_cast<dim>(out_)}, dt::s8, tag::any);
        const dnnl::memory::desc dst_md({static_cast<dim>(m), static_cast<dim>(out_)}, dt::s32, tag::ab);
        const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, wei_md, dst_md), user_scratchpad_attr(),
                                              cpu_engine());
        Dnnl::Entry entry{dnnl::matmul(pd), packed_weights(pd), pd.scratchpad_desc().get_size()};
        it = dnnl_->cache.emplace(std::pair{m, false}, std::move(entry)).first;
      }
      e = &it->second;
    }
    dnnl::memory src({{static_cast<dim>(m), static_cast<dim>(in_)}, dt::s8, tag::ab}, cpu_engine(), xq.data());
    dnnl::memory dst({{static_cast<dim>(m), static_cast<dim>(out_)}, dt::s32, tag::ab}, cpu_engine(), acc.data());
    e->prim.execute(thread_stream(), {{DNNL_ARG_SRC, src},
                                      {DNNL_ARG_WEIGHTS, e->wei},
                                      {DNNL_ARG_DST, dst},
                                      {DNNL_ARG_SCRATCHPAD, thread_scratchpad(e->scratch_bytes)}});
    thread_stream().wait();
    epilogue(y + r0 * out_, n, add, acc.data(), xscale.data());
  }
}

}  // namespace crema::nn
