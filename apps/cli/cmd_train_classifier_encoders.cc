// Installs crema::embed::make_encoder as the classify module's feature-encoder factory when
// the crema binary starts, so that linear-head classifier directories (decision.txt
// "type linear-head", crema/classify/linear_head.h) load in every subcommand: classify
// comes before embed in the module order and cannot call it itself.
#include <memory>
#include <string_view>

#include "crema/classify/linear_head.h"
#include "crema/embed/encoder.h"

namespace crema::cli {
namespace {

class EmbedFeatureEncoder final : public classify::FeatureEncoder {
 public:
  explicit EmbedFeatureEncoder(std::unique_ptr<embed::Encoder> encoder) : encoder_(std::move(encoder)) {}
  size_t dim() const override { return encoder_->dim(); }
  Status encode(std::span<const std::string_view> texts, std::span<float> out, int threads) const override {
    return encoder_->encode(texts, out, threads);
  }

 private:
  std::unique_ptr<embed::Encoder> encoder_;
};

const bool kInstalled = [] {
  classify::set_feature_encoder_factory(
      [](std::string_view name) -> Result<std::unique_ptr<classify::FeatureEncoder>> {
        auto encoder = embed::make_encoder(name);
        if (!encoder) return tl::unexpected(encoder.error());
        return std::unique_ptr<classify::FeatureEncoder>(std::make_unique<EmbedFeatureEncoder>(std::move(*encoder)));
      });
  return true;
}();

}  // namespace
}  // namespace crema::cli
