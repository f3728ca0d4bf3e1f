// crema/nn/use_lite.h: Universal Sentence Encoder Lite (English), run natively.
//
// The network is the TF.js graph of TF-Hub's universal-sentence-encoder-lite: piece
// embeddings (8002 x 256) plus a sinusoidal timing signal, two pre-LayerNorm Transformer
// layers (d 256 -> 512 with a dense residual lift, then 512; 4 heads; ReLU FFN 1536), mean
// pooling over the pieces, dense 512 + tanh, L2 normalisation. Output: 512 floats, unit norm.
// Texts are clipped to their first 128 pieces, as the graph does.
//
// Tokenisation reproduces @tensorflow-models/universal-sentence-encoder 1.3.3 exactly:
// NFKC, "\u2581" prefix and spaces -> "\u2581", Viterbi over UTF-16 code units with ties
// going to the later (shorter) candidate, null scores counted as 0, characters no piece
// covers -> id 0 with runs of id 0 merged.
//
// Two sources: the original TF.js folder (model.json + group1-shard*of7 + vocab.json) and
// crema's converted copy (use_lite.crnn + vocab.json, see weights_file.h and
// tools/convert_use_lite.cc). Loading is all-or-nothing; models are immutable afterwards
// and safe to share across threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crema/common/result.h"
#include "crema/nn/weights_file.h"

namespace crema::nn {

class UseLiteTokenizer {
 public:
  // Parses a vocab.json array of [piece, score|null]; ids are array positions, ids below 6
  // are reserved (0 = unknown). kNotFound / kCorrupt naming the file and entry.
  static Result<UseLiteTokenizer> load(const std::string& vocab_json_path);
  static Result<UseLiteTokenizer> parse(std::string_view json, std::string_view what);

  // Piece ids of a UTF-8 text (invalid UTF-8 is decoded as U+FFFD). "" gives no ids.
  std::vector<int32_t> encode(std::string_view text) const;
  size_t vocab_size() const { return pieces_.size(); }

 private:
  struct Piece {
    std::u16string text;
    double score = 0;
  };
  std::vector<Piece> pieces_;
  std::unordered_map<std::u16string, int32_t> index_;  // piece -> id (ids >= 6)
  size_t max_piece_units_ = 0;
};

// How linear layers run: fp32 (OpenBLAS sgemm) or int8 (per-output-channel weights,
// per-token activations, oneDNN s8 matmul with s32 accumulation).
enum class Precision { kFp32, kInt8 };

class UseLiteModel {
 public:
  static constexpr size_t kDim = 512;
  static constexpr size_t kMaxPieces = 128;
  static constexpr int32_t kEmbeddingRows = 8002;

  // The TF.js folder. Checks the manifest's names, shapes and dtypes and the shard sizes.
  static Result<std::unique_ptr<UseLiteModel>> load_tfjs(const std::string& dir, Precision precision);
  // crema's converted copy: dir/use_lite.crnn and dir/vocab.json.
  static Result<std::unique_ptr<UseLiteModel>> load(const std::string& dir, Precision precision);
  ~UseLiteModel();

  const UseLiteTokenizer& tokenizer() const { return tokenizer_; }
  Precision precision() const { return precision_; }

  // Embeds tokenised texts (ids < kEmbeddingRows; longer inputs are clipped) into out,
  // row-major, out.size() == ids.size() * kDim. kInvalidArgument for a bad id or size.
  // Sentences are packed without padding and split over up to `threads` threads.
  Status embed_ids(std::span<const std::vector<int32_t>> ids, std::span<float> out, int threads = 1) const;
  // Tokenises then embeds.
  Status embed(std::span<const std::string_view> texts, std::span<float> out, int threads = 1) const;

  // The fp32 weights by crema name (for the converter); see docs/nn.md for the names.
  const std::vector<std::pair<std::string, Tensor>>& weights() const { return weights_; }

  struct Impl;

 private:
  UseLiteModel() = default;
  static Result<std::unique_ptr<UseLiteModel>> build(UseLiteTokenizer tokenizer,
                                                     std::vector<std::pair<std::string, Tensor>> weights,
                                                     Precision precision, std::string_view what);
  UseLiteTokenizer tokenizer_;
  Precision precision_ = Precision::kFp32;
  std::vector<std::pair<std::string, Tensor>> weights_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crema::nn
