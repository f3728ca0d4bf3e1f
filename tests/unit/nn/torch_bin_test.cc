// pytorch_model.bin reader (torch_bin.h): files written by real torch.save (fixtures from
// tools/make_nn_fixtures.py) read the same as their safetensors twins; hand-built hostile
// zips and pickles are refused with errors naming the file and the opcode or tensor.
#include "crema/nn/torch_bin.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crema/common/file_io.h"
#include "crema/nn/safetensors.h"

namespace crema::nn {
namespace {

const std::filesystem::path kHf = std::filesystem::path(CREMA_TESTDATA_DIR) / "nn" / "hf";

// ---- a small writer of stored zips and pickles, independent of the reader ----

uint32_t crc32_of(const std::string& s) {
  uint32_t c = 0xFFFFFFFFu;
  for (const char ch : s) {
    c ^= static_cast<uint8_t>(ch);
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return ~c;
}

void le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

struct Entry {
  std::string name, data;
  uint16_t method = 0;
};

// Entries stored with their data aligned to 64 bytes, as torch writes them.
std::string zip_of(const std::vector<Entry>& entries) {
  std::string out, cd;
  for (const auto& e : entries) {
    const size_t local = out.size();
    const size_t pad = (64 - (local + 30 + e.name.size() + 4) % 64) % 64;
    out += "PK\3\4";
    le(out, 20, 2);
    le(out, 0, 2);
    le(out, e.method, 2);
    le(out, 0, 4);
    le(out, crc32_of(e.data), 4);
    le(out, e.data.size(), 4);
    le(out, e.data.size(), 4);
    le(out, e.name.size(), 2);
    le(out, 4 + pad, 2);
    out += e.name;
    le(out, 0x4246, 2);  // "FB" padding field
    le(out, pad, 2);
    out.append(pad, 'Z');
    out += e.data;
    cd += "PK\1\2";
    le(cd, 20, 2);
    le(cd, 20, 2);
    le(cd, 0, 2);
    le(cd, e.method, 2);
    le(cd, 0, 4);
    le(cd, crc32_of(e.data), 4);
    le(cd, e.data.size(), 4);
    le(cd, e.data.size(), 4);
    le(cd, e.name.size(), 2);
    le(cd, 0, 2);
    le(cd, 0, 2);
    le(cd, 0, 2);
    le(cd, 0, 2);
    le(cd, 0, 4);
    le(cd, local, 4);
    cd += e.name;
  }
  const size_t cd_offset = out.size();
  out += cd;
  out += "PK\5\6";
  le(out, 0, 4);
  le(out, entries.size(), 2);
  le(out, entries.size(), 2);
  le(out, cd.size(), 4);
  le(out, cd_offset, 4);
  le(out, 0, 2);
  return out;
}

// Pickle opcodes, written by hand.
struct Pickle {
  std::string b = "\x80\x02";
  Pickle& op(char c) {
    b += c;
    return *this;
  }
  Pickle& global(const std::string& module, const std::string& name) {
    b += "c" + module + "\n" + name + "\n";
    return *this;
  }
  Pickle& str(const std::string& s) {
    b += 'X';
    le(b, s.size(), 4);
    b += s;
    return *this;
  }
  Pickle& integer(int64_t v) {
    if (v >= 0 && v < 256) {
      b += 'K';
      b += static_cast<char>(v);
    } else if (v > INT32_MAX || v < INT32_MIN) {
      b += "\x8a\x08";  // LONG1, 8 bytes
      le(b, static_cast<uint64_t>(v), 8);
    } else {
      b += 'J';
      le(b, static_cast<uint64_t>(v), 4);
    }
    return *this;
  }
  Pickle& ints(const std::vector<int64_t>& v) {
    op('(');
    for (const int64_t x : v) integer(x);
    return op('t');
  }
};

struct TensorSpec {
  std::string name, storage_type = "FloatStorage", key = "0";
  int64_t storage_numel = 4, offset = 0;
  std::vector<int64_t> size = {2, 2}, stride = {2, 1};
};

// What torch.save writes for an OrderedDict of tensors.
Pickle state_dict(const std::vector<TensorSpec>& tensors) {
  Pickle p;
  p.global("collections", "OrderedDict").op(')').op('R').op('(');
  for (const auto& t : tensors) {
    p.str(t.name).global("torch._utils", "_rebuild_tensor_v2").op('(');
    p.op('(').str("storage").global("torch", t.storage_type).str(t.key).str("cpu").integer(t.storage_numel).op('t');
    p.op('Q').integer(t.offset).ints(t.size).ints(t.stride).op('\x89');
    p.global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
  }
  p.op('u');
  return p;
}

std::string floats(const std::vector<float>& v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

std::string torch_file(const std::string& pickle, std::string storage = floats({1, 2, 3, 4}),
                       const std::string& key = "0") {
  return zip_of({{"archive/data.pkl", pickle}, {"archive/data/" + key, std::move(storage)}, {"archive/version", "3\n"}});
}

// ---- files written by torch.save ----

TEST(TorchBin, HandBuiltStateDictReads) {
  TensorSpec w{.name = "w"};
  TensorSpec tail{.name = "tail", .offset = 2, .size = {2}, .stride = {1}};
  auto tb = TorchBin::parse(torch_file(state_dict({w, tail}).op('.').b), "m.bin");
  ASSERT_TRUE(tb) << tb.error().message;
  EXPECT_EQ(tb->archive_name(), "archive");
  ASSERT_EQ(tb->tensors().size(), 2u);
  EXPECT_EQ(tb->tensors()[0].name, "w");
  auto a = tb->get("w");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(std::vector<float>(a->data.begin(), a->data.end()), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_TRUE(a->owned.empty());  // aligned stored entry: a view into the file
  auto t = tb->get("tail");
  ASSERT_TRUE(t);
  EXPECT_EQ(std::vector<float>(t->data.begin(), t->data.end()), (std::vector<float>{3, 4}));
  auto missing = tb->get("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("m.bin"), std::string::npos);
}

class TorchTwin : public ::testing::TestWithParam<std::string> {};

// The torch.save copy holds exactly the safetensors folder's float tensors, bit for bit.
TEST_P(TorchTwin, SameTensorsAsSafetensors) {
  const std::string family = GetParam();
  auto tb = TorchBin::open((kHf / (family + "-bin") / "pytorch_model.bin").string());
  ASSERT_TRUE(tb) << tb.error().message;
  auto st = SafeTensors::open((kHf / family / "model.safetensors").string());
  ASSERT_TRUE(st) << st.error().message;
  size_t compared = 0;
  for (const auto& info : tb->tensors()) {
    if (info.dtype == StDType::kI64) {
      EXPECT_EQ(info.name, "bert.embeddings.position_ids");
      auto refused = tb->get(info.name);
      ASSERT_FALSE(refused);
      EXPECT_EQ(refused.error().code, ErrorCode::kUnsupported);
      continue;
    }
    const StTensorInfo* twin = st->find(info.name);
    ASSERT_NE(twin, nullptr) << info.name;
    EXPECT_EQ(info.dtype, twin->dtype) << info.name;
    EXPECT_EQ(info.shape, twin->shape) << info.name;
    auto a = tb->get(info.name);
    auto b = st->get(info.name);
    ASSERT_TRUE(a && b) << info.name;
    ASSERT_EQ(a->data.size(), b->data.size());
    EXPECT_EQ(std::memcmp(a->data.data(), b->data.data(), a->data.size() * 4), 0) << info.name;
    if (info.dtype == StDType::kF32) {
      EXPECT_TRUE(a->owned.empty()) << info.name;  // zero copy
    }
    ++compared;
  }
  EXPECT_EQ(compared, st->tensors().size());
}

INSTANTIATE_TEST_SUITE_P(Families, TorchTwin, ::testing::Values("bert", "distilbert", "xlm-roberta"),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(TorchBin, SharedStorageViewsPointIntoOneEntry) {
  // bert-bin's query/key/value weights are row slices of one [3H, H] storage.
  auto tb = TorchBin::open((kHf / "bert-bin" / "pytorch_model.bin").string());
  ASSERT_TRUE(tb);
  const std::string p = "bert.encoder.layer.0.attention.self.";
  const StTensorInfo* q = tb->find(p + "query.weight");
  const StTensorInfo* k = tb->find(p + "key.weight");
  const StTensorInfo* v = tb->find(p + "value.weight");
  ASSERT_TRUE(q && k && v);
  EXPECT_EQ(k->offset, q->offset + 32 * 32 * 4);
  EXPECT_EQ(v->offset, q->offset + 2 * 32 * 32 * 4);
}

TEST(TensorFile, OpensByContentAndPrefersSafetensors) {
  auto bin = open_tensor_file((kHf / "cho" / "pytorch_model.bin").string());
  ASSERT_TRUE(bin) << bin.error().message;
  EXPECT_NE((*bin)->find("classifier.weight"), nullptr);
  auto st = open_model_weights(kHf / "bert");
  ASSERT_TRUE(st);
  EXPECT_NE((*st)->path().find("model.safetensors"), std::string::npos);
  auto tb = open_model_weights(kHf / "bert-bin");
  ASSERT_TRUE(tb);
  EXPECT_NE((*tb)->path().find("pytorch_model.bin"), std::string::npos);

  const auto dir = std::filesystem::temp_directory_path() / "crema_torch_bin_weights";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto none = open_model_weights(dir);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(write_file_atomic((dir / "pytorch_model.bin.index.json").string(), "{}"));
  auto sharded = open_model_weights(dir);
  ASSERT_FALSE(sharded);
  EXPECT_EQ(sharded.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(sharded.error().message.find("sharded"), std::string::npos);
  std::filesystem::remove_all(dir);
}

// ---- hostile files ----

struct Hostile {
  const char* what;
  std::string bytes;
  ErrorCode code;
  std::vector<std::string> expect;  // each in the error message
};

TEST(TorchBin, HostileFilesGiveClearErrors) {
  const TensorSpec w{.name = "w"};
  // Python's classic: os.system("ls") through REDUCE.
  const std::string os_system = Pickle().global("os", "system").str("ls").op('\x85').op('R').op('.').b;
  Pickle stack_global;
  stack_global.str("builtins").str("eval").op('\x93').str("1").op('\x85').op('R').op('.');
  Pickle storage_call = state_dict({});
  storage_call.global("torch", "FloatStorage").op(')').op('R').op('.');
  Pickle build_on_str;
  build_on_str.str("x").op('}').op('b').op('.');
  Pickle inst;
  inst.op('(').b += "ios\nsystem\n.";
  Pickle not_tensor = state_dict({});
  not_tensor.b.pop_back();  // reopen the SETITEMS mark
  not_tensor.str("epoch").integer(3).op('u').op('.');
  Pickle not_dict;
  not_dict.integer(7).op('.');
  Pickle bad_get;
  bad_get.op('h').b += '\x09';
  std::string compressed = torch_file(state_dict({w}).op('.').b);
  {
    // Mark every entry as deflated, in the local and the central headers.
    for (size_t at = compressed.find("PK\3\4"); at != std::string::npos; at = compressed.find("PK\3\4", at + 4))
      compressed[at + 8] = 8;
    for (size_t at = compressed.find("PK\1\2"); at != std::string::npos; at = compressed.find("PK\1\2", at + 4))
      compressed[at + 10] = 8;
  }
  std::string bad_crc = torch_file(state_dict({w}).op('.').b);
  bad_crc[64 + 5] ^= 1;  // a byte of the pickle, the first entry's data at the first 64-byte boundary
  std::string local_outside = torch_file(state_dict({w}).op('.').b);
  {
    const size_t cd = local_outside.find("PK\1\2");
    local_outside[cd + 42 + 3] = 0x7f;  // local header offset of the first entry far past the end
  }
  std::vector<Hostile> cases = {
      {"os.system", torch_file(os_system), ErrorCode::kUnsupported, {"m.bin", "GLOBAL", "os.system", "data.pkl"}},
      {"STACK_GLOBAL eval", torch_file(stack_global.b), ErrorCode::kUnsupported, {"builtins.eval"}},
      {"INST", torch_file(inst.b), ErrorCode::kUnsupported, {"INST", "not allowed"}},
      {"OBJ", torch_file(Pickle().op('(').op('o').op('.').b), ErrorCode::kUnsupported, {"OBJ"}},
      {"NEWOBJ", torch_file(Pickle().op('\x81').b), ErrorCode::kUnsupported, {"NEWOBJ"}},
      {"REDUCE on a storage type", torch_file(storage_call.b), ErrorCode::kUnsupported,
       {"REDUCE", "torch.FloatStorage"}},
      {"BUILD on a str", torch_file(build_on_str.b), ErrorCode::kUnsupported, {"BUILD on a str"}},
      {"value not a tensor", torch_file(not_tensor.b), ErrorCode::kUnsupported, {"'epoch'", "not a tensor"}},
      {"result not a dict", torch_file(not_dict.b), ErrorCode::kUnsupported, {"holds a int"}},
      {"memo miss", torch_file(bad_get.b), ErrorCode::kCorrupt, {"BINGET 9"}},
      {"no STOP", torch_file(state_dict({w}).b), ErrorCode::kCorrupt, {"without STOP"}},
      {"stack underflow", torch_file(Pickle().op('R').b), ErrorCode::kCorrupt, {"REDUCE on an empty stack"}},
      {"storage offset outside",
       torch_file(state_dict({TensorSpec{.name = "w", .offset = 3}}).op('.').b), ErrorCode::kCorrupt,
       {"outside the storage", "storage '0'"}},
      {"wrong storage size", torch_file(state_dict({w}).op('.').b, floats({1, 2, 3})), ErrorCode::kCorrupt,
       {"4 x F32", "holds 12 bytes"}},
      {"missing storage entry", torch_file(state_dict({TensorSpec{.name = "w", .key = "7"}}).op('.').b),
       ErrorCode::kCorrupt, {"archive/data/7"}},
      {"strided", torch_file(state_dict({TensorSpec{.name = "w", .stride = {1, 2}}}).op('.').b),
       ErrorCode::kUnsupported, {"not contiguous"}},
      {"2^40 dims", torch_file(state_dict({TensorSpec{.name = "w", .size = {int64_t{1} << 40, 1}}}).op('.').b),
       ErrorCode::kCorrupt, {"dimension out of range"}},
      {"huge element count",
       torch_file(state_dict({TensorSpec{.name = "w", .size = {65536, 65536}, .stride = {65536, 1}}}).op('.').b),
       ErrorCode::kCorrupt, {"2^31"}},
      {"duplicate name", torch_file(state_dict({w, w}).op('.').b), ErrorCode::kCorrupt, {"'w' appears twice"}},
      {"compressed entries", compressed, ErrorCode::kUnsupported, {"compressed", "method 8"}},
      {"damaged pickle", bad_crc, ErrorCode::kCorrupt, {"CRC"}},
      {"local header outside", local_outside, ErrorCode::kCorrupt, {"outside the file"}},
      {"no data.pkl", zip_of({{"archive/other", "x"}}), ErrorCode::kCorrupt, {"data.pkl"}},
      {"legacy format", std::string("\x80\x02\x8a\x0a" "l\xfc\x9c" "F\xf9 j\xa8P\x19.", 16), ErrorCode::kUnsupported,
       {"legacy"}},
      {"not a zip", "hello", ErrorCode::kCorrupt, {"zip"}},
      {"protocol 1", torch_file("\x80\x01."), ErrorCode::kUnsupported, {"protocol 1"}},
  };
  for (const auto& c : cases) {
    auto tb = TorchBin::parse(c.bytes, "m.bin");
    ASSERT_FALSE(tb) << c.what;
    EXPECT_EQ(tb.error().code, c.code) << c.what << ": " << tb.error().message;
    for (const auto& e : c.expect)
      EXPECT_NE(tb.error().message.find(e), std::string::npos) << c.what << ": " << tb.error().message;
    EXPECT_EQ(tb.error().message.rfind("m.bin", 0), 0u) << c.what << ": " << tb.error().message;
  }
}

// The zip64 end records torch writes for files over 4 GiB: the classic end record's fields
// saturated, the real values in the zip64 record its locator points at.
TEST(TorchBin, ReadsZip64EndRecords) {
  std::string z = torch_file(state_dict({TensorSpec{.name = "w"}}).op('.').b);
  const size_t end = z.size() - 22;
  uint32_t cd_size = 0, cd_offset = 0;
  std::memcpy(&cd_size, z.data() + end + 12, 4);
  std::memcpy(&cd_offset, z.data() + end + 16, 4);
  std::string rec = "PK\6\6";
  le(rec, 44, 8);
  le(rec, 45, 2);
  le(rec, 45, 2);
  le(rec, 0, 4);
  le(rec, 0, 4);
  le(rec, 3, 8);
  le(rec, 3, 8);
  le(rec, cd_size, 8);
  le(rec, cd_offset, 8);
  std::string loc = "PK\6\7";
  le(loc, 0, 4);
  le(loc, end, 8);
  le(loc, 1, 4);
  std::string eocd = "PK\5\6";
  le(eocd, 0, 4);
  le(eocd, 0xFFFF, 2);
  le(eocd, 0xFFFF, 2);
  le(eocd, 0xFFFFFFFFu, 4);
  le(eocd, 0xFFFFFFFFu, 4);
  le(eocd, 0, 2);
  const std::string zip64 = z.substr(0, end) + rec + loc + eocd;
  auto tb = TorchBin::parse(zip64, "z64.bin");
  ASSERT_TRUE(tb) << tb.error().message;
  ASSERT_EQ(tb->tensors().size(), 1u);
  // A locator pointing outside the file is refused.
  std::string broken = zip64;
  broken[end + 56 + 8] = 0x7f;
  auto bad = TorchBin::parse(broken, "z64.bin");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("zip64"), std::string::npos) << bad.error().message;
}

TEST(TorchBin, TruncatedFileIsRejectedAtEveryLength) {
  const std::string good = torch_file(state_dict({TensorSpec{.name = "w"}}).op('.').b);
  ASSERT_TRUE(TorchBin::parse(good, "t"));
  for (size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(TorchBin::parse(good.substr(0, n), "t")) << n;
}

TEST(TorchBin, RealFileTruncatedOrFlippedNeverCrashes) {
  auto bytes = read_file((kHf / "cho" / "pytorch_model.bin").string());
  ASSERT_TRUE(bytes);
  ASSERT_TRUE(TorchBin::parse(*bytes, "cho"));
  for (size_t n = 0; n < bytes->size(); n += 1009) EXPECT_FALSE(TorchBin::parse(bytes->substr(0, n), "cho")) << n;
  // Single flipped bits in the pickle and the directory are caught (CRC) or refused, never read.
  size_t ok = 0;
  for (size_t at = 0; at < bytes->size(); at += 127) {
    std::string b = *bytes;
    b[at] = static_cast<char>(b[at] ^ 0x10);
    if (auto tb = TorchBin::parse(b, "cho")) {
      ++ok;  // a flip inside tensor data or padding: still a well-formed file
      for (const auto& t : tb->tensors()) EXPECT_LE(t.offset + t.bytes, b.size());
    }
  }
  EXPECT_GT(ok, 0u);
}

TEST(TorchBin, MissingFileIsNotFound) {
  auto tb = TorchBin::open("/nonexistent/crema/pytorch_model.bin");
  ASSERT_FALSE(tb);
  EXPECT_EQ(tb.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace crema::nn
