// The "glove-sif" encoder: SIF-weighted mean of int8-quantised GloVe vectors with the
// corpus' first principal component removed (Arora, Liang & Ma 2017). File format in
// docs/encoders.md; tools/make_glove_sif.py writes it.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "crema/common/file_io.h"
#include "crema/common/parallel.h"
#include "crema/text/normalize.h"
#include "encoders.h"
#include "tfidf_features.h"

namespace crema::embed::detail {
namespace {

constexpr char kGloveMagic[8] = {'C', 'R', 'G', 'L', 'O', 'V', 'E', '1'};
constexpr uint32_t kGloveVersion = 1;
constexpr size_t kGloveHeaderSize = 40;
constexpr uint32_t kMaxDim = 4096;
constexpr uint32_t kMaxWords = 10'000'000;

template <typename T>
T read_le(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

class GloveSifEncoder final : public Encoder {
 public:
  std::string_view name() const override { return "glove-sif"; }
  size_t dim() const override { return dim_; }

  Status encode(std::span<const std::string_view> texts, std::span<float> out, int threads) const override {
    if (out.size() != texts.size() * dim_) {
      return make_error(ErrorCode::kInvalidArgument,
                        "glove-sif encode: out has " + std::to_string(out.size()) + " floats, expected " +
                            std::to_string(texts.size() * dim_));
    }
    parallel_for(texts.size(), threads, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) encode_one(texts[i], out.data() + i * dim_);
    });
    return {};
  }

  static Result<std::unique_ptr<Encoder>> load(const std::string& path);

 private:
  // Index of word in the vocabulary, or -1.
  int64_t lookup(std::string_view word) const {
    const uint64_t h = mix64(fnv1a(kFnvOffset, word));
    const size_t mask = slots_.size() - 1;
    for (size_t s = h & mask;; s = (s + 1) & mask) {
      const uint32_t v = slots_[s];
      if (v == 0) return -1;
      const uint32_t idx = v - 1;
      const uint32_t b = word_offsets_[idx];
      const uint32_t e = word_offsets_[idx + 1] - 1;  // without the '\n'
      if (e - b == word.size() && std::memcmp(vocab_ + b, word.data(), word.size()) == 0) return idx;
    }
  }

  void encode_one(std::string_view text, float* row) const {
    std::fill(row, row + dim_, 0.0F);
    size_t found = 0;
    for (const std::string& tok : text::word_tokens(text)) {
      const int64_t idx = lookup(tok);
      if (idx < 0) continue;
      const auto i = static_cast<size_t>(idx);
      const float w = weights_[i] * scales_[i];
      const int8_t* q = rows_ + i * dim_;
      for (size_t d = 0; d < dim_; ++d) row[d] += w * static_cast<float>(q[d]);
      ++found;
    }
    if (found == 0) return;
    float proj = 0;
    for (size_t d = 0; d < dim_; ++d) proj += row[d] * pc_[d];
    for (size_t d = 0; d < dim_; ++d) row[d] -= proj * pc_[d];
    normalize_row(row, dim_);
  }

  std::string bytes_;  // the whole file; rows_ and vocab_ point into it
  size_t dim_ = 0;
  std::vector<float> scales_, weights_, pc_;
  const int8_t* rows_ = nullptr;
  const char* vocab_ = nullptr;
  std::vector<uint32_t> word_offsets_;  // start of word i in vocab_, plus the end
  std::vector<uint32_t> slots_;         // open addressing: word index + 1, 0 = empty
};

Result<std::unique_ptr<Encoder>> GloveSifEncoder::load(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) return tl::unexpected(bytes.error());
  auto enc = std::make_unique<GloveSifEncoder>();
  enc->bytes_ = std::move(*bytes);
  const std::string& b = enc->bytes_;
  const auto corrupt = [&path](const std::string& why) {
    return make_error(ErrorCode::kCorrupt, path + ": " + why);
  };
  if (b.size() < kGloveHeaderSize || std::memcmp(b.data(), kGloveMagic, 8) != 0) {
    return corrupt("not a crema glove-sif file (bad magic or too short)");
  }
  const auto version = read_le<uint32_t>(b.data() + 8);
  const auto dim = read_le<uint32_t>(b.data() + 12);
  const auto words = read_le<uint32_t>(b.data() + 16);
  const auto vocab_bytes = read_le<uint64_t>(b.data() + 32);
  if (version != kGloveVersion) return corrupt("unsupported version " + std::to_string(version));
  if (dim == 0 || dim > kMaxDim || words == 0 || words > kMaxWords || vocab_bytes > (1ULL << 32)) {
    return corrupt("header sizes out of range");
  }
  const uint64_t expected = kGloveHeaderSize + 8ULL * words + 4ULL * dim + uint64_t{words} * dim + vocab_bytes;
  if (expected != b.size()) {
    return corrupt("file size " + std::to_string(b.size()) + " does not match its header (" +
                   std::to_string(expected) + ")");
  }
  size_t at = kGloveHeaderSize;
  const auto floats = [&](std::vector<float>& v, size_t n) {
    v.resize(n);
    std::memcpy(v.data(), b.data() + at, n * sizeof(float));
    at += n * sizeof(float);
  };
  floats(enc->scales_, words);
  floats(enc->weights_, words);
  floats(enc->pc_, dim);
  for (size_t i = 0; i < words; ++i) {
    if (!std::isfinite(enc->scales_[i]) || !std::isfinite(enc->weights_[i])) {
      return corrupt("non-finite scale or weight for word " + std::to_string(i));
    }
  }
  for (const float x : enc->pc_) {
    if (!std::isfinite(x)) return corrupt("non-finite principal component");
  }
  enc->rows_ = reinterpret_cast<const int8_t*>(b.data() + at);
  at += static_cast<size_t>(words) * dim;
  enc->vocab_ = b.data() + at;
  enc->dim_ = dim;

  // Vocabulary: `words` lines, each a non-empty word ended by '\n'.
  enc->word_offsets_.reserve(words + 1);
  enc->word_offsets_.push_back(0);
  for (uint32_t i = 0; i < vocab_bytes; ++i) {
    if (enc->vocab_[i] != '\n') continue;
    if (i == enc->word_offsets_.back()) return corrupt("empty word at line " + std::to_string(enc->word_offsets_.size()));
    if (enc->word_offsets_.size() > words) return corrupt("more vocabulary lines than words");
    enc->word_offsets_.push_back(i + 1);
  }
  if (enc->word_offsets_.size() != size_t{words} + 1 || enc->word_offsets_.back() != vocab_bytes) {
    return corrupt("vocabulary has " + std::to_string(enc->word_offsets_.size() - 1) + " complete lines, header says " +
                   std::to_string(words));
  }
  size_t capacity = 16;
  while (capacity < 2 * size_t{words}) capacity *= 2;
  enc->slots_.assign(capacity, 0);
  const size_t mask = capacity - 1;
  for (uint32_t i = 0; i < words; ++i) {
    const std::string_view w(enc->vocab_ + enc->word_offsets_[i], enc->word_offsets_[i + 1] - enc->word_offsets_[i] - 1);
    if (enc->lookup(w) >= 0) continue;  // a duplicate: the more frequent (earlier) one wins
    size_t s = mix64(fnv1a(kFnvOffset, w)) & mask;
    while (enc->slots_[s] != 0) s = (s + 1) & mask;
    enc->slots_[s] = i + 1;
  }
  return std::unique_ptr<Encoder>(std::move(enc));
}

}  // namespace

Result<std::unique_ptr<Encoder>> make_glove_sif_encoder(const std::string& models_dir) {
  return GloveSifEncoder::load(models_dir + "/glove-sif/glove-sif.bin");
}

}  // namespace crema::embed::detail
