// Private: what the index backends share (argument checks, the live-id set) and their
// constructors.
#pragma once

#include <string_view>
#include <unordered_set>

#include "crema/match/index.h"

namespace crema::match::detail {

// Checks that `floats` holds whole rows of `dim` finite values; `what` names them in errors.
Status check_rows(std::span<const float> floats, size_t dim, const char* what);

// The checks and bookkeeping every backend shares: argument shapes, ids unique among the
// live vectors.
class IndexBase : public Index {
 public:
  IndexBase(IndexSpec spec, size_t dim, const IndexOptions& options) : spec_(std::move(spec)), dim_(dim), options_(options) {}
  const IndexSpec& spec() const override { return spec_; }
  size_t dim() const override { return dim_; }
  size_t size() const override { return live_.size(); }
  void set_search_options(const IndexOptions& options) override { options_ = options; }

 protected:
  // Validates an add batch (rows, ids non-negative and new, no repeats).
  Status check_add(std::span<const int64_t> ids, std::span<const float> vectors) const;
  Status check_search(std::span<const float> queries, size_t k, std::span<const Neighbor> out) const;

  IndexSpec spec_;
  size_t dim_;
  IndexOptions options_;
  std::unordered_set<int64_t> live_;
};

Result<std::unique_ptr<Index>> make_faiss_index(const IndexSpec& spec, size_t dim, const IndexOptions& options);
Result<std::unique_ptr<Index>> load_faiss_index(const IndexSpec& spec, size_t dim, std::string_view payload,
                                                const IndexOptions& options);
Result<std::unique_ptr<Index>> make_hnswlib_index(const IndexSpec& spec, size_t dim, const IndexOptions& options);
Result<std::unique_ptr<Index>> load_hnswlib_index(const IndexSpec& spec, size_t dim, std::string_view payload,
                                                  const IndexOptions& options);

}  // namespace crema::match::detail
