// Internal pieces of the Hugging Face tokenizer pipeline (include/crema/nn/tokenizer.h):
// aligned text, normalizers, pre-tokenizers and models. Everything here is immutable after
// construction and safe to share across threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crema/common/result.h"
#include "crema/nn/tokenizer.h"

namespace crema::nn::tok {

// Text with, for every byte, the byte span [begin, end) of the input character it came from.
struct AlignedText {
  std::string text;
  std::vector<uint32_t> begin;
  std::vector<uint32_t> end;

  void push(char32_t cp, uint32_t b, uint32_t e);
  void push_bytes(std::string_view bytes, uint32_t b, uint32_t e);
  size_t size() const { return text.size(); }
  // Copy of bytes [from, to) with their alignment.
  AlignedText slice(size_t from, size_t to) const;
};

// Reads the input into aligned text; ill-formed UTF-8 becomes U+FFFD (one per maximal subpart).
AlignedText make_aligned(std::string_view input, uint32_t base);

// Decodes the well-formed UTF-8 character at s[i] (the text of AlignedText always is).
char32_t decode_at(std::string_view s, size_t i, size_t* len);
void append_utf8(std::string& out, char32_t cp);

// Character classes as Hugging Face tokenizers (Rust char methods) define them.
bool is_whitespace(char32_t c);     // char::is_whitespace (White_Space)
bool is_bert_punctuation(char32_t c);  // ASCII punctuation or Unicode P*
bool is_word_char(char32_t c);      // regex \w: Alphabetic, M*, Nd, Pc, Join_Control
bool is_letter(char32_t c);         // \p{L}
bool is_number(char32_t c);         // \p{N}

// How a split keeps the delimiter (HF SplitDelimiterBehavior).
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// Splits text at the byte ranges `matches` (sorted, disjoint, non-empty) with `behavior`;
// empty pieces are dropped.
void split_by(const AlignedText& text, const std::vector<std::pair<size_t, size_t>>& matches,
              SplitBehavior behavior, std::vector<AlignedText>& out);

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void apply(AlignedText& text) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Splits each piece of `pieces` further, in place. `first` is true when the pieces start
  // at the beginning of the input (Metaspace's prepend_scheme "first").
  virtual void apply(std::vector<AlignedText>& pieces, bool first) const = 0;
};

struct Piece {
  int32_t id;
  uint32_t begin;  // byte offsets into the aligned word's text
  uint32_t end;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual std::string_view kind() const = 0;
  virtual void tokenize(std::string_view word, std::vector<Piece>& out) const = 0;
  virtual size_t vocab_size() const = 0;
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  virtual std::string id_to_token(int32_t id) const = 0;
};

// Vocabulary: token string <-> id, with lookups by string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept;
};
using VocabMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

struct Vocab {
  VocabMap map;
  std::vector<std::string> tokens;  // by id; ids are dense 0..n-1
  // Builds from (token, id) pairs; errors on duplicate or out-of-range ids. `what` names the
  // source in messages.
  static Result<Vocab> from_pairs(std::vector<std::pair<std::string, int64_t>> pairs,
                                  std::string_view what);
  std::optional<int32_t> find(std::string_view token) const;
};

std::unique_ptr<Normalizer> make_bert_normalizer(bool clean_text, bool handle_chinese_chars,
                                                 std::optional<bool> strip_accents,
                                                 bool lowercase);
std::unique_ptr<Normalizer> make_lowercase();
// form: "NFC", "NFD", "NFKC", "NFKD". Errors when ICU lacks the data.
Result<std::unique_ptr<Normalizer>> make_unicode_normalizer(std::string_view form);
std::unique_ptr<Normalizer> make_strip_accents();
std::unique_ptr<Normalizer> make_strip(bool left, bool right);
std::unique_ptr<Normalizer> make_prepend(std::string prepend);
// pattern is a literal when !is_regex, else an ICU regular expression.
Result<std::unique_ptr<Normalizer>> make_replace(std::string pattern, bool is_regex,
                                                 std::string content);
// The SentencePiece precompiled charsmap (darts-clone trie + replacement strings).
Result<std::unique_ptr<Normalizer>> make_precompiled(std::string charsmap);
std::unique_ptr<Normalizer> make_normalizer_sequence(std::vector<std::unique_ptr<Normalizer>> items);

std::unique_ptr<PreTokenizer> make_bert_pre_tokenizer();
std::unique_ptr<PreTokenizer> make_whitespace();
std::unique_ptr<PreTokenizer> make_whitespace_split();
std::unique_ptr<PreTokenizer> make_punctuation(SplitBehavior behavior);
std::unique_ptr<PreTokenizer> make_digits(bool individual);
Result<std::unique_ptr<PreTokenizer>> make_split(std::string pattern, bool is_regex,
                                                 SplitBehavior behavior, bool invert);
std::unique_ptr<PreTokenizer> make_byte_level(bool add_prefix_space, bool use_regex);
// prepend: "always", "never" or "first".
std::unique_ptr<PreTokenizer> make_metaspace(std::string replacement, std::string prepend, bool split);
std::unique_ptr<PreTokenizer> make_pre_tokenizer_sequence(std::vector<std::unique_ptr<PreTokenizer>> items);

// The GPT-2 byte -> printable character table of the ByteLevel pre-tokenizer, as UTF-8.
const std::string& byte_level_char(uint8_t byte);

struct WordPieceOptions {
  std::string unk_token = "[UNK]";
  std::string prefix = "##";
  size_t max_input_chars_per_word = 100;
};
Result<std::unique_ptr<Model>> make_wordpiece(Vocab vocab, WordPieceOptions options,
                                              std::string_view what);

struct BpeOptions {
  std::optional<std::string> unk_token;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
};
// merges: pairs of token strings in rank order; each side and the merged string must be in
// the vocab.
Result<std::unique_ptr<Model>> make_bpe(Vocab vocab,
                                        const std::vector<std::pair<std::string, std::string>>& merges,
                                        BpeOptions options, std::string_view what);

Result<std::unique_ptr<Model>> make_unigram(std::vector<std::pair<std::string, double>> pieces,
                                            std::optional<int64_t> unk_id, bool byte_fallback,
                                            std::string_view what);

// A token of the added vocabulary (HF "added_tokens"), split off the text before normalization.
struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
};

// The tokenizer.json pipeline.
class PipelineTokenizer final : public Tokenizer {
 public:
  struct Parts {
    std::vector<AddedToken> added;
    std::unique_ptr<Normalizer> normalizer;
    std::unique_ptr<PreTokenizer> pre_tokenizer;
    std::unique_ptr<Model> model;
    std::vector<std::pair<int32_t, int32_t>> prefix;  // (id, type_id)
    std::vector<std::pair<int32_t, int32_t>> suffix;
    int32_t content_type_id = 0;
    bool trim_offsets = false;
    int32_t pad_id = 0;
  };
  explicit PipelineTokenizer(Parts parts);

  std::string_view kind() const override { return model_->kind(); }
  size_t vocab_size() const override;
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  std::string id_to_token(int32_t id) const override;
  void set_pad_id(int32_t id) { pad_id_ = id; }

 protected:
  void tokenize(std::string_view text, std::vector<Tokenizer::Piece>& out) const override;

 private:
  void tokenize_section(std::string_view text, uint32_t base, bool first,
                        std::vector<Tokenizer::Piece>& out) const;

  std::vector<AddedToken> added_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<Model> model_;
  bool trim_offsets_ = false;
};

// SentencePiece model (.model file, read by spm_model.h). fairseq = XLM-R/CamemBERT id layout.
Result<std::unique_ptr<Tokenizer>> load_sentencepiece(const std::string& path, bool fairseq);

}  // namespace crema::nn::tok
