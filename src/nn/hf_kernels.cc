// Kernels for the HF encoders (hf_kernels.h).
#include "hf_kernels.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace crema::nn {
namespace {

inline float exp_approx(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  // Round x / ln2 to the nearest integer with the 1.5 * 2^23 trick (vectorises, unlike floor).
  constexpr float kMagic = 12582912.0f;
  const float k = (x * 1.44269504088896341f + kMagic) - kMagic;
  const float r = (x - k * 0.693145751953125f) - k * 1.428606765330187e-06f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const auto bits = static_cast<uint32_t>(static_cast<int32_t>(k) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

// Abramowitz & Stegun 7.1.26.
inline float erf_approx(float x) {
  const float a = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  float p = 1.061405429f;
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  const float y = 1.0f - p * t * exp_approx(-a * a);
  return std::copysign(y, x);
}

}  // namespace

float fast_exp(float x) { return exp_approx(x); }
float fast_erf(float x) { return erf_approx(x); }

std::optional<Activation> parse_activation(std::string_view name) {
  if (name == "gelu") return Activation::kGeluErf;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return Activation::kGeluTanh;
  if (name == "relu") return Activation::kRelu;
  return std::nullopt;
}

CREMA_NN_CLONES void activate(Activation act, float* x, size_t n) {
  switch (act) {
    case Activation::kGeluErf:
      for (size_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + erf_approx(x[i] * 0.70710678118654752f));
      break;
    case Activation::kGeluTanh:
      for (size_t i = 0; i < n; ++i) {
        const float v = x[i];
        const float u = 0.7978845608028654f * (v + 0.044715f * v * v * v);
        // tanh(u) = 1 - 2 / (exp(2u) + 1)
        x[i] = 0.5f * v * (2.0f - 2.0f / (exp_approx(2.0f * u) + 1.0f));
      }
      break;
    case Activation::kRelu:
      for (size_t i = 0; i < n; ++i) x[i] = std::max(x[i], 0.0f);
      break;
  }
}

CREMA_NN_CLONES void layer_norm(const float* x, size_t rows, size_t d, const float* gamma, const float* beta, float eps, float* y) {
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * d;
    float* yr = y + r * d;
    double sum = 0, sq = 0;
    for (size_t i = 0; i < d; ++i) sum += xr[i];
    const auto mean = static_cast<float>(sum / static_cast<double>(d));
    for (size_t i = 0; i < d; ++i) sq += static_cast<double>((xr[i] - mean) * (xr[i] - mean));
    const float inv = 1.0f / std::sqrt(static_cast<float>(sq / static_cast<double>(d)) + eps);
    for (size_t i = 0; i < d; ++i) yr[i] = (xr[i] - mean) * inv * gamma[i] + beta[i];
  }
}

CREMA_NN_CLONES void attention(const float* qkv, size_t len, size_t d, size_t heads, float scale, const float* bias, float* out,
               std::vector<float>& scratch) {
  const size_t dh = d / heads;
  const size_t stride = 3 * d;
  scratch.resize(dh * len + len);
  float* kt = scratch.data();       // keys of one head, transposed: [dh, len]
  float* p = scratch.data() + dh * len;  // scores of one query
  for (size_t h = 0; h < heads; ++h) {
    for (size_t j = 0; j < len; ++j)
      for (size_t c = 0; c < dh; ++c) kt[c * len + j] = qkv[j * stride + d + h * dh + c];
    for (size_t i = 0; i < len; ++i) {
      const float* q = qkv + i * stride + h * dh;
      // Four key dimensions per pass: p[] goes through memory once per four multiply-adds,
      // not once per one (the store-to-load chain on p dominated this loop).
      std::fill(p, p + len, 0.0f);
      size_t c = 0;
      for (; c + 4 <= dh; c += 4) {
        const float q0 = q[c], q1 = q[c + 1], q2 = q[c + 2], q3 = q[c + 3];
        const float* k0 = kt + c * len;
        const float *k1 = k0 + len, *k2 = k1 + len, *k3 = k2 + len;
        for (size_t j = 0; j < len; ++j) p[j] += (q0 * k0[j] + q1 * k1[j]) + (q2 * k2[j] + q3 * k3[j]);
      }
      for (; c < dh; ++c) {
        const float qc = q[c];
        const float* kr = kt + c * len;
        for (size_t j = 0; j < len; ++j) p[j] += qc * kr[j];
      }
      float mx = -INFINITY;
      const float* b = bias ? bias + (h * len + i) * len : nullptr;
      for (size_t j = 0; j < len; ++j) {
        p[j] = p[j] * scale + (b ? b[j] : 0.0f);
        mx = std::max(mx, p[j]);
      }
      float sum = 0;
      for (size_t j = 0; j < len; ++j) {
        p[j] = exp_approx(p[j] - mx);
        sum += p[j];
      }
      const float inv = 1.0f / sum;
      float* o = out + i * d + h * dh;
      std::fill(o, o + dh, 0.0f);
      size_t j = 0;
      for (; j + 4 <= len; j += 4) {  // four keys per pass, as above
        const float w0 = p[j] * inv, w1 = p[j + 1] * inv, w2 = p[j + 2] * inv, w3 = p[j + 3] * inv;
        const float* v0 = qkv + j * stride + 2 * d + h * dh;
        const float *v1 = v0 + stride, *v2 = v1 + stride, *v3 = v2 + stride;
        for (size_t c2 = 0; c2 < dh; ++c2) o[c2] += (w0 * v0[c2] + w1 * v1[c2]) + (w2 * v2[c2] + w3 * v3[c2]);
      }
      for (; j < len; ++j) {
        const float w = p[j] * inv;
        const float* v = qkv + j * stride + 2 * d + h * dh;
        for (size_t c2 = 0; c2 < dh; ++c2) o[c2] += w * v[c2];
      }
    }
  }
}

}  // namespace crema::nn
