// crema's SentencePiece reader and encoder (src/nn/spm_model.h): hand-built models whose
// expected ids come from spm_encode (libsentencepiece 0.1.97), hostile and truncated files,
// offsets, and the Hugging Face id layouts of the real models in tests/testdata.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../../../src/nn/spm_model.h"
#include "crema/nn/tokenizer.h"

namespace crema::nn {
namespace {

// ---- a minimal protobuf writer for building ModelProto bytes ----
std::string varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string key(uint32_t field, uint32_t wire) { return varint((uint64_t{field} << 3) | wire); }
std::string bytes_field(uint32_t field, const std::string& s) { return key(field, 2) + varint(s.size()) + s; }
std::string int_field(uint32_t field, int64_t v) { return key(field, 0) + varint(static_cast<uint64_t>(v)); }
std::string float_field(uint32_t field, float v) {
  uint32_t bits = 0;
  std::memcpy(&bits, &v, 4);
  std::string out = key(field, 5);
  for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((bits >> (8 * k)) & 0xFF));
  return out;
}

enum : int { kN = 1, kUnk = 2, kCtl = 3, kUsr = 4, kUnu = 5, kByte = 6 };
struct P {
  std::string piece;
  float score;
  int type;
};

std::string model_bytes(const std::vector<P>& pieces, const std::string& trainer) {
  std::string out;
  for (const auto& p : pieces) {
    out += bytes_field(1, bytes_field(1, p.piece) + float_field(2, p.score) + int_field(3, p.type));
  }
  const std::string norm = bytes_field(1, "identity") + int_field(3, 1) + int_field(4, 1) + int_field(5, 1);
  return out + bytes_field(2, trainer) + bytes_field(3, norm);
}

// Unigram, byte_fallback, a user-defined piece and an UNUSED piece that would otherwise win.
std::string unigram_model() {
  std::vector<P> p = {{"<unk>", 0, kUnk}, {"<s>", 0, kCtl}, {"</s>", 0, kCtl}};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    p.push_back({buf, 0, kByte});
  }
  const std::vector<P> rest = {{"\u2581", -1, kN},     {"\u2581h", -2, kN},      {"\u2581he", -3, kN}, {"llo", -2, kN},
                               {"l", -4, kN},          {"o", -4, kN},            {"e", -4, kN},        {"h", -4, kN},
                               {"\u2581hello", -4.5f, kN}, {"w", -4, kN},        {"or", -3, kN},       {"ld", -3, kN},
                               {"\u2581w", -3, kN},    {"@@", 0, kUsr},          {"ll", -0.1f, kUnu}};
  p.insert(p.end(), rest.begin(), rest.end());
  return model_bytes(p, int_field(3, 1) + int_field(35, 1));
}

// BPE: merge priority by score, an UNUSED intermediate piece that is split back.
std::string bpe_model() {
  return model_bytes({{"<unk>", 0, kUnk},       {"<s>", 0, kCtl},  {"</s>", 0, kCtl},  {"\u2581", -10, kN},
                      {"h", -11, kN},           {"e", -12, kN},    {"l", -13, kN},     {"o", -14, kN},
                      {"w", -15, kN},           {"r", -16, kN},    {"d", -17, kN},     {"he", -1, kN},
                      {"ll", -2, kUnu},         {"llo", -3, kN},   {"\u2581he", -4, kN}, {"\u2581hello", -5, kN},
                      {"@@", 0, kUsr}},
                     int_field(3, 2));
}

spm::Processor load(const std::string& bytes) {
  auto proto = spm::parse_model_proto(bytes, "test.model");
  EXPECT_TRUE(proto) << proto.error().message;
  auto sp = spm::Processor::create(std::move(*proto), "test.model");
  EXPECT_TRUE(sp) << sp.error().message;
  return std::move(*sp);
}

std::vector<int32_t> ids(const spm::Processor& sp, std::string_view text) {
  std::vector<spm::SpmToken> toks;
  sp.encode(text, toks);
  std::vector<int32_t> out;
  for (const auto& t : toks) out.push_back(t.id);
  return out;
}

// Expected ids: spm_encode --output_format=id on the same model bytes.
TEST(SpmModel, UnigramMatchesSpmEncode) {
  const auto sp = load(unigram_model());
  EXPECT_EQ(ids(sp, "hello world"), (std::vector<int32_t>{267, 271, 269, 270}));
  EXPECT_EQ(ids(sp, "hello@@world"), (std::vector<int32_t>{267, 272, 268, 269, 270}));
  EXPECT_EQ(ids(sp, "h\u00e9llo  w\u00f6rld "), (std::vector<int32_t>{260, 198, 172, 262, 271, 198, 185, 117, 270}));
  EXPECT_EQ(ids(sp, "ll"), (std::vector<int32_t>{259, 263, 263}));
  EXPECT_EQ(ids(sp, "hello world hell"), (std::vector<int32_t>{267, 271, 269, 270, 261, 263, 263}));
  EXPECT_EQ(ids(sp, "  x@@  "), (std::vector<int32_t>{259, 123, 272}));
  EXPECT_TRUE(ids(sp, "   ").empty());
  EXPECT_TRUE(ids(sp, "").empty());
}

TEST(SpmModel, BpeMatchesSpmEncode) {
  const auto sp = load(bpe_model());
  EXPECT_EQ(ids(sp, "hello world"), (std::vector<int32_t>{15, 3, 8, 7, 9, 6, 10}));
  EXPECT_EQ(ids(sp, "hello@@world"), (std::vector<int32_t>{15, 16, 8, 7, 9, 6, 10}));
  EXPECT_EQ(ids(sp, "h\u00e9llo  w\u00f6rld "), (std::vector<int32_t>{3, 4, 0, 13, 3, 8, 0, 9, 6, 10}));
  EXPECT_EQ(ids(sp, "ll"), (std::vector<int32_t>{3, 6, 6}));
  EXPECT_EQ(ids(sp, "hello world hell"), (std::vector<int32_t>{15, 3, 8, 7, 9, 6, 10, 14, 6, 6}));
  EXPECT_EQ(ids(sp, "  x@@  "), (std::vector<int32_t>{3, 0, 16}));
}

// WORD and CHAR models (one table, two model_types); ids from spm_encode.
std::string word_char_model(int model_type) {
  return model_bytes({{"<unk>", 0, kUnk}, {"<s>", 0, kCtl}, {"</s>", 0, kCtl}, {"\u2581hello", -1, kN},
                      {"\u2581world", -1, kN}, {"\u2581", -1, kN}, {"@@", 0, kUsr}, {"h", -1, kN}},
                     int_field(3, model_type));
}

TEST(SpmModel, WordAndCharModelsMatchSpmEncode) {
  const auto word = load(word_char_model(3));
  EXPECT_EQ(ids(word, "hello world"), (std::vector<int32_t>{3, 4}));
  EXPECT_EQ(ids(word, "hello@@world"), (std::vector<int32_t>{0}));
  EXPECT_EQ(ids(word, "  x  hello"), (std::vector<int32_t>{0, 3}));
  const auto chr = load(word_char_model(4));
  EXPECT_EQ(ids(chr, "hello world"), (std::vector<int32_t>{5, 7, 0, 5, 0}));
  EXPECT_EQ(ids(chr, "hello@@world"), (std::vector<int32_t>{5, 7, 0, 6, 0}));
  EXPECT_EQ(ids(chr, "hh"), (std::vector<int32_t>{5, 7, 7}));
}

TEST(SpmModel, OffsetsPointIntoTheInput) {
  const auto sp = load(unigram_model());
  std::vector<spm::SpmToken> toks;
  const std::string text = "  hello w\u00f6rld";
  sp.encode(text, toks);
  ASSERT_EQ(toks.size(), 6u);  // ▁hello ▁w <0xC3> <0xB6> <0x72> ld
  EXPECT_EQ(text.substr(toks[0].begin, toks[0].end - toks[0].begin), "hello");
  EXPECT_EQ(text.substr(toks[1].begin, toks[1].end - toks[1].begin), " w");
  // Byte fallback: the first byte piece of ö is empty, the last one spans the character.
  EXPECT_EQ(toks[2].begin, toks[2].end);
  EXPECT_EQ(text.substr(toks[3].begin, toks[3].end - toks[3].begin), "\u00f6");
  EXPECT_EQ(text.substr(toks[5].begin, toks[5].end - toks[5].begin), "ld");
}

TEST(SpmModel, MalformedUtf8BecomesUnknownNotACrash) {
  const auto sp = load(bpe_model());
  EXPECT_EQ(ids(sp, std::string("he\xff\xfe", 4)), (std::vector<int32_t>{14, 0}));  // unknowns fuse
}

TEST(SpmModel, HostileModelsAreErrorsNamingFileAndField) {
  auto err = [](const std::string& bytes) -> std::string {
    auto proto = spm::parse_model_proto(bytes, "bad.model");
    if (!proto) return proto.error().message;
    auto sp = spm::Processor::create(std::move(*proto), "bad.model");
    return sp ? std::string() : sp.error().message;
  };
  EXPECT_NE(err("").find("bad.model"), std::string::npos);
  EXPECT_NE(err(bytes_field(1, bytes_field(1, "a") + key(2, 5) + "ab")).find("pieces[0]"), std::string::npos);
  EXPECT_NE(err(key(1, 2) + varint(1000) + "xx").find("runs past the end"), std::string::npos);
  EXPECT_NE(err(bytes_field(1, int_field(3, 9))).find("pieces[0].type"), std::string::npos);
  EXPECT_NE(err(key(1, 3)).find("wire type"), std::string::npos);
  EXPECT_NE(err(bytes_field(1, bytes_field(1, "a"))).find("no UNKNOWN piece"), std::string::npos);
  EXPECT_NE(err(bytes_field(1, bytes_field(1, "<unk>") + int_field(3, 2)) + bytes_field(1, bytes_field(1, "<0x41>") + int_field(3, 6)))
                .find("byte_fallback"),
            std::string::npos);
  const std::string dup = bytes_field(1, bytes_field(1, "<unk>") + int_field(3, 2)) + bytes_field(1, bytes_field(1, "a")) +
                          bytes_field(1, bytes_field(1, "a"));
  EXPECT_NE(err(dup).find("already defined"), std::string::npos);
  const std::string bad_charsmap = bytes_field(1, bytes_field(1, "<unk>") + int_field(3, 2)) +
                                   bytes_field(3, bytes_field(2, std::string("\xff\xff\x00\x00zz", 6)));
  EXPECT_NE(err(bad_charsmap).find("precompiled_charsmap"), std::string::npos);
}

const std::filesystem::path kDir = std::filesystem::path(CREMA_TESTDATA_DIR) / "nn" / "tokenizers";

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Every truncation of a real model is either a clean error or (cut at a field boundary) a
// model that still encodes; never a crash.
TEST(SpmModel, TruncatedRealModelNeverCrashes) {
  const std::string bytes = read_file(kDir / "unigram-model" / "spiece.model");
  ASSERT_GT(bytes.size(), 1000u);
  size_t errors = 0;
  for (size_t cut = 0; cut < bytes.size(); cut += 1999) {
    auto proto = spm::parse_model_proto(std::string_view(bytes).substr(0, cut), "cut.model");
    if (!proto) {
      ++errors;
      EXPECT_NE(proto.error().message.find("cut.model: ModelProto"), std::string::npos) << proto.error().message;
      continue;
    }
    auto sp = spm::Processor::create(std::move(*proto), "cut.model");
    if (sp) (void)ids(*sp, "Need water at 5th St. \u00bfD\u00f3nde? \u6c34");
  }
  EXPECT_GT(errors, 0u);
}

TEST(SpmModel, RealModelsKeepTheHuggingFaceIdLayouts) {
  auto xlmr = load_tokenizer(kDir / "spm-bpe-model");
  ASSERT_TRUE(xlmr) << xlmr.error().message;
  EXPECT_EQ((*xlmr)->kind(), "sentencepiece");
  EXPECT_EQ((*xlmr)->token_to_id("<s>"), 0);
  EXPECT_EQ((*xlmr)->token_to_id("<unk>"), 3);
  EXPECT_EQ((*xlmr)->pad_id(), 1);
  const auto enc = (*xlmr)->encode("hello");
  ASSERT_GE(enc.ids.size(), 3u);
  EXPECT_EQ(enc.ids.front(), 0);
  EXPECT_EQ(enc.ids.back(), 2);
  EXPECT_EQ((*xlmr)->token_to_id("no-such-piece-\u2603"), std::nullopt);

  auto plain = load_tokenizer(kDir / "unigram-model");
  ASSERT_TRUE(plain) << plain.error().message;
  const auto e = (*plain)->encode("Need water");
  ASSERT_FALSE(e.ids.empty());
  for (size_t i = 0; i < e.ids.size(); ++i) {
    if (e.special_mask[i] != 0) continue;
    EXPECT_EQ((*plain)->token_to_id((*plain)->id_to_token(e.ids[i])), e.ids[i]);
  }
}

TEST(SpmModel, MissingOrCorruptModelFileIsAnError) {
  const auto tmp = std::filesystem::path(::testing::TempDir()) / "crema_spm_corrupt";
  std::filesystem::create_directories(tmp);
  std::ofstream(tmp / "spiece.model", std::ios::binary) << "\x0a\xff\xff\xff\x0fnot a model";
  auto tok = load_tokenizer(tmp);
  ASSERT_FALSE(tok);
  EXPECT_NE(tok.error().message.find("spiece.model"), std::string::npos) << tok.error().message;
}

}  // namespace
}  // namespace crema::nn
