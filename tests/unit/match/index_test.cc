#include "crema/match/index.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crema/common/file_io.h"

namespace crema::match {
namespace {

// n random unit rows of dimension dim around `clusters` centres (clustered, like sentence
// embeddings), seeded.
std::vector<float> clustered_rows(size_t n, size_t dim, size_t clusters, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0F, 1.0F);
  std::vector<float> centres(clusters * dim);
  for (float& x : centres) x = normal(rng);
  std::vector<float> rows(n * dim);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = i % clusters;
    double norm = 0;
    for (size_t d = 0; d < dim; ++d) {
      rows[i * dim + d] = centres[c * dim + d] + 0.6F * normal(rng);
      norm += static_cast<double>(rows[i * dim + d]) * rows[i * dim + d];
    }
    for (size_t d = 0; d < dim; ++d) rows[i * dim + d] = static_cast<float>(rows[i * dim + d] / std::sqrt(norm));
  }
  return rows;
}

std::vector<int64_t> iota_ids(size_t n, int64_t first = 0) {
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = first + static_cast<int64_t>(i);
  return ids;
}

// Exact top-k ids by inner product among rows whose id is in `live`.
std::vector<int64_t> exact_top(const std::vector<float>& rows, const std::vector<int64_t>& ids, const float* q,
                               size_t dim, size_t k) {
  std::vector<std::pair<float, int64_t>> scored;
  for (size_t i = 0; i < ids.size(); ++i) {
    float s = 0;
    for (size_t d = 0; d < dim; ++d) s += rows[i * dim + d] * q[d];
    scored.emplace_back(s, ids[i]);
  }
  std::sort(scored.begin(), scored.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::vector<int64_t> out;
  for (size_t i = 0; i < std::min(k, scored.size()); ++i) out.push_back(scored[i].second);
  return out;
}

std::string temp_file(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("crema_index_test_" + name)).string();
}

TEST(IndexSpec, ParsesFactoryStrings) {
  EXPECT_EQ(parse_index_spec("flat")->kind, IndexSpec::Kind::kFlat);
  auto ivf = parse_index_spec("IVF1024,Flat");
  ASSERT_TRUE(ivf.has_value());
  EXPECT_EQ(ivf->kind, IndexSpec::Kind::kIvfFlat);
  EXPECT_EQ(ivf->lists, 1024);
  EXPECT_EQ(ivf->canonical, "ivf1024,flat");
  auto pq = parse_index_spec("ivf256,pq32");
  ASSERT_TRUE(pq.has_value());
  EXPECT_EQ(pq->kind, IndexSpec::Kind::kIvfPq);
  EXPECT_EQ(pq->m, 32);
  EXPECT_EQ(parse_index_spec("hnsw32")->kind, IndexSpec::Kind::kHnsw);
  EXPECT_EQ(parse_index_spec("hnswlib16")->kind, IndexSpec::Kind::kHnswlib);
  EXPECT_EQ(parse_index_spec("hnswlib16")->m, 16);
  for (const char* bad : {"", "ivf", "ivf0,flat", "ivf10,pq", "ivf10,sq8", "hnsw", "hnsw1", "hnsw-3", "lsh", "flat2",
                          "ivf10,flat,x", "hnsw32x"}) {
    EXPECT_FALSE(parse_index_spec(bad).has_value()) << bad;
  }
}

TEST(Index, RejectsBadDimensionsAndVectors) {
  EXPECT_FALSE(make_index("flat", 0).has_value());
  EXPECT_FALSE(make_index("ivf4,pq5", 16).has_value());  // 5 does not divide 16
  auto index = make_index("flat", 4);
  ASSERT_TRUE(index.has_value());
  const std::vector<float> three = {1, 0, 0};
  const std::vector<int64_t> one_id = {1};
  EXPECT_FALSE((*index)->add(one_id, three).has_value());  // wrong dimension
  std::vector<float> nan_row = {1, 0, std::numeric_limits<float>::quiet_NaN(), 0};
  auto st = (*index)->add(one_id, nan_row);
  ASSERT_FALSE(st.has_value());
  EXPECT_NE(st.error().message.find("NaN"), std::string::npos);
  std::vector<float> inf_row = {1, 0, std::numeric_limits<float>::infinity(), 0};
  EXPECT_FALSE((*index)->add(one_id, inf_row).has_value());
  const std::vector<float> row = {1, 0, 0, 0};
  const std::vector<int64_t> negative = {-5};
  EXPECT_FALSE((*index)->add(negative, row).has_value());
  ASSERT_TRUE((*index)->add(one_id, row).has_value());
  EXPECT_FALSE((*index)->add(one_id, row).has_value());  // duplicate id
  EXPECT_EQ((*index)->size(), 1u);
  std::vector<Neighbor> out(1);
  EXPECT_FALSE((*index)->search(three, 1, out).has_value());
  EXPECT_FALSE((*index)->search(nan_row, 1, out).has_value());
  EXPECT_FALSE((*index)->search(row, 0, out).has_value());
  std::vector<Neighbor> small;
  EXPECT_FALSE((*index)->search(row, 1, small).has_value());
}

TEST(Index, IvfNeedsEnoughTrainingRows) {
  auto index = make_index("ivf64,flat", 8);
  ASSERT_TRUE(index.has_value());
  EXPECT_TRUE((*index)->needs_training());
  const auto rows = clustered_rows(10, 8, 2, 1);
  EXPECT_FALSE((*index)->add(iota_ids(10), rows).has_value());
  EXPECT_EQ((*index)->size(), 0u);
}

struct BackendCase {
  const char* factory;
  double min_recall;  // recall@10 against exact search on clustered data
};

class IndexBackends : public ::testing::TestWithParam<BackendCase> {};

TEST_P(IndexBackends, RecallRemoveSaveLoad) {
  constexpr size_t kDim = 32, kN = 3000, kQ = 50, kK = 10;
  IndexOptions options;
  options.nprobe = 8;
  auto index = make_index(GetParam().factory, kDim, options);
  ASSERT_TRUE(index.has_value()) << index.error().message;
  const auto rows = clustered_rows(kN, kDim, 20, 7);
  auto ids = iota_ids(kN, 1000);
  auto added = (*index)->add(ids, rows);
  ASSERT_TRUE(added.has_value()) << added.error().message;
  EXPECT_EQ((*index)->size(), kN);
  EXPECT_GT((*index)->memory_bytes(), kN * kDim * 4 / 8);

  const auto queries = clustered_rows(kQ, kDim, 20, 99);
  std::vector<Neighbor> out(kQ * kK);
  auto searched = (*index)->search(queries, kK, out);
  ASSERT_TRUE(searched.has_value()) << searched.error().message;
  size_t hits = 0;
  for (size_t q = 0; q < kQ; ++q) {
    const auto truth = exact_top(rows, ids, queries.data() + q * kDim, kDim, kK);
    for (size_t j = 0; j < kK; ++j) {
      hits += std::count(truth.begin(), truth.end(), out[q * kK + j].id) > 0 ? 1 : 0;
      if (j > 0) {
        EXPECT_GE(out[q * kK + j - 1].score, out[q * kK + j].score - 1e-5F);
      }
    }
  }
  EXPECT_GE(static_cast<double>(hits) / (kQ * kK), GetParam().min_recall) << GetParam().factory;

  // Remove every third vector: none of them may come back, and the rest is still found.
  std::vector<int64_t> removed, kept_ids;
  std::vector<float> kept_rows;
  for (size_t i = 0; i < kN; ++i) {
    if (i % 3 == 0) {
      removed.push_back(ids[i]);
    } else {
      kept_ids.push_back(ids[i]);
      kept_rows.insert(kept_rows.end(), rows.begin() + static_cast<std::ptrdiff_t>(i * kDim),
                       rows.begin() + static_cast<std::ptrdiff_t>((i + 1) * kDim));
    }
  }
  auto n_removed = (*index)->remove(removed);
  ASSERT_TRUE(n_removed.has_value()) << n_removed.error().message;
  EXPECT_EQ(*n_removed, removed.size());
  EXPECT_EQ(*(*index)->remove(removed), 0u);  // already gone
  EXPECT_EQ((*index)->size(), kN - removed.size());
  ASSERT_TRUE((*index)->search(queries, kK, out).has_value());
  for (const auto& nb : out) {
    EXPECT_NE((nb.id - 1000) % 3, 0) << "removed id " << nb.id << " returned by " << GetParam().factory;
  }

  // A removed id can be added again and is found by its own vector.
  const std::vector<int64_t> again = {removed[5]};
  const std::vector<float> again_row(rows.begin() + 15 * kDim, rows.begin() + 16 * kDim);
  ASSERT_TRUE((*index)->add(again, again_row).has_value());
  std::vector<Neighbor> self(1);
  ASSERT_TRUE((*index)->search(again_row, 1, self).has_value());
  EXPECT_EQ(self[0].id, removed[5]);

  // Save, load: same answers.
  std::string name = GetParam().factory;
  std::replace(name.begin(), name.end(), ',', '_');
  const std::string path = temp_file(name + ".idx");
  ASSERT_TRUE(save_index(**index, path).has_value());
  auto loaded = load_index(path, options);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ((*loaded)->size(), (*index)->size());
  EXPECT_EQ((*loaded)->dim(), kDim);
  EXPECT_EQ((*loaded)->spec().canonical, (*index)->spec().canonical);
  std::vector<Neighbor> before(kQ * kK), after(kQ * kK);
  ASSERT_TRUE((*index)->search(queries, kK, before).has_value());
  ASSERT_TRUE((*loaded)->search(queries, kK, after).has_value());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(before[i].id, after[i].id) << i;
  std::filesystem::remove(path);
}

INSTANTIATE_TEST_SUITE_P(All, IndexBackends,
                         ::testing::Values(BackendCase{"flat", 1.0}, BackendCase{"ivf16,flat", 0.9},
                                           BackendCase{"ivf16,pq8", 0.4}, BackendCase{"hnsw16", 0.9},
                                           BackendCase{"hnswlib16", 0.9}),
                         [](const auto& param_info) {
                           std::string name = param_info.param.factory;
                           std::replace(name.begin(), name.end(), ',', '_');
                           return name;
                         });

TEST(IndexFile, DetectsCorruptionVersionAndTruncation) {
  constexpr size_t kDim = 8;
  auto index = make_index("flat", kDim);
  ASSERT_TRUE(index.has_value());
  const auto rows = clustered_rows(20, kDim, 2, 3);
  ASSERT_TRUE((*index)->add(iota_ids(20), rows).has_value());
  const std::string path = temp_file("corrupt.idx");
  ASSERT_TRUE(save_index(**index, path).has_value());
  const std::string good = *read_file(path);

  auto expect_error = [&](std::string bytes, ErrorCode code, const char* needle) {
    ASSERT_TRUE(write_file_atomic(path, bytes).has_value());
    auto loaded = load_index(path);
    ASSERT_FALSE(loaded.has_value()) << needle;
    EXPECT_EQ(loaded.error().code, code) << loaded.error().message;
    EXPECT_NE(loaded.error().message.find(needle), std::string::npos) << loaded.error().message;
    EXPECT_NE(loaded.error().message.find(path), std::string::npos) << loaded.error().message;
  };
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  expect_error(bad_magic, ErrorCode::kCorrupt, "magic");
  std::string future = good;
  future[8] = 9;  // version field
  expect_error(future, ErrorCode::kUnsupported, "version 9");
  expect_error(good.substr(0, good.size() - 7), ErrorCode::kCorrupt, "truncated");
  expect_error(good.substr(0, 14), ErrorCode::kCorrupt, "truncated");
  std::string flipped = good;
  flipped[flipped.size() - 3] ^= 0x40;
  expect_error(flipped, ErrorCode::kCorrupt, "checksum");
  std::string wrong_dim = good;
  wrong_dim[12] = 9;  // dim field: the payload holds dimension 8
  expect_error(wrong_dim, ErrorCode::kCorrupt, "dimension");
  expect_error("", ErrorCode::kCorrupt, "magic");

  auto missing = load_index(path + ".missing");
  EXPECT_FALSE(missing.has_value());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace crema::match
