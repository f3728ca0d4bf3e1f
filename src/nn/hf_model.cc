// Hugging Face encoders (model.h): config.json, safetensors or torch weights, a packed post-LN
// transformer forward pass and the pooling / classification heads.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <simdjson.h>

#include "crema/common/file_io.h"
#include "crema/common/parallel.h"
#include "crema/nn/model.h"
#include "crema/nn/weights_file.h"
#include "gemm.h"
#include "hf_kernels.h"
#include "worker_pool.h"

namespace crema::nn {
namespace {

// Sentences per packed sub-batch: bounds one thread's scratch memory.
constexpr size_t kSubBatch = 64;
constexpr size_t kMaxTokens = 512;
constexpr int kRelMaxDistance = 128;
// Per-thread layer buffers above this many floats (64 MiB) are freed after the forward.
constexpr size_t kKeepFloats = size_t{16} << 20;

std::string shape_text(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

// MPNet's bidirectional relative position bucket (float32 arithmetic, as the reference).
int relative_bucket(int rel, int buckets) {
  int ret = 0;
  int n = -rel;
  buckets /= 2;
  if (n < 0) ret += buckets;
  n = std::abs(n);
  const int max_exact = buckets / 2;
  if (n < max_exact) return ret + n;
  const float scale = static_cast<float>(std::log(static_cast<double>(kRelMaxDistance) / max_exact));
  const float v = std::log(static_cast<float>(n) / static_cast<float>(max_exact)) / scale *
                  static_cast<float>(buckets - max_exact);
  return ret + std::min(max_exact + static_cast<int>(v), buckets - 1);
}

}  // namespace

struct HfModel::Impl {
  std::unique_ptr<TensorFile> weights;
  FloatTensor word, pos, type;  // type may be empty (DistilBERT, MPNet)
  FloatTensor emb_ln_g, emb_ln_b;
  struct Layer {
    Linear qkv, out, ffn1, ffn2;
    FloatTensor ln1_g, ln1_b, ln2_g, ln2_b;
  };
  std::vector<Layer> layers;
  FloatTensor rel_bias;  // MPNet [buckets, heads]
  // kMeanLinear: CHO §3.4, one linear layer over the mean-pooled last hidden states.
  enum class Head { kNone, kBertPooler, kDenseTanh, kDenseRelu, kMeanLinear } head = Head::kNone;
  std::unique_ptr<Linear> head_dense, head_out;
  size_t H = 0, A = 0, I = 0;
  int32_t pos_offset = 0;
  float eps = 1e-12f;
  Activation act = Activation::kGeluErf;
  int buckets = 0;

  // Last hidden states of sentences packed back to back: returns [sum len, H].
  void forward(std::span<const std::vector<int32_t>* const> ids, std::vector<float>& x) const;
  void run_head(const float* first_tokens, size_t rows, float* logits) const;
};

namespace {

struct Loader {
  const TensorFile& st;
  std::string prefix;  // "bert." etc.
  std::string error;

  // Looks the tensor up with and without the family prefix (and LayerNorm gamma/beta).
  const StTensorInfo* find(const std::string& name) const {
    for (const std::string& n : {prefix + name, name}) {
      if (const auto* t = st.find(n)) return t;
      for (const auto& [a, b] : {std::pair<std::string, std::string>{".weight", ".gamma"}, {".bias", ".beta"}})
        if (n.ends_with(a) && n.find("LayerNorm") != std::string::npos)
          if (const auto* t = st.find(n.substr(0, n.size() - a.size()) + b)) return t;
    }
    return nullptr;
  }
  bool has(const std::string& name) const { return find(name) != nullptr; }
  // The tensor with exactly `shape`, or an empty tensor and `error` set.
  FloatTensor get(const std::string& name, std::vector<int64_t> shape) {
    if (!error.empty()) return {};
    const StTensorInfo* t = find(name);
    if (!t) {
      error = st.path() + ": missing tensor '" + prefix + name + "'";
      return {};
    }
    if (t->shape != shape) {
      error = st.path() + ": tensor '" + t->name + "' has shape " + shape_text(t->shape) + ", expected " +
              shape_text(shape);
      return {};
    }
    auto r = st.get(t->name);
    if (!r) {
      error = r.error().message;
      return {};
    }
    return std::move(*r);
  }
  // A torch Linear ([out, in] weight + bias) as a gemm.h Linear ([in, out]).
  std::unique_ptr<Linear> linear(const std::string& name, size_t in, size_t out, bool int8,
                                 std::optional<Activation> act = std::nullopt) {
    return linear_cat({name}, in, out, int8, act);
  }
  // Several torch Linears with the same input, concatenated along the output.
  std::unique_ptr<Linear> linear_cat(const std::vector<std::string>& names, size_t in, size_t out, bool int8,
                                     std::optional<Activation> act = std::nullopt) {
    const size_t total = out * names.size();
    std::vector<float> w(in * total), b(total);
    for (size_t p = 0; p < names.size(); ++p) {
      const FloatTensor wt = get(names[p] + ".weight", {static_cast<int64_t>(out), static_cast<int64_t>(in)});
      const FloatTensor bt = get(names[p] + ".bias", {static_cast<int64_t>(out)});
      if (!error.empty()) return nullptr;
      for (size_t o = 0; o < out; ++o) {
        for (size_t k = 0; k < in; ++k) w[k * total + p * out + o] = wt.data[o * in + k];
        b[p * out + o] = bt.data[o];
      }
    }
    return std::make_unique<Linear>(in, total, w, b, int8, act);
  }
};

}  // namespace

Result<HfConfig> parse_hf_config(std::string_view json, std::string_view what) {
  const std::string file(what);
  auto corrupt = [&](const std::string& why) { return make_error(ErrorCode::kCorrupt, file + ": " + why); };
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const simdjson::padded_string text(json);
  if (parser.parse(text).get(root) || !root.is_object()) return corrupt("not a JSON object");
  HfConfig c;
  if (simdjson::dom::array archs; !root["architectures"].get_array().get(archs))
    for (const auto a : archs)
      if (std::string_view name; !a.get_string().get(name) && name == kMeanPoolClassifier) c.mean_pool_head = true;
  std::string_view mt;
  if (!root["model_type"].get_string().get(mt)) {
    c.model_type = std::string(mt);
  } else if (c.mean_pool_head) {
    return corrupt(std::string(kMeanPoolClassifier) + " needs \"model_type\" to name the encoder family");
  } else {
    simdjson::dom::array archs;
    std::string_view a;
    if (!root["architectures"].get_array().get(archs) && archs.size() > 0 && !archs.at(0).get_string().get(a)) {
      for (const auto& [p, t] : {std::pair<const char*, const char*>{"XLMRoberta", "xlm-roberta"},
                                 {"Roberta", "roberta"}, {"DistilBert", "distilbert"}, {"MPNet", "mpnet"},
                                 {"Bert", "bert"}})
        if (a.starts_with(p)) {
          c.model_type = t;
          break;
        }
    }
  }
  const std::string& t = c.model_type;
  if (t == "bert") c.arch = HfArch::kBert;
  else if (t == "roberta") c.arch = HfArch::kRoberta;
  else if (t == "xlm-roberta" || t == "camembert") c.arch = HfArch::kXlmRoberta;
  else if (t == "distilbert") c.arch = HfArch::kDistilBert;
  else if (t == "mpnet") c.arch = HfArch::kMpnet;
  else
    return make_error(ErrorCode::kUnsupported,
                      file + ": model_type '" + t +
                          "' not supported (bert, roberta, xlm-roberta, camembert, distilbert, mpnet)");
  const bool distil = c.arch == HfArch::kDistilBert;
  auto size_field = [&](const char* name, size_t& out, bool required, int64_t fallback) -> Status {
    int64_t v = fallback;
    const auto e = root[name];
    if (e.error()) {
      if (required) return corrupt("missing '" + std::string(name) + "'");
    } else if (e.get_int64().get(v)) {
      return corrupt("'" + std::string(name) + "' is not an integer");
    }
    if (v < 0 || v > (int64_t{1} << 20)) return corrupt("'" + std::string(name) + "' out of range");
    out = static_cast<size_t>(v);
    return {};
  };
  for (const auto& st : {size_field(distil ? "dim" : "hidden_size", c.hidden, true, 0),
                         size_field(distil ? "n_layers" : "num_hidden_layers", c.layers, true, 0),
                         size_field(distil ? "n_heads" : "num_attention_heads", c.heads, true, 0),
                         size_field(distil ? "hidden_dim" : "intermediate_size", c.intermediate, true, 0),
                         size_field("vocab_size", c.vocab, true, 0),
                         size_field("max_position_embeddings", c.max_positions, true, 0),
                         size_field("type_vocab_size", c.type_vocab, false, distil || c.arch == HfArch::kMpnet ? 0 : 2),
                         size_field("relative_attention_num_buckets", c.relative_buckets, false, 32)})
    if (!st) return tl::unexpected(st.error());
  if (c.hidden == 0 || c.heads == 0 || c.hidden % c.heads != 0)
    return corrupt("hidden size " + std::to_string(c.hidden) + " is not a multiple of the head count " +
                   std::to_string(c.heads));
  if (c.layers == 0 || c.intermediate == 0 || c.vocab == 0 || c.max_positions == 0)
    return corrupt("layers, intermediate size, vocab size and positions must be positive");
  int64_t pad = c.arch == HfArch::kBert || distil ? 0 : 1;
  if (const auto e = root["pad_token_id"]; !e.error() && !e.is_null() && e.get_int64().get(pad))
    return corrupt("'pad_token_id' is not an integer");
  if (pad < 0 || pad >= static_cast<int64_t>(c.vocab)) return corrupt("'pad_token_id' outside the vocabulary");
  c.pad_token_id = static_cast<int32_t>(pad);
  double eps = 1e-12;
  if (const auto e = root["layer_norm_eps"]; !e.error() && e.get_double().get(eps))
    return corrupt("'layer_norm_eps' is not a number");
  if (!(eps > 0 && eps < 1)) return corrupt("'layer_norm_eps' out of range");
  c.layer_norm_eps = static_cast<float>(eps);
  std::string_view act = "gelu";
  if (const auto e = root[distil ? "activation" : "hidden_act"]; !e.error() && e.get_string().get(act))
    return corrupt("activation is not a string");
  c.activation = std::string(act);
  if (parse_activation(c.activation) == std::nullopt)
    return make_error(ErrorCode::kUnsupported, file + ": activation '" + c.activation + "' not supported");
  simdjson::dom::object id2label;
  if (!root["id2label"].get_object().get(id2label)) {
    std::vector<std::pair<size_t, std::string>> labels;
    for (const auto kv : id2label) {
      size_t id = 0;
      const std::string key(kv.key);
      std::string_view name;
      if (key.empty() || key.size() > 6 || !std::all_of(key.begin(), key.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) ||
          kv.value.get_string().get(name))
        return corrupt("id2label entry '" + key + "' is not \"<id>\": \"<label>\"");
      id = static_cast<size_t>(std::stoul(key));
      labels.emplace_back(id, std::string(name));
    }
    std::sort(labels.begin(), labels.end());
    for (size_t i = 0; i < labels.size(); ++i) {
      if (labels[i].first != i) return corrupt("id2label ids are not 0.." + std::to_string(labels.size() - 1));
      c.labels.push_back(labels[i].second);
    }
  }
  return c;
}

HfModel::~HfModel() = default;

bool HfModel::has_classifier() const { return impl_->head != Impl::Head::kNone; }

Result<std::unique_ptr<HfModel>> HfModel::load(const std::filesystem::path& dir, Precision precision) {
  const std::string config_path = (dir / "config.json").string();
  auto text = read_file(config_path);
  if (!text) return tl::unexpected(text.error());
  auto config = parse_hf_config(*text, config_path);
  if (!config) return tl::unexpected(config.error());
  auto st = open_model_weights(dir);
  if (!st) return tl::unexpected(st.error());
  auto tok = load_tokenizer(dir);
  if (!tok) return tl::unexpected(tok.error());

  std::unique_ptr<HfModel> m(new HfModel());
  m->config_ = std::move(*config);
  m->precision_ = precision;
  m->tokenizer_ = std::move(*tok);
  const HfConfig& c = m->config_;
  auto impl = std::make_unique<Impl>();
  impl->weights = std::move(*st);
  Impl& I = *impl;
  I.H = c.hidden;
  I.A = c.heads;
  I.I = c.intermediate;
  I.eps = c.arch == HfArch::kDistilBert ? 1e-12f : c.layer_norm_eps;
  I.act = *parse_activation(c.activation);
  const bool roberta_positions = c.arch == HfArch::kRoberta || c.arch == HfArch::kXlmRoberta || c.arch == HfArch::kMpnet;
  I.pos_offset = roberta_positions ? c.pad_token_id + 1 : 0;
  if (static_cast<size_t>(I.pos_offset) >= c.max_positions)
    return make_error(ErrorCode::kCorrupt, config_path + ": pad_token_id leaves no position embeddings");
  m->max_tokens_ = std::min(kMaxTokens, c.max_positions - static_cast<size_t>(I.pos_offset));

  const char* prefixes[] = {"bert.", "roberta.", "roberta.", "distilbert.", "mpnet."};
  Loader L{*I.weights, prefixes[static_cast<int>(c.arch)], {}};
  const bool int8 = precision == Precision::kInt8;
  const auto H = static_cast<int64_t>(c.hidden);
  I.word = L.get("embeddings.word_embeddings.weight", {static_cast<int64_t>(c.vocab), H});
  I.pos = L.get("embeddings.position_embeddings.weight", {static_cast<int64_t>(c.max_positions), H});
  if (c.type_vocab > 0 && c.arch != HfArch::kDistilBert && c.arch != HfArch::kMpnet)
    I.type = L.get("embeddings.token_type_embeddings.weight", {static_cast<int64_t>(c.type_vocab), H});
  I.emb_ln_g = L.get("embeddings.LayerNorm.weight", {H});
  I.emb_ln_b = L.get("embeddings.LayerNorm.bias", {H});
  for (size_t l = 0; l < c.layers && L.error.empty(); ++l) {
    const std::string ln = std::to_string(l);
    std::string q, k, v, o, ln1, f1, f2, ln2;
    if (c.arch == HfArch::kDistilBert) {
      const std::string p = "transformer.layer." + ln + ".";
      q = p + "attention.q_lin", k = p + "attention.k_lin", v = p + "attention.v_lin", o = p + "attention.out_lin";
      ln1 = p + "sa_layer_norm", f1 = p + "ffn.lin1", f2 = p + "ffn.lin2", ln2 = p + "output_layer_norm";
    } else if (c.arch == HfArch::kMpnet) {
      const std::string p = "encoder.layer." + ln + ".";
      q = p + "attention.attn.q", k = p + "attention.attn.k", v = p + "attention.attn.v", o = p + "attention.attn.o";
      ln1 = p + "attention.LayerNorm", f1 = p + "intermediate.dense", f2 = p + "output.dense", ln2 = p + "output.LayerNorm";
    } else {
      const std::string p = "encoder.layer." + ln + ".";
      q = p + "attention.self.query", k = p + "attention.self.key", v = p + "attention.self.value";
      o = p + "attention.output.dense", ln1 = p + "attention.output.LayerNorm", f1 = p + "intermediate.dense";
      f2 = p + "output.dense", ln2 = p + "output.LayerNorm";
    }
    auto qkv = L.linear_cat({q, k, v}, c.hidden, c.hidden, int8);
    auto out = L.linear(o, c.hidden, c.hidden, int8);
    auto ffn1 = L.linear(f1, c.hidden, c.intermediate, int8, I.act);
    auto ffn2 = L.linear(f2, c.intermediate, c.hidden, int8);
    FloatTensor g1 = L.get(ln1 + ".weight", {H}), b1 = L.get(ln1 + ".bias", {H});
    FloatTensor g2 = L.get(ln2 + ".weight", {H}), b2 = L.get(ln2 + ".bias", {H});
    if (!L.error.empty()) break;
    I.layers.push_back(Impl::Layer{std::move(*qkv), std::move(*out), std::move(*ffn1), std::move(*ffn2), std::move(g1),
                                   std::move(b1), std::move(g2), std::move(b2)});
  }
  if (c.arch == HfArch::kMpnet) {
    I.buckets = static_cast<int>(c.relative_buckets);
    I.rel_bias = L.get("encoder.relative_attention_bias.weight", {I.buckets, static_cast<int64_t>(c.heads)});
  }
  if (!L.error.empty()) return make_error(ErrorCode::kCorrupt, L.error);

  // Classification head, when the folder has one; its width fixes the label count.
  std::string out_name;
  if (c.mean_pool_head) {
    I.head = Impl::Head::kMeanLinear;
    out_name = "classifier";
    if (!L.has("classifier.weight"))
      return make_error(ErrorCode::kCorrupt, I.weights->path() + ": missing tensor 'classifier.weight' of the " +
                                                 kMeanPoolClassifier + " head (config.json architectures)");
  } else if (c.arch == HfArch::kBert && L.has("classifier.weight")) {
    I.head = Impl::Head::kBertPooler;
    I.head_dense = L.linear("pooler.dense", c.hidden, c.hidden, false);
    out_name = "classifier";
  } else if (c.arch == HfArch::kDistilBert && L.has("classifier.weight")) {
    I.head = Impl::Head::kDenseRelu;
    I.head_dense = L.linear("pre_classifier", c.hidden, c.hidden, false);
    out_name = "classifier";
  } else if (c.arch != HfArch::kBert && c.arch != HfArch::kDistilBert && L.has("classifier.out_proj.weight")) {
    I.head = Impl::Head::kDenseTanh;
    I.head_dense = L.linear("classifier.dense", c.hidden, c.hidden, false);
    out_name = "classifier.out_proj";
  }
  if (I.head != Impl::Head::kNone) {
    const StTensorInfo* w = L.find(out_name + ".weight");
    if (w->shape.size() != 2 || w->shape[0] < 1 || w->shape[0] > 100000)
      return make_error(ErrorCode::kCorrupt, I.weights->path() + ": tensor '" + w->name + "' has shape " +
                                                 shape_text(w->shape) + ", expected [labels, hidden]");
    const auto n = static_cast<size_t>(w->shape[0]);
    I.head_out = L.linear(out_name, c.hidden, n, false);
    if (!L.error.empty()) return make_error(ErrorCode::kCorrupt, L.error);
    if (m->config_.labels.empty())
      for (size_t i = 0; i < n; ++i) m->config_.labels.push_back("LABEL_" + std::to_string(i));
    if (m->config_.labels.size() != n)
      return make_error(ErrorCode::kCorrupt, config_path + ": id2label has " + std::to_string(m->config_.labels.size()) +
                                                 " labels, the classifier " + std::to_string(n));
  } else {
    m->config_.labels.clear();
  }
  m->impl_ = std::move(impl);
  use_single_threaded_kernels();
  return m;
}

void HfModel::Impl::forward(std::span<const std::vector<int32_t>* const> ids, std::vector<float>& x) const {
  std::vector<size_t> offset(ids.size() + 1, 0);
  for (size_t s = 0; s < ids.size(); ++s) offset[s + 1] = offset[s] + ids[s]->size();
  const size_t T = offset.back();
  x.resize(T * H);  // every row is written by the embedding sum below
  // Per-thread buffers kept between calls: fresh multi-megabyte vectors cost page faults
  // and zeroing on every forward.
  thread_local std::vector<float> qkv, att, big, scores, bias;
  qkv.resize(T * 3 * H);
  att.resize(T * H);
  big.resize(T * this->I);
  for (size_t s = 0; s < ids.size(); ++s) {
    for (size_t p = 0; p < ids[s]->size(); ++p) {
      float* xr = x.data() + (offset[s] + p) * H;
      const float* w = word.data.data() + static_cast<size_t>((*ids[s])[p]) * H;
      const float* pe = pos.data.data() + (static_cast<size_t>(pos_offset) + p) * H;
      for (size_t i = 0; i < H; ++i) xr[i] = w[i] + pe[i];
      if (!type.data.empty())
        for (size_t i = 0; i < H; ++i) xr[i] += type.data[i];
    }
  }
  layer_norm(x.data(), T, H, emb_ln_g.data.data(), emb_ln_b.data.data(), eps, x.data());
  const size_t dh = H / A;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  for (const Layer& L : layers) {
    L.qkv.forward(x.data(), T, qkv.data());
    for (size_t s = 0; s < ids.size(); ++s) {
      const size_t len = offset[s + 1] - offset[s];
      const float* bias_ptr = nullptr;
      if (buckets > 0) {
        // bias[h][i][j] from the bucket of j - i.
        bias.resize(A * len * len);
        for (size_t i = 0; i < len; ++i)
          for (size_t j = 0; j < len; ++j) {
            const auto b = static_cast<size_t>(relative_bucket(static_cast<int>(j) - static_cast<int>(i), buckets));
            for (size_t h = 0; h < A; ++h) bias[(h * len + i) * len + j] = rel_bias.data[b * A + h];
          }
        bias_ptr = bias.data();
      }
      attention(qkv.data() + offset[s] * 3 * H, len, H, A, scale, bias_ptr, att.data() + offset[s] * H, scores);
    }
    L.out.forward_add(att.data(), T, x.data());
    layer_norm(x.data(), T, H, L.ln1_g.data.data(), L.ln1_b.data.data(), eps, x.data());
    L.ffn1.forward(x.data(), T, big.data());  // + bias + activation
    L.ffn2.forward_add(big.data(), T, x.data());
    layer_norm(x.data(), T, H, L.ln2_g.data.data(), L.ln2_b.data.data(), eps, x.data());
  }
  // A batch of very long texts must not pin its buffers for the life of the thread.
  if (qkv.capacity() + att.capacity() + big.capacity() > kKeepFloats) {
    for (auto* v : {&qkv, &att, &big, &scores, &bias}) std::vector<float>().swap(*v);
  }
}

void HfModel::Impl::run_head(const float* first, size_t rows, float* logits) const {
  if (head == Head::kMeanLinear) {
    head_out->forward(first, rows, logits);
    return;
  }
  std::vector<float> h(rows * H);
  head_dense->forward(first, rows, h.data());
  for (auto& v : h) v = head == Head::kDenseRelu ? std::max(v, 0.0f) : std::tanh(v);
  head_out->forward(h.data(), rows, logits);
}

std::vector<std::vector<int32_t>> HfModel::tokenize(std::span<const std::string_view> texts, int threads) const {
  std::vector<std::vector<int32_t>> ids(texts.size());
  parallel_for(texts.size(), threads, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) ids[i] = tokenizer_->encode(texts[i], max_tokens_).ids;
  });
  return ids;
}

Status HfModel::check_ids(std::span<const std::vector<int32_t>> ids) const {
  for (size_t s = 0; s < ids.size(); ++s) {
    if (ids[s].empty() || ids[s].size() > max_tokens_)
      return make_error(ErrorCode::kInvalidArgument, "hf model: text " + std::to_string(s) + " has " +
                                                         std::to_string(ids[s].size()) + " tokens (1.." +
                                                         std::to_string(max_tokens_) + ")");
    for (const int32_t id : ids[s])
      if (id < 0 || static_cast<size_t>(id) >= config_.vocab)
        return make_error(ErrorCode::kInvalidArgument,
                          "hf model: text " + std::to_string(s) + " has token id " + std::to_string(id) +
                              " outside the vocabulary (" + std::to_string(config_.vocab) + ")");
  }
  return {};
}

Result<std::vector<float>> HfModel::hidden_states(std::span<const int32_t> ids) const {
  const std::vector<int32_t> one(ids.begin(), ids.end());
  if (auto st = check_ids(std::span(&one, 1)); !st) return tl::unexpected(st.error());
  const std::vector<int32_t>* p = &one;
  std::vector<float> x;
  impl_->forward(std::span(&p, 1), x);
  return x;
}

namespace {

// Runs fn(sub-batch of sentence pointers, their original indices) over length-sorted
// sub-batches split across threads.
template <typename Fn>
void for_sorted_batches(std::span<const std::vector<int32_t>> ids, int threads, Fn fn) {
  std::vector<size_t> order(ids.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a].size() < ids[b].size(); });
  const auto t = static_cast<size_t>(std::max(threads, 1));
  const size_t sub = std::clamp<size_t>((ids.size() + t - 1) / t, 1, kSubBatch);
  const size_t batches = (ids.size() + sub - 1) / sub;
  run_on_workers(batches, threads, [&](size_t begin, size_t end) {
    use_single_threaded_kernels();
    std::vector<const std::vector<int32_t>*> ptrs;
    for (size_t b = begin; b < end; ++b) {
      const size_t lo = b * sub, hi = std::min(ids.size(), lo + sub);
      ptrs.clear();
      for (size_t i = lo; i < hi; ++i) ptrs.push_back(&ids[order[i]]);
      fn(std::span<const std::vector<int32_t>* const>(ptrs), std::span<const size_t>(order).subspan(lo, hi - lo));
    }
  });
}

// Pools the packed last hidden states x of batch into one row of H per sentence.
void pool(const std::vector<float>& x, std::span<const std::vector<int32_t>* const> batch, size_t H, Pooling pooling,
          float* out) {
  size_t row = 0;
  for (size_t s = 0; s < batch.size(); ++s) {
    const size_t len = batch[s]->size();
    float* o = out + s * H;
    if (pooling == Pooling::kCls) {
      std::copy_n(x.data() + row * H, H, o);
    } else {
      std::fill(o, o + H, 0.0f);
      for (size_t t = row; t < row + len; ++t)
        for (size_t i = 0; i < H; ++i) o[i] += x[t * H + i];
      const float inv = 1.0f / static_cast<float>(len);
      for (size_t i = 0; i < H; ++i) o[i] *= inv;
    }
    row += len;
  }
}

}  // namespace

Status HfModel::embed_ids(std::span<const std::vector<int32_t>> ids, Pooling pooling, std::span<float> out,
                          int threads) const {
  const size_t H = config_.hidden;
  if (out.size() != ids.size() * H)
    return make_error(ErrorCode::kInvalidArgument, "hf model: output has " + std::to_string(out.size()) +
                                                       " floats, expected " + std::to_string(ids.size() * H));
  if (auto st = check_ids(ids); !st) return st;
  for_sorted_batches(ids, threads, [&](std::span<const std::vector<int32_t>* const> batch, std::span<const size_t> idx) {
    thread_local std::vector<float> x;
    std::vector<float> pooled(batch.size() * H);
    impl_->forward(batch, x);
    pool(x, batch, H, pooling, pooled.data());
    for (size_t s = 0; s < batch.size(); ++s) std::copy_n(pooled.data() + s * H, H, out.data() + idx[s] * H);
  });
  return {};
}

Status HfModel::embed(std::span<const std::string_view> texts, Pooling pooling, std::span<float> out, int threads) const {
  const auto ids = tokenize(texts, threads);
  return embed_ids(ids, pooling, out, threads);
}

Status HfModel::classify_ids(std::span<const std::vector<int32_t>> ids, std::span<float> out, int threads) const {
  if (!has_classifier())
    return make_error(ErrorCode::kInvalidArgument, "hf model: the folder has no sequence-classification head");
  const size_t n = config_.labels.size(), H = config_.hidden;
  if (out.size() != ids.size() * n)
    return make_error(ErrorCode::kInvalidArgument, "hf model: output has " + std::to_string(out.size()) +
                                                       " floats, expected " + std::to_string(ids.size() * n));
  if (auto st = check_ids(ids); !st) return st;
  for_sorted_batches(ids, threads, [&](std::span<const std::vector<int32_t>* const> batch, std::span<const size_t> idx) {
    thread_local std::vector<float> x;
    std::vector<float> pooled(batch.size() * H), logits(batch.size() * n);
    impl_->forward(batch, x);
    pool(x, batch, H, impl_->head == Impl::Head::kMeanLinear ? Pooling::kMean : Pooling::kCls, pooled.data());
    impl_->run_head(pooled.data(), batch.size(), logits.data());
    for (size_t s = 0; s < batch.size(); ++s) std::copy_n(logits.data() + s * n, n, out.data() + idx[s] * n);
  });
  return {};
}

Status HfModel::classify(std::span<const std::string_view> texts, std::span<float> out, int threads) const {
  const auto ids = tokenize(texts, threads);
  return classify_ids(ids, out, threads);
}

}  // namespace crema::nn
