// FAISS backends: flat, ivf<N>,flat, ivf<N>,pq<M>, hnsw<M>, each inside an IndexIDMap2 so
// vectors carry caller ids. FAISS throws; every call into it is caught here.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_set>

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/invlists/InvertedLists.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include "index_backend.h"

namespace crema::match::detail {
namespace {

using FaissId = faiss::Index::idx_t;

tl::unexpected<Error> faiss_error(const std::string& what, const std::exception& e) {
  return make_error(ErrorCode::kInternal, "faiss " + what + ": " + e.what());
}

std::string faiss_description(const IndexSpec& spec) {
  switch (spec.kind) {
    case IndexSpec::Kind::kFlat: return "IDMap2,Flat";
    // IVF lists store caller ids natively (and removal keeps them), so no id map.
    case IndexSpec::Kind::kIvfFlat: return "IVF" + std::to_string(spec.lists) + ",Flat";
    case IndexSpec::Kind::kIvfPq: return "IVF" + std::to_string(spec.lists) + ",PQ" + std::to_string(spec.m);
    case IndexSpec::Kind::kHnsw: return "IDMap2,HNSW" + std::to_string(spec.m);
    case IndexSpec::Kind::kHnswlib: break;
  }
  return "IDMap2,Flat";
}

// Whether the wrapped FAISS index is the kind `spec` names (a loaded file must agree).
bool inner_matches(const IndexSpec& spec, const faiss::Index* inner) {
  switch (spec.kind) {
    case IndexSpec::Kind::kFlat: return dynamic_cast<const faiss::IndexFlat*>(inner) != nullptr;
    case IndexSpec::Kind::kIvfFlat: {
      const auto* ivf = dynamic_cast<const faiss::IndexIVFFlat*>(inner);
      return ivf != nullptr && ivf->nlist == static_cast<size_t>(spec.lists);
    }
    case IndexSpec::Kind::kIvfPq: {
      const auto* ivf = dynamic_cast<const faiss::IndexIVFPQ*>(inner);
      return ivf != nullptr && ivf->nlist == static_cast<size_t>(spec.lists) && ivf->pq.M == static_cast<size_t>(spec.m);
    }
    case IndexSpec::Kind::kHnsw: return dynamic_cast<const faiss::IndexHNSW*>(inner) != nullptr;
    case IndexSpec::Kind::kHnswlib: break;
  }
  return false;
}

// Restores the caller's OpenMP thread count when a build step ends.
class OmpThreads {
 public:
  explicit OmpThreads(int threads) : saved_(omp_get_max_threads()) {
    if (threads > 0) omp_set_num_threads(threads);
  }
  ~OmpThreads() { omp_set_num_threads(saved_); }
  OmpThreads(const OmpThreads&) = delete;
  OmpThreads& operator=(const OmpThreads&) = delete;

 private:
  int saved_;
};

class FaissIndex final : public IndexBase {
 public:
  FaissIndex(IndexSpec spec, size_t dim, const IndexOptions& options, std::unique_ptr<faiss::Index> index)
      : IndexBase(std::move(spec), dim, options), index_(std::move(index)) {
    apply_build_options();
  }

  // Rebuilds live_ (and takes the tombstones) after a load.
  void adopt(std::unordered_set<int64_t> tombstones) {
    tombstones_ = std::move(tombstones);
    live_.clear();
    live_.reserve(static_cast<size_t>(index_->ntotal));
    const auto keep = [&](int64_t id) {
      if (tombstones_.count(id) == 0) live_.insert(id);
    };
    if (const auto* map = idmap()) {
      for (const int64_t id : map->id_map) keep(id);
    } else if (const auto* ivf = dynamic_cast<const faiss::IndexIVF*>(index_.get())) {
      for (size_t list = 0; list < ivf->nlist; ++list) {
        const size_t n = ivf->invlists->list_size(list);
        faiss::InvertedLists::ScopedIds ids(ivf->invlists, list);
        for (size_t i = 0; i < n; ++i) keep(ids[i]);
      }
    }
  }

  bool needs_training() const override { return !index_->is_trained; }

  Status train(std::span<const float> vectors) override {
    if (auto st = check_rows(vectors, dim_, "index train"); !st) return st;
    const size_t n = vectors.size() / dim_;
    if (!index_->is_trained && n < static_cast<size_t>(spec_.lists)) {
      return make_error(ErrorCode::kInvalidArgument, "index '" + spec_.canonical + "' needs at least " +
                                                         std::to_string(spec_.lists) + " training vectors, got " +
                                                         std::to_string(n));
    }
    try {
      OmpThreads threads(options_.threads);
      index_->train(static_cast<FaissId>(n), vectors.data());
    } catch (const std::exception& e) {
      return faiss_error("train", e);
    }
    return {};
  }

  Status add(std::span<const int64_t> ids, std::span<const float> vectors) override {
    if (auto st = check_add(ids, vectors); !st) return st;
    if (ids.empty()) return {};
    if (needs_training()) {
      if (auto st = train(vectors); !st) return st;
    }
    // A removed id that still sits in the graph as a tombstone must go for real first.
    std::vector<int64_t> revived;
    for (const int64_t id : ids) {
      if (tombstones_.count(id) != 0) revived.push_back(id);
    }
    if (!revived.empty()) {
      if (auto st = rebuild(revived); !st) return st;
    }
    try {
      OmpThreads threads(options_.threads);
      static_assert(sizeof(FaissId) == sizeof(int64_t));
      index_->add_with_ids(static_cast<FaissId>(ids.size()), vectors.data(),
                           reinterpret_cast<const FaissId*>(ids.data()));
    } catch (const std::exception& e) {
      return faiss_error("add", e);
    }
    live_.insert(ids.begin(), ids.end());
    return {};
  }

  Result<size_t> remove(std::span<const int64_t> ids) override {
    std::vector<int64_t> present;
    for (const int64_t id : ids) {
      if (live_.count(id) != 0) present.push_back(id);
    }
    if (present.empty()) return size_t{0};
    for (const int64_t id : present) live_.erase(id);
    if (spec_.kind == IndexSpec::Kind::kHnsw) {
      tombstones_.insert(present.begin(), present.end());
      if (tombstones_.size() > std::max<size_t>(16, live_.size() / 4)) {
        if (auto st = rebuild({}); !st) return tl::unexpected(st.error());
      }
      return present.size();
    }
    try {
      index_->remove_ids(faiss::IDSelectorBatch(present.size(), present.data()));
    } catch (const std::exception& e) {
      return faiss_error("remove", e);
    }
    return present.size();
  }

  Status search(std::span<const float> queries, size_t k, std::span<Neighbor> out) const override {
    if (auto st = check_search(queries, k, out); !st) return st;
    const size_t nq = queries.size() / dim_;
    const size_t total = static_cast<size_t>(index_->ntotal);
    // HNSW: ask for enough extra hits that k live ones survive the tombstone filter.
    const size_t fetch = std::max<size_t>(1, std::min(total, k + tombstones_.size()));
    std::vector<float> scores(nq * fetch);
    std::vector<FaissId> labels(nq * fetch, -1);
    try {
      // Callers parallelise over queries; FAISS's own OpenMP team would oversubscribe.
      omp_set_num_threads(1);
      if (total > 0) {
        faiss::SearchParametersIVF ivf;
        faiss::SearchParametersHNSW hnsw;
        const faiss::SearchParameters* params = nullptr;
        if (spec_.kind == IndexSpec::Kind::kIvfFlat || spec_.kind == IndexSpec::Kind::kIvfPq) {
          ivf.nprobe = static_cast<size_t>(std::max(1, options_.nprobe));
          params = &ivf;
        } else if (spec_.kind == IndexSpec::Kind::kHnsw) {
          hnsw.efSearch = std::max(options_.ef_search, static_cast<int>(std::min<size_t>(fetch, 1 << 20)));
          params = &hnsw;
        }
        // IndexIDMap2 refuses search parameters in FAISS 1.7.3: search the wrapped index and
        // translate its positions to ids here.
        inner()->search(static_cast<FaissId>(nq), queries.data(), static_cast<FaissId>(fetch), scores.data(),
                        labels.data(), params);
        if (const auto* map = idmap()) {
          for (FaissId& label : labels) label = label < 0 ? -1 : map->id_map[static_cast<size_t>(label)];
        }
      }
    } catch (const std::exception& e) {
      return faiss_error("search", e);
    }
    for (size_t q = 0; q < nq; ++q) {
      size_t n = 0;
      for (size_t j = 0; j < fetch && n < k && total > 0; ++j) {
        const FaissId id = labels[q * fetch + j];
        if (id < 0 || tombstones_.count(id) != 0) continue;
        out[q * k + n++] = Neighbor{id, scores[q * fetch + j]};
      }
      for (; n < k; ++n) out[q * k + n] = Neighbor{-1, -std::numeric_limits<float>::infinity()};
    }
    return {};
  }

  void set_search_options(const IndexOptions& options) override {
    IndexBase::set_search_options(options);
    apply_build_options();
  }

  size_t memory_bytes() const override {
    const size_t n = static_cast<size_t>(index_->ntotal);
    const size_t ids = n * 48;  // id_map entry + rev_map node
    switch (spec_.kind) {
      case IndexSpec::Kind::kFlat: return n * dim_ * 4 + ids;
      case IndexSpec::Kind::kIvfFlat: return n * (dim_ * 4 + 8) + static_cast<size_t>(spec_.lists) * dim_ * 4 + ids;
      case IndexSpec::Kind::kIvfPq:
        return n * (static_cast<size_t>(spec_.m) + 8) + static_cast<size_t>(spec_.lists) * dim_ * 4 + 256 * dim_ * 4 +
               ids;
      case IndexSpec::Kind::kHnsw: {
        // Level 0 has 2M links, upper levels M per level with geometric occupancy.
        const size_t links = n * (2 * static_cast<size_t>(spec_.m) + static_cast<size_t>(spec_.m) / 2) * 4;
        return n * dim_ * 4 + links + n * 12 + ids;
      }
      case IndexSpec::Kind::kHnswlib: break;
    }
    return n * dim_ * 4 + ids;
  }

  Result<std::string> serialize() const override {
    faiss::VectorIOWriter writer;
    try {
      faiss::write_index(index_.get(), &writer);
    } catch (const std::exception& e) {
      return faiss_error("write", e);
    }
    std::string out;
    const uint64_t n = writer.data.size();
    out.append(reinterpret_cast<const char*>(&n), sizeof(n));
    out.append(reinterpret_cast<const char*>(writer.data.data()), writer.data.size());
    const uint64_t t = tombstones_.size();
    out.append(reinterpret_cast<const char*>(&t), sizeof(t));
    for (const int64_t id : tombstones_) out.append(reinterpret_cast<const char*>(&id), sizeof(id));
    return out;
  }

 private:
  void apply_build_options() {
    if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(inner())) {
      ivf->cp.seed = static_cast<int>(options_.seed & 0x7fffffff);
      ivf->nprobe = static_cast<size_t>(std::max(1, options_.nprobe));
      if (auto* pq = dynamic_cast<faiss::IndexIVFPQ*>(ivf)) {
        pq->pq.cp.seed = ivf->cp.seed;
        // The factory turns on polysemous training, minutes of annealing that only the
        // Hamming-filtered search (unused here) benefits from.
        pq->do_polysemous_training = false;
      }
    }
    if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(inner())) {
      hnsw->hnsw.efConstruction = std::max(options_.ef_construction, spec_.m);
      hnsw->hnsw.efSearch = std::max(1, options_.ef_search);
    }
  }

  // HNSW only: a fresh graph over the live vectors, minus `drop` (ids about to be re-added).
  Status rebuild(const std::vector<int64_t>& drop) {
    for (const int64_t id : drop) live_.erase(id);
    std::vector<int64_t> ids(live_.begin(), live_.end());
    std::sort(ids.begin(), ids.end());
    std::vector<float> rows(ids.size() * dim_);
    try {
      for (size_t i = 0; i < ids.size(); ++i) index_->reconstruct(ids[i], rows.data() + i * dim_);
      faiss::Index* fresh = faiss::index_factory(static_cast<int>(dim_), faiss_description(spec_).c_str(),
                                                 faiss::METRIC_INNER_PRODUCT);
      index_.reset(fresh);
      apply_build_options();
      OmpThreads threads(options_.threads);
      if (!ids.empty()) {
        index_->add_with_ids(static_cast<FaissId>(ids.size()), rows.data(),
                             reinterpret_cast<const FaissId*>(ids.data()));
      }
    } catch (const std::exception& e) {
      return faiss_error("rebuild", e);
    }
    tombstones_.clear();
    return {};
  }

  // The id map around flat and HNSW (whose positions are not ids); null for IVF.
  faiss::IndexIDMap2* idmap() const { return dynamic_cast<faiss::IndexIDMap2*>(index_.get()); }
  faiss::Index* inner() const {
    auto* map = idmap();
    return map != nullptr ? map->index : index_.get();
  }

  std::unique_ptr<faiss::Index> index_;
  std::unordered_set<int64_t> tombstones_;  // HNSW: removed ids still in the graph
};

}  // namespace

Result<std::unique_ptr<Index>> make_faiss_index(const IndexSpec& spec, size_t dim, const IndexOptions& options) {
  try {
    std::unique_ptr<faiss::Index> made(
        faiss::index_factory(static_cast<int>(dim), faiss_description(spec).c_str(), faiss::METRIC_INNER_PRODUCT));
    return std::unique_ptr<Index>(std::make_unique<FaissIndex>(spec, dim, options, std::move(made)));
  } catch (const std::exception& e) {
    return faiss_error("factory '" + spec.canonical + "'", e);
  }
}

Result<std::unique_ptr<Index>> load_faiss_index(const IndexSpec& spec, size_t dim, std::string_view payload,
                                                const IndexOptions& options) {
  uint64_t n = 0;
  if (payload.size() < sizeof(n)) return make_error(ErrorCode::kCorrupt, "truncated faiss payload");
  std::memcpy(&n, payload.data(), sizeof(n));
  payload.remove_prefix(sizeof(n));
  if (payload.size() < n) return make_error(ErrorCode::kCorrupt, "truncated faiss payload");
  faiss::VectorIOReader reader;
  reader.data.assign(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(n));
  payload.remove_prefix(n);
  uint64_t t = 0;
  if (payload.size() < sizeof(t)) return make_error(ErrorCode::kCorrupt, "truncated tombstone list");
  std::memcpy(&t, payload.data(), sizeof(t));
  payload.remove_prefix(sizeof(t));
  if (payload.size() != t * sizeof(int64_t)) return make_error(ErrorCode::kCorrupt, "bad tombstone list");
  std::unordered_set<int64_t> tombstones;
  for (uint64_t i = 0; i < t; ++i) {
    int64_t id = 0;
    std::memcpy(&id, payload.data() + i * sizeof(id), sizeof(id));
    tombstones.insert(id);
  }
  std::unique_ptr<faiss::Index> read;
  try {
    read.reset(faiss::read_index(&reader));
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kCorrupt, std::string("faiss payload: ") + e.what());
  }
  auto* idmap = dynamic_cast<faiss::IndexIDMap2*>(read.get());
  const bool ivf = spec.kind == IndexSpec::Kind::kIvfFlat || spec.kind == IndexSpec::Kind::kIvfPq;
  if ((ivf ? idmap != nullptr : idmap == nullptr) || !inner_matches(spec, ivf ? read.get() : idmap->index)) {
    return make_error(ErrorCode::kCorrupt, "faiss payload is not a '" + spec.canonical + "' index");
  }
  if (static_cast<size_t>(read->d) != dim || read->metric_type != faiss::METRIC_INNER_PRODUCT) {
    return make_error(ErrorCode::kCorrupt, "faiss payload has dimension " + std::to_string(read->d) +
                                               " or metric other than inner product");
  }
  auto index = std::make_unique<FaissIndex>(spec, dim, options, std::move(read));
  index->adopt(std::move(tombstones));
  return std::unique_ptr<Index>(std::move(index));
}

}  // namespace crema::match::detail
