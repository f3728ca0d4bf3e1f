// Decision rules on top of the fastText probabilities: the per-class prior correction of
// the softmax-4 model, the cascade of two binary models, their tuning on validation rows,
// decision.txt, and how resource names from the model and the extractor are combined.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "crema/classify/classifier.h"
#include "crema/classify/evaluation.h"

namespace crema::classify {

std::string_view model_type_name(ModelType type) {
  switch (type) {
    case ModelType::kSoftmax: return "softmax-4";
    case ModelType::kCascade: return "cascade";
    case ModelType::kLinearHead: return "linear-head";
  }
  return "softmax-4";
}

std::string_view resource_source_name(ResourceSource source) {
  switch (source) {
    case ResourceSource::kModel: return "model";
    case ResourceSource::kExtractor: return "extractor";
    case ResourceSource::kUnion: return "union";
  }
  return "model";
}

std::optional<ResourceSource> parse_resource_source(std::string_view name) {
  for (auto s : {ResourceSource::kModel, ResourceSource::kExtractor, ResourceSource::kUnion}) {
    if (resource_source_name(s) == name) return s;
  }
  return std::nullopt;
}

std::vector<std::string> combine_resources(std::span<const std::string> model, std::span<const std::string> extracted,
                                           bool actionable, ResourceSource source) {
  constexpr size_t kOther = kResourceNames.size() - 1;
  static_assert(kResourceNames[kResourceNames.size() - 1] == "other");
  std::array<bool, kResourceNames.size()> on{};
  const auto mark = [&](std::span<const std::string> names) {
    for (const std::string& name : names) {
      const auto it = std::find(kResourceNames.begin(), kResourceNames.end(), name);
      if (it != kResourceNames.end()) on[static_cast<size_t>(it - kResourceNames.begin())] = true;
    }
  };
  if (source != ResourceSource::kExtractor) mark(model);
  if (source != ResourceSource::kModel) {
    mark(extracted);
    // The extractor has no "other" class: an actionable post that names no listed resource
    // asks for or offers something else.
    if (actionable && std::none_of(on.begin(), on.end(), [](bool b) { return b; })) on[kOther] = true;
    if (source == ResourceSource::kUnion && on[kOther] &&
        std::any_of(on.begin(), on.begin() + kOther, [](bool b) { return b; })) {
      on[kOther] = false;
    }
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < on.size(); ++i) {
    if (on[i]) out.emplace_back(kResourceNames[i]);
  }
  return out;
}

Label biased_argmax(const std::array<float, kNumLabels>& probs, const std::array<float, kNumLabels>& bias) {
  size_t best = 0;
  float best_score = -INFINITY;
  for (size_t c = 0; c < kNumLabels; ++c) {
    const float score = std::log(std::max(probs[c], 1e-7f)) + bias[c];
    if (score > best_score) {
      best_score = score;
      best = c;
    }
  }
  return static_cast<Label>(best);
}

Label cascade_decision(float p_request, float p_offer, float request_threshold, float offer_threshold) {
  const bool request = p_request >= request_threshold;
  const bool offer = p_offer >= offer_threshold;
  if (request && offer) return Label::kRequestAndOffer;
  if (request) return Label::kRequest;
  if (offer) return Label::kOffer;
  return Label::kIrrelevant;
}

double macro_f1_of(std::span<const Label> truth, std::span<const Label> predicted, int64_t min_support) {
  std::array<int64_t, kNumLabels> tp{}, fp{}, fn{};
  const size_t n = std::min(truth.size(), predicted.size());
  for (size_t i = 0; i < n; ++i) {
    if (truth[i] == Label::kUnknown || predicted[i] == Label::kUnknown) continue;
    const auto t = static_cast<size_t>(truth[i]);
    const auto p = static_cast<size_t>(predicted[i]);
    if (t == p) {
      ++tp[t];
    } else {
      ++fn[t];
      ++fp[p];
    }
  }
  double sum = 0;
  int used = 0;
  for (size_t c = 0; c < kNumLabels; ++c) {
    if (tp[c] + fp[c] + fn[c] == 0 || tp[c] + fn[c] < min_support) continue;
    ++used;
    if (tp[c] > 0) sum += 2.0 * static_cast<double>(tp[c]) / static_cast<double>(2 * tp[c] + fp[c] + fn[c]);
  }
  return used > 0 ? sum / used : 0.0;
}

std::array<float, kNumLabels> tune_prior_bias(std::span<const std::array<float, kNumLabels>> probs,
                                              std::span<const Label> truth, int64_t min_support) {
  const size_t n = std::min(probs.size(), truth.size());
  std::array<int64_t, kNumLabels + 1> support{};
  for (size_t i = 0; i < n; ++i) ++support[static_cast<size_t>(truth[i])];
  std::vector<std::array<float, kNumLabels>> logp(n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t c = 0; c < kNumLabels; ++c) logp[i][c] = std::log(std::max(probs[i][c], 1e-7f));
  }
  std::vector<Label> pred(n);
  const auto score = [&](const std::array<float, kNumLabels>& bias) {
    for (size_t i = 0; i < n; ++i) {
      size_t best = 0;
      for (size_t c = 1; c < kNumLabels; ++c) {
        if (logp[i][c] + bias[c] > logp[i][best] + bias[best]) best = c;
      }
      pred[i] = static_cast<Label>(best);
    }
    return macro_f1_of(truth.first(n), pred, min_support);
  };
  std::array<float, kNumLabels> bias{};
  double best = score(bias);
  constexpr int kSteps = 16;  // -4..4 in steps of 0.25
  for (int round = 0; round < 8; ++round) {
    bool changed = false;
    for (size_t c : {size_t{0}, size_t{1}, size_t{2}}) {
      if (support[c] < min_support) continue;
      for (int k = -kSteps; k <= kSteps; ++k) {
        std::array<float, kNumLabels> trial = bias;
        trial[c] = static_cast<float>(k) * 0.25f;
        if (trial[c] == bias[c]) continue;
        const double s = score(trial);
        if (s > best) {
          best = s;
          bias = trial;
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  return bias;
}

std::pair<float, float> tune_cascade_thresholds(std::span<const float> p_request, std::span<const float> p_offer,
                                                std::span<const Label> truth, int64_t min_support) {
  const size_t n = std::min({p_request.size(), p_offer.size(), truth.size()});
  std::vector<Label> pred(n);
  const auto score = [&](float tr, float to) {
    for (size_t i = 0; i < n; ++i) pred[i] = cascade_decision(p_request[i], p_offer[i], tr, to);
    return macro_f1_of(truth.first(n), pred, min_support);
  };
  std::pair<float, float> best_pair{0.5f, 0.5f};
  double best = score(0.5f, 0.5f);
  for (int a = 2; a <= 38; ++a) {
    for (int b = 2; b <= 38; ++b) {
      const float tr = static_cast<float>(a) * 0.025f;
      const float to = static_cast<float>(b) * 0.025f;
      const double s = score(tr, to);
      if (s > best) {
        best = s;
        best_pair = {tr, to};
      }
    }
  }
  return best_pair;
}

namespace {

constexpr size_t kMaxDecisionBytes = 4096;

bool parse_float(std::string_view s, float& out) {
  if (s.empty()) return false;
  // std::from_chars for float: exact, locale-free, rejects trailing junk below.
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(out);
}

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

}  // namespace

bool valid_encoder_spec(std::string_view spec) {
  if (spec.empty() || spec.size() > kMaxEncoderSpecBytes) return false;
  return std::all_of(spec.begin(), spec.end(), [](char c) { return c > ' ' && c < 127; });
}

Result<DecisionRule> parse_decision_rule(std::string_view text, const std::string& name) {
  const auto fail = [&](size_t line_no, const std::string& why) {
    return make_error(ErrorCode::kCorrupt,
                      name + (line_no > 0 ? ":" + std::to_string(line_no) : std::string()) + ": " + why);
  };
  if (text.size() > kMaxDecisionBytes) return fail(0, "decision file larger than 4 KiB");
  DecisionRule rule;
  bool have_format = false, have_type = false;
  std::array<bool, kNumLabels> have_bias{};
  bool have_request = false, have_offer = false, have_encoder = false;
  size_t line_no = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    ++line_no;
    const size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto f = fields_of(line);
    if (f.empty() || f[0].front() == '#') continue;
    if (f[0] == "format") {
      if (have_format || f.size() != 2 || f[1] != "1") return fail(line_no, "expected one \"format 1\" line");
      have_format = true;
    } else if (f[0] == "type") {
      if (have_type || f.size() != 2) {
        return fail(line_no, "expected one \"type softmax-4|cascade|linear-head\" line");
      }
      if (f[1] == "softmax-4") {
        rule.type = ModelType::kSoftmax;
      } else if (f[1] == "cascade") {
        rule.type = ModelType::kCascade;
      } else if (f[1] == "linear-head") {
        rule.type = ModelType::kLinearHead;
      } else {
        return fail(line_no, "unknown model type \"" + std::string(f[1]) + "\"");
      }
      have_type = true;
    } else if (f[0] == "bias") {
      if (f.size() != 3) return fail(line_no, "expected \"bias LABEL VALUE\"");
      const auto label = parse_label(f[1]);
      if (!label || *label == Label::kUnknown || label_name(*label) != f[1]) {
        return fail(line_no, "unknown label \"" + std::string(f[1]) + "\"");
      }
      const auto c = static_cast<size_t>(*label);
      float v = 0;
      if (!parse_float(f[2], v) || std::fabs(v) > 20.0f) return fail(line_no, "bias must be a number in [-20, 20]");
      if (have_bias[c]) return fail(line_no, "duplicate bias for " + std::string(f[1]));
      have_bias[c] = true;
      rule.bias[c] = v;
    } else if (f[0] == "threshold") {
      if (f.size() != 3 || (f[1] != "request" && f[1] != "offer")) {
        return fail(line_no, "expected \"threshold request|offer VALUE\"");
      }
      float v = 0;
      if (!parse_float(f[2], v) || !(v > 0.0f && v < 1.0f)) return fail(line_no, "threshold must be in (0, 1)");
      bool& have = f[1] == "request" ? have_request : have_offer;
      if (have) return fail(line_no, "duplicate threshold for " + std::string(f[1]));
      have = true;
      (f[1] == "request" ? rule.request_threshold : rule.offer_threshold) = v;
    } else if (f[0] == "encoder") {
      if (have_encoder || f.size() != 2) return fail(line_no, "expected one \"encoder NAME\" line");
      if (!valid_encoder_spec(f[1])) return fail(line_no, "encoder name must be 1..1024 printable ASCII bytes");
      have_encoder = true;
      rule.encoder = std::string(f[1]);
    } else {
      return fail(line_no, "unknown key \"" + std::string(f[0].substr(0, 40)) + "\"");
    }
  }
  if (!have_format || !have_type) return fail(0, "missing \"format 1\" or \"type\" line");
  const bool any_bias = std::any_of(have_bias.begin(), have_bias.end(), [](bool b) { return b; });
  if (rule.type == ModelType::kCascade) {
    if (any_bias) return fail(0, "bias lines belong to softmax-4, not cascade");
    if (!have_request || !have_offer) return fail(0, "a cascade needs both thresholds");
  } else if (have_request || have_offer) {
    return fail(0, "threshold lines belong to cascade, not " + std::string(model_type_name(rule.type)));
  }
  if (rule.type == ModelType::kLinearHead && !have_encoder) return fail(0, "a linear-head rule needs an encoder line");
  if (rule.type != ModelType::kLinearHead && have_encoder) return fail(0, "encoder lines belong to linear-head");
  return rule;
}

std::string format_decision_rule(const DecisionRule& rule) {
  std::string out = "# crema classifier decision rule (crema train classifier; docs/classifier.md)\nformat 1\n";
  out += "type " + std::string(model_type_name(rule.type)) + "\n";
  char buf[96];
  if (rule.type == ModelType::kCascade) {
    std::snprintf(buf, sizeof buf, "threshold request %.9g\nthreshold offer %.9g\n",
                  static_cast<double>(rule.request_threshold), static_cast<double>(rule.offer_threshold));
    out += buf;
  } else {
    if (rule.type == ModelType::kLinearHead) out += "encoder " + rule.encoder + "\n";
    for (size_t c = 0; c < kNumLabels; ++c) {
      std::snprintf(buf, sizeof buf, "bias %s %.9g\n", std::string(label_name(static_cast<Label>(c))).c_str(),
                    static_cast<double>(rule.bias[c]));
      out += buf;
    }
  }
  return out;
}

}  // namespace crema::classify
