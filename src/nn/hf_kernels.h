// Element-wise and attention kernels of the HF encoders (hf_model.cc): LayerNorm, GELU,
// softmax attention. Plain loops written so that the compiler vectorises them at the
// baseline ISA (no -ffast-math): exp and erf are our own branch-free approximations
// (relative error ~2e-7 for exp, absolute 1.5e-7 for erf).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

// Hot element-wise kernels are compiled three times (AVX-512, AVX2+FMA, baseline) and the
// loader picks the widest the CPU has: the baseline ISA alone left them 4 floats wide.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CREMA_NN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CREMA_NN_CLONES
#endif

namespace crema::nn {

enum class Activation { kGeluErf, kGeluTanh, kRelu };

// config.json names: gelu (erf form), gelu_new / gelu_pytorch_tanh / gelu_fast, relu.
std::optional<Activation> parse_activation(std::string_view name);

// In place over n floats.
void activate(Activation act, float* x, size_t n);

// y = LayerNorm(x) per row of d floats (x == y allowed).
void layer_norm(const float* x, size_t rows, size_t d, const float* gamma, const float* beta, float eps, float* y);

// Self-attention of one sentence. qkv is [len, 3*d] (queries, keys, values side by side),
// out is [len, d]; heads split d. scores = q.k * scale (+ bias[head][i][j] when bias is
// not null), softmax over j, times v. `scratch` is reused between calls.
void attention(const float* qkv, size_t len, size_t d, size_t heads, float scale, const float* bias, float* out,
               std::vector<float>& scratch);

// exp(x) for one float; exposed for tests.
float fast_exp(float x);
float fast_erf(float x);

}  // namespace crema::nn
