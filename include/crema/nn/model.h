// crema/nn/model.h: Hugging Face transformer encoders run natively (BERT, RoBERTa,
// XLM-RoBERTa, DistilBERT, MPNet), fp32 or int8.
//
// A model folder holds config.json, the weights (model.safetensors, see safetensors.h, else
// pytorch_model.bin, see torch_bin.h; F32/F16/BF16) and tokenizer files (tokenizer.h). config.json's "model_type" (or "architectures") picks the
// family; hidden_size, num_hidden_layers, num_attention_heads, intermediate_size,
// hidden_act (gelu = erf form, gelu_new / gelu_pytorch_tanh, relu), layer_norm_eps,
// max_position_embeddings, pad_token_id and id2label are read (DistilBERT: dim, n_layers,
// n_heads, hidden_dim, activation; LayerNorm eps 1e-12). Tensor names are accepted with and
// without the family prefix ("bert.", "roberta.", "distilbert.", "mpnet.").
//
// The network is the published post-LayerNorm encoder: word + position (+ token type)
// embeddings, LayerNorm; per layer self-attention, add & LayerNorm, FFN, add & LayerNorm.
// RoBERTa/XLM-R/MPNet position ids start at pad_token_id + 1; MPNet adds its bucketed
// relative position bias (32 buckets, max distance 128) to the attention scores.
// Heads: pooling (mean over the tokens with attention mask 1, CReMa §III-C, or the first
// token) and *ForSequenceClassification (BERT pooler+tanh+classifier; RoBERTa/XLM-R/MPNet
// classifier.dense+tanh+out_proj on the first token; DistilBERT pre_classifier+ReLU+classifier)
// and CHO §3.4's head: config.json "architectures": ["CremaMeanPoolClassifier"] (with
// "model_type" naming the encoder family) declares one linear layer `classifier.weight`
// [labels, hidden] + `classifier.bias` [labels] over the mean-pooled last hidden states.
//
// Execution: texts are tokenised (truncated to the positions the model has, at most 512),
// sorted by length, packed back to back without padding in sub-batches split over threads.
// Linear layers run through gemm.h: fp32 oneDNN (or OpenBLAS), or int8 with per-output-channel weights
// and per-token activations (oneDNN s8 matmul); softmax, LayerNorm and activations in fp32.
//
// Ownership and threads: load() copies the weights it needs; a loaded model is immutable and
// every const member may be called from any number of threads.
// Failures: load() gives kNotFound for a missing file, kCorrupt naming the file and tensor
// for a missing or misshapen tensor, kUnsupported for an unknown model_type; weight-file
// errors as safetensors.h / torch_bin.h give them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crema/common/result.h"
#include "crema/nn/tokenizer.h"
#include "crema/nn/use_lite.h"

namespace crema::nn {

enum class HfArch { kBert, kRoberta, kXlmRoberta, kDistilBert, kMpnet };

// The architectures name that declares CHO's mean-pooling + linear classification head.
inline constexpr const char* kMeanPoolClassifier = "CremaMeanPoolClassifier";

enum class Pooling {
  kMean,  // mean of the last hidden states over tokens with attention mask 1 (specials included)
  kCls,   // the first token's last hidden state
};

struct HfConfig {
  HfArch arch = HfArch::kBert;
  std::string model_type;  // as written in config.json
  size_t hidden = 0, layers = 0, heads = 0, intermediate = 0;
  size_t vocab = 0, max_positions = 0, type_vocab = 0;
  int32_t pad_token_id = 0;
  float layer_norm_eps = 1e-12f;
  std::string activation = "gelu";
  std::vector<std::string> labels;  // id2label by id; empty without a classification head
  size_t relative_buckets = 32;     // MPNet
  bool mean_pool_head = false;      // architectures lists kMeanPoolClassifier (CHO §3.4)
};

// Parses config.json text; `what` names it in errors.
Result<HfConfig> parse_hf_config(std::string_view json, std::string_view what);

class HfModel {
 public:
  // Loads dir/config.json, dir/model.safetensors (else dir/pytorch_model.bin) and the
  // tokenizer in dir.
  static Result<std::unique_ptr<HfModel>> load(const std::filesystem::path& dir, Precision precision);
  ~HfModel();

  const HfConfig& config() const { return config_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  Precision precision() const { return precision_; }
  size_t hidden_size() const { return config_.hidden; }
  // Longest input in tokens, specials included.
  size_t max_tokens() const { return max_tokens_; }
  bool has_classifier() const;
  const std::vector<std::string>& labels() const { return config_.labels; }

  // Token ids of texts (truncated to max_tokens(), with special tokens).
  std::vector<std::vector<int32_t>> tokenize(std::span<const std::string_view> texts, int threads = 1) const;

  // Last hidden states of one tokenised text: [ids.size(), hidden] row-major.
  // kInvalidArgument for an id outside the vocabulary or a text longer than max_tokens().
  Result<std::vector<float>> hidden_states(std::span<const int32_t> ids) const;
  // Pooled sentence vectors (not normalised), out.size() == ids.size() * hidden_size().
  Status embed_ids(std::span<const std::vector<int32_t>> ids, Pooling pooling, std::span<float> out,
                   int threads = 1) const;
  Status embed(std::span<const std::string_view> texts, Pooling pooling, std::span<float> out,
               int threads = 1) const;
  // Classification logits, out.size() == ids.size() * labels().size(); kInvalidArgument
  // when the folder has no classification head. Heads run in fp32 at either precision.
  Status classify_ids(std::span<const std::vector<int32_t>> ids, std::span<float> out, int threads = 1) const;
  Status classify(std::span<const std::string_view> texts, std::span<float> out, int threads = 1) const;

  struct Impl;

 private:
  HfModel() = default;
  Status check_ids(std::span<const std::vector<int32_t>> ids) const;
  HfConfig config_;
  Precision precision_ = Precision::kFp32;
  size_t max_tokens_ = 0;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crema::nn
