// Split, metrics with bootstrap confidence intervals, and report formatting.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "crema/classify/evaluation.h"
#include "crema/common/hash.h"
#include "crema/common/json_writer.h"

namespace crema::classify {

uint64_t SplitMix64::next() { return splitmix64_next(state_); }

uint64_t SplitMix64::below(uint64_t bound) {
  // Rejection sampling: drop the values of the last, incomplete multiple of bound.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t x = next();
  while (x >= limit) x = next();
  return x % bound;
}

Split stratified_split(std::span<const LabelledPost> posts, uint64_t seed) {
  // Groups in order of first appearance.
  std::vector<std::vector<size_t>> groups;
  std::unordered_map<std::string, size_t> group_of;
  for (size_t i = 0; i < posts.size(); ++i) {
    const std::string& key = posts[i].group;
    if (!key.empty()) {
      auto [it, inserted] = group_of.emplace(key, groups.size());
      if (!inserted) {
        groups[it->second].push_back(i);
        continue;
      }
    }
    groups.push_back({i});
  }
  std::array<std::vector<size_t>, kNumLabels + 1> strata;
  Split split;
  for (size_t g = 0; g < groups.size(); ++g) {
    if (posts[groups[g].front()].train_only) {
      split.train.insert(split.train.end(), groups[g].begin(), groups[g].end());
      continue;
    }
    strata[static_cast<size_t>(posts[groups[g].front()].label)].push_back(g);
  }
  SplitMix64 rng(seed);
  for (auto& stratum : strata) {
    for (size_t i = stratum.size(); i > 1; --i) std::swap(stratum[i - 1], stratum[rng.below(i)]);
    const auto n = static_cast<double>(stratum.size());
    const auto n_test = static_cast<size_t>(std::llround(n * 0.2));
    const auto n_val = static_cast<size_t>(std::llround(n * 0.1));
    for (size_t k = 0; k < stratum.size(); ++k) {
      auto& part = k < n_test ? split.test : (k < n_test + n_val ? split.validation : split.train);
      part.insert(part.end(), groups[stratum[k]].begin(), groups[stratum[k]].end());
    }
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.validation.begin(), split.validation.end());
  std::sort(split.test.begin(), split.test.end());
  return split;
}

namespace {

struct Counts {
  int64_t tp = 0, fp = 0, fn = 0;
};

ClassMetrics class_metrics(std::string name, const Counts& c) {
  ClassMetrics m;
  m.name = std::move(name);
  m.precision = c.tp + c.fp > 0 ? static_cast<double>(c.tp) / static_cast<double>(c.tp + c.fp) : 0.0;
  m.recall = c.tp + c.fn > 0 ? static_cast<double>(c.tp) / static_cast<double>(c.tp + c.fn) : 0.0;
  m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0.0;
  m.support = c.tp + c.fn;
  return m;
}

// Macro-F1 over the classes that occur in truth or predictions.
double macro_f1(std::span<const Counts> counts) {
  double sum = 0;
  int used = 0;
  for (const Counts& c : counts) {
    if (c.tp + c.fn + c.fp == 0) continue;
    sum += class_metrics("", c).f1;
    ++used;
  }
  return used > 0 ? sum / used : 0.0;
}

double percentile(std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

// counts_of(row, counts) adds one row's contribution; returns the CI of macro-F1.
template <typename AddRow>
std::pair<double, double> bootstrap_ci(size_t n, size_t n_classes, uint64_t seed, int resamples,
                                       const AddRow& add_row) {
  if (n == 0 || resamples <= 0) return {0.0, 0.0};
  SplitMix64 rng(seed);
  std::vector<double> values;
  values.reserve(static_cast<size_t>(resamples));
  std::vector<Counts> counts(n_classes);
  for (int r = 0; r < resamples; ++r) {
    std::fill(counts.begin(), counts.end(), Counts{});
    for (size_t i = 0; i < n; ++i) add_row(rng.below(n), counts);
    values.push_back(macro_f1(counts));
  }
  std::sort(values.begin(), values.end());
  return {percentile(values, 0.025), percentile(values, 0.975)};
}

}  // namespace

EvalReport actionable_report(std::span<const Label> truth, std::span<const Label> predicted, uint64_t seed,
                             int resamples) {
  std::vector<size_t> rows;
  for (size_t i = 0; i < truth.size() && i < predicted.size(); ++i) {
    if (truth[i] != Label::kUnknown && predicted[i] != Label::kUnknown) rows.push_back(i);
  }
  const auto add_row = [&](size_t r, std::vector<Counts>& counts) {
    const auto t = static_cast<size_t>(truth[rows[r]]);
    const auto p = static_cast<size_t>(predicted[rows[r]]);
    if (t == p) {
      ++counts[t].tp;
    } else {
      ++counts[t].fn;
      ++counts[p].fp;
    }
  };
  EvalReport report;
  report.task = "actionable";
  report.n = static_cast<int64_t>(rows.size());
  report.confusion.assign(kNumLabels, std::vector<int64_t>(kNumLabels, 0));
  std::vector<Counts> counts(kNumLabels);
  int64_t correct = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    add_row(r, counts);
    const auto t = static_cast<size_t>(truth[rows[r]]);
    const auto p = static_cast<size_t>(predicted[rows[r]]);
    ++report.confusion[t][p];
    correct += t == p ? 1 : 0;
  }
  for (size_t c = 0; c < kNumLabels; ++c) {
    report.classes.push_back(class_metrics(std::string(label_name(static_cast<Label>(c))), counts[c]));
  }
  report.macro_f1 = macro_f1(counts);
  report.accuracy = rows.empty() ? 0.0 : static_cast<double>(correct) / static_cast<double>(rows.size());
  std::tie(report.macro_f1_ci_low, report.macro_f1_ci_high) =
      bootstrap_ci(rows.size(), kNumLabels, seed, resamples, add_row);
  return report;
}

std::vector<LanguageMetrics> language_reports(std::span<const Label> truth, std::span<const Label> predicted,
                                              std::span<const std::string> langs, int64_t min_rows, uint64_t seed,
                                              int resamples) {
  std::map<std::string, std::vector<size_t>> rows_of;
  const size_t n = std::min({truth.size(), predicted.size(), langs.size()});
  for (size_t i = 0; i < n; ++i) {
    if (truth[i] == Label::kUnknown || predicted[i] == Label::kUnknown) continue;
    rows_of[langs[i].empty() ? std::string("und") : langs[i]].push_back(i);
  }
  std::vector<LanguageMetrics> out;
  for (const auto& [lang, rows] : rows_of) {
    if (static_cast<int64_t>(rows.size()) < min_rows) continue;
    std::vector<Label> t, p;
    for (size_t i : rows) {
      t.push_back(truth[i]);
      p.push_back(predicted[i]);
    }
    const EvalReport r = actionable_report(t, p, seed, resamples);
    LanguageMetrics m;
    m.lang = lang;
    m.n = r.n;
    m.macro_f1 = r.macro_f1;
    m.macro_f1_ci_low = r.macro_f1_ci_low;
    m.macro_f1_ci_high = r.macro_f1_ci_high;
    m.classes = r.classes;
    out.push_back(std::move(m));
  }
  std::stable_sort(out.begin(), out.end(), [](const LanguageMetrics& a, const LanguageMetrics& b) {
    return a.n != b.n ? a.n > b.n : a.lang < b.lang;
  });
  return out;
}

EvalReport resources_report(std::span<const std::vector<std::string>> truth,
                            std::span<const std::vector<std::string>> predicted, uint64_t seed, int resamples) {
  const size_t n = std::min(truth.size(), predicted.size());
  const size_t k = kResourceNames.size();
  // Per row, a bit set over kResourceNames.
  const auto bits_of = [&](const std::vector<std::string>& names) {
    uint32_t bits = 0;
    for (const std::string& name : names) {
      for (size_t j = 0; j < k; ++j) {
        if (kResourceNames[j] == name) bits |= 1u << j;
      }
    }
    return bits;
  };
  std::vector<uint32_t> t_bits(n), p_bits(n);
  for (size_t i = 0; i < n; ++i) {
    t_bits[i] = bits_of(truth[i]);
    p_bits[i] = bits_of(predicted[i]);
  }
  const auto add_row = [&](size_t r, std::vector<Counts>& counts) {
    for (size_t j = 0; j < k; ++j) {
      const bool t = (t_bits[r] >> j) & 1u;
      const bool p = (p_bits[r] >> j) & 1u;
      if (t && p) ++counts[j].tp;
      if (t && !p) ++counts[j].fn;
      if (!t && p) ++counts[j].fp;
    }
  };
  EvalReport report;
  report.task = "resources";
  report.n = static_cast<int64_t>(n);
  std::vector<Counts> counts(k);
  int64_t exact = 0;
  for (size_t r = 0; r < n; ++r) {
    add_row(r, counts);
    exact += t_bits[r] == p_bits[r] ? 1 : 0;
  }
  for (size_t j = 0; j < k; ++j) report.classes.push_back(class_metrics(std::string(kResourceNames[j]), counts[j]));
  report.macro_f1 = macro_f1(counts);
  report.accuracy = n == 0 ? 0.0 : static_cast<double>(exact) / static_cast<double>(n);
  std::tie(report.macro_f1_ci_low, report.macro_f1_ci_high) = bootstrap_ci(n, k, seed, resamples, add_row);
  return report;
}

std::string EvalReport::to_text() const {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%s: n=%lld  macro-F1 %.4f  [95%% CI %.4f, %.4f]  %s %.4f\n", task.c_str(),
                static_cast<long long>(n), macro_f1, macro_f1_ci_low, macro_f1_ci_high,
                task.rfind("resources", 0) == 0 ? "exact-match" : "accuracy", accuracy);
  out += line;
  std::snprintf(line, sizeof line, "  %-18s %9s %9s %9s %9s\n", "class", "precision", "recall", "f1", "support");
  out += line;
  for (const ClassMetrics& c : classes) {
    std::snprintf(line, sizeof line, "  %-18s %9.4f %9.4f %9.4f %9lld\n", c.name.c_str(), c.precision, c.recall,
                  c.f1, static_cast<long long>(c.support));
    out += line;
  }
  if (!confusion.empty()) {
    out += "  confusion (rows: true, columns: predicted)\n";
    std::snprintf(line, sizeof line, "  %-18s", "");
    out += line;
    for (const ClassMetrics& c : classes) {
      std::snprintf(line, sizeof line, " %10.10s", c.name.c_str());
      out += line;
    }
    out += "\n";
    for (size_t r = 0; r < confusion.size(); ++r) {
      std::snprintf(line, sizeof line, "  %-18s", r < classes.size() ? classes[r].name.c_str() : "");
      out += line;
      for (int64_t v : confusion[r]) {
        std::snprintf(line, sizeof line, " %10lld", static_cast<long long>(v));
        out += line;
      }
      out += "\n";
    }
  }
  if (!languages.empty()) {
    std::snprintf(line, sizeof line, "  per language (>= %lld rows; F1 per class)\n", static_cast<long long>(kMinLanguageRows));
    out += line;
    std::snprintf(line, sizeof line, "  %-8s %6s %9s %19s", "lang", "n", "macro-F1", "95% CI");
    out += line;
    for (const ClassMetrics& c : classes) {
      std::snprintf(line, sizeof line, " %10.10s", c.name.c_str());
      out += line;
    }
    out += "\n";
    for (const LanguageMetrics& l : languages) {
      std::snprintf(line, sizeof line, "  %-8.8s %6lld %9.4f  [%.4f, %.4f]", l.lang.c_str(), static_cast<long long>(l.n),
                    l.macro_f1, l.macro_f1_ci_low, l.macro_f1_ci_high);
      out += line;
      for (const ClassMetrics& c : l.classes) {
        if (c.support == 0) {
          std::snprintf(line, sizeof line, " %10s", "-");
        } else {
          std::snprintf(line, sizeof line, " %10.4f", c.f1);
        }
        out += line;
      }
      out += "\n";
    }
  }
  return out;
}

std::string EvalReport::to_json() const {
  JsonWriter w;
  w.begin_object();
  w.key("task").value(task);
  w.key("n").value(n);
  w.key("macro_f1").value(macro_f1);
  w.key("macro_f1_ci95").begin_array().value(macro_f1_ci_low).value(macro_f1_ci_high).end_array();
  w.key(task.rfind("resources", 0) == 0 ? "exact_match" : "accuracy").value(accuracy);
  w.key("classes").begin_array();
  for (const ClassMetrics& c : classes) {
    w.begin_object();
    w.key("name").value(c.name);
    w.key("precision").value(c.precision);
    w.key("recall").value(c.recall);
    w.key("f1").value(c.f1);
    w.key("support").value(c.support);
    w.end_object();
  }
  w.end_array();
  if (!confusion.empty()) {
    w.key("confusion").begin_array();
    for (const auto& row : confusion) {
      w.begin_array();
      for (int64_t v : row) w.value(v);
      w.end_array();
    }
    w.end_array();
  }
  if (!languages.empty()) {
    w.key("languages").begin_array();
    for (const LanguageMetrics& l : languages) {
      w.begin_object();
      w.key("lang").value(l.lang);
      w.key("n").value(l.n);
      w.key("macro_f1").value(l.macro_f1);
      w.key("macro_f1_ci95").begin_array().value(l.macro_f1_ci_low).value(l.macro_f1_ci_high).end_array();
      w.key("classes").begin_array();
      for (const ClassMetrics& c : l.classes) {
        w.begin_object();
        w.key("name").value(c.name);
        w.key("precision").value(c.precision);
        w.key("recall").value(c.recall);
        w.key("f1").value(c.f1);
        w.key("support").value(c.support);
        w.end_object();
      }
      w.end_array();
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
  return w.take();
}

}  // namespace crema::classify
