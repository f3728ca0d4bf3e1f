// hnswlib backend (hnswlib<M>): a second HNSW implementation next to FAISS's. Removal marks
// nodes deleted; the graph is rebuilt from the live vectors once marks exceed a quarter of
// them. hnswlib throws; every call into it is caught here.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include <hnswlib/hnswlib.h>

#include "crema/common/file_io.h"
#include "crema/common/parallel.h"
#include "index_backend.h"

namespace crema::match::detail {
namespace {

tl::unexpected<Error> hnswlib_error(const std::string& what, const std::exception& e) {
  return make_error(ErrorCode::kInternal, "hnswlib " + what + ": " + e.what());
}

// hnswlib saves and loads by path only, so (de)serialisation goes through a private temp file.
std::string temp_path() {
  static std::atomic<uint64_t> counter{0};
  std::random_device rd;
  std::error_code ec;
  auto dir = std::filesystem::temp_directory_path(ec);
  if (ec) dir = ".";
  return (dir / ("crema-hnswlib-" + std::to_string(rd()) + "-" + std::to_string(counter++) + ".bin")).string();
}

class HnswlibIndex final : public IndexBase {
 public:
  HnswlibIndex(IndexSpec spec, size_t dim, const IndexOptions& options)
      : IndexBase(std::move(spec), dim, options), space_(std::make_unique<hnswlib::InnerProductSpace>(dim)) {}

  Status create(size_t capacity) {
    try {
      graph_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(
          space_.get(), std::max<size_t>(capacity, 16), static_cast<size_t>(spec_.m),
          static_cast<size_t>(std::max(options_.ef_construction, spec_.m)), static_cast<size_t>(options_.seed));
      graph_->setEf(static_cast<size_t>(std::max(1, options_.ef_search)));
    } catch (const std::exception& e) {
      return hnswlib_error("create", e);
    }
    return {};
  }

  Status load(std::string_view payload) {
    const std::string path = temp_path();
    if (auto st = write_file_atomic(path, payload); !st) return st;
    try {
      graph_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(space_.get(), path);
    } catch (const std::exception& e) {
      std::remove(path.c_str());
      return make_error(ErrorCode::kCorrupt, std::string("hnswlib payload: ") + e.what());
    }
    std::remove(path.c_str());
    graph_->setEf(static_cast<size_t>(std::max(1, options_.ef_search)));
    for (const auto& [label, internal] : graph_->label_lookup_) {
      if (!graph_->isMarkedDeleted(internal)) live_.insert(static_cast<int64_t>(label));
    }
    return {};
  }

  bool needs_training() const override { return false; }
  Status train(std::span<const float> vectors) override { return check_rows(vectors, dim_, "index train"); }

  Status add(std::span<const int64_t> ids, std::span<const float> vectors) override {
    if (auto st = check_add(ids, vectors); !st) return st;
    if (ids.empty()) return {};
    try {
      const size_t needed = graph_->cur_element_count + ids.size();
      if (needed > graph_->max_elements_) graph_->resizeIndex(std::max(needed, graph_->max_elements_ * 2));
    } catch (const std::exception& e) {
      return hnswlib_error("resize", e);
    }
    // hnswlib's addPoint is safe to call from several threads at once.
    std::atomic<bool> failed{false};
    std::string failure;
    std::mutex failure_mutex;
    parallel_for(ids.size(), options_.threads, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end && !failed; ++i) {
        try {
          graph_->addPoint(vectors.data() + i * dim_, static_cast<hnswlib::labeltype>(ids[i]));
        } catch (const std::exception& e) {
          std::lock_guard lock(failure_mutex);
          failed = true;
          failure = e.what();
        }
      }
    });
    if (failed) return make_error(ErrorCode::kInternal, "hnswlib add: " + failure);
    live_.insert(ids.begin(), ids.end());
    return {};
  }

  Result<size_t> remove(std::span<const int64_t> ids) override {
    size_t removed = 0;
    try {
      for (const int64_t id : ids) {
        if (live_.erase(id) == 0) continue;
        graph_->markDelete(static_cast<hnswlib::labeltype>(id));
        ++removed;
      }
    } catch (const std::exception& e) {
      return hnswlib_error("remove", e);
    }
    if (graph_->num_deleted_ > std::max<size_t>(16, live_.size() / 4)) {
      if (auto st = rebuild(); !st) return tl::unexpected(st.error());
    }
    return removed;
  }

  Status search(std::span<const float> queries, size_t k, std::span<Neighbor> out) const override {
    if (auto st = check_search(queries, k, out); !st) return st;
    const size_t nq = queries.size() / dim_;
    for (size_t q = 0; q < nq; ++q) {
      std::vector<std::pair<float, hnswlib::labeltype>> hits;
      try {
        if (!live_.empty()) {
          auto heap = graph_->searchKnn(queries.data() + q * dim_, k);
          hits.reserve(heap.size());
          while (!heap.empty()) {  // worst first
            hits.push_back(heap.top());
            heap.pop();
          }
        }
      } catch (const std::exception& e) {
        return hnswlib_error("search", e);
      }
      size_t n = 0;
      for (auto it = hits.rbegin(); it != hits.rend() && n < k; ++it) {
        out[q * k + n++] = Neighbor{static_cast<int64_t>(it->second), 1.0F - it->first};  // distance = 1 − ip
      }
      for (; n < k; ++n) out[q * k + n] = Neighbor{-1, -std::numeric_limits<float>::infinity()};
    }
    return {};
  }

  void set_search_options(const IndexOptions& options) override {
    IndexBase::set_search_options(options);
    graph_->setEf(static_cast<size_t>(std::max(1, options.ef_search)));
  }

  size_t memory_bytes() const override {
    const size_t n = graph_->cur_element_count;
    return graph_->max_elements_ * graph_->size_data_per_element_ +
           n * (static_cast<size_t>(spec_.m) / 2 * 4 + 8 + 48);  // upper levels, lookup table
  }

  Result<std::string> serialize() const override {
    const std::string path = temp_path();
    try {
      graph_->saveIndex(path);
    } catch (const std::exception& e) {
      std::remove(path.c_str());
      return hnswlib_error("save", e);
    }
    auto bytes = read_file(path);
    std::remove(path.c_str());
    return bytes;
  }

 private:
  Status rebuild() {
    std::vector<int64_t> ids(live_.begin(), live_.end());
    std::sort(ids.begin(), ids.end());
    std::vector<float> rows(ids.size() * dim_);
    try {
      for (size_t i = 0; i < ids.size(); ++i) {
        const auto v = graph_->getDataByLabel<float>(static_cast<hnswlib::labeltype>(ids[i]));
        std::copy(v.begin(), v.end(), rows.begin() + static_cast<std::ptrdiff_t>(i * dim_));
      }
    } catch (const std::exception& e) {
      return hnswlib_error("rebuild", e);
    }
    live_.clear();
    if (auto st = create(ids.size()); !st) return st;
    return add(ids, rows);
  }

  std::unique_ptr<hnswlib::InnerProductSpace> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph_;
};

}  // namespace

Result<std::unique_ptr<Index>> make_hnswlib_index(const IndexSpec& spec, size_t dim, const IndexOptions& options) {
  auto index = std::make_unique<HnswlibIndex>(spec, dim, options);
  if (auto st = index->create(1024); !st) return tl::unexpected(st.error());
  return std::unique_ptr<Index>(std::move(index));
}

Result<std::unique_ptr<Index>> load_hnswlib_index(const IndexSpec& spec, size_t dim, std::string_view payload,
                                                  const IndexOptions& options) {
  auto index = std::make_unique<HnswlibIndex>(spec, dim, options);
  if (auto st = index->load(payload); !st) return tl::unexpected(st.error());
  return std::unique_ptr<Index>(std::move(index));
}

}  // namespace crema::match::detail
