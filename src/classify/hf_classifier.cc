// The transformer actionable-help classifier (hf_classifier.h): crema::nn's HfModel for the
// label, fastText's one-vs-all model for resource types.
#include "hf_classifier.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "crema/common/parallel.h"
#include "crema/common/paths.h"
#include "crema/nn/model.h"

namespace crema::classify {
namespace {

class HfClassifier final : public Classifier {
 public:
  HfClassifier(std::unique_ptr<nn::HfModel> model, std::vector<Label> label_of, std::unique_ptr<Classifier> resources)
      : model_(std::move(model)), label_of_(std::move(label_of)), resources_(std::move(resources)) {}

  Classification classify(std::string_view normalized_text) const override {
    Classification out;
    classify_batch(std::span(&normalized_text, 1), std::span(&out, 1), 1);
    return out;
  }

  void classify_batch(std::span<const std::string_view> texts, std::span<Classification> out,
                      int threads) const override {
    const size_t n = std::min(texts.size(), out.size()), k = label_of_.size();
    threads = resolve_threads(threads);
    if (resources_) resources_->classify_batch(texts.first(n), out.first(n), threads);
    std::vector<float> logits(n * k);
    // Tokenised texts are never empty (special tokens) and are truncated to the model's
    // positions, so only an internal fault can fail here; such posts stay unknown.
    const bool ok = static_cast<bool>(model_->classify(texts.first(n), logits, threads));
    for (size_t i = 0; i < n; ++i) {
      Classification& c = out[i];
      c.probs.fill(0.0f);
      c.label = Label::kUnknown;
      if (!ok) continue;
      const float* z = logits.data() + i * k;
      const float top = *std::max_element(z, z + k);
      float total = 0;
      for (size_t j = 0; j < k; ++j) total += std::exp(z[j] - top);
      for (size_t j = 0; j < k; ++j) c.probs[static_cast<size_t>(label_of_[j])] = std::exp(z[j] - top) / total;
      c.label = label_of_[static_cast<size_t>(std::max_element(z, z + k) - z)];
    }
  }

 private:
  std::unique_ptr<nn::HfModel> model_;
  std::vector<Label> label_of_;           // model label id -> Label
  std::unique_ptr<Classifier> resources_;  // fastText model directory, used for resources only
};

// A fastText model directory with resources.ftz: dir itself, else the bundled one.
std::unique_ptr<Classifier> resource_classifier(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const std::string& d : {dir.string(), resource_path("models/classifier")}) {
    if (!std::filesystem::exists(std::filesystem::path(d) / "resources.ftz", ec)) continue;
    if (auto c = Classifier::load(d)) return std::move(*c);
  }
  return nullptr;
}

}  // namespace

Result<std::unique_ptr<Classifier>> load_hf_classifier(const std::string& spec) {
  const bool int8 = spec.starts_with("hf-int8:");
  const std::filesystem::path dir = spec.substr(spec.find(':') + 1);
  if (dir.empty()) return make_error(ErrorCode::kInvalidArgument, spec + ": expected hf:DIR or hf-int8:DIR");
  auto model = nn::HfModel::load(dir, int8 ? nn::Precision::kInt8 : nn::Precision::kFp32);
  if (!model) return tl::unexpected(model.error());
  const std::string config = (dir / "config.json").string();
  if (!(*model)->has_classifier())
    return make_error(ErrorCode::kInvalidArgument,
                      dir.string() + ": no classification head (a *ForSequenceClassification or " +
                          nn::kMeanPoolClassifier + " folder is needed)");
  std::vector<Label> label_of;
  const auto& names = (*model)->labels();
  for (size_t i = 0; i < names.size(); ++i) {
    std::string lower = names[i];
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch; });
    const auto label = parse_label(lower);
    if (!label || *label == Label::kUnknown)
      return make_error(ErrorCode::kCorrupt, config + ": label '" + names[i] + "' (id " + std::to_string(i) +
                                                 ") is not one of request, offer, request_and_offer, irrelevant");
    if (std::find(label_of.begin(), label_of.end(), *label) != label_of.end())
      return make_error(ErrorCode::kCorrupt, config + ": label '" + names[i] + "' (id " + std::to_string(i) +
                                                 ") names a class twice");
    label_of.push_back(*label);
  }
  return std::unique_ptr<Classifier>(
      new HfClassifier(std::move(*model), std::move(label_of), resource_classifier(dir)));
}

}  // namespace crema::classify
