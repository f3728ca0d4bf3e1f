// USE-Lite network (use_lite.h): the TF.js graph's arithmetic, with sentences packed
// back to back so that no work is spent on padding.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <simdjson.h>

#include "crema/common/file_io.h"
#include "crema/common/parallel.h"
#include "crema/nn/use_lite.h"
#include "gemm.h"
#include "hf_kernels.h"
#include "worker_pool.h"

namespace crema::nn {
namespace {

constexpr size_t kEmbedDim = 256;
constexpr size_t kTiming = 128;
constexpr size_t kHeads = 4;
constexpr float kLnEps = 1e-6f;
// Query scales as stored in the graph (1/sqrt(64) and 1/sqrt(128) in float32).
constexpr float kQScale0 = 0.125f;
constexpr float kQScale1 = 0.0883883461356163f;
// Sentences per packed sub-batch: bounds the scratch memory of one thread.
constexpr size_t kSubBatch = 64;
// Per-thread layer buffers above this many floats (64 MiB) are freed after the forward.
constexpr size_t kKeepFloats = size_t{16} << 20;

struct WeightSpec {
  const char* name;
  std::vector<int64_t> shape;
  const char* tfjs;  // the TF.js manifest name
};

const std::vector<WeightSpec>& weight_specs() {
  static const std::vector<WeightSpec> specs = [] {
    const std::string p = "module_apply_default/Encoder_en/KonaTransformer/Encode/";
    std::vector<WeightSpec> s;
    static std::vector<std::string> keep;  // backing store for the composed names
    keep.reserve(64);
    auto add = [&](const char* name, std::vector<int64_t> shape, std::string tfjs) {
      keep.push_back(std::move(tfjs));
      s.push_back({name, std::move(shape), keep.back().c_str()});
    };
    add("embeddings", {8002, 256}, "module/Embeddings_en");
    add("inv_timescales", {1, 128}, p + "TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1");
    for (int l = 0; l < 2; ++l) {
      const int64_t d_in = l == 0 ? 256 : 512;
      const std::string L = "Layer_" + std::to_string(l) + "/TransformerLayer/";
      const std::string mha = "module/Encoder_en/KonaTransformer/Encode/" + L + "MultiheadAttention/";
      const char* const names0[] = {"l0.ln_att.g", "l0.ln_att.b", "l0.qkv.w", "l0.qkv.b", "l0.out.w", "l0.out.b",
                                    "l0.ln_ffn.g", "l0.ln_ffn.b", "l0.ffn1.w", "l0.ffn1.b", "l0.ffn2.w", "l0.ffn2.b"};
      const char* const names1[] = {"l1.ln_att.g", "l1.ln_att.b", "l1.qkv.w", "l1.qkv.b", "l1.out.w", "l1.out.b",
                                    "l1.ln_ffn.g", "l1.ln_ffn.b", "l1.ffn1.w", "l1.ffn1.b", "l1.ffn2.w", "l1.ffn2.b"};
      const char* const* n = l == 0 ? names0 : names1;
      add(n[0], {d_in}, p + L + "layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat");
      add(n[1], {d_in}, p + L + "layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat");
      add(n[2], {1, 1, d_in, 3 * d_in}, mha + "qkv_transform_single/kernel/part_0");
      add(n[3], {3 * d_in}, p + L + "MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat");
      add(n[4], {1, 1, d_in, 512}, mha + "output_transform_single/kernel/part_0");
      add(n[5], {512}, p + L + "MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat");
      add(n[6], {512}, p + L + "FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat");
      add(n[7], {512}, p + L + "FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat");
      add(n[8], {512, 1536}, p + "TransformerStack/" + L + "FFN/conv1/Tensordot/Reshape_1");
      add(n[9], {1536}, p + L + "FFN/conv1/bias/ConcatPartitions/concat");
      add(n[10], {1536, 512}, p + "TransformerStack/" + L + "FFN/conv2/Tensordot/Reshape_1");
      add(n[11], {512}, p + L + "FFN/conv2/bias/ConcatPartitions/concat");
    }
    add("l0.res.w", {256, 512}, p + "Layer_0/TransformerLayer/dense/kernel/ConcatPartitions/concat");
    add("l0.res.b", {512}, p + "Layer_0/TransformerLayer/dense/bias/ConcatPartitions/concat");
    add("head.w", {512, 512}, "module/Encoder_en/hidden_layers/tanh_layer_0/weights");
    add("head.b", {512}, "module/Encoder_en/hidden_layers/tanh_layer_0/bias");
    return s;
  }();
  return specs;
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

struct UseLiteModel::Impl {
  const float* emb = nullptr;
  const float* inv_timescales = nullptr;
  struct Layer {
    const float *ln_att_g, *ln_att_b, *ln_ffn_g, *ln_ffn_b;
    Linear qkv, out, ffn1, ffn2;
  };
  std::vector<Layer> layers;
  std::unique_ptr<Linear> res;   // layer 0's residual lift 256 -> 512
  std::unique_ptr<Linear> head;  // dense 512 -> 512 before tanh

  void forward(std::span<const std::vector<int32_t>> ids, float* out) const;
};

UseLiteModel::~UseLiteModel() = default;

Result<std::unique_ptr<UseLiteModel>> UseLiteModel::build(UseLiteTokenizer tokenizer,
                                                          std::vector<std::pair<std::string, Tensor>> weights,
                                                          Precision precision, std::string_view what) {
  const std::string file(what);
  std::unique_ptr<UseLiteModel> m(new UseLiteModel());
  m->tokenizer_ = std::move(tokenizer);
  m->precision_ = precision;
  m->weights_ = std::move(weights);
  auto get = [&](const char* name) -> const Tensor* {
    for (const auto& [n, t] : m->weights_)
      if (n == name) return &t;
    return nullptr;
  };
  // Every tensor must be present with exactly the element count of its spec.
  for (const auto& spec : weight_specs()) {
    const Tensor* t = get(spec.name);
    if (!t) return make_error(ErrorCode::kCorrupt, file + ": missing tensor '" + spec.name + "'");
    int64_t want = 1;
    for (const int64_t d : spec.shape) want *= d;
    if (t->numel() != want || t->data.size() != static_cast<size_t>(want))
      return make_error(ErrorCode::kCorrupt, file + ": tensor '" + spec.name + "' has shape " + shape_str(t->shape) +
                                                 ", expected " + shape_str(spec.shape));
  }
  if (m->tokenizer_.vocab_size() + 2 != static_cast<size_t>(kEmbeddingRows))
    return make_error(ErrorCode::kCorrupt, file + ": vocabulary has " + std::to_string(m->tokenizer_.vocab_size()) +
                                               " pieces, the embedding table needs 8000");
  const bool int8 = precision == Precision::kInt8;
  auto impl = std::make_unique<Impl>();
  impl->emb = get("embeddings")->data.data();
  impl->inv_timescales = get("inv_timescales")->data.data();
  auto linear = [&](const std::string& prefix, size_t in, size_t out,
                    std::optional<Activation> act = std::nullopt) {
    return Linear(in, out, get((prefix + ".w").c_str())->data, get((prefix + ".b").c_str())->data, int8, act);
  };
  for (int l = 0; l < 2; ++l) {
    const std::string p = "l" + std::to_string(l);
    const size_t d = l == 0 ? 256 : 512;
    impl->layers.push_back(Impl::Layer{get((p + ".ln_att.g").c_str())->data.data(),
                                       get((p + ".ln_att.b").c_str())->data.data(),
                                       get((p + ".ln_ffn.g").c_str())->data.data(),
                                       get((p + ".ln_ffn.b").c_str())->data.data(), linear(p + ".qkv", d, 3 * d),
                                       linear(p + ".out", d, 512), linear(p + ".ffn1", 512, 1536, Activation::kRelu),
                                       linear(p + ".ffn2", 1536, 512)});
  }
  impl->res = std::make_unique<Linear>(linear("l0.res", 256, 512));
  impl->head = std::make_unique<Linear>(linear("head", 512, 512));
  m->impl_ = std::move(impl);
  use_single_threaded_kernels();
  return m;
}

void UseLiteModel::Impl::forward(std::span<const std::vector<int32_t>> ids, float* out) const {
  std::vector<size_t> offset(ids.size() + 1, 0);
  for (size_t s = 0; s < ids.size(); ++s) offset[s + 1] = offset[s] + std::min(ids[s].size(), kMaxPieces);
  const size_t T = offset.back();
  // Per-thread buffers kept between calls (no page faults and zeroing per forward); every
  // element read below is written first.
  thread_local std::vector<float> x, a, h, big, att, scores;
  x.resize(T * kEmbedDim);
  a.resize(T * 512);
  h.resize(T * 512);
  big.resize(T * 1536);
  att.resize(T * 512);
  // Embedding lookup plus timing signal. The graph adds the scattered embeddings to the
  // scattered (embedding + timing), so each piece contributes twice its embedding.
  for (size_t s = 0; s < ids.size(); ++s) {
    for (size_t p = 0; p < offset[s + 1] - offset[s]; ++p) {
      const float* e = emb + static_cast<size_t>(ids[s][p]) * kEmbedDim;
      float* xr = x.data() + (offset[s] + p) * kEmbedDim;
      const float pos = static_cast<float>(p);
      for (size_t i = 0; i < kTiming; ++i) {
        const float angle = pos * inv_timescales[i];
        xr[i] = e[i] + (e[i] + static_cast<float>(std::sin(static_cast<double>(angle))));
        xr[kTiming + i] = e[kTiming + i] + (e[kTiming + i] + static_cast<float>(std::cos(static_cast<double>(angle))));
      }
    }
  }
  res->forward(x.data(), T, h.data());
  for (size_t l = 0; l < layers.size(); ++l) {
    const Layer& L = layers[l];
    const size_t d = l == 0 ? kEmbedDim : 512;
    const float* in = l == 0 ? x.data() : h.data();
    layer_norm(in, T, d, L.ln_att_g, L.ln_att_b, kLnEps, a.data());
    L.qkv.forward(a.data(), T, big.data());
    for (size_t s = 0; s < ids.size(); ++s)
      attention(big.data() + offset[s] * 3 * d, offset[s + 1] - offset[s], d, kHeads, l == 0 ? kQScale0 : kQScale1,
                nullptr, att.data() + offset[s] * d, scores);
    L.out.forward_add(att.data(), T, h.data());
    layer_norm(h.data(), T, 512, L.ln_ffn_g, L.ln_ffn_b, kLnEps, a.data());
    L.ffn1.forward(a.data(), T, big.data());  // + bias + ReLU
    L.ffn2.forward_add(big.data(), T, h.data());
  }
  std::vector<float> pooled(ids.size() * 512, 0.0f);

  for (size_t s = 0; s < ids.size(); ++s) {
    const size_t len = offset[s + 1] - offset[s];
    float* pr = pooled.data() + s * 512;
    for (size_t t = offset[s]; t < offset[s + 1]; ++t)
      for (size_t i = 0; i < 512; ++i) pr[i] += h[t * 512 + i];
    const float inv = 1.0f / static_cast<float>(std::max<size_t>(len, 1));
    for (size_t i = 0; i < 512; ++i) pr[i] *= inv;
  }
  head->forward(pooled.data(), ids.size(), out);
  for (size_t s = 0; s < ids.size(); ++s) {
    float* o = out + s * 512;
    float sum = 0;
    for (size_t i = 0; i < 512; ++i) {
      o[i] = std::tanh(o[i]);
      sum += o[i] * o[i];
    }
    const float inv = 1.0f / std::sqrt(std::max(sum, 1e-12f));
    for (size_t i = 0; i < 512; ++i) o[i] *= inv;
  }
  // Sub-batches of very long texts must not pin their buffers for the life of the thread.
  if (x.capacity() + a.capacity() + h.capacity() + big.capacity() + att.capacity() > kKeepFloats)
    for (auto* v : {&x, &a, &h, &big, &att, &scores}) std::vector<float>().swap(*v);
}

Status UseLiteModel::embed_ids(std::span<const std::vector<int32_t>> ids, std::span<float> out, int threads) const {
  if (out.size() != ids.size() * kDim)
    return make_error(ErrorCode::kInvalidArgument, "use-lite: output has " + std::to_string(out.size()) +
                                                       " floats, expected " + std::to_string(ids.size() * kDim));
  for (size_t s = 0; s < ids.size(); ++s)
    for (const int32_t id : ids[s])
      if (id < 0 || id >= kEmbeddingRows)
        return make_error(ErrorCode::kInvalidArgument,
                          "use-lite: text " + std::to_string(s) + " has piece id " + std::to_string(id) + " out of range");
  // Sub-batches small enough that every thread gets one, large enough for efficient GEMMs.
  const size_t per_thread = (ids.size() + static_cast<size_t>(std::max(threads, 1)) - 1) /
                            static_cast<size_t>(std::max(threads, 1));
  const size_t sub = std::clamp<size_t>(per_thread, 1, kSubBatch);
  const size_t batches = (ids.size() + sub - 1) / sub;
  run_on_workers(batches, threads, [&](size_t begin, size_t end) {
    use_single_threaded_kernels();
    for (size_t b = begin; b < end; ++b) {
      const size_t lo = b * sub, hi = std::min(ids.size(), lo + sub);
      impl_->forward(ids.subspan(lo, hi - lo), out.data() + lo * kDim);
    }
  });
  return {};
}

Status UseLiteModel::embed(std::span<const std::string_view> texts, std::span<float> out, int threads) const {
  std::vector<std::vector<int32_t>> ids(texts.size());
  parallel_for(texts.size(), threads, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) ids[i] = tokenizer_.encode(texts[i]);
  });
  return embed_ids(ids, out, threads);
}

Result<std::unique_ptr<UseLiteModel>> UseLiteModel::load(const std::string& dir, Precision precision) {
  auto tok = UseLiteTokenizer::load(dir + "/vocab.json");
  if (!tok) return tl::unexpected(tok.error());
  const std::string path = dir + "/use_lite.crnn";
  auto wf = read_weights_file(path);
  if (!wf) return tl::unexpected(wf.error());
  if (wf->kind != "use-lite")
    return make_error(ErrorCode::kCorrupt, path + ": holds a '" + wf->kind + "' model, not use-lite");
  std::vector<std::pair<std::string, Tensor>> weights;
  for (size_t i = 0; i < wf->names.size(); ++i) weights.emplace_back(wf->names[i], std::move(wf->tensors[i]));
  return build(std::move(*tok), std::move(weights), precision, path);
}

Result<std::unique_ptr<UseLiteModel>> UseLiteModel::load_tfjs(const std::string& dir, Precision precision) {
  auto tok = UseLiteTokenizer::load(dir + "/vocab.json");
  if (!tok) return tl::unexpected(tok.error());
  const std::string manifest_path = dir + "/model.json";
  auto json = read_file(manifest_path);
  if (!json) return tl::unexpected(json.error());
  auto corrupt = [&](const std::string& why) { return make_error(ErrorCode::kCorrupt, manifest_path + ": " + why); };
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json->data(), json->size()).get(root)) return corrupt("not JSON");
  simdjson::dom::array groups, paths, entries;
  if (root["weightsManifest"].get_array().get(groups) || groups.size() != 1)
    return corrupt("expected one weightsManifest group");
  const auto group = groups.at(0);
  if (group["paths"].get_array().get(paths) || group["weights"].get_array().get(entries))
    return corrupt("weightsManifest lacks paths or weights");
  std::string blob;
  for (const auto p : paths) {
    std::string_view name;
    if (p.get_string().get(name) || name.find('/') != std::string_view::npos || name.find("..") != std::string_view::npos)
      return corrupt("bad shard path");
    auto shard = read_file(dir + "/" + std::string(name));
    if (!shard) return tl::unexpected(shard.error());
    blob += *shard;
  }
  // name -> tfjs tensor, in manifest order (tensors are stored back to back).
  std::vector<std::pair<std::string, Tensor>> by_tfjs;
  size_t off = 0;
  for (const auto e : entries) {
    std::string_view name, dtype;
    simdjson::dom::array shape;
    if (e["name"].get_string().get(name) || e["dtype"].get_string().get(dtype) || e["shape"].get_array().get(shape))
      return corrupt("manifest entry lacks name, dtype or shape");
    Tensor t;
    int64_t n = 1;
    for (const auto d : shape) {
      int64_t v = 0;
      if (d.get_int64().get(v) || v < 0 || v > (int64_t{1} << 31) || (v > 0 && n > (int64_t{1} << 31) / v))
        return corrupt("tensor '" + std::string(name) + "': bad shape");
      t.shape.push_back(v);
      n *= v;
    }
    if (dtype != "float32" && dtype != "int32")
      return corrupt("tensor '" + std::string(name) + "': dtype " + std::string(dtype) + " not supported");
    const size_t bytes = static_cast<size_t>(n) * 4;
    if (off > blob.size() || bytes > blob.size() - off)
      return corrupt("tensor '" + std::string(name) + "' runs past the end of the shards");
    if (dtype == "float32") {
      t.data.resize(static_cast<size_t>(n));
      std::memcpy(t.data.data(), blob.data() + off, bytes);
      by_tfjs.emplace_back(std::string(name), std::move(t));
    }
    off += bytes;
  }
  if (off != blob.size()) return corrupt("shards hold " + std::to_string(blob.size() - off) + " bytes past the manifest");
  std::vector<std::pair<std::string, Tensor>> weights;
  for (const auto& spec : weight_specs()) {
    auto it = std::find_if(by_tfjs.begin(), by_tfjs.end(), [&](const auto& p) { return p.first == spec.tfjs; });
    if (it == by_tfjs.end()) return corrupt(std::string("missing tensor '") + spec.tfjs + "'");
    Tensor t = std::move(it->second);
    // 1x1 convolution kernels [1,1,in,out] are plain [in,out] matrices.
    if (t.shape.size() == 4 && t.shape[0] == 1 && t.shape[1] == 1) t.shape = {t.shape[2], t.shape[3]};
    std::vector<int64_t> want = spec.shape;
    if (want.size() == 4) want = {want[2], want[3]};
    if (t.shape != want)
      return corrupt(std::string("tensor '") + spec.tfjs + "' has shape " + shape_str(t.shape) + ", expected " +
                     shape_str(want));
    weights.emplace_back(spec.name, std::move(t));
  }
  return build(std::move(*tok), std::move(weights), precision, manifest_path);
}

}  // namespace crema::nn
