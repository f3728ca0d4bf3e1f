// crema/nn/tokenizer.h: Hugging Face-compatible subword tokenizers (docs/tokenizers.md).
//
// A Tokenizer turns text into the token ids a transformer encoder expects, identical to what
// Hugging Face's `tokenizers` produces for the same model folder: WordPiece (BERT, DistilBERT,
// MPNet), byte-level BPE (RoBERTa, GPT-2), Unigram (XLM-R tokenizer.json) and SentencePiece
// .model files (crema's own reader, not libsentencepiece). The pipeline is HF's: added tokens
// are split off the raw text, then normalizer -> pre-tokenizer -> model -> post-processor
// (special tokens).
//
// Units: ids are vocabulary indices (int32). Offsets are byte offsets [begin, end) into the
// text passed to encode(); special and padding tokens have {0, 0}. Lengths count tokens,
// special tokens included.
//
// Ownership and threads: a loaded Tokenizer is immutable; encode()/encode_batch() are
// const, allocate only their own results and may be called from any number of threads.
//
// Failures: loading returns a Result whose Error names the file and the component or field
// that is wrong (an unknown normalizer type, a merge naming a token missing from the vocab, a
// token id outside the vocab, truncated JSON). Encoding never fails: ill-formed UTF-8 in the
// input is read as U+FFFD, text the vocabulary cannot cover becomes the unknown token.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crema/common/result.h"

namespace crema::nn {

// One encoded text.
struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> attention_mask;  // 1 for every real token, 0 for padding
  std::vector<int32_t> type_ids;        // segment ids from the post-processor (0 for one text)
  std::vector<std::pair<uint32_t, uint32_t>> offsets;  // byte span of each token in the input
  std::vector<uint8_t> special_mask;    // 1 for tokens added by the post-processor or padding
};

// A batch, row-major: row i occupies [i * seq_len, (i + 1) * seq_len).
struct BatchEncoding {
  size_t batch = 0;
  size_t seq_len = 0;
  std::vector<int32_t> ids;             // padded with pad_id()
  std::vector<int32_t> attention_mask;  // 0 on padding
  std::vector<int32_t> type_ids;
  std::vector<uint32_t> lengths;        // real tokens per row
};

enum class Padding {
  kLongest,  // pad every row to the longest row of the batch
  kMaxLen,   // pad every row to max_len
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Encodes one text. max_len > 0 truncates from the right so that the result, special tokens
  // included, has at most max_len tokens (HF "longest_first" for one sequence); 0 = no limit.
  // add_special_tokens = false skips the post-processor (no CLS/SEP, <s></s>).
  Encoding encode(std::string_view text, size_t max_len = 0, bool add_special_tokens = true) const;

  // Encodes texts with truncation to max_len (0 = none) and padding. With Padding::kMaxLen
  // and max_len == 0 the rows are padded to the longest.
  BatchEncoding encode_batch(std::span<const std::string_view> texts, size_t max_len,
                             Padding padding = Padding::kLongest,
                             bool add_special_tokens = true) const;

  // The model family: "wordpiece", "bpe", "unigram" or "sentencepiece".
  virtual std::string_view kind() const = 0;
  virtual size_t vocab_size() const = 0;
  // Id of a token string (added tokens included), or nullopt.
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  // Token string of an id ("" when out of range).
  virtual std::string id_to_token(int32_t id) const = 0;

  int32_t pad_id() const { return pad_id_; }
  // Number of special tokens the post-processor adds to one text (2 for BERT and RoBERTa).
  size_t num_special_tokens() const { return special_prefix_.size() + special_suffix_.size(); }

 protected:
  // A content token from the model: id and byte span in the input.
  struct Piece {
    int32_t id;
    uint32_t begin;
    uint32_t end;
  };
  struct Special {
    int32_t id;
    int32_t type_id;
  };
  // Tokenizes text without special tokens.
  virtual void tokenize(std::string_view text, std::vector<Piece>& out) const = 0;

  int32_t pad_id_ = 0;
  int32_t content_type_id_ = 0;
  std::vector<Special> special_prefix_;  // e.g. [CLS] or <s>
  std::vector<Special> special_suffix_;  // e.g. [SEP] or </s>
};

// Loads the tokenizer of a Hugging Face model folder. Reads, in order of preference:
// tokenizer.json; vocab.txt (WordPiece); vocab.json + merges.txt (byte-level BPE);
// sentencepiece.bpe.model (fairseq ids, as XLM-R and CamemBERT) or spiece.model /
// sentencepiece.model (plain ids). tokenizer_config.json and special_tokens_map.json give
// lower-casing, accent stripping and the special tokens for the files without a
// tokenizer.json. Errors: kNotFound when the folder has none of these files, kCorrupt /
// kParseError naming the file and field, kUnsupported naming an unknown component.
Result<std::unique_ptr<Tokenizer>> load_tokenizer(const std::filesystem::path& dir);

// Parses the text of a tokenizer.json. `source` names it in errors.
Result<std::unique_ptr<Tokenizer>> parse_tokenizer_json(std::string_view json,
                                                       std::string_view source = "tokenizer.json");

}  // namespace crema::nn
