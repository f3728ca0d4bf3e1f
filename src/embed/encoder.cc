#include "crema/embed/encoder.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "crema/common/paths.h"
#include "crema/nn/model.h"
#include "crema/nn/use_lite.h"
#include "encoders.h"

namespace crema::embed {
namespace {

// USE-Lite from the nn module behind the Encoder interface. Texts with no pieces give an
// all-zero row, as the interface asks (the network itself would map them to tanh(bias)).
class UseLiteEncoder final : public Encoder {
 public:
  UseLiteEncoder(std::unique_ptr<nn::UseLiteModel> model, std::string name)
      : model_(std::move(model)), name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  size_t dim() const override { return nn::UseLiteModel::kDim; }
  Status encode(std::span<const std::string_view> texts, std::span<float> out, int threads) const override {
    if (auto st = model_->embed(texts, out, threads); !st) return st;
    for (size_t i = 0; i < texts.size(); ++i)
      if (model_->tokenizer().encode(texts[i]).empty())
        std::fill(out.begin() + static_cast<std::ptrdiff_t>(i * dim()),
                  out.begin() + static_cast<std::ptrdiff_t>((i + 1) * dim()), 0.0f);
    return {};
  }

 private:
  std::unique_ptr<nn::UseLiteModel> model_;
  std::string name_;
};

// A Hugging Face model folder (nn/model.h): mean pooling over the attention mask (CReMa
// §III-C), L2-normalised. Texts with no content tokens (only the special tokens) give zeros.
class HfEncoder final : public Encoder {
 public:
  HfEncoder(std::unique_ptr<nn::HfModel> model, std::string name) : model_(std::move(model)), name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  size_t dim() const override { return model_->hidden_size(); }
  Status encode(std::span<const std::string_view> texts, std::span<float> out, int threads) const override {
    const auto ids = model_->tokenize(texts, threads);
    if (auto st = model_->embed_ids(ids, nn::Pooling::kMean, out, threads); !st) return st;
    const size_t d = dim();
    const size_t specials = model_->tokenizer().num_special_tokens();
    for (size_t i = 0; i < texts.size(); ++i) {
      float* row = out.data() + i * d;
      float sum = 0;
      for (size_t k = 0; k < d; ++k) sum += row[k] * row[k];
      const float inv = ids[i].size() <= specials || sum <= 0 ? 0.0f : 1.0f / std::sqrt(sum);
      for (size_t k = 0; k < d; ++k) row[k] *= inv;
    }
    return {};
  }

 private:
  std::unique_ptr<nn::HfModel> model_;
  std::string name_;
};

}  // namespace

Result<std::unique_ptr<Encoder>> make_encoder(std::string_view name, const EncoderOptions& options) {
  const std::string dir = options.models_dir.empty() ? resource_path("models") : options.models_dir;
  if (name == "glove-sif") return detail::make_glove_sif_encoder(dir);
  // "use-lite": fp32 linear layers; "use-lite-int8": int8 (nn/use_lite.h, docs/nn.md).
  if (name == "use-lite" || name == "use-lite-int8") {
    const auto precision = name == "use-lite" ? nn::Precision::kFp32 : nn::Precision::kInt8;
    auto model = nn::UseLiteModel::load(dir + "/use-lite", precision);
    if (!model) return tl::unexpected(model.error());
    return std::unique_ptr<Encoder>(std::make_unique<UseLiteEncoder>(std::move(*model), std::string(name)));
  }
  // "hf:DIR" / "hf-int8:DIR": a Hugging Face model folder, fp32 or int8 linear layers.
  if (name.starts_with("hf:") || name.starts_with("hf-int8:")) {
    const bool int8 = name.starts_with("hf-int8:");
    const std::string folder(name.substr(int8 ? 8 : 3));
    if (folder.empty()) return make_error(ErrorCode::kInvalidArgument, "encoder '" + std::string(name) + "' names no folder");
    auto model = nn::HfModel::load(folder, int8 ? nn::Precision::kInt8 : nn::Precision::kFp32);
    if (!model) return tl::unexpected(model.error());
    return std::unique_ptr<Encoder>(std::make_unique<HfEncoder>(std::move(*model), std::string(name)));
  }
  if (name == "tfidf") return detail::make_tfidf_encoder(dir, detail::kTfidfDefaultDim);
  // "tfidf-<dim>": the same features hashed into another power-of-two dimension.
  if (name.starts_with("tfidf-")) {
    const std::string_view digits = name.substr(6);
    size_t dim = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), dim);
    if (ec == std::errc() && end == digits.data() + digits.size()) return detail::make_tfidf_encoder(dir, dim);
  }
  std::string known;
  for (const auto& n : encoder_names()) known += (known.empty() ? "" : ", ") + n;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown encoder '" + std::string(name) + "' (known: " + known + ", tfidf-<dim>)");
}

std::vector<std::string> encoder_names() { return {"glove-sif", "tfidf", "use-lite", "use-lite-int8"}; }

std::string_view default_encoder_name() { return "tfidf"; }

}  // namespace crema::embed
