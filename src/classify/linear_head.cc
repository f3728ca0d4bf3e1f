// The linear head on encoder features: the feature-encoder factory, multinomial logistic
// regression trained by full-batch L-BFGS, and the checked linear_head.bin format.
#include "crema/classify/linear_head.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>

#include "crema/classify/evaluation.h"
#include "crema/common/hash.h"
#include "crema/common/parallel.h"
#include "fasttext_model.h"

namespace crema::classify {
namespace {

// A fastText feature model's path: relative paths belong to the model directory that names
// them, so a trained directory can be moved or used from any working directory.
std::string resolve_model_path(std::string_view path, const std::string& base_dir) {
  const std::filesystem::path p(path);
  if (base_dir.empty() || p.is_absolute()) return std::string(path);
  return (std::filesystem::path(base_dir) / p).string();
}

std::mutex& factory_mutex() {
  static std::mutex m;
  return m;
}

FeatureEncoderFactory& factory_slot() {
  static FeatureEncoderFactory f;
  return f;
}

// Rows of several encoders side by side.
class ConcatEncoder final : public FeatureEncoder {
 public:
  explicit ConcatEncoder(std::vector<std::unique_ptr<FeatureEncoder>> parts) : parts_(std::move(parts)) {
    for (const auto& p : parts_) dim_ += p->dim();
  }
  size_t dim() const override { return dim_; }
  Status encode(std::span<const std::string_view> texts, std::span<float> out, int threads) const override {
    if (out.size() != texts.size() * dim_) return make_error(ErrorCode::kInvalidArgument, "feature buffer size");
    size_t offset = 0;
    std::vector<float> part;
    for (const auto& p : parts_) {
      const size_t d = p->dim();
      part.assign(texts.size() * d, 0.0f);
      if (auto st = p->encode(texts, part, threads); !st) return st;
      for (size_t i = 0; i < texts.size(); ++i) {
        std::copy_n(part.data() + i * d, d, out.data() + i * dim_ + offset);
      }
      offset += d;
    }
    return {};
  }

 private:
  std::vector<std::unique_ptr<FeatureEncoder>> parts_;
  size_t dim_ = 0;
};

constexpr char kMagic[8] = {'C', 'R', 'M', 'L', 'H', 'E', 'A', 'D'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kMaxDim = 1u << 20;
constexpr float kMaxAbsValue = 1e6f;

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_f32(std::string& out, float f) {
  uint32_t v = 0;
  std::memcpy(&v, &f, sizeof v);
  put_u32(out, v);
}
uint32_t get_u32(const unsigned char* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
uint64_t get_u64(const unsigned char* p) { return uint64_t{get_u32(p)} | uint64_t{get_u32(p + 4)} << 32; }
float get_f32(const unsigned char* p) {
  const uint32_t v = get_u32(p);
  float f = 0;
  std::memcpy(&f, &v, sizeof f);
  return f;
}

// Weighted mean cross-entropy + l2/2 |W|^2 and its gradient, over standardised features.
// Parameters: K x d weights then K biases. Rows are summed in fixed blocks and the block
// sums added in block order, so the value does not depend on the thread count.
class Objective {
 public:
  Objective(std::span<const float> x, size_t n, size_t d, std::span<const int> y, std::span<const double> w,
            double l2, int threads)
      : x_(x), n_(n), d_(d), y_(y), w_(w), l2_(l2), threads_(threads) {
    for (double v : w_) total_weight_ += v;
  }

  double operator()(const std::vector<double>& params, std::vector<double>& grad) const {
    const size_t np = params.size();
    const size_t blocks = (n_ + kBlock - 1) / kBlock;
    std::vector<std::vector<double>> block_grad(blocks, std::vector<double>(np, 0.0));
    std::vector<double> block_loss(blocks, 0.0);
    parallel_for(blocks, resolve_threads(threads_), [&](size_t begin, size_t end) {
      std::array<double, kNumLabels> z{};
      for (size_t b = begin; b < end; ++b) {
        std::vector<double>& g = block_grad[b];
        double loss = 0;
        for (size_t i = b * kBlock; i < std::min(n_, (b + 1) * kBlock); ++i) {
          const double wi = w_[i];
          if (wi == 0) continue;
          const float* xi = x_.data() + i * d_;
          for (size_t c = 0; c < kNumLabels; ++c) {
            double s = params[kNumLabels * d_ + c];
            const double* wc = params.data() + c * d_;
            for (size_t k = 0; k < d_; ++k) s += wc[k] * xi[k];
            z[c] = s;
          }
          const double zmax = *std::max_element(z.begin(), z.end());
          double sum = 0;
          for (double& v : z) sum += (v = std::exp(v - zmax));
          const auto yi = static_cast<size_t>(y_[i]);
          loss += wi * (std::log(sum) - std::log(z[yi]));
          for (size_t c = 0; c < kNumLabels; ++c) {
            const double r = wi * (z[c] / sum - (c == yi ? 1.0 : 0.0));
            double* gc = g.data() + c * d_;
            for (size_t k = 0; k < d_; ++k) gc[k] += r * xi[k];
            g[kNumLabels * d_ + c] += r;
          }
        }
        block_loss[b] = loss;
      }
    });
    grad.assign(np, 0.0);
    double loss = 0;
    for (size_t b = 0; b < blocks; ++b) {
      loss += block_loss[b];
      for (size_t k = 0; k < np; ++k) grad[k] += block_grad[b][k];
    }
    const double inv = total_weight_ > 0 ? 1.0 / total_weight_ : 0.0;
    loss *= inv;
    for (double& v : grad) v *= inv;
    for (size_t k = 0; k < kNumLabels * d_; ++k) {
      loss += 0.5 * l2_ * params[k] * params[k];
      grad[k] += l2_ * params[k];
    }
    return loss;
  }

 private:
  static constexpr size_t kBlock = 256;
  std::span<const float> x_;
  size_t n_, d_;
  std::span<const int> y_;
  std::span<const double> w_;
  double l2_;
  int threads_;
  double total_weight_ = 0;
};

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// L-BFGS (memory 10) with a backtracking Armijo line search; deterministic.
void minimize(const Objective& f, std::vector<double>& x, int max_iterations, double tolerance) {
  constexpr size_t kMemory = 10;
  std::vector<double> g, g_new, x_new, dir;
  double fx = f(x, g);
  std::deque<std::pair<std::vector<double>, std::vector<double>>> history;  // (s, y)
  for (int it = 0; it < max_iterations; ++it) {
    double gmax = 0;
    for (double v : g) gmax = std::max(gmax, std::fabs(v));
    if (gmax < tolerance) break;
    // Two-loop recursion: dir = -H g.
    dir = g;
    std::vector<double> alpha(history.size());
    for (size_t k = history.size(); k-- > 0;) {
      const auto& [s, y] = history[k];
      alpha[k] = dot(s, dir) / dot(y, s);
      for (size_t i = 0; i < dir.size(); ++i) dir[i] -= alpha[k] * y[i];
    }
    if (!history.empty()) {
      const auto& [s, y] = history.back();
      const double gamma = dot(s, y) / dot(y, y);
      for (double& v : dir) v *= gamma;
    } else {
      const double gnorm = std::sqrt(dot(g, g));
      for (double& v : dir) v /= std::max(gnorm, 1.0);
    }
    for (size_t k = 0; k < history.size(); ++k) {
      const auto& [s, y] = history[k];
      const double beta = dot(y, dir) / dot(y, s);
      for (size_t i = 0; i < dir.size(); ++i) dir[i] += s[i] * (alpha[k] - beta);
    }
    for (double& v : dir) v = -v;
    double slope = dot(g, dir);
    if (slope >= 0) {  // not a descent direction: restart from steepest descent
      history.clear();
      dir = g;
      for (double& v : dir) v = -v;
      slope = -dot(g, g);
    }
    double step = 1.0, f_new = 0;
    bool accepted = false;
    for (int ls = 0; ls < 40; ++ls) {
      x_new = x;
      for (size_t i = 0; i < x.size(); ++i) x_new[i] += step * dir[i];
      f_new = f(x_new, g_new);
      if (std::isfinite(f_new) && f_new <= fx + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;
    std::vector<double> s(x.size()), y(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      s[i] = x_new[i] - x[i];
      y[i] = g_new[i] - g[i];
    }
    const double decrease = fx - f_new;
    x.swap(x_new);
    g.swap(g_new);
    fx = f_new;
    if (dot(s, y) > 1e-12) {
      history.emplace_back(std::move(s), std::move(y));
      if (history.size() > kMemory) history.pop_front();
    }
    if (decrease <= 1e-12 * std::max(1.0, std::fabs(fx))) break;
  }
}

}  // namespace

void set_feature_encoder_factory(FeatureEncoderFactory factory) {
  std::lock_guard lock(factory_mutex());
  factory_slot() = std::move(factory);
}

bool has_feature_encoder_factory() {
  std::lock_guard lock(factory_mutex());
  return static_cast<bool>(factory_slot());
}

Result<std::unique_ptr<FeatureEncoder>> make_feature_encoder(std::string_view spec, const std::string& base_dir) {
  FeatureEncoderFactory factory;
  {
    std::lock_guard lock(factory_mutex());
    factory = factory_slot();
  }
  std::vector<std::unique_ptr<FeatureEncoder>> parts;
  size_t start = 0;
  while (true) {
    const size_t plus = spec.find('+', start);
    const std::string_view name = spec.substr(start, plus == std::string_view::npos ? std::string_view::npos : plus - start);
    if (name.empty()) return make_error(ErrorCode::kInvalidArgument, "empty encoder name in '" + std::string(spec) + "'");
    const bool own = name.starts_with("fasttext:");
    if (!own && !factory) {
      return make_error(ErrorCode::kUnsupported, "no feature encoder factory installed for encoder '" +
                                                     std::string(name) +
                                                     "' (classify::set_feature_encoder_factory; the crema CLI "
                                                     "installs crema::embed::make_encoder)");
    }
    auto part = own ? make_fasttext_sentence_encoder(resolve_model_path(name.substr(9), base_dir)) : factory(name);
    if (!part) return tl::unexpected(part.error());
    if (!*part || (*part)->dim() == 0 || (*part)->dim() > kMaxDim) {
      return make_error(ErrorCode::kInvalidArgument, "encoder '" + std::string(name) + "' has no usable dimension");
    }
    parts.push_back(std::move(*part));
    if (plus == std::string_view::npos) break;
    start = plus + 1;
  }
  if (parts.size() == 1) return std::move(parts.front());
  return std::unique_ptr<FeatureEncoder>(std::make_unique<ConcatEncoder>(std::move(parts)));
}

std::array<float, kNumLabels> LinearHead::probs(std::span<const float> x) const {
  std::array<double, kNumLabels> z{};
  for (size_t c = 0; c < kNumLabels; ++c) {
    double s = bias[c];
    const float* wc = weights.data() + c * dim;
    for (size_t k = 0; k < dim && k < x.size(); ++k) s += static_cast<double>(wc[k]) * x[k];
    z[c] = s;
  }
  const double zmax = *std::max_element(z.begin(), z.end());
  double sum = 0;
  for (double& v : z) sum += (v = std::exp(v - zmax));
  std::array<float, kNumLabels> out{};
  for (size_t c = 0; c < kNumLabels; ++c) out[c] = static_cast<float>(z[c] / sum);
  return out;
}

Result<LinearHead> train_linear_head(std::span<const float> features, size_t dim, std::span<const Label> labels,
                                     const LinearHeadTrainOptions& options) {
  const size_t n = labels.size();
  if (n == 0 || dim == 0 || dim > kMaxDim || features.size() != n * dim) {
    return make_error(ErrorCode::kInvalidArgument, "linear head: need n x dim features for n > 0 labelled rows");
  }
  if (!(options.l2 >= 0) || !std::isfinite(options.l2)) {
    return make_error(ErrorCode::kInvalidArgument, "linear head: l2 must be a finite number >= 0");
  }
  std::vector<int> y(n);
  std::array<double, kNumLabels> count{};
  for (size_t i = 0; i < n; ++i) {
    if (labels[i] == Label::kUnknown || static_cast<size_t>(labels[i]) >= kNumLabels) {
      return make_error(ErrorCode::kInvalidArgument, "linear head: row " + std::to_string(i) + " has no label");
    }
    y[i] = static_cast<int>(labels[i]);
    count[static_cast<size_t>(labels[i])] += 1;
  }
  for (float v : features) {
    if (!std::isfinite(v)) return make_error(ErrorCode::kInvalidArgument, "linear head: non-finite feature");
  }
  // Standardise every feature on these rows (constant features keep scale 1), so that one
  // l2 suits encoders of any scale and L-BFGS is well conditioned.
  std::vector<double> mean(dim, 0.0), scale(dim, 1.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t k = 0; k < dim; ++k) mean[k] += features[i * dim + k];
  for (double& m : mean) m /= static_cast<double>(n);
  std::vector<double> var(dim, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t k = 0; k < dim; ++k) {
      const double c = features[i * dim + k] - mean[k];
      var[k] += c * c;
    }
  for (size_t k = 0; k < dim; ++k) {
    const double sd = std::sqrt(var[k] / static_cast<double>(n));
    scale[k] = sd > 1e-8 ? sd : 1.0;
  }
  if (!options.standardize) {
    std::fill(mean.begin(), mean.end(), 0.0);
    std::fill(scale.begin(), scale.end(), 1.0);
  }
  std::vector<float> x(n * dim);
  for (size_t i = 0; i < n; ++i)
    for (size_t k = 0; k < dim; ++k)
      x[i * dim + k] = static_cast<float>((features[i * dim + k] - mean[k]) / scale[k]);

  size_t present = 0;
  for (double c : count) present += c > 0 ? 1 : 0;
  std::vector<double> w(n, 1.0);
  if (options.class_weights) {
    for (size_t i = 0; i < n; ++i) {
      w[i] = static_cast<double>(n) / (static_cast<double>(present) * count[static_cast<size_t>(y[i])]);
    }
  }
  const Objective objective(x, n, dim, y, w, options.l2, options.threads);
  std::vector<double> params(kNumLabels * dim + kNumLabels, 0.0);
  minimize(objective, params, options.max_iterations, options.tolerance);

  LinearHead head;
  head.dim = dim;
  head.weights.resize(kNumLabels * dim);
  for (size_t c = 0; c < kNumLabels; ++c) {
    double b = params[kNumLabels * dim + c];
    for (size_t k = 0; k < dim; ++k) {
      const double wk = params[c * dim + k] / scale[k];
      head.weights[c * dim + k] = static_cast<float>(wk);
      b -= wk * mean[k];
    }
    // A class the rows never show can never be predicted.
    head.bias[c] = count[c] > 0 ? static_cast<float>(b) : -1e4f;
  }
  for (float v : head.weights) {
    if (!std::isfinite(v)) return make_error(ErrorCode::kInternal, "linear head: training diverged");
  }
  return head;
}

std::string serialize_linear_head(const LinearHead& head) {
  std::string out(kMagic, sizeof kMagic);
  put_u32(out, kVersion);
  put_u32(out, static_cast<uint32_t>(kNumLabels));
  put_u32(out, static_cast<uint32_t>(head.dim));
  put_u32(out, static_cast<uint32_t>(head.encoder.size()));
  out += head.encoder;
  for (float v : head.weights) put_f32(out, v);
  for (float v : head.bias) put_f32(out, v);
  put_u64(out, fnv1a(kFnvOffset, out));
  return out;
}

Result<LinearHead> parse_linear_head(std::string_view bytes, const std::string& name) {
  const auto bad = [&](const std::string& why) { return make_error(ErrorCode::kCorrupt, name + ": " + why); };
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  constexpr size_t kHeader = sizeof kMagic + 16;
  if (bytes.size() < kHeader) return bad("too short for a linear-head file");
  if (std::memcmp(p, kMagic, sizeof kMagic) != 0) return bad("not a linear-head file (magic)");
  if (get_u32(p + 8) != kVersion) return bad("unsupported version " + std::to_string(get_u32(p + 8)));
  if (get_u32(p + 12) != kNumLabels) return bad("expected " + std::to_string(kNumLabels) + " classes");
  const uint32_t dim = get_u32(p + 16);
  const uint32_t name_len = get_u32(p + 20);
  if (dim == 0 || dim > kMaxDim) return bad("dimension out of range");
  if (name_len == 0 || name_len > kMaxEncoderSpecBytes) return bad("encoder name length out of range");
  const uint64_t want = kHeader + uint64_t{name_len} + 4ull * (uint64_t{kNumLabels} * dim + kNumLabels) + 8;
  if (bytes.size() != want) {
    return bad("size " + std::to_string(bytes.size()) + " bytes, expected " + std::to_string(want));
  }
  const size_t body = bytes.size() - 8;
  if (get_u64(p + body) != fnv1a(kFnvOffset, bytes.substr(0, body))) return bad("checksum mismatch");
  LinearHead head;
  head.dim = dim;
  head.encoder = std::string(bytes.substr(kHeader, name_len));
  if (!valid_encoder_spec(head.encoder)) return bad("encoder name is not printable ASCII");
  size_t at = kHeader + name_len;
  head.weights.resize(size_t{kNumLabels} * dim);
  const auto read = [&](float& v) {
    v = get_f32(p + at);
    at += 4;
    return std::isfinite(v) && std::fabs(v) <= kMaxAbsValue;
  };
  for (float& v : head.weights)
    if (!read(v)) return bad("weight not finite or out of range");
  for (float& v : head.bias)
    if (!read(v)) return bad("bias not finite or out of range");
  return head;
}

}  // namespace crema::classify
