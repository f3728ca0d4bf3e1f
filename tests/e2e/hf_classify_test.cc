// End-to-end: a transformer folder as crema's 4-class classifier (`crema classify --model
// hf:DIR`, `crema run --model-dir hf:DIR`; docs/nn.md). The fixture tests/testdata/nn/hf/cho
// (CHO mean-pooling + linear head, pytorch_model.bin, id2label = crema's four labels) comes
// with reference logits from an independent float64 PyTorch implementation
// (tools/make_nn_fixtures.py); crema's probabilities must be their softmax.
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

#include "cli.h"

namespace {

namespace fs = std::filesystem;
using namespace crema_e2e;

const std::string kCho = std::string(CREMA_TESTDATA_DIR) + "/nn/hf/cho";

// Error messages are part of what these tests check: stderr is captured with stdout.
CliResult crema(const std::vector<std::string>& args) { return run_crema(args, Stderr::kCaptured); }

fs::path scratch(const std::string& name) { return temp_dir("hf_" + name); }

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
  // Arrays are bound to locals first: ranging over a temporary simdjson_result's value()
  // dangles (value() && returns a reference into the temporary; it crashed in Release).
  simdjson::dom::array label_array, case_array;
  if (root["labels"].get(label_array) || root["cases"].get(case_array)) return out;
  for (const auto l : label_array) labels.emplace_back(l.get_string().value());
  for (const auto c : case_array) {
    RefCase r;
    r.text = std::string(c["text"].get_string().value());
    std::vector<double> z;
    simdjson::dom::array logits;
    if (c["logits"].get(logits)) return {};
    for (const auto v : logits) z.push_back(v.get_double().value());
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
  ASSERT_EQ(r.exit_code, 0) << r.out;
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
  ASSERT_EQ(q.exit_code, 0) << q.out;
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
  EXPECT_EQ(other.exit_code, 1) << other.out;
  EXPECT_NE(other.out.find("config.json: label 'other' (id 2)"), std::string::npos) << other.out;
  const CliResult headless = crema({"classify", "--in", posts, "--out", out, "--model",
                              "hf:" + std::string(CREMA_TESTDATA_DIR) + "/nn/hf/xlm-roberta"});
  EXPECT_NE(headless.exit_code, 0);
  EXPECT_NE(headless.out.find("no classification head"), std::string::npos) << headless.out;
  const CliResult missing = crema({"classify", "--in", posts, "--out", out, "--model", "hf:/nonexistent/model"});
  EXPECT_EQ(missing.exit_code, 1) << missing.out;
  EXPECT_NE(missing.out.find("/nonexistent/model"), std::string::npos) << missing.out;
  const CliResult both = crema({"classify", "--in", posts, "--out", out, "--model", "hf:" + kCho, "--model-dir", kCho});
  EXPECT_EQ(both.exit_code, 2) << both.out;
  fs::remove_all(dir);
}

TEST(CremaRunHf, TransformerClassifierLabelsTheStore) {
  const fs::path dir = scratch("run");
  const CliResult r = crema({"--quiet", "--json", "run", "--in", std::string(CREMA_TESTDATA_DIR) + "/e2e/posts.jsonl",
                       "--out", dir.string(), "--model-dir", "hf-int8:" + kCho});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  ASSERT_EQ(parser.parse(r.out).get(e), simdjson::SUCCESS) << r.out;
  uint64_t inserted = 0;
  ASSERT_EQ(e["inserted"].get(inserted), simdjson::SUCCESS) << r.out;
  EXPECT_GT(inserted, 0u);
  fs::remove_all(dir);
}

}  // namespace
