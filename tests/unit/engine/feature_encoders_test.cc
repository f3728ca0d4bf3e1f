// Linear-head classifier folders load through the engine (not only through the CLI, which
// used to be the only place that installed classify's feature-encoder factory).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "crema/classify/evaluation.h"
#include "crema/classify/linear_head.h"
#include "crema/embed/encoder.h"
#include "crema/engine.h"
#include "scratch_dir.h"

namespace crema::engine {
namespace {

void write(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

TEST(FeatureEncoders, EngineClassifiesWithALinearHeadFolder) {
  crema::testing_support::ScratchDir dir;
  auto tfidf = embed::make_encoder("tfidf");
  ASSERT_TRUE(tfidf) << tfidf.error().message;
  // A head whose bias alone decides: every post is an offer.
  classify::LinearHead head;
  head.encoder = "tfidf";
  head.dim = (*tfidf)->dim();
  head.weights.assign(kNumLabels * head.dim, 0.0f);
  head.bias = {0.0f, 3.0f, 0.0f, 0.0f};
  classify::DecisionRule rule;
  rule.type = classify::ModelType::kLinearHead;
  rule.encoder = "tfidf";
  const std::string model = dir.file("model");
  std::filesystem::create_directories(model);
  write(model + "/decision.txt", classify::format_decision_rule(rule));
  write(model + "/linear_head.bin", classify::serialize_linear_head(head));
  write(dir.file("in.jsonl"),
        "{\"id\": \"a\", \"text\": \"we need water in the shelter\"}\n"
        "{\"id\": \"b\", \"text\": \"spare room for a family tonight\"}\n");

  ClassifyOptions options;
  options.inputs = {dir.file("in.jsonl")};
  options.out_path = dir.file("out.jsonl");
  options.models.classifier_dir = model;
  options.threads = 1;
  auto summary = classify(options);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->classified, 2u);
  std::ifstream in(options.out_path);
  std::string line;
  int offers = 0;
  while (std::getline(in, line)) offers += line.find("\"label\":\"offer\"") != std::string::npos ? 1 : 0;
  EXPECT_EQ(offers, 2);
}

TEST(FeatureEncoders, InstallIsIdempotentAndServesEmbedNames) {
  install_feature_encoders();
  install_feature_encoders();
  ASSERT_TRUE(classify::has_feature_encoder_factory());
  auto encoder = classify::make_feature_encoder("tfidf+glove-sif");
  ASSERT_TRUE(encoder) << encoder.error().message;
  EXPECT_GT((*encoder)->dim(), 0u);
  EXPECT_FALSE(classify::make_feature_encoder("no-such-encoder"));
}

}  // namespace
}  // namespace crema::engine
