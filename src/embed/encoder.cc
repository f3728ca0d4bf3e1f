#include "crema/embed/encoder.h"

#include <charconv>

#include "crema/common/paths.h"
#include "encoders.h"

namespace crema::embed {

Result<std::unique_ptr<Encoder>> make_encoder(std::string_view name, const EncoderOptions& options) {
  const std::string dir = options.models_dir.empty() ? resource_path("models") : options.models_dir;
  if (name == "glove-sif") return detail::make_glove_sif_encoder(dir);
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

std::vector<std::string> encoder_names() { return {"glove-sif", "tfidf"}; }

std::string_view default_encoder_name() { return "tfidf"; }

}  // namespace crema::embed
