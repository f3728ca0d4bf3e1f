#include "crema/nn/weights_file.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crema/common/file_io.h"
#include "crema/common/hash.h"
#include "crema/nn/use_lite.h"

namespace crema::nn {
namespace {

std::vector<float> ramp(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = std::sin(static_cast<float>(i) * 0.37f) * (1.0f + static_cast<float>(i % 7));
  return v;
}

std::string sample_file() {
  static const std::vector<float> a = ramp(12), b = ramp(6);
  const std::vector<TensorToWrite> ts = {{"a", {3, 4}, a, DType::kF32, 0}, {"b", {6}, b, DType::kF16, 0}};
  return encode_weights("test", ts).value();
}

// Offsets of tensor "a"'s fields in sample_file(): magic 8, version/count/kind len 12, kind 4,
// name len 4 + "a", dtype/ndim/axis/pad 4, dims 2 x 8, then offset, size, checksum.
constexpr size_t kDtypeAt = 8 + 12 + 4 + 4 + 1;
constexpr size_t kDim0At = kDtypeAt + 4;
constexpr size_t kOffsetAt = kDim0At + 16;

// Rewrites the header checksum after a deliberate edit, so the field check itself is hit.
void reseal(std::string& bytes) {
  const size_t header_end = kOffsetAt + 24 + (4 + 1 + 4 + 8 + 24);
  const uint64_t sum = fnv1a(kFnvOffset, std::string_view(bytes).substr(0, header_end));
  std::memcpy(bytes.data() + header_end, &sum, 8);
}

template <typename T>
void poke(std::string& bytes, size_t at, T v) {
  std::memcpy(bytes.data() + at, &v, sizeof(T));
  reseal(bytes);
}

TEST(WeightsFile, RoundTripsEachDtype) {
  const std::vector<float> m = ramp(64);
  const std::vector<TensorToWrite> ts = {{"f32", {8, 8}, m, DType::kF32, 0},
                                         {"f16", {8, 8}, m, DType::kF16, 0},
                                         {"i8_rows", {8, 8}, m, DType::kI8, 0},
                                         {"i8_cols", {8, 8}, m, DType::kI8, 1}};
  auto bytes = encode_weights("kind-x", ts);
  ASSERT_TRUE(bytes.has_value());
  auto wf = parse_weights(*bytes, "mem");
  ASSERT_TRUE(wf.has_value()) << wf.error().message;
  EXPECT_EQ(wf->kind, "kind-x");
  EXPECT_EQ(wf->version, kWeightsFormatVersion);
  ASSERT_EQ(wf->names.size(), 4u);
  for (size_t i = 0; i < m.size(); ++i) {
    EXPECT_EQ(wf->find("f32")->data[i], m[i]);
    EXPECT_NEAR(wf->find("f16")->data[i], m[i], std::fabs(m[i]) * 1e-3 + 1e-7);
    EXPECT_NEAR(wf->find("i8_rows")->data[i], m[i], 7.0 / 127 * 0.51);
    EXPECT_NEAR(wf->find("i8_cols")->data[i], m[i], 7.0 / 127 * 0.51);
  }
  EXPECT_EQ(wf->find("nope"), nullptr);
}

TEST(WeightsFile, HalfConversionCoversSubnormalsAndOverflow) {
  const std::vector<float> v = {0.0f, -0.0f, 1e-6f, -3e-7f, 6.1e-5f, 65504.0f, 1e6f, -1e-9f};
  const std::vector<TensorToWrite> ts = {{"h", {8}, v, DType::kF16, 0}};
  const auto wf = parse_weights(encode_weights("k", ts).value(), "mem").value();
  const auto& got = wf.tensors[0].data;
  EXPECT_EQ(got[0], 0.0f);
  EXPECT_NEAR(got[2], 1e-6f, 6e-8f);   // subnormal half, step 2^-24
  EXPECT_NEAR(got[3], -3e-7f, 6e-8f);
  EXPECT_NEAR(got[4], 6.1e-5f, 1e-7f);
  EXPECT_EQ(got[5], 65504.0f);
  EXPECT_TRUE(std::isinf(got[6]));
  EXPECT_EQ(got[7], 0.0f);
}

TEST(WeightsFile, EveryTruncationIsACleanError) {
  const std::string bytes = sample_file();
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto wf = parse_weights(std::string_view(bytes).substr(0, n), "cut.crnn");
    ASSERT_FALSE(wf.has_value()) << n;
    EXPECT_EQ(wf.error().code, ErrorCode::kCorrupt) << n;
    EXPECT_NE(wf.error().message.find("cut.crnn"), std::string::npos);
  }
}

TEST(WeightsFile, HostileHeadersNameFileAndTensor) {
  const std::string good = sample_file();
  auto expect_error = [](const std::string& bytes, const std::string& needle) {
    auto wf = parse_weights(bytes, "bad.crnn");
    ASSERT_FALSE(wf.has_value()) << needle;
    EXPECT_NE(wf.error().message.find(needle), std::string::npos) << needle << " / " << wf.error().message;
    EXPECT_NE(wf.error().message.find("bad.crnn"), std::string::npos);
  };
  std::string b = good;
  b[0] = 'X';
  expect_error(b, "bad magic");
  b = good;
  b[8 + 12] ^= 1;  // a byte of the kind changed without resealing
  expect_error(b, "header checksum");
  b = good;
  b.back() ^= 1;
  expect_error(b, "tensor 'b': data checksum");
  b = good;
  poke<uint8_t>(b, kDtypeAt, 9);
  expect_error(b, "tensor 'a': unknown dtype");
  b = good;
  poke<int64_t>(b, kDim0At, int64_t{1} << 40);
  expect_error(b, "tensor 'a': shape");
  b = good;
  poke<int64_t>(b, kDim0At, -3);
  expect_error(b, "tensor 'a': shape");
  b = good;
  poke<int64_t>(b, kDim0At, 4);  // shape [4,4] no longer matches 48 data bytes
  expect_error(b, "tensor 'a': data is 48 bytes");
  b = good;
  poke<uint64_t>(b, kOffsetAt, uint64_t{1} << 62);
  expect_error(b, "tensor 'a': data [");
  b = good;
  poke<uint64_t>(b, kOffsetAt, good.size() - 8);
  expect_error(b, "outside the file");
  b = good;
  poke<uint32_t>(b, 8, 7);
  EXPECT_EQ(parse_weights(b, "v.crnn").error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(read_weights_file("/nonexistent/x.crnn").error().code, ErrorCode::kNotFound);
}

TEST(WeightsFile, UseLiteLoaderNamesMissingAndMisshapenTensors) {
  const auto dir = std::filesystem::temp_directory_path() / ("crema_nn_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(std::string(CREMA_SOURCE_DIR) + "/models/use-lite/vocab.json", dir / "vocab.json",
                             std::filesystem::copy_options::overwrite_existing);
  const std::vector<float> small = ramp(4);
  std::vector<TensorToWrite> ts = {{"embeddings", {2, 2}, small, DType::kF32, 0}};
  ASSERT_TRUE(write_weights_file((dir / "use_lite.crnn").string(), "use-lite", ts).has_value());
  auto m = UseLiteModel::load(dir.string(), Precision::kFp32);
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message.find("'embeddings' has shape [2,2]"), std::string::npos) << m.error().message;
  ASSERT_TRUE(write_weights_file((dir / "use_lite.crnn").string(), "other", ts).has_value());
  m = UseLiteModel::load(dir.string(), Precision::kFp32);
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message.find("not use-lite"), std::string::npos) << m.error().message;
  const std::vector<float> emb(8002 * 256, 0.01f);
  ts = {{"embeddings", {8002, 256}, emb, DType::kF16, 0}};
  ASSERT_TRUE(write_weights_file((dir / "use_lite.crnn").string(), "use-lite", ts).has_value());
  m = UseLiteModel::load(dir.string(), Precision::kFp32);
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message.find("missing tensor 'inv_timescales'"), std::string::npos) << m.error().message;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace crema::nn
