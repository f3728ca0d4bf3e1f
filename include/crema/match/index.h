// crema/match/index.h: vector indexes for top-K inner-product search (CReMa §III-E).
//
// One interface over several backends, chosen by a FAISS-style factory string
// (case-insensitive, no spaces):
//   flat            exhaustive inner product (FAISS IndexFlatIP): exact
//   ivf<N>,flat     FAISS inverted file, N lists, full vectors        (needs training)
//   ivf<N>,pq<M>    FAISS inverted file, N lists, M-byte PQ codes     (needs training; M | dim)
//   hnsw<M>         FAISS HNSW graph, M links per node
//   hnswlib<M>      hnswlib HNSW graph, M links per node
// Vectors are float32 rows of `dim`, expected L2-normalised (score = inner product = cosine);
// NaN/inf components are rejected. Each vector carries a caller id (int64 >= 0, unique
// among live vectors).
//
// Removal (expiry): flat and ivf remove for real (FAISS IndexIDMap2::remove_ids). The HNSW
// graphs cannot drop nodes: hnswlib marks them deleted (skipped by search, still
// traversed); FAISS HNSW keeps a tombstone set, asks the graph for k + tombstones and
// filters. Both rebuild the graph from the live vectors once tombstones exceed a quarter of
// the live count, so search cost stays bounded. A removed id may be added again.
//
// Files (save/load): "CREMAIDX" magic, format version, dim, factory, live count, payload
// size and a 64-bit FNV-1a checksum of the payload, then the backend's own bytes. Load
// checks every field: another magic or version, a truncated file, a checksum mismatch or a
// dim that does not fit the payload are kCorrupt/kUnsupported errors naming the file.
//
// Thread safety: search() is const and may run on many threads at once; add(), remove(),
// train() and load need exclusive access. Ownership: an Index owns its vectors (copies).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "crema/common/result.h"

namespace crema::match {

// Tunables; defaults favour recall.
struct IndexOptions {
  int nprobe = 32;            // IVF: inverted lists visited per query
  int ef_search = 128;        // HNSW: candidate list during search (raised to k when smaller)
  int ef_construction = 200;  // HNSW: candidate list while building
  uint64_t seed = 42;         // k-means initialisation, hnswlib level draw
  int threads = 1;            // OpenMP threads FAISS may use for train/add (0 = all cores)
};

// One search hit. id = -1 (and score = -inf) pads a result with fewer than k live vectors.
struct Neighbor {
  int64_t id = -1;
  float score = 0;
};

// A parsed factory string.
struct IndexSpec {
  enum class Kind { kFlat, kIvfFlat, kIvfPq, kHnsw, kHnswlib };
  Kind kind = Kind::kFlat;
  int lists = 0;    // ivf: N
  int m = 0;        // pq: bytes per code; hnsw/hnswlib: links per node
  std::string canonical;  // e.g. "ivf1024,pq32"
};

// Parses a factory string; kInvalidArgument names the string and lists the known forms.
Result<IndexSpec> parse_index_spec(std::string_view factory);

class Index {
 public:
  virtual ~Index() = default;

  virtual const IndexSpec& spec() const = 0;
  virtual size_t dim() const = 0;
  virtual size_t size() const = 0;  // live vectors
  // True while an IVF index has not been trained; add() then trains on its own batch.
  virtual bool needs_training() const = 0;
  // Trains the coarse quantizer (and PQ) on n = vectors.size()/dim sample rows; IVF needs
  // n >= lists. No-op for flat and HNSW.
  virtual Status train(std::span<const float> vectors) = 0;
  // Adds ids.size() rows. Errors (nothing added): wrong float count, NaN/inf, negative or
  // duplicate id, an untrained IVF with fewer rows than lists.
  virtual Status add(std::span<const int64_t> ids, std::span<const float> vectors) = 0;
  // Removes the ids that are live; returns how many were.
  virtual Result<size_t> remove(std::span<const int64_t> ids) = 0;
  // For q = queries.size()/dim rows, writes the k best live vectors of each (best first)
  // to out[q*k .. q*k+k). Errors: wrong float count, NaN/inf, out too small, k = 0.
  virtual Status search(std::span<const float> queries, size_t k, std::span<Neighbor> out) const = 0;
  // Changes search-time tunables (nprobe, ef_search) for later searches.
  virtual void set_search_options(const IndexOptions& options) = 0;
  // Approximate bytes held (vectors, codes, graph links).
  virtual size_t memory_bytes() const = 0;

  // The backend's own bytes (without the file header); used by save_index.
  virtual Result<std::string> serialize() const = 0;
};

// A new empty index for `factory` over vectors of `dim` (> 0).
Result<std::unique_ptr<Index>> make_index(std::string_view factory, size_t dim, const IndexOptions& options = {});

// Writes `index` to path atomically (temp file + rename).
Status save_index(const Index& index, const std::string& path);
// Reads an index written by save_index; options give the search-time tunables.
Result<std::unique_ptr<Index>> load_index(const std::string& path, const IndexOptions& options = {});

inline constexpr uint32_t kIndexFormatVersion = 1;

}  // namespace crema::match
