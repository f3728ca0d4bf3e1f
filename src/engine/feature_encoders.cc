// classify comes before embed in the module order, so it reaches the encoders of linear-head
// classifiers through a factory; the engine, which depends on both, installs it.
#include <memory>
#include <mutex>
#include <string_view>

#include "crema/classify/linear_head.h"
#include "crema/embed/encoder.h"
#include "crema/engine.h"

namespace crema::engine {
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

}  // namespace

void install_feature_encoders() {
  static std::once_flag once;
  std::call_once(once, [] {
    classify::set_feature_encoder_factory(
        [](std::string_view name) -> Result<std::unique_ptr<classify::FeatureEncoder>> {
          auto encoder = embed::make_encoder(name);
          if (!encoder) return tl::unexpected(encoder.error());
          return std::unique_ptr<classify::FeatureEncoder>(std::make_unique<EmbedFeatureEncoder>(std::move(*encoder)));
        });
  });
}

}  // namespace crema::engine
