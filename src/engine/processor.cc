#include "processor.h"

#include <span>

#include "crema/common/parallel.h"
#include "crema/common/paths.h"
#include "crema/extract/record.h"
#include "crema/text/normalize.h"

namespace crema::engine {
namespace {

store::ResolvedLocation resolved_location(const geo::GeoResolution& g) {
  store::ResolvedLocation r;
  switch (g.source) {
    case geo::GeoSource::kGeotag: r.source = store::GeoSource::kGeotag; break;
    case geo::GeoSource::kPlace: r.source = store::GeoSource::kPlace; break;
    case geo::GeoSource::kToponym: r.source = store::GeoSource::kToponym; break;
    case geo::GeoSource::kUser: r.source = store::GeoSource::kUser; break;
    case geo::GeoSource::kNone: return r;
  }
  r.point = GeoPoint{g.lat, g.lon};
  r.confidence = g.confidence;
  r.radius_km = g.radius_km;
  r.country = g.country;
  r.admin1 = g.admin1;
  r.city = g.city;
  r.geonameid = g.geonameid;
  return r;
}

}  // namespace

Result<std::unique_ptr<Processor>> Processor::create(const ModelOptions& options) {
  auto processor = std::unique_ptr<Processor>(new Processor());
  const std::string classifier_dir =
      options.classifier_dir.empty() ? resource_path("models/classifier") : options.classifier_dir;
  install_feature_encoders();  // a linear-head classifier needs its encoder
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
  if (options.locate || options.extract) {
    geo::GeocoderOptions geo_options;
    geo_options.gazetteer_path = options.gazetteer_path;
    geo_options.region = options.region;
    auto geocoder = geo::Geocoder::open(geo_options);
    if (!geocoder) return tl::unexpected(geocoder.error());
    processor->geocoder_.emplace(std::move(*geocoder));
    processor->locate_ = options.locate;
  }
  if (options.extract) {
    extract::ExtractorOptions extract_options;
    extract_options.encoder.clear();  // lexicon only: the fallback did not help on the dev split
    auto extractor = extract::Extractor::create(extract_options);
    if (!extractor) return tl::unexpected(extractor.error());
    processor->extractor_ = std::move(*extractor);
  }
  return processor;
}

Status Processor::process(std::vector<store::ProcessedPost>& batch, int threads) const {
  process_labels(batch, threads);
  return embed(batch, threads);
}

void Processor::process_labels(std::vector<store::ProcessedPost>& batch, int threads) const {
  // Three passes: per post (normalise, place, language, prefilter), one batched classifier
  // call (a transformer classifier packs the whole batch into few forward passes; fastText
  // spreads it over the threads), then per post again (labels, extraction).
  std::vector<geo::GeoResult> places(batch.size());
  parallel_for(batch.size(), threads, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      store::ProcessedPost& p = batch[i];
      p.normalized = text::normalize_text(p.post.text);
      if (geocoder_) places[i] = geocoder_->locate(p.post);
      const geo::GeoResult& where = places[i];
      if (locate_ && where.geo.source != geo::GeoSource::kNone) p.location = resolved_location(where.geo);
      if (p.location.source == store::GeoSource::kNone) p.location = store::geotag_location(p.post);
      p.detected_lang = p.post.lang.empty() ? text::detect_language(p.normalized).code : p.post.lang;
      if (prefilter_) {
        p.prefilter_rules = prefilter_->matching_ids(p.normalized);
        p.prefilter_pass = !p.prefilter_rules.empty();
      }
    }
  });

  // Posts with a given kind are classified too: their resources come from the text.
  std::vector<size_t> to_classify;
  std::vector<std::string_view> texts;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].post.kind != Label::kUnknown || batch[i].prefilter_pass.value_or(true)) {
      to_classify.push_back(i);
      texts.push_back(batch[i].normalized);
    }
  }
  std::vector<classify::Classification> classes(texts.size());
  classifier_->classify_batch(texts, classes, threads);
  for (size_t k = 0; k < to_classify.size(); ++k) {
    store::ProcessedPost& p = batch[to_classify[k]];
    classify::Classification& c = classes[k];
    if (p.post.kind != Label::kUnknown) {
      p.label = p.post.kind;
      p.label_from_input = true;
      p.probs = {};
      p.probs[static_cast<size_t>(p.label)] = 1.0F;
    } else {
      p.label = c.label;
      p.probs = c.probs;
    }
    p.resources = std::move(c.resources);
  }

  if (!extractor_) return;
  parallel_for(batch.size(), threads, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      store::ProcessedPost& p = batch[i];
      if (!is_actionable(p.label)) continue;
      extract::ExtractContext context;
      context.region = places[i].geo.country;
      const extract::Extraction extraction = extractor_->extract(p.post.text, context);
      // Resource names: the model's and the lexicon's together (docs/classifier.md,
      // "Resources": the union scores best on the test split).
      std::vector<std::string> extracted;
      for (const extract::Resource& r : extraction.resources) {
        extracted.emplace_back(extract::crema_resource_name(r.cls));
      }
      p.resources = classify::combine_resources(p.resources, extracted, true, classify::kPipelineResourceSource);
      p.extraction_json = extract::extraction_json(p.post, extraction, places[i], true);
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
