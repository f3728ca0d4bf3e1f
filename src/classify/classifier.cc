// The fastText-backed Classifier: validated loading and fast, thread-safe prediction.
#include "crema/classify/classifier.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <istream>
#include <streambuf>
#include <system_error>

#include <fasttext/fasttext.h>

#include "crema/classify/evaluation.h"
#include "crema/classify/linear_head.h"
#include "crema/common/file_io.h"
#include "crema/common/parallel.h"
#include "crema/text/normalize.h"
#include "fasttext_model.h"
#include "hf_classifier.h"

namespace crema::classify {

std::string fasttext_input(std::string_view normalized_text) {
  std::string out;
  for (const std::string& token : text::word_tokens(normalized_text)) {
    if (!out.empty()) out.push_back(' ');
    out += token;
  }
  return out;
}

namespace {

// A read-only streambuf over caller-owned bytes: lets fastText's tokenizer read a line
// without copying it into a stringstream. Supports the putback fastText uses at '\n'.
class ViewBuf : public std::streambuf {
 public:
  void set(std::string_view s) {
    char* p = const_cast<char*>(s.data());  // never written through: no overflow/pbackfail
    setg(p, p, p + s.size());
  }
};

constexpr uint64_t kMaxModelBytes = uint64_t{1} << 31;

Result<std::string> read_model_bytes(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    if (!std::filesystem::exists(path)) return make_error(ErrorCode::kNotFound, path + ": model file not found");
    return make_error(ErrorCode::kIoError, path + ": " + ec.message());
  }
  if (size > kMaxModelBytes) return make_error(ErrorCode::kCorrupt, path + ": model file too large");
  return read_file(path);
}

}  // namespace

Result<FastTextModel> FastTextModel::load(const std::string& path) {
  auto bytes = read_model_bytes(path);
  if (!bytes) return tl::unexpected(bytes.error());
  auto info = check_fasttext_model(*bytes, path);
  if (!info) return tl::unexpected(info.error());
  FastTextModel model;
  model.info = std::move(*info);
  auto ft = std::make_shared<fasttext::FastText>();
  try {
    // The checked file is read again by fastText's own loader; a file swapped in between
    // by someone with write access to the model directory is outside what we defend.
    ft->loadModel(path);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kCorrupt, path + ": fastText could not load the model: " + e.what());
  } catch (...) {
    return make_error(ErrorCode::kCorrupt, path + ": fastText could not load the model");
  }
  model.ft = std::move(ft);
  return model;
}

void FastTextModel::predict(std::string_view input_line, std::vector<float>& probs) const {
  thread_local ViewBuf buf;
  thread_local std::istream in(&buf);
  thread_local std::vector<int32_t> words, labels;
  thread_local fasttext::Predictions predictions;
  probs.assign(info.labels.size(), 0.0f);
  buf.set(input_line);
  in.clear();
  words.clear();
  labels.clear();
  predictions.clear();
  try {
    ft->getDictionary()->getLine(in, words, labels);
    ft->predict(-1, words, predictions, 0.0f);
  } catch (...) {
    predictions.clear();  // fastText only throws on misuse; leave the probabilities at 0
  }
  for (const auto& [log_prob, id] : predictions) {
    if (id >= 0 && static_cast<size_t>(id) < probs.size()) {
      // fastText reports log(p + 1e-5).
      probs[static_cast<size_t>(id)] = std::max(0.0f, std::exp(log_prob) - 1e-5f);
    }
  }
}

namespace {

class FastTextSentenceEncoder final : public FeatureEncoder {
 public:
  explicit FastTextSentenceEncoder(FastTextModel model) : model_(std::move(model)) {}
  size_t dim() const override { return static_cast<size_t>(model_.info.dim); }
  Status encode(std::span<const std::string_view> texts, std::span<float> out, int threads) const override {
    const size_t d = dim();
    if (out.size() != texts.size() * d) return make_error(ErrorCode::kInvalidArgument, "feature buffer size");
    // getSentenceVector only reads the model; fastText just does not declare it const.
    auto* ft = const_cast<fasttext::FastText*>(model_.ft.get());
    parallel_for(texts.size(), resolve_threads(threads), [&](size_t begin, size_t end) {
      ViewBuf buf;
      std::istream in(&buf);
      fasttext::Vector vec(static_cast<int64_t>(d));
      for (size_t i = begin; i < end; ++i) {
        const std::string line = fasttext_input(texts[i]) + "\n";
        buf.set(line);
        in.clear();
        vec.zero();
        try {
          ft->getSentenceVector(in, vec);
        } catch (...) {
          vec.zero();
        }
        for (size_t k = 0; k < d; ++k) out[i * d + k] = vec[static_cast<int64_t>(k)];
      }
    });
    return {};
  }

 private:
  FastTextModel model_;
};

// The one-vs-all resource model and the map from its label ids to kResourceNames.
class ResourceModel {
 public:
  explicit ResourceModel(FastTextModel model) : model_(std::move(model)) {
    for (const std::string& name : model_.info.labels) {
      const auto it = std::find(kResourceNames.begin(), kResourceNames.end(), name);
      resource_of_.push_back(it == kResourceNames.end() ? -1 : static_cast<int>(it - kResourceNames.begin()));
    }
  }

  // Fills out.resources / out.resource_probs for one fastText input line (ending in '\n').
  void predict(std::string_view line, Classification& out) const {
    thread_local std::vector<float> probs;
    model_.predict(line, probs);
    std::vector<std::pair<float, int>> found;
    for (size_t i = 0; i < probs.size(); ++i) {
      if (resource_of_[i] >= 0 && probs[i] >= kResourceThreshold) found.emplace_back(probs[i], resource_of_[i]);
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (const auto& [p, r] : found) {
      out.resources.emplace_back(kResourceNames[static_cast<size_t>(r)]);
      out.resource_probs.push_back(p);
    }
  }

 private:
  FastTextModel model_;
  std::vector<int> resource_of_;  // model label id -> index in kResourceNames, -1 for "none"
};

class FastTextClassifier final : public Classifier {
 public:
  // softmax-4: actionable = the 4-class model; cascade: request and offer binary models.
  FastTextClassifier(DecisionRule rule, FastTextModel actionable, std::optional<FastTextModel> offer,
                     std::optional<ResourceModel> resources)
      : rule_(rule), actionable_(std::move(actionable)), offer_(std::move(offer)), resources_(std::move(resources)) {
    for (const std::string& name : actionable_.info.labels) {
      label_of_.push_back(parse_label(name).value_or(Label::kUnknown));
    }
    if (offer_) {
      request_yes_ = yes_index(actionable_);
      offer_yes_ = yes_index(*offer_);
    }
  }

  Classification classify(std::string_view normalized_text) const override {
    thread_local std::string line;
    thread_local std::vector<float> probs;
    line = fasttext_input(normalized_text);
    line.push_back('\n');  // training lines end in '\n', which fastText reads as "</s>"
    Classification out;
    actionable_.predict(line, probs);
    if (offer_) {
      const float pr = probs[request_yes_];
      offer_->predict(line, probs);
      const float po = probs[offer_yes_];
      out.probs[static_cast<size_t>(Label::kRequest)] = pr * (1 - po);
      out.probs[static_cast<size_t>(Label::kOffer)] = (1 - pr) * po;
      out.probs[static_cast<size_t>(Label::kRequestAndOffer)] = pr * po;
      out.probs[static_cast<size_t>(Label::kIrrelevant)] = (1 - pr) * (1 - po);
      out.label = cascade_decision(pr, po, rule_.request_threshold, rule_.offer_threshold);
    } else {
      float total = 0;
      for (size_t i = 0; i < probs.size(); ++i) {
        if (label_of_[i] == Label::kUnknown) continue;
        out.probs[static_cast<size_t>(label_of_[i])] = probs[i];
        total += probs[i];
      }
      if (total > 0) {
        for (float& p : out.probs) p /= total;
      } else {
        for (float& p : out.probs) p = 1.0f / kNumLabels;
      }
      out.label = biased_argmax(out.probs, rule_.bias);
    }
    if (resources_) resources_->predict(line, out);
    return out;
  }

  void classify_batch(std::span<const std::string_view> texts, std::span<Classification> out,
                      int threads) const override {
    const size_t n = std::min(texts.size(), out.size());
    parallel_for(n, resolve_threads(threads), [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) out[i] = classify(texts[i]);
    });
  }

 private:
  static size_t yes_index(const FastTextModel& model) {
    return static_cast<size_t>(std::find(model.info.labels.begin(), model.info.labels.end(), "yes") -
                               model.info.labels.begin());
  }

  DecisionRule rule_;
  FastTextModel actionable_;  // the softmax-4 model, or the cascade's request model
  std::optional<FastTextModel> offer_;
  std::optional<ResourceModel> resources_;
  std::vector<Label> label_of_;   // model label id -> Label
  size_t request_yes_ = 0, offer_yes_ = 0;
};

// A linear head on a sentence encoder's features (linear_head.h), decided like softmax-4.
class LinearHeadClassifier final : public Classifier {
 public:
  LinearHeadClassifier(DecisionRule rule, LinearHead head, std::unique_ptr<FeatureEncoder> encoder,
                       std::optional<ResourceModel> resources)
      : rule_(std::move(rule)), head_(std::move(head)), encoder_(std::move(encoder)), resources_(std::move(resources)) {}

  Classification classify(std::string_view normalized_text) const override {
    Classification out;
    classify_batch(std::span<const std::string_view>(&normalized_text, 1), std::span<Classification>(&out, 1), 1);
    return out;
  }

  void classify_batch(std::span<const std::string_view> texts, std::span<Classification> out,
                      int threads) const override {
    const size_t n = std::min(texts.size(), out.size());
    const size_t d = head_.dim;
    std::vector<float> features(n * d, 0.0f);
    // An encoder that fails (it never should on text) leaves zero rows: the head's bias
    // then decides, as for a text with no usable tokens.
    if (auto st = encoder_->encode(texts.first(n), features, resolve_threads(threads)); !st) {
      std::fill(features.begin(), features.end(), 0.0f);
    }
    parallel_for(n, resolve_threads(threads), [&](size_t begin, size_t end) {
      std::string line;
      for (size_t i = begin; i < end; ++i) {
        Classification c;
        c.probs = head_.probs(std::span<const float>(features.data() + i * d, d));
        c.label = biased_argmax(c.probs, rule_.bias);
        if (resources_) {
          line = fasttext_input(texts[i]);
          line.push_back('\n');
          resources_->predict(line, c);
        }
        out[i] = std::move(c);
      }
    });
  }

 private:
  DecisionRule rule_;
  LinearHead head_;
  std::unique_ptr<FeatureEncoder> encoder_;
  std::optional<ResourceModel> resources_;
};

enum class ModelKind { kActionable, kBinary, kResources };

Status check_labels(const FastTextModel& model, const std::string& path, ModelKind kind) {
  const int want_loss = kind == ModelKind::kResources ? 4 : 3;
  if (model.info.loss != want_loss) {
    return make_error(ErrorCode::kCorrupt, path + ": expected a " +
                                               (kind == ModelKind::kResources ? "one-vs-all" : "softmax") +
                                               " fastText model");
  }
  for (const std::string& name : model.info.labels) {
    bool ok = false;
    switch (kind) {
      case ModelKind::kResources:
        ok = name == "none" || std::find(kResourceNames.begin(), kResourceNames.end(), name) != kResourceNames.end();
        break;
      case ModelKind::kBinary: ok = name == "yes" || name == "no"; break;
      case ModelKind::kActionable:
        ok = parse_label(name).has_value() && *parse_label(name) != Label::kUnknown &&
             label_name(*parse_label(name)) == name;
        break;
    }
    if (!ok) return make_error(ErrorCode::kCorrupt, path + ": unexpected label \"" + name + "\"");
  }
  if (kind == ModelKind::kBinary &&
      (model.info.labels.size() != 2 || model.info.labels[0] == model.info.labels[1])) {
    return make_error(ErrorCode::kCorrupt, path + ": a cascade model needs exactly the labels yes and no");
  }
  return {};
}

Result<FastTextModel> load_checked(const std::string& path, ModelKind kind) {
  auto model = FastTextModel::load(path);
  if (!model) return tl::unexpected(model.error());
  if (auto st = check_labels(*model, path, kind); !st) return tl::unexpected(st.error());
  return model;
}

}  // namespace

Result<std::unique_ptr<FeatureEncoder>> make_fasttext_sentence_encoder(const std::string& path) {
  auto model = FastTextModel::load(path);
  if (!model) return tl::unexpected(model.error());
  return std::unique_ptr<FeatureEncoder>(std::make_unique<FastTextSentenceEncoder>(std::move(*model)));
}

namespace {

constexpr uint64_t kMaxLinearHeadBytes = uint64_t{64} << 20;

Result<std::unique_ptr<Classifier>> load_linear_head(const std::string& model_dir, const std::string& decision_path,
                                                     const DecisionRule& rule, std::optional<ResourceModel> resources) {
  const std::string path = model_dir + "/linear_head.bin";
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    if (!std::filesystem::exists(path)) return make_error(ErrorCode::kNotFound, path + ": model file not found");
    return make_error(ErrorCode::kIoError, path + ": " + ec.message());
  }
  if (size > kMaxLinearHeadBytes) return make_error(ErrorCode::kCorrupt, path + ": model file too large");
  auto bytes = read_file(path);
  if (!bytes) return tl::unexpected(bytes.error());
  auto head = parse_linear_head(*bytes, path);
  if (!head) return tl::unexpected(head.error());
  if (head->encoder != rule.encoder) {
    return make_error(ErrorCode::kCorrupt, path + ": encoder '" + head->encoder + "' differs from " + decision_path +
                                               " ('" + rule.encoder + "')");
  }
  auto encoder = make_feature_encoder(rule.encoder, model_dir);
  if (!encoder) {
    const auto& e = encoder.error();
    // An encoder name nobody knows means the directory is not usable as written; a missing
    // factory or a missing encoder file keeps its own code.
    const ErrorCode code = e.code == ErrorCode::kInvalidArgument ? ErrorCode::kCorrupt : e.code;
    return make_error(code, decision_path + ": encoder '" + rule.encoder + "': " + e.message);
  }
  if ((*encoder)->dim() != head->dim) {
    return make_error(ErrorCode::kCorrupt, path + ": dimension " + std::to_string(head->dim) + " but encoder '" +
                                               rule.encoder + "' gives " + std::to_string((*encoder)->dim()));
  }
  return std::unique_ptr<Classifier>(
      new LinearHeadClassifier(rule, std::move(*head), std::move(*encoder), std::move(resources)));
}

}  // namespace

Result<std::unique_ptr<Classifier>> Classifier::load(const std::string& model_dir) {
  if (model_dir.starts_with("hf:") || model_dir.starts_with("hf-int8:")) return load_hf_classifier(model_dir);
  const std::string decision_path = model_dir + "/decision.txt";
  DecisionRule rule;
  std::error_code ec;
  if (std::filesystem::exists(decision_path, ec)) {
    const auto size = std::filesystem::file_size(decision_path, ec);
    if (ec || size > 4096) return make_error(ErrorCode::kCorrupt, decision_path + ": not a decision file (size)");
    auto text = read_file(decision_path);
    if (!text) return tl::unexpected(text.error());
    auto parsed = parse_decision_rule(*text, decision_path);
    if (!parsed) return tl::unexpected(parsed.error());
    rule = *parsed;
  }
  const std::string resources_path = model_dir + "/resources.ftz";
  std::optional<ResourceModel> resources;
  if (std::filesystem::exists(resources_path, ec)) {
    auto loaded = load_checked(resources_path, ModelKind::kResources);
    if (!loaded) return tl::unexpected(loaded.error());
    resources.emplace(std::move(*loaded));
  }
  if (rule.type == ModelType::kLinearHead) return load_linear_head(model_dir, decision_path, rule, std::move(resources));
  const bool cascade = rule.type == ModelType::kCascade;
  auto first = cascade ? load_checked(model_dir + "/request.ftz", ModelKind::kBinary)
                       : load_checked(model_dir + "/actionable.ftz", ModelKind::kActionable);
  if (!first) return tl::unexpected(first.error());
  std::optional<FastTextModel> offer;
  if (cascade) {
    auto loaded = load_checked(model_dir + "/offer.ftz", ModelKind::kBinary);
    if (!loaded) return tl::unexpected(loaded.error());
    offer = std::move(*loaded);
  }
  return std::unique_ptr<Classifier>(
      new FastTextClassifier(rule, std::move(*first), std::move(offer), std::move(resources)));
}

}  // namespace crema::classify
