// Incremental matching: single-pair scoring with match()'s arithmetic (scoring.h) and a
// mutable cell index for live candidate search.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <unordered_map>
#include <vector>

#include "crema/match/matcher.h"
#include "scoring.h"

namespace crema::match {
namespace {

using detail::kKmPerDegree;
constexpr uint64_t kUnlocatedCell = UINT64_MAX;

}  // namespace

void score_pair(const MatchPost& request, const float* request_vec, const MatchPost& offer, const float* offer_vec,
                size_t dim, const MatchParams& params, ScoredOffer& out) {
  detail::score_pair(request, request_vec, offer, offer_vec, dim, params, detail::window_for(request, params), out);
}

bool pair_eligible(const MatchPost& request, const MatchPost& offer, const MatchParams& params) {
  if (params.method == Method::kT || params.allow_unlocated) return true;
  return detail::located(request) && detail::located(offer);
}

bool ranks_before(const ScoredOffer& a, const ScoredOffer& b) { return detail::better(a, b); }

bool is_located(const MatchPost& post) { return detail::located(post); }

int64_t request_delta_time_ms(const MatchPost& request, const MatchParams& params) {
  return detail::window_for(request, params).delta_time_ms;
}

double request_delta_km(const MatchPost& request, const MatchParams& params) {
  return detail::window_for(request, params).delta_km;
}

int64_t max_delta_time_ms(const MatchParams& params) {
  int64_t d = params.delta_time_ms;
  if (params.profiles != nullptr) {
    for (const auto& p : params.profiles->profiles) d = std::max(d, p.delta_time_ms);
  }
  return d;
}

double max_delta_km(const MatchParams& params) {
  double d = params.delta_km;
  if (params.profiles != nullptr) {
    for (const auto& p : params.profiles->profiles) d = std::max(d, p.delta_km);
  }
  return d;
}

struct LivePostIndex::Impl {
  struct Entry {
    uint64_t key;
    int64_t time;
  };
  double cell_deg = 1;
  int rows = 1, cols = 1;
  std::unordered_map<uint64_t, std::vector<Entry>> cells;  // cell id -> entries
  std::unordered_map<uint64_t, uint64_t> where;            // key -> cell id

  uint64_t cell_of(GeoPoint p) const {
    const int row = std::clamp(static_cast<int>(std::floor((p.lat + 90.0) / cell_deg)), 0, rows - 1);
    const int col = ((static_cast<int>(std::floor((p.lon + 180.0) / cell_deg)) % cols) + cols) % cols;
    return cell_id(row, col);
  }
  static uint64_t cell_id(int row, int col) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(row)) << 32) | static_cast<uint32_t>(col);
  }
  template <typename Fn>
  static void scan(const std::vector<Entry>& entries, int64_t t, int64_t delta_ms, Fn&& fn) {
    for (const Entry& e : entries) {
      const double dt = std::fabs(static_cast<double>(e.time) - static_cast<double>(t));
      if (dt <= static_cast<double>(delta_ms)) fn(e.key);
    }
  }
};

LivePostIndex::LivePostIndex(double cell_km) : impl_(std::make_unique<Impl>()) {
  const double km = std::isfinite(cell_km) && cell_km > 0 ? cell_km : 10.0;
  // At least ~0.01° per cell (about 1 km) so tiny windows do not make millions of columns.
  impl_->cell_deg = std::clamp(km / kKmPerDegree, 0.01, 180.0);
  impl_->rows = std::max(1, static_cast<int>(std::ceil(180.0 / impl_->cell_deg)));
  impl_->cols = std::max(1, static_cast<int>(std::ceil(360.0 / impl_->cell_deg)));
}

LivePostIndex::~LivePostIndex() = default;
LivePostIndex::LivePostIndex(LivePostIndex&&) noexcept = default;
LivePostIndex& LivePostIndex::operator=(LivePostIndex&&) noexcept = default;

bool LivePostIndex::insert(uint64_t key, const MatchPost& post) {
  const uint64_t cell = detail::located(post) ? impl_->cell_of(*post.geo) : kUnlocatedCell;
  if (!impl_->where.emplace(key, cell).second) return false;
  impl_->cells[cell].push_back({key, post.time_ms});
  return true;
}

bool LivePostIndex::erase(uint64_t key) {
  const auto it = impl_->where.find(key);
  if (it == impl_->where.end()) return false;
  auto cell = impl_->cells.find(it->second);
  auto& entries = cell->second;
  const auto pos = std::find_if(entries.begin(), entries.end(), [key](const Impl::Entry& e) { return e.key == key; });
  *pos = entries.back();
  entries.pop_back();
  if (entries.empty()) impl_->cells.erase(cell);
  impl_->where.erase(it);
  return true;
}

size_t LivePostIndex::size() const { return impl_->where.size(); }

void LivePostIndex::visit(const std::optional<GeoPoint>& center, double reach_km, int64_t t, int64_t delta_ms,
                          bool with_unlocated, const void* fn, void (*call)(const void*, uint64_t)) const {
  const auto emit = [&](uint64_t key) { call(fn, key); };
  const Impl& m = *impl_;
  if (!center) {
    for (const auto& [cell, entries] : m.cells) Impl::scan(entries, t, delta_ms, emit);
    return;
  }
  if (with_unlocated) {
    if (const auto it = m.cells.find(kUnlocatedCell); it != m.cells.end()) Impl::scan(it->second, t, delta_ms, emit);
  }
  const GeoPoint p = *center;
  const detail::CapReach reach = detail::cap_reach(p.lat, reach_km);
  const double dlat = reach.dlat, dlon = reach.dlon;
  const int r0 = std::clamp(static_cast<int>(std::floor((std::max(-90.0, p.lat - dlat) + 90.0) / m.cell_deg)), 0, m.rows - 1);
  const int r1 = std::clamp(static_cast<int>(std::floor((std::min(90.0, p.lat + dlat) + 90.0) / m.cell_deg)), 0, m.rows - 1);
  int c0 = 0, count = m.cols;
  if (dlon < 180.0) {
    const auto first = static_cast<int64_t>(std::floor((p.lon - dlon + 180.0) / m.cell_deg));
    const auto last = static_cast<int64_t>(std::floor((p.lon + dlon + 180.0) / m.cell_deg));
    if (last - first + 1 < m.cols) {
      c0 = static_cast<int>(((first % m.cols) + m.cols) % m.cols);  // wraps across the antimeridian
      count = static_cast<int>(last - first + 1);
    }
  }
  const auto rows = static_cast<size_t>(r1 - r0 + 1);
  if (rows * static_cast<size_t>(count) > m.cells.size()) {
    // Fewer occupied cells than cells in the window (near a pole, or a sparse index).
    for (const auto& [cell, entries] : m.cells) {
      if (cell == kUnlocatedCell) continue;
      const auto row = static_cast<int>(cell >> 32);
      const auto col = static_cast<int>(cell & 0xffffffffu);
      if (row < r0 || row > r1) continue;
      if (count < m.cols && ((col - c0) % m.cols + m.cols) % m.cols >= count) continue;
      Impl::scan(entries, t, delta_ms, emit);
    }
    return;
  }
  for (int r = r0; r <= r1; ++r) {
    for (int i = 0; i < count; ++i) {
      const auto it = m.cells.find(Impl::cell_id(r, (c0 + i) % m.cols));
      if (it != m.cells.end()) Impl::scan(it->second, t, delta_ms, emit);
    }
  }
}

}  // namespace crema::match
