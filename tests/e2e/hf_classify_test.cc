// End-to-end: a transformer folder as crema's 4-class classifier (`crema classify --model
// hf:DIR`, `crema run --model-dir hf:DIR`; docs/nn.md). The fixture tests/testdata/nn/hf/cho
// (CHO mean-pooling + linear head, pytorch_model.bin, id2label = crema's four labels) comes
// with reference logits from an independent float64 PyTorch implementation
// (tools/make_nn_fixtures.py); crema's probabilities must be their softmax.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

namespace {

namespace fs = std::filesystem;

const std::string kCho = std::string(CREMA_TESTDATA_DIR) + "/nn/hf/cho";

struct CliResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CliResult crema(const std::vector<std::string>& args) {
  std::string cmd = CREMA_BIN;
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " 2>&1";
  CliResult r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("crema_e2e_hf_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

struct RefCase {
  std::string text;
  std::vector<double> probs;  // softmax of the reference logits, in id2label order
};

// The fixture's sentences and the softmax of their reference logits.
std::vector<RefCase> reference(std::vector<std::string>& labels) {
  std::vector<RefCase> out;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.load(kCho + "/reference.json").get(root)) return out;
  for (const auto l : root["labels"].get_array().value()) labels.emplace_back(l.get_string().value());
  for (const auto c : root["cases"].get_array().value()) {
    RefCase r;
    r.text = std::string(c["text"].get_string().value());
    std::vector<double> z;
    for (const auto v : c["logits"].get_array().value()) z.push_back(v.get_double().value());
    const double top = *std::max_element(z.begin(), z.end());
    double total = 0;
    for (const double v : z) total += std::exp(v - top);
    for (const double v : z) r.probs.push_back(std::exp(v - top) / total);
    out.push_back(std::move(r));
  }
  return out;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

TEST(CremaClassifyHf, ProbabilitiesAreTheReferenceSoftmax) {
  std::vector<std::string> labels;
  const auto cases = reference(labels);
  ASSERT_EQ(cases.size(), 11u);
  ASSERT_EQ(labels, (std::vector<std::string>{"request", "offer", "request_and_offer", "irrelevant"}));
  const fs::path dir = scratch("classify");
  {
    std::ofstream posts(dir / "posts.jsonl");
    for (size_t i = 0; i < cases.size(); ++i)
      posts << "{\"id\": \"p" << i << "\", \"text\": " << json_string(cases[i].text)
            << ", \"created_at\": \"2025-02-08T08:00:00Z\"}\n";
  }
  const CliResult r = crema({"--quiet", "classify", "--in", (dir / "posts.jsonl").string(), "--out",
                       (dir / "labels.jsonl").string(), "--model", "hf:" + kCho});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(dir / "labels.jsonl");
  simdjson::dom::parser parser;
  std::map<std::string, int> seen;
  size_t i = 0;
  for (std::string line; std::getline(in, line); ++i) {
    ASSERT_LT(i, cases.size());
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(line).get(e), simdjson::SUCCESS) << line;
    size_t best = 0;
    for (size_t k = 0; k < labels.size(); ++k) {
      double p = -1;
      ASSERT_EQ(e["probs"][labels[k]].get(p), simdjson::SUCCESS) << line;
      EXPECT_NEAR(p, cases[i].probs[k], 1e-4) << cases[i].text << " / " << labels[k];
      if (cases[i].probs[k] > cases[i].probs[best]) best = k;
    }
    std::string_view label;
    ASSERT_EQ(e["label"].get(label), simdjson::SUCCESS);
    EXPECT_EQ(label, labels[best]) << cases[i].text;
    ++seen[std::string(label)];
  }
  EXPECT_EQ(i, cases.size());
  EXPECT_GE(seen.size(), 3u);  // the fixture's head is centred: not one label for everything

  // int8 linear layers: the same labels on (almost) every post.
  const CliResult q = crema({"--quiet", "classify", "--in", (dir / "posts.jsonl").string(), "--out",
                       (dir / "labels8.jsonl").string(), "--model", "hf-int8:" + kCho});
  ASSERT_EQ(q.exit_code, 0) << q.output;
  std::ifstream a(dir / "labels.jsonl"), b(dir / "labels8.jsonl");
  size_t same = 0, n = 0;
  for (std::string la, lb; std::getline(a, la) && std::getline(b, lb); ++n) {
    simdjson::dom::element ea, eb;
    ASSERT_EQ(parser.parse(la).get(ea), simdjson::SUCCESS);
    const std::string label_a(ea["label"].get_string().value());
    simdjson::dom::parser parser_b;
    ASSERT_EQ(parser_b.parse(lb).get(eb), simdjson::SUCCESS);
    same += label_a == eb["label"].get_string().value();
  }
  EXPECT_EQ(n, cases.size());
  EXPECT_GE(same, n - 1);
  fs::remove_all(dir);
}

TEST(CremaClassifyHf, UnknownLabelsAndHeadlessFoldersAreClearErrors) {
  const fs::path dir = scratch("errors");
  const std::string posts = std::string(CREMA_TESTDATA_DIR) + "/e2e/posts.jsonl";
  const std::string out = (dir / "x.jsonl").string();
  // id2label request/offer/other: 'other' is no crema label.
  const CliResult other = crema({"classify", "--in", posts, "--out", out, "--model",
                           "hf:" + std::string(CREMA_TESTDATA_DIR) + "/nn/hf/bert"});
  EXPECT_EQ(other.exit_code, 1) << other.output;
  EXPECT_NE(other.output.find("config.json: label 'other' (id 2)"), std::string::npos) << other.output;
  const CliResult headless = crema({"classify", "--in", posts, "--out", out, "--model",
                              "hf:" + std::string(CREMA_TESTDATA_DIR) + "/nn/hf/xlm-roberta"});
  EXPECT_NE(headless.exit_code, 0);
  EXPECT_NE(headless.output.find("no classification head"), std::string::npos) << headless.output;
  const CliResult missing = crema({"classify", "--in", posts, "--out", out, "--model", "hf:/nonexistent/model"});
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("/nonexistent/model"), std::string::npos) << missing.output;
  const CliResult both = crema({"classify", "--in", posts, "--out", out, "--model", "hf:" + kCho, "--model-dir", kCho});
  EXPECT_EQ(both.exit_code, 2) << both.output;
  fs::remove_all(dir);
}

TEST(CremaRunHf, TransformerClassifierLabelsTheStore) {
  const fs::path dir = scratch("run");
  const CliResult r = crema({"--quiet", "--json", "run", "--in", std::string(CREMA_TESTDATA_DIR) + "/e2e/posts.jsonl",
                       "--out", dir.string(), "--model-dir", "hf-int8:" + kCho});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  ASSERT_EQ(parser.parse(r.output).get(e), simdjson::SUCCESS) << r.output;
  uint64_t inserted = 0;
  ASSERT_EQ(e["inserted"].get(inserted), simdjson::SUCCESS) << r.output;
  EXPECT_GT(inserted, 0u);
  fs::remove_all(dir);
}

}  // namespace
