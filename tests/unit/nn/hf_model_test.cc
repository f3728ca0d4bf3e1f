// Parity of crema's HF encoders with an independent float64 PyTorch reference
// (tools/make_nn_fixtures.py -> tests/testdata/nn/hf/<family>/reference.json).
#include "crema/nn/model.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "crema/common/file_io.h"

namespace crema::nn {
namespace {

const std::filesystem::path kDir = std::filesystem::path(CREMA_TESTDATA_DIR) / "nn" / "hf";

struct Case {
  std::string text;
  std::vector<int32_t> ids;
  std::vector<float> hidden, mean, cls, logits;
};

std::vector<float> floats(simdjson::dom::element e) {
  std::vector<float> out;
  simdjson::dom::array a;
  if (e.get_array().get(a)) return out;
  for (const auto v : a) out.push_back(static_cast<float>(v.get_double().value()));
  return out;
}

std::vector<Case> read_cases(const std::string& family) {
  std::vector<Case> cases;
  auto text = read_file((kDir / family / "reference.json").string());
  if (!text) return cases;
  simdjson::dom::parser parser;
  const simdjson::padded_string json(*text);
  simdjson::dom::element root;
  if (parser.parse(json).get(root)) return cases;
  // Arrays are taken out of their simdjson_result first: a range-for over .value() of a
  // temporary result reads freed memory in optimised builds.
  simdjson::dom::array all;
  if (root["cases"].get_array().get(all)) return cases;
  for (const auto c : all) {
    Case k;
    k.text = std::string(c["text"].get_string().value());
    simdjson::dom::array ids;
    if (c["ids"].get_array().get(ids)) return {};
    for (const auto id : ids) k.ids.push_back(static_cast<int32_t>(id.get_int64().value()));
    k.hidden = floats(c["hidden"].value());
    k.mean = floats(c["mean"].value());
    k.cls = floats(c["cls"].value());
    if (!c["logits"].error()) k.logits = floats(c["logits"].value());
    cases.push_back(std::move(k));
  }
  return cases;
}

std::vector<std::string> read_labels(const std::string& family) {
  std::vector<std::string> labels;
  auto text = read_file((kDir / family / "reference.json").string());
  if (!text) return labels;
  simdjson::dom::parser parser;
  const simdjson::padded_string json(*text);
  simdjson::dom::element root;
  if (parser.parse(json).get(root)) return labels;
  simdjson::dom::array all;
  if (root["labels"].get_array().get(all)) return labels;
  for (const auto l : all) labels.emplace_back(l.get_string().value());
  return labels;
}

float max_abs_diff(std::span<const float> a, std::span<const float> b) {
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

float cosine(std::span<const float> a, std::span<const float> b) {
  double d = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    d += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  return static_cast<float>(d / std::sqrt(na * nb));
}

size_t argmax(std::span<const float> v) {
  return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

class HfParity : public ::testing::TestWithParam<std::string> {};

TEST_P(HfParity, Fp32MatchesReference) {
  const std::string family = GetParam();
  const auto cases = read_cases(family);
  ASSERT_GE(cases.size(), 10u);
  auto model = HfModel::load(kDir / family, Precision::kFp32);
  ASSERT_TRUE(model) << model.error().message;
  const HfModel& m = **model;
  const size_t H = m.hidden_size();
  ASSERT_EQ(H, 32u);
  std::vector<std::vector<int32_t>> ids;
  std::vector<std::string_view> texts;
  float worst_hidden = 0;
  for (const auto& c : cases) {
    // The tokenizer gives the reference's WordPiece ids.
    EXPECT_EQ(m.tokenizer().encode(c.text, m.max_tokens()).ids, c.ids) << family << ": " << c.text;
    auto h = m.hidden_states(c.ids);
    ASSERT_TRUE(h) << h.error().message;
    ASSERT_EQ(h->size(), c.hidden.size());
    worst_hidden = std::max(worst_hidden, max_abs_diff(*h, c.hidden));
    EXPECT_LE(max_abs_diff(*h, c.hidden), 1e-4f) << family << ": " << c.text;
    ids.push_back(c.ids);
    texts.push_back(c.text);
  }
  RecordProperty("max_abs_diff_hidden", std::to_string(worst_hidden));
  // Batched, sorted and threaded paths give the same pooled vectors.
  std::vector<float> mean(ids.size() * H), cls(ids.size() * H);
  ASSERT_TRUE(m.embed_ids(ids, Pooling::kMean, mean, 2));
  ASSERT_TRUE(m.embed(texts, Pooling::kCls, cls, 3));
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_LE(max_abs_diff(std::span(mean).subspan(i * H, H), cases[i].mean), 1e-4f) << i;
    EXPECT_LE(max_abs_diff(std::span(cls).subspan(i * H, H), cases[i].cls), 1e-4f) << i;
  }
  if (cases[0].logits.empty()) {
    EXPECT_FALSE(m.has_classifier());
    std::vector<float> logits(ids.size() * 3);
    EXPECT_FALSE(m.classify_ids(ids, logits));
    return;
  }
  ASSERT_TRUE(m.has_classifier());
  EXPECT_EQ(m.labels(), read_labels(family));
  const size_t n = m.labels().size();
  std::vector<float> logits(ids.size() * n);
  ASSERT_TRUE(m.classify_ids(ids, logits, 2));
  for (size_t i = 0; i < cases.size(); ++i)
    EXPECT_LE(max_abs_diff(std::span(logits).subspan(i * n, n), cases[i].logits), 1e-4f) << i;
}

TEST_P(HfParity, Int8CloseToFp32) {
  const std::string family = GetParam();
  auto fp = HfModel::load(kDir / family, Precision::kFp32);
  auto q = HfModel::load(kDir / family, Precision::kInt8);
  ASSERT_TRUE(fp && q);
  const size_t H = (*fp)->hidden_size();
  // The reference sentences plus 300 random token sequences of 3..60 tokens.
  std::vector<std::vector<int32_t>> ids;
  for (const auto& c : read_cases(family)) ids.push_back(c.ids);
  std::mt19937 rng(7);
  const auto vocab = static_cast<int32_t>((*fp)->config().vocab);
  for (int n = 0; n < 300; ++n) {
    std::vector<int32_t> seq(3 + rng() % 58);
    for (auto& id : seq) id = 5 + static_cast<int32_t>(rng() % static_cast<uint32_t>(vocab - 5));
    ids.push_back(std::move(seq));
  }
  std::vector<float> a(ids.size() * H), b(ids.size() * H);
  ASSERT_TRUE((*fp)->embed_ids(ids, Pooling::kMean, a, 2));
  ASSERT_TRUE((*q)->embed_ids(ids, Pooling::kMean, b, 2));
  float worst = 1;
  for (size_t i = 0; i < ids.size(); ++i)
    worst = std::min(worst, cosine(std::span(a).subspan(i * H, H), std::span(b).subspan(i * H, H)));
  RecordProperty("min_cosine_int8", std::to_string(worst));
  EXPECT_GE(worst, 0.99f) << family;
  if (!(*fp)->has_classifier()) return;
  const size_t n = (*fp)->labels().size();
  std::vector<float> la(ids.size() * n), lb(ids.size() * n);
  ASSERT_TRUE((*fp)->classify_ids(ids, la, 2));
  ASSERT_TRUE((*q)->classify_ids(ids, lb, 2));
  // Inputs whose two best fp32 logits are within kNearTie are coin flips for any
  // quantisation: random token sequences give such near-ties under the mean-pooled head
  // (their pooled vectors differ little), so agreement is judged on the decided inputs, and
  // the raw agreement is bounded too.
  constexpr float kNearTie = 0.1f;
  size_t same = 0, decided = 0, same_decided = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto za = std::span(la).subspan(i * n, n);
    const bool agree = argmax(za) == argmax(std::span(lb).subspan(i * n, n));
    std::vector<float> sorted(za.begin(), za.end());
    std::sort(sorted.rbegin(), sorted.rend());
    same += agree;
    if (sorted[0] - sorted[1] >= kNearTie) {
      ++decided;
      same_decided += agree;
    }
  }
  RecordProperty("argmax_agreement", std::to_string(same) + "/" + std::to_string(ids.size()));
  RecordProperty("argmax_agreement_decided", std::to_string(same_decided) + "/" + std::to_string(decided));
  EXPECT_GE(static_cast<double>(same_decided), 0.99 * static_cast<double>(decided)) << family;
  EXPECT_GE(static_cast<double>(decided), 0.8 * static_cast<double>(ids.size())) << family;
  EXPECT_GE(static_cast<double>(same), 0.97 * static_cast<double>(ids.size())) << family;
}

INSTANTIATE_TEST_SUITE_P(Families, HfParity,
                         ::testing::Values("bert", "roberta", "xlm-roberta", "distilbert", "mpnet", "cho"),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// The torch.save copies (pytorch_model.bin, tools/make_nn_fixtures.py) give bit-identical
// outputs to their safetensors folders.
class HfTorchBin : public ::testing::TestWithParam<std::string> {};

TEST_P(HfTorchBin, SameOutputsAsSafetensors) {
  const std::string family = GetParam();
  for (const auto precision : {Precision::kFp32, Precision::kInt8}) {
    auto st = HfModel::load(kDir / family, precision);
    auto tb = HfModel::load(kDir / (family + "-bin"), precision);
    ASSERT_TRUE(st) << st.error().message;
    ASSERT_TRUE(tb) << tb.error().message;
    std::vector<std::vector<int32_t>> ids;
    for (const auto& c : read_cases(family)) ids.push_back(c.ids);
    ASSERT_FALSE(ids.empty());
    for (const auto& one : ids) EXPECT_EQ(*(*st)->hidden_states(one), *(*tb)->hidden_states(one)) << family;
    EXPECT_EQ((*st)->has_classifier(), (*tb)->has_classifier());
    if (!(*st)->has_classifier()) continue;
    const size_t n = (*st)->labels().size();
    std::vector<float> a(ids.size() * n), b(ids.size() * n);
    ASSERT_TRUE((*st)->classify_ids(ids, a, 2));
    ASSERT_TRUE((*tb)->classify_ids(ids, b, 2));
    EXPECT_EQ(a, b) << family;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, HfTorchBin, ::testing::Values("bert", "distilbert", "xlm-roberta"),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// A scratch folder with the files of `from` and the config.json text `config`.
std::filesystem::path folder_with_config(const std::string& name, const std::string& from, const std::string& config) {
  const auto dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const auto& e : std::filesystem::directory_iterator(kDir / from))
    if (e.path().filename() != "config.json") std::filesystem::copy_file(e.path(), dir / e.path().filename());
  EXPECT_TRUE(write_file_atomic((dir / "config.json").string(), config));
  return dir;
}

TEST(HfModel, MeanPoolHeadIsDeclaredAndChecked) {
  auto cho = HfModel::load(kDir / "cho", Precision::kFp32);
  ASSERT_TRUE(cho) << cho.error().message;
  EXPECT_TRUE((*cho)->config().mean_pool_head);
  EXPECT_EQ((*cho)->labels(), (std::vector<std::string>{"request", "offer", "request_and_offer", "irrelevant"}));
  const std::string body = R"("hidden_size":32,"num_hidden_layers":2,"num_attention_heads":4,"intermediate_size":64,
      "hidden_act":"gelu_new","layer_norm_eps":1e-5,"vocab_size":147,"max_position_embeddings":82,"pad_token_id":1,
      "type_vocab_size":1)";
  // The head without "model_type" cannot know the encoder family.
  auto no_type = parse_hf_config(R"({"architectures":["CremaMeanPoolClassifier"],)" + body + "}", "c.json");
  ASSERT_FALSE(no_type);
  EXPECT_NE(no_type.error().message.find("model_type"), std::string::npos);
  // Declared on an encoder without classifier tensors: the missing tensor is named.
  auto vocab = HfModel::load(kDir / "xlm-roberta-bin", Precision::kFp32);
  ASSERT_TRUE(vocab) << vocab.error().message;
  const std::string config = R"({"model_type":"xlm-roberta","architectures":["CremaMeanPoolClassifier"],)" +
                             std::string(R"("hidden_size":32,"num_hidden_layers":2,"num_attention_heads":4,)") +
                             R"("intermediate_size":64,"hidden_act":"gelu_new","layer_norm_eps":1e-5,"vocab_size":)" +
                             std::to_string((*vocab)->config().vocab) +
                             R"(,"max_position_embeddings":82,"pad_token_id":1,"type_vocab_size":1})";
  const auto dir = folder_with_config("crema_hf_cho_missing", "xlm-roberta-bin", config);
  auto m = HfModel::load(dir, Precision::kFp32);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(m.error().message.find("pytorch_model.bin"), std::string::npos) << m.error().message;
  EXPECT_NE(m.error().message.find("classifier.weight"), std::string::npos) << m.error().message;
  std::filesystem::remove_all(dir);
}

TEST(HfModel, RejectsBadIdsAndLengths) {
  auto m = HfModel::load(kDir / "bert", Precision::kFp32);
  ASSERT_TRUE(m);
  std::vector<float> out(32);
  const std::vector<std::vector<int32_t>> bad_id = {{2, 100000, 3}};
  auto st = (*m)->embed_ids(bad_id, Pooling::kMean, out);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("outside the vocabulary"), std::string::npos);
  const std::vector<std::vector<int32_t>> too_long = {std::vector<int32_t>((*m)->max_tokens() + 1, 5)};
  EXPECT_FALSE((*m)->embed_ids(too_long, Pooling::kMean, out));
  const std::vector<std::vector<int32_t>> empty = {{}};
  EXPECT_FALSE((*m)->embed_ids(empty, Pooling::kMean, out));
  std::vector<float> wrong(31);
  const std::vector<std::vector<int32_t>> ok = {{2, 3}};
  EXPECT_FALSE((*m)->embed_ids(ok, Pooling::kMean, wrong));
}

TEST(HfModel, TruncatesLongTextsToThePositions) {
  auto m = HfModel::load(kDir / "roberta", Precision::kFp32);
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)->max_tokens(), 80u);  // 82 positions, ids start at pad + 1 = 2
  std::string text;
  for (int i = 0; i < 200; ++i) text += "water ";
  const auto ids = (*m)->tokenize(std::vector<std::string_view>{text});
  EXPECT_EQ(ids[0].size(), 80u);
  std::vector<float> out(32);
  EXPECT_TRUE((*m)->embed(std::vector<std::string_view>{text}, Pooling::kMean, out));
}

TEST(HfConfig, ParsesFamiliesAndRejectsUnknown) {
  auto bert = parse_hf_config(R"({"architectures":["BertModel"],"hidden_size":8,"num_hidden_layers":1,
      "num_attention_heads":2,"intermediate_size":16,"vocab_size":10,"max_position_embeddings":4})", "c.json");
  ASSERT_TRUE(bert) << bert.error().message;
  EXPECT_EQ(bert->arch, HfArch::kBert);
  EXPECT_EQ(bert->type_vocab, 2u);
  auto gpt = parse_hf_config(R"({"model_type":"gpt2","hidden_size":8})", "c.json");
  ASSERT_FALSE(gpt);
  EXPECT_EQ(gpt.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(gpt.error().message.find("gpt2"), std::string::npos);
  auto heads = parse_hf_config(R"({"model_type":"bert","hidden_size":10,"num_hidden_layers":1,
      "num_attention_heads":3,"intermediate_size":16,"vocab_size":10,"max_position_embeddings":4})", "c.json");
  ASSERT_FALSE(heads);
  EXPECT_NE(heads.error().message.find("c.json"), std::string::npos);
  auto missing = parse_hf_config(R"({"model_type":"bert"})", "c.json");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("hidden_size"), std::string::npos);
  auto act = parse_hf_config(R"({"model_type":"bert","hidden_size":8,"num_hidden_layers":1,"hidden_act":"swish",
      "num_attention_heads":2,"intermediate_size":16,"vocab_size":10,"max_position_embeddings":4})", "c.json");
  ASSERT_FALSE(act);
  EXPECT_NE(act.error().message.find("swish"), std::string::npos);
  EXPECT_FALSE(parse_hf_config("{", "c.json"));
}

TEST(HfModel, MissingTensorNamesTheFileAndTensor) {
  const auto dir = std::filesystem::temp_directory_path() / "crema_hf_missing";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const char* f : {"config.json", "tokenizer.json"}) std::filesystem::copy_file(kDir / "bert" / f, dir / f);
  // A valid safetensors file holding a single unrelated tensor.
  const std::string header = R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  std::string bytes(8, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  bytes += header + std::string(4, '\0');
  ASSERT_TRUE(write_file_atomic((dir / "model.safetensors").string(), bytes));
  auto m = HfModel::load(dir, Precision::kFp32);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(m.error().message.find("model.safetensors"), std::string::npos);
  EXPECT_NE(m.error().message.find("word_embeddings"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace crema::nn
