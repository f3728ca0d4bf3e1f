// Cohen's kappa, the validation sample size and the stratified draw.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "crema/common/hash.h"
#include "crema/label/label.h"

namespace crema::label {
namespace {

// z with P(|Z| <= z) = confidence for a standard normal Z, by bisection on erf.
double two_sided_z(double confidence) {
  double lo = 0.0, hi = 40.0;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (std::erf(mid / std::sqrt(2.0)) < confidence) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return 0.5 * (lo + hi);
}

}  // namespace

double cohens_kappa(const std::vector<std::vector<int64_t>>& confusion) {
  const size_t k = confusion.size();
  int64_t n = 0, diagonal = 0;
  std::vector<int64_t> rows(k, 0), cols(k, 0);
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = 0; j < confusion[i].size() && j < k; ++j) {
      n += confusion[i][j];
      rows[i] += confusion[i][j];
      cols[j] += confusion[i][j];
      if (i == j) diagonal += confusion[i][j];
    }
  }
  if (n == 0) return 0.0;
  const double total = static_cast<double>(n);
  const double observed = static_cast<double>(diagonal) / total;
  double expected = 0.0;
  for (size_t i = 0; i < k; ++i) expected += static_cast<double>(rows[i]) * static_cast<double>(cols[i]);
  expected /= total * total;
  if (expected >= 1.0) return 1.0;  // both labellings put everything in one same class
  return (observed - expected) / (1.0 - expected);
}

Result<Agreement> agreement(std::span<const Label> a, std::span<const Label> b) {
  if (a.size() != b.size()) {
    return make_error(ErrorCode::kInvalidArgument, "agreement: the two labellings differ in length");
  }
  Agreement out;
  out.n = static_cast<int64_t>(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == Label::kUnknown || b[i] == Label::kUnknown) {
      return make_error(ErrorCode::kInvalidArgument, "agreement: item " + std::to_string(i) + " has no label");
    }
    ++out.confusion[static_cast<size_t>(a[i])][static_cast<size_t>(b[i])];
  }
  std::vector<std::vector<int64_t>> full(kNumLabels, std::vector<int64_t>(kNumLabels, 0));
  int64_t same = 0;
  for (size_t i = 0; i < kNumLabels; ++i) {
    for (size_t j = 0; j < kNumLabels; ++j) full[i][j] = out.confusion[i][j];
    same += out.confusion[i][i];
  }
  out.raw = out.n == 0 ? 0.0 : static_cast<double>(same) / static_cast<double>(out.n);
  out.kappa = cohens_kappa(full);
  for (size_t c = 0; c < kNumLabels; ++c) {
    std::vector<std::vector<int64_t>> binary(2, std::vector<int64_t>(2, 0));
    for (size_t i = 0; i < kNumLabels; ++i) {
      for (size_t j = 0; j < kNumLabels; ++j) binary[i == c ? 1 : 0][j == c ? 1 : 0] += out.confusion[i][j];
    }
    // A class neither side used has no one-vs-rest kappa (pe = po = 1): NaN, written as null.
    out.kappa_per_class[c] = binary[1][1] + binary[1][0] + binary[0][1] == 0 ? std::nan("") : cohens_kappa(binary);
  }
  return out;
}

Result<int64_t> sample_size(int64_t population, double margin, double confidence) {
  if (!(margin > 0.0 && margin < 1.0)) {
    return make_error(ErrorCode::kInvalidArgument, "the margin of error must be in (0, 1), e.g. 0.03");
  }
  if (!(confidence > 0.0 && confidence < 1.0)) {
    return make_error(ErrorCode::kInvalidArgument, "the confidence level must be in (0, 1), e.g. 0.95");
  }
  if (population <= 0) return int64_t{0};
  const double z = two_sided_z(confidence);
  const double n0 = z * z * 0.25 / (margin * margin);
  const double n = n0 / (1.0 + (n0 - 1.0) / static_cast<double>(population));
  // A hair below an integer stays that integer (floating-point noise, not a real excess).
  const auto rounded = static_cast<int64_t>(std::ceil(n - 1e-9));
  return std::clamp<int64_t>(rounded, 1, population);
}

Result<SampleDraw> draw_sample(std::span<const std::string> keys, std::span<const Label> labels, double margin,
                               double confidence, int64_t min_per_label, uint64_t seed) {
  if (keys.size() != labels.size()) {
    return make_error(ErrorCode::kInvalidArgument, "draw_sample: keys and labels differ in length");
  }
  const auto population = static_cast<int64_t>(labels.size());
  auto target = sample_size(population, margin, confidence);
  if (!target) return tl::unexpected(target.error());
  SampleDraw draw;
  draw.target = *target;

  std::array<std::vector<size_t>, kNumLabels> members;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == Label::kUnknown) {
      return make_error(ErrorCode::kInvalidArgument, "draw_sample: item " + std::to_string(i) + " has no label");
    }
    members[static_cast<size_t>(labels[i])].push_back(i);
  }
  // Proportional shares, floors first, then the largest remainders (ties: Label order).
  std::array<int64_t, kNumLabels> quota{};
  std::array<double, kNumLabels> remainder{};
  int64_t assigned = 0;
  for (size_t c = 0; c < kNumLabels; ++c) {
    if (population == 0) break;
    const double share = static_cast<double>(draw.target) * static_cast<double>(members[c].size()) /
                         static_cast<double>(population);
    quota[c] = static_cast<int64_t>(std::floor(share));
    remainder[c] = share - static_cast<double>(quota[c]);
    assigned += quota[c];
  }
  std::array<size_t, kNumLabels> order{};
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return remainder[x] > remainder[y]; });
  for (size_t r = 0; assigned < draw.target && r < kNumLabels; ++r) {
    ++quota[order[r]];
    ++assigned;
  }

  const uint64_t salt = mix64(seed ^ 0x6c6162656cULL);
  std::vector<std::pair<uint64_t, size_t>> chosen;
  for (size_t c = 0; c < kNumLabels; ++c) {
    const auto size = static_cast<int64_t>(members[c].size());
    if (size == 0) continue;
    const int64_t drawn = std::min(size, std::max(quota[c], std::min(min_per_label, size)));
    std::vector<std::pair<uint64_t, size_t>> ranked;
    ranked.reserve(members[c].size());
    for (size_t i : members[c]) ranked.emplace_back(mix64(fnv1a(salt, keys[i])), i);
    std::sort(ranked.begin(), ranked.end());
    chosen.insert(chosen.end(), ranked.begin(), ranked.begin() + drawn);
    draw.strata.push_back(Stratum{static_cast<Label>(c), size, drawn});
  }
  std::sort(chosen.begin(), chosen.end());
  for (const auto& [hash, index] : chosen) draw.selected.push_back(index);
  return draw;
}

}  // namespace crema::label
