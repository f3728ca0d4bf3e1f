#include "crema/nn/safetensors.h"

#include <bit>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crema/common/file_io.h"

namespace crema::nn {
namespace {

std::string file_with(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string f32_bytes(const std::vector<float>& v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

TEST(SafeTensors, ReadsF32F16Bf16) {
  // F32 [2,2] at 0, F16 [2] = {1.0, -2.5}, BF16 [2] = {3.0, 0.15625}; header padded to 8.
  std::string header = R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
                       R"("h":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},)"
                       R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[20,24]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string data = f32_bytes({1, 2, 3, 4});
  const uint16_t halves[] = {0x3c00, 0xc100};
  data.append(reinterpret_cast<const char*>(halves), 4);
  const uint16_t bf[] = {static_cast<uint16_t>(std::bit_cast<uint32_t>(3.0f) >> 16),
                         static_cast<uint16_t>(std::bit_cast<uint32_t>(0.15625f) >> 16)};
  data.append(reinterpret_cast<const char*>(bf), 4);
  const auto path = (std::filesystem::temp_directory_path() / "crema_st_ok.safetensors").string();
  ASSERT_TRUE(write_file_atomic(path, file_with(header, data)));
  auto st = SafeTensors::open(path);
  ASSERT_TRUE(st) << st.error().message;
  ASSERT_EQ(st->tensors().size(), 3u);
  ASSERT_EQ(st->metadata().size(), 1u);
  EXPECT_EQ(st->metadata()[0].second, "pt");
  auto a = st->get("a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(std::vector<float>(a->data.begin(), a->data.end()), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_TRUE(a->owned.empty());  // zero copy: a view into the mapping
  auto h = st->get("h");
  ASSERT_TRUE(h);
  EXPECT_EQ(std::vector<float>(h->data.begin(), h->data.end()), (std::vector<float>{1.0f, -2.5f}));
  auto b = st->get("b");
  ASSERT_TRUE(b);
  EXPECT_EQ(std::vector<float>(b->data.begin(), b->data.end()), (std::vector<float>{3.0f, 0.15625f}));
  // A moved FloatTensor that owns its data still points at it.
  FloatTensor moved = std::move(*h);
  EXPECT_EQ(moved.data.data(), moved.owned.data());
  EXPECT_EQ(moved.data[1], -2.5f);
  auto missing = st->get("zzz");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("zzz"), std::string::npos);
  std::filesystem::remove(path);
}

struct Hostile {
  const char* what;
  std::string bytes;
  const char* expect;  // in the error message
};

TEST(SafeTensors, HostileFilesGiveClearErrors) {
  const std::string data = f32_bytes({1, 2, 3, 4});
  auto one = [&](const std::string& entry) { return file_with("{\"w\":" + entry + "}", data); };
  std::vector<Hostile> cases = {
      {"empty", "", "too short"},
      {"header past end", std::string("\xff\xff\x00\x00\x00\x00\x00\x00", 8) + "{}", "exceeds the file"},
      {"huge header length", std::string(7, '\xff') + "\x7f", "exceeds the file"},
      {"not json", file_with("{\"w\":", data), "not valid JSON"},
      {"not object", file_with("[1,2]", data), "not a JSON object"},
      {"offsets outside", one(R"({"dtype":"F32","shape":[4],"data_offsets":[0,20]})"), "outside the data area"},
      {"offsets reversed", one(R"({"dtype":"F32","shape":[0],"data_offsets":[8,4]})"), "outside the data area"},
      {"wrong size", one(R"({"dtype":"F32","shape":[3],"data_offsets":[0,16]})"), "needs 12 bytes"},
      {"wrong dtype size", one(R"({"dtype":"F16","shape":[4],"data_offsets":[0,16]})"), "needs 8 bytes"},
      {"unknown dtype", one(R"({"dtype":"I64","shape":[2],"data_offsets":[0,16]})"), "dtype I64"},
      {"2^40 dim", one(R"({"dtype":"F32","shape":[1099511627776],"data_offsets":[0,16]})"), "dimension"},
      {"overflowing product", one(R"({"dtype":"F32","shape":[65536,65536],"data_offsets":[0,16]})"), "2^31"},
      {"negative dim", one(R"({"dtype":"F32","shape":[-4],"data_offsets":[0,16]})"), "dimension"},
      {"missing dtype", one(R"({"shape":[4],"data_offsets":[0,16]})"), "dtype"},
      {"offsets not ints", one(R"({"dtype":"F32","shape":[4],"data_offsets":["0",16]})"), "data_offsets"},
      {"three offsets", one(R"({"dtype":"F32","shape":[4],"data_offsets":[0,8,16]})"), "data_offsets"},
      {"bad metadata", file_with(R"({"__metadata__":{"a":1}})", data), "__metadata__"},
      {"duplicate", file_with(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                              R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                              data),
       "twice"},
  };
  for (const auto& c : cases) {
    auto st = SafeTensors::parse(c.bytes, "bad.safetensors");
    ASSERT_FALSE(st) << c.what;
    EXPECT_NE(st.error().message.find("bad.safetensors"), std::string::npos) << c.what << ": " << st.error().message;
    EXPECT_NE(st.error().message.find(c.expect), std::string::npos) << c.what << ": " << st.error().message;
  }
  // Errors about one tensor name it.
  auto named = SafeTensors::parse(one(R"({"dtype":"F32","shape":[4],"data_offsets":[0,20]})"), "bad.safetensors");
  ASSERT_FALSE(named);
  EXPECT_NE(named.error().message.find("'w'"), std::string::npos);
}

TEST(SafeTensors, TruncatedFileIsRejectedAtEveryLength) {
  const std::string good = file_with(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", f32_bytes({1, 2, 3, 4}));
  ASSERT_TRUE(SafeTensors::parse(good, "t"));
  for (size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(SafeTensors::parse(good.substr(0, n), "t")) << n;
}

TEST(SafeTensors, MissingFileIsNotFound) {
  auto st = SafeTensors::open("/nonexistent/crema/model.safetensors");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace crema::nn
