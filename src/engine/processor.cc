#include "processor.h"

#include <span>

#include "crema/common/parallel.h"
#include "crema/common/paths.h"
#include "crema/text/normalize.h"

namespace crema::engine {

Result<std::unique_ptr<Processor>> Processor::create(const ModelOptions& options) {
  auto processor = std::unique_ptr<Processor>(new Processor());
  const std::string classifier_dir =
      options.classifier_dir.empty() ? resource_path("models/classifier") : options.classifier_dir;
  auto classifier = classify::Classifier::load(classifier_dir);
  if (!classifier) return tl::unexpected(classifier.error());
  processor->classifier_ = std::move(*classifier);

  const std::string encoder_name =
      options.encoder.empty() ? std::string(embed::default_encoder_name()) : options.encoder;
  auto encoder = embed::make_encoder(encoder_name);
  if (!encoder) return tl::unexpected(encoder.error());
  processor->encoder_ = std::move(*encoder);

  if (options.prefilter) {
    const std::string path = options.prefilter_path.empty()
                                 ? resource_path("data/prefilter/patterns.txt")
                                 : options.prefilter_path;
    auto prefilter = filter::Prefilter::load(path);
    if (!prefilter) return tl::unexpected(prefilter.error());
    processor->prefilter_ = std::move(*prefilter);
  }
  return processor;
}

Status Processor::process(std::vector<store::ProcessedPost>& batch, int threads) const {
  process_labels(batch, threads);
  return embed(batch, threads);
}

void Processor::process_labels(std::vector<store::ProcessedPost>& batch, int threads) const {
  // Embarrassingly parallel per post.
  parallel_for(batch.size(), threads, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      store::ProcessedPost& p = batch[i];
      p.normalized = text::normalize_text(p.post.text);
      if (p.location.source == store::GeoSource::kNone) p.location = store::geotag_location(p.post);
      p.detected_lang = p.post.lang.empty() ? text::detect_language(p.normalized).code : p.post.lang;
      if (prefilter_) {
        p.prefilter_rules = prefilter_->matching_ids(p.normalized);
        p.prefilter_pass = !p.prefilter_rules.empty();
      }
      if (p.post.kind != Label::kUnknown) {
        p.label = p.post.kind;
        p.label_from_input = true;
        p.probs = {};
        p.probs[static_cast<size_t>(p.label)] = 1.0F;
        // Resources are still read from the text: the input's kind does not carry them.
        const classify::Classification c = classifier_->classify(p.normalized);
        p.resources = c.resources;
      } else if (p.prefilter_pass.value_or(true)) {
        classify::Classification c = classifier_->classify(p.normalized);
        p.label = c.label;
        p.probs = c.probs;
        p.resources = std::move(c.resources);
      }
    }
  });
}

Status Processor::embed(std::vector<store::ProcessedPost>& batch, int threads) const {
  // The actionable originals, in one batched call.
  std::vector<size_t> to_embed;
  std::vector<std::string_view> texts;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (is_actionable(batch[i].label) && !batch[i].duplicate_of) {
      to_embed.push_back(i);
      texts.push_back(batch[i].normalized);
    }
  }
  if (texts.empty()) return {};
  const size_t dim = encoder_->dim();
  std::vector<float> vectors(texts.size() * dim);
  if (auto status = encoder_->encode(texts, vectors, threads); !status) return status;
  for (size_t k = 0; k < to_embed.size(); ++k) {
    const auto row = std::span<const float>(vectors).subspan(k * dim, dim);
    batch[to_embed[k]].embedding.assign(row.begin(), row.end());
  }
  return {};
}

}  // namespace crema::engine
