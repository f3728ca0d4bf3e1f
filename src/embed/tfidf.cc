// The "tfidf" encoder: signed feature hashing of word and char n-grams, sublinear TF, IDF
// from a count-min sketch of corpus document frequencies (tfidf_stats.h).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "crema/common/file_io.h"
#include "crema/common/parallel.h"
#include "crema/embed/tfidf_stats.h"
#include "encoders.h"
#include "tfidf_features.h"

namespace crema::embed::detail {
namespace {

// Each block (words, chars) is L2-normalised, then mixed with these weights, so that the
// many char n-grams of a text do not drown its few words.
constexpr float kWordBlockWeight = 0.5F;
constexpr float kCharBlockWeight = 0.5F;

template <typename T>
T read_le(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

class TfidfEncoder final : public Encoder {
 public:
  TfidfEncoder(size_t dim, std::vector<uint8_t> idf, float idf_min, float idf_max)
      : dim_(dim), idf_(std::move(idf)), idf_min_(idf_min), idf_step_((idf_max - idf_min) / 255.0F) {
    name_ = dim == kTfidfDefaultDim ? "tfidf" : "tfidf-" + std::to_string(dim);
  }

  std::string_view name() const override { return name_; }
  size_t dim() const override { return dim_; }

  Status encode(std::span<const std::string_view> texts, std::span<float> out, int threads) const override {
    if (out.size() != texts.size() * dim_) {
      return make_error(ErrorCode::kInvalidArgument,
                        "tfidf encode: out has " + std::to_string(out.size()) + " floats, expected " +
                            std::to_string(texts.size() * dim_));
    }
    parallel_for(texts.size(), threads, [&](size_t begin, size_t end) {
      FeatureBuffers buffers;
      std::vector<float> block(dim_);
      for (size_t i = begin; i < end; ++i) encode_one(texts[i], buffers, block, out.data() + i * dim_);
    });
    return {};
  }

 private:
  float idf(uint64_t h) const {
    uint8_t q = 0;
    for (uint32_t row = 0; row < kIdfRows; ++row) {
      q = std::max(q, idf_[static_cast<size_t>(row) * kIdfBuckets + idf_index(h, row)]);
    }
    return idf_min_ + idf_step_ * static_cast<float>(q);
  }

  // Adds weight * (normalised block of the hashes in `hashes`) to row. Sorts hashes.
  void add_block(std::vector<uint64_t>& hashes, float weight, std::vector<float>& block, float* row) const {
    if (hashes.empty()) return;
    std::sort(hashes.begin(), hashes.end());
    std::fill(block.begin(), block.end(), 0.0F);
    const size_t mask = dim_ - 1;
    for (size_t i = 0; i < hashes.size();) {
      size_t j = i + 1;
      while (j < hashes.size() && hashes[j] == hashes[i]) ++j;
      const uint64_t h = hashes[i];
      const float tf = 1.0F + std::log(static_cast<float>(j - i));
      const float v = tf * idf(h);
      block[h & mask] += (h >> 63) != 0 ? -v : v;
      i = j;
    }
    double norm = 0;
    for (const float x : block) norm += static_cast<double>(x) * x;
    if (norm <= 0) return;
    const auto scale = static_cast<float>(weight / std::sqrt(norm));
    for (size_t d = 0; d < dim_; ++d) row[d] += scale * block[d];
  }

  void encode_one(std::string_view text, FeatureBuffers& buffers, std::vector<float>& block, float* row) const {
    std::fill(row, row + dim_, 0.0F);
    extract_features(text, buffers);
    add_block(buffers.words, std::sqrt(kWordBlockWeight), block, row);
    add_block(buffers.chars, std::sqrt(kCharBlockWeight), block, row);
    normalize_row(row, dim_);
  }

  size_t dim_;
  std::vector<uint8_t> idf_;
  float idf_min_, idf_step_;
  std::string name_;
};

}  // namespace

void normalize_row(float* row, size_t dim) {
  double norm = 0;
  for (size_t d = 0; d < dim; ++d) norm += static_cast<double>(row[d]) * row[d];
  if (norm < 1e-24) {
    std::fill(row, row + dim, 0.0F);
    return;
  }
  const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (size_t d = 0; d < dim; ++d) row[d] *= inv;
}

Result<std::unique_ptr<Encoder>> make_tfidf_encoder(const std::string& models_dir, size_t dim) {
  if (dim < 16 || dim > 65536 || (dim & (dim - 1)) != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "tfidf: dimension " + std::to_string(dim) + " is not a power of two in [16, 65536]");
  }
  const std::string path = models_dir + "/tfidf/idf.bin";
  auto bytes = read_file(path);
  if (!bytes) return tl::unexpected(bytes.error());
  const std::string& b = *bytes;
  const size_t table = static_cast<size_t>(kIdfRows) * kIdfBuckets;
  if (b.size() < kTfidfHeaderSize || std::memcmp(b.data(), kTfidfMagic, 8) != 0) {
    return make_error(ErrorCode::kCorrupt, path + ": not a crema tfidf stats file (bad magic or too short)");
  }
  const auto version = read_le<uint32_t>(b.data() + 8);
  const auto rows = read_le<uint32_t>(b.data() + 12);
  const auto log2 = read_le<uint32_t>(b.data() + 16);
  const auto idf_min = read_le<float>(b.data() + 32);
  const auto idf_max = read_le<float>(b.data() + 36);
  if (version != kTfidfVersion) {
    return make_error(ErrorCode::kCorrupt, path + ": unsupported version " + std::to_string(version));
  }
  if (rows != kIdfRows || log2 != kIdfLog2Buckets || b.size() != kTfidfHeaderSize + table) {
    return make_error(ErrorCode::kCorrupt, path + ": sketch geometry or file size does not match (size " +
                                               std::to_string(b.size()) + ")");
  }
  if (!std::isfinite(idf_min) || !std::isfinite(idf_max) || idf_min < 0 || idf_max < idf_min || idf_max > 100) {
    return make_error(ErrorCode::kCorrupt, path + ": IDF range is not valid");
  }
  std::vector<uint8_t> idf(table);
  std::memcpy(idf.data(), b.data() + kTfidfHeaderSize, table);
  return std::unique_ptr<Encoder>(new TfidfEncoder(dim, std::move(idf), idf_min, idf_max));
}

}  // namespace crema::embed::detail

namespace crema::embed {

Result<TfidfStatsInfo> write_tfidf_stats(std::span<const std::string_view> docs, const std::string& path) {
  using namespace detail;
  std::vector<uint32_t> df(static_cast<size_t>(kIdfRows) * kIdfBuckets, 0);
  FeatureBuffers buffers;
  std::vector<uint64_t> all;
  TfidfStatsInfo info;
  for (const std::string_view doc : docs) {
    extract_features(doc, buffers);
    all.assign(buffers.words.begin(), buffers.words.end());
    all.insert(all.end(), buffers.chars.begin(), buffers.chars.end());
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    for (const uint64_t h : all) {
      for (uint32_t row = 0; row < kIdfRows; ++row) ++df[static_cast<size_t>(row) * kIdfBuckets + idf_index(h, row)];
    }
    info.features += all.size();
    ++info.documents;
  }
  const double n = static_cast<double>(info.documents);
  const auto idf_of = [n](double count) { return std::log((n + 1.0) / (count + 1.0)) + 1.0; };
  info.idf_min = static_cast<float>(idf_of(n));
  info.idf_max = static_cast<float>(idf_of(0));
  const double span = std::max(1e-9, static_cast<double>(info.idf_max - info.idf_min));
  std::string out(kTfidfHeaderSize + df.size(), '\0');
  const auto put = [&out](size_t at, const void* p, size_t len) { std::memcpy(out.data() + at, p, len); };
  put(0, kTfidfMagic, 8);
  const uint32_t header_u32[4] = {kTfidfVersion, kIdfRows, kIdfLog2Buckets, 0};
  put(8, header_u32, sizeof(header_u32));
  put(24, &info.documents, 8);
  put(32, &info.idf_min, 4);
  put(36, &info.idf_max, 4);
  for (size_t i = 0; i < df.size(); ++i) {
    const double q = std::round((idf_of(df[i]) - info.idf_min) / span * 255.0);
    out[kTfidfHeaderSize + i] = static_cast<char>(static_cast<uint8_t>(std::clamp(q, 0.0, 255.0)));
  }
  if (auto st = write_file_atomic(path, out); !st) return tl::unexpected(st.error());
  return info;
}

}  // namespace crema::embed
