#include <gtest/gtest.h>

#include "crema/classify/classifier.h"
#include "test_util.h"

namespace crema::classify {
namespace {

using testing::TempDir;
using testing::write_text;

TEST(LoadLabelled, ReadsRecords) {
  TempDir dir;
  write_text(dir.file("a.jsonl"),
             "{\"text\":\"need water\",\"label\":\"request\",\"resources\":[\"water\",\"water\"],\"lang\":\"en\","
             "\"source\":\"figure8\",\"source_id\":\"7\"}\n"
             "\n"
             "{\"text\":\"hi\",\"label\":\"irrelevant\"}\r\n"
             "{\"text\":\"only resources\",\"resources\":[]}\n"
             "{\"text\":\"written offer\",\"label\":\"offer\",\"synthetic\":true}\n"
             "{\"text\":\"extra data\",\"label\":\"request\",\"split\":\"train\"}");
  auto posts = load_labelled(dir.file("a.jsonl"));
  ASSERT_TRUE(posts) << posts.error().message;
  ASSERT_EQ(posts->size(), 5u);
  EXPECT_EQ((*posts)[0].label, Label::kRequest);
  EXPECT_EQ((*posts)[0].resources, std::vector<std::string>{"water"});
  EXPECT_TRUE((*posts)[0].has_resources);
  EXPECT_EQ((*posts)[0].lang, "en");
  EXPECT_EQ((*posts)[0].group, "figure8/7");
  EXPECT_EQ((*posts)[1].label, Label::kIrrelevant);
  EXPECT_FALSE((*posts)[1].has_resources);
  EXPECT_TRUE((*posts)[1].group.empty());
  EXPECT_EQ((*posts)[2].label, Label::kUnknown);
  EXPECT_TRUE((*posts)[2].has_resources);
  EXPECT_FALSE((*posts)[2].train_only);
  EXPECT_TRUE((*posts)[3].train_only);
  EXPECT_TRUE((*posts)[4].train_only);
}

struct BadCase {
  const char* line;
  const char* reason;
};

TEST(LoadLabelled, BadLinesNameTheLine) {
  const BadCase cases[] = {
      {"{\"text\":\"x\",\"label\":\"maybe\"}", "unknown label"},
      {"{\"label\":\"offer\"}", "text"},
      {"{\"text\":5}", "text"},
      {"{\"text\":\"x\",\"resources\":\"food\"}", "not an array"},
      {"{\"text\":\"x\",\"resources\":[\"pizza\"]}", "unknown resource"},
      {"{\"text\":\"x\",\"resources\":[3]}", "non-string"},
      {"{\"text\":\"x\",\"lang\":3}", "lang"},
      {"{\"text\":\"x\",\"synthetic\":\"yes\"}", "synthetic"},
      {"{\"text\":\"x\",\"split\":\"test\"}", "split"},
      {"{\"text\":\"x\"", "invalid JSON"},
      {"[1,2]", "not a JSON object"},
      {"{\"text\":\"\xff\"}", "invalid JSON"},
  };
  for (const BadCase& c : cases) {
    TempDir dir;
    write_text(dir.file("b.jsonl"), "{\"text\":\"ok\",\"label\":\"offer\"}\n\n" + std::string(c.line) + "\n");
    auto posts = load_labelled(dir.file("b.jsonl"));
    ASSERT_FALSE(posts) << c.line;
    EXPECT_EQ(posts.error().code, ErrorCode::kParseError);
    EXPECT_NE(posts.error().message.find("b.jsonl:3:"), std::string::npos) << posts.error().message;
    EXPECT_NE(posts.error().message.find(c.reason), std::string::npos) << posts.error().message;
  }
}

TEST(LoadLabelled, MissingFile) {
  auto posts = load_labelled("/nonexistent/crema/labels.jsonl");
  ASSERT_FALSE(posts);
  EXPECT_NE(posts.error().message.find("labels.jsonl"), std::string::npos);
}

TEST(FastTextInput, LowerCasedTokens) {
  EXPECT_EQ(fasttext_input("We NEED water, food & shelter!! HTTPURL @USER"),
            "we need water food shelter httpurl user");
  EXPECT_EQ(fasttext_input(""), "");
  EXPECT_EQ(fasttext_input("__label__offer x"), "label offer x");
}

}  // namespace
}  // namespace crema::classify
