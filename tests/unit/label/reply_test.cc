// Reading labels out of model replies and chat-completions bodies.
#include <gtest/gtest.h>

#include "crema/label/label.h"

namespace crema::label {
namespace {

using Resources = std::vector<std::string>;

TEST(ReplyTest, PlainJsonObject) {
  const Answer a = parse_reply(R"({"label": "request", "resources": ["water", "food"]})");
  ASSERT_EQ(a.status, AnswerStatus::kValid) << a.reason;
  EXPECT_EQ(a.label, Label::kRequest);
  EXPECT_EQ(a.resources, (Resources{"food", "water"}));  // canonical order, not the reply's
  EXPECT_TRUE(a.reason.empty());
}

TEST(ReplyTest, FencedJsonAfterProse) {
  const Answer a = parse_reply(
      "Sure! The post offers a spare room.\n```json\n{\"label\": \"offer\", \"resources\": [\"shelter\"]}\n```\n"
      "Let me know if you need anything else.");
  ASSERT_EQ(a.status, AnswerStatus::kValid) << a.reason;
  EXPECT_EQ(a.label, Label::kOffer);
  EXPECT_EQ(a.resources, (Resources{"shelter"}));
  EXPECT_NE(a.raw.find("spare room"), std::string::npos);  // raw keeps the whole reply
}

TEST(ReplyTest, ThinkingBlockIsIgnored) {
  const Answer a = parse_reply(
      "<think>maybe {\"label\": \"offer\"}? no, it asks for blood</think>\n{\"label\":\"request\",\"resources\":[\"blood\"]}");
  ASSERT_EQ(a.status, AnswerStatus::kValid) << a.reason;
  EXPECT_EQ(a.label, Label::kRequest);
  EXPECT_EQ(a.resources, (Resources{"blood"}));
}

TEST(ReplyTest, ReplyCutInsideThinkingIsInvalid) {
  const Answer a = parse_reply("<think>the post says {\"label\": \"request\"");
  EXPECT_EQ(a.status, AnswerStatus::kInvalid);
  EXPECT_NE(a.reason.find("think"), std::string::npos);
}

TEST(ReplyTest, LabelSpellingsAndKeyCase) {
  EXPECT_EQ(parse_reply(R"({"Label": "Request and Offer", "Resources": ["Food"]})").label, Label::kRequestAndOffer);
  EXPECT_EQ(parse_reply(R"({"label": "request-and-offer"})").label, Label::kRequestAndOffer);
  EXPECT_EQ(parse_reply(R"({"label": "both", "resources": []})").label, Label::kRequestAndOffer);
  EXPECT_EQ(parse_reply(R"({"label": " IRRELEVANT "})").label, Label::kIrrelevant);
}

TEST(ReplyTest, UnknownLabelIsInvalid) {
  const Answer a = parse_reply(R"({"label": "request|offer|request_and_offer|irrelevant", "resources": []})");
  EXPECT_EQ(a.status, AnswerStatus::kInvalid);
  EXPECT_NE(a.reason.find("unknown label"), std::string::npos);
  EXPECT_EQ(parse_reply(R"({"label": "unknown"})").status, AnswerStatus::kInvalid);
  EXPECT_EQ(parse_reply(R"({"label": 3})").status, AnswerStatus::kInvalid);
}

TEST(ReplyTest, GarbageIsInvalidNotACrash) {
  for (const std::string& reply : std::vector<std::string>{"", "I cannot help with that.", "{{{{", "}{", "{\"label\": \"req", "```json\n```",
                                  std::string("\xff\xfe{\"label\"\x00:1}", 14)}) {
    const Answer a = parse_reply(reply);
    EXPECT_EQ(a.status, AnswerStatus::kInvalid) << reply;
    EXPECT_FALSE(a.reason.empty());
    EXPECT_EQ(a.raw, reply);
  }
}

TEST(ReplyTest, BareLabelWord) {
  EXPECT_EQ(parse_reply("offer.").label, Label::kOffer);
  EXPECT_EQ(parse_reply("```\nrequest\n```").label, Label::kRequest);
  EXPECT_EQ(parse_reply("**Irrelevant**").label, Label::kIrrelevant);
  EXPECT_EQ(parse_reply("It is an offer").status, AnswerStatus::kInvalid);
}

TEST(ReplyTest, ResourcesFollowTheGuide) {
  // Unknown names dropped, repeats merged; an actionable label without one gets "other".
  EXPECT_EQ(parse_reply(R"({"label":"offer","resources":["food","pizza","food"]})").resources, (Resources{"food"}));
  EXPECT_EQ(parse_reply(R"({"label":"request","resources":[]})").resources, (Resources{"other"}));
  EXPECT_EQ(parse_reply("request").resources, (Resources{"other"}));
  EXPECT_EQ(parse_reply(R"({"label":"irrelevant","resources":["food"]})").resources, Resources{});
  EXPECT_EQ(parse_reply(R"({"label":"request","resources":"water, Medical"})").resources,
            (Resources{"medical", "water"}));
}

TEST(ReplyTest, NestedAndLastObjectWins) {
  EXPECT_EQ(parse_reply(R"({"answer": {"label": "offer", "resources": ["transport"]}})").label, Label::kOffer);
  const Answer a = parse_reply(
      R"(First thought: {"label": "irrelevant", "resources": []}. On reflection: {"label": "request", "resources": ["money"]})");
  EXPECT_EQ(a.label, Label::kRequest);
  EXPECT_EQ(a.resources, (Resources{"money"}));
  // Braces inside strings do not end an object early.
  EXPECT_EQ(parse_reply(R"({"note": "a } inside", "label": "offer"})").label, Label::kOffer);
}

TEST(ChatResponseTest, OpenAiShape) {
  const Answer a = parse_chat_response(
      R"({"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant",)"
      R"("content":"{\"label\": \"request\", \"resources\": [\"water\"]}"},"finish_reason":"stop"}]})");
  ASSERT_EQ(a.status, AnswerStatus::kValid) << a.reason;
  EXPECT_EQ(a.label, Label::kRequest);
  EXPECT_EQ(a.resources, (Resources{"water"}));
}

TEST(ChatResponseTest, BadBodiesAreInvalid) {
  const Answer not_json = parse_chat_response("<html>502 Bad Gateway</html>");
  EXPECT_EQ(not_json.status, AnswerStatus::kInvalid);
  EXPECT_EQ(not_json.raw, "<html>502 Bad Gateway</html>");
  const Answer error = parse_chat_response(R"({"error":{"message":"model not loaded","type":"server_error"}})");
  EXPECT_EQ(error.status, AnswerStatus::kInvalid);
  EXPECT_NE(error.reason.find("model not loaded"), std::string::npos);
  EXPECT_EQ(parse_chat_response(R"({"choices":[]})").status, AnswerStatus::kInvalid);
  const Answer cut = parse_chat_response(R"({"choices":[{"message":{"content":null},"finish_reason":"length"}]})");
  EXPECT_EQ(cut.status, AnswerStatus::kInvalid);
  EXPECT_NE(cut.reason.find("length"), std::string::npos);
}

TEST(PromptTest, RequestBodyCarriesGuideAndPost) {
  Endpoint endpoint{"http://127.0.0.1:1", "qwen", ""};
  ClientOptions options;
  const std::string body = request_body(endpoint, options, "Need \"water\" in Delmas");
  EXPECT_NE(body.find("\"model\":\"qwen\""), std::string::npos);
  EXPECT_NE(body.find("\"role\":\"system\""), std::string::npos);
  EXPECT_NE(body.find("request_and_offer"), std::string::npos);
  EXPECT_NE(body.find("Need \\\"water\\\" in Delmas"), std::string::npos);
  EXPECT_NE(body.find("\"temperature\":0"), std::string::npos);
  endpoint.model.clear();
  options.system_prompt = "CUSTOM GUIDE";
  const std::string custom = request_body(endpoint, options, "x");
  EXPECT_EQ(custom.find("\"model\""), std::string::npos);
  EXPECT_NE(custom.find("CUSTOM GUIDE"), std::string::npos);
  EXPECT_EQ(custom.find("request_and_offer"), std::string::npos);
}

TEST(EndpointTest, ChatCompletionsUrl) {
  EXPECT_EQ(*chat_completions_url("http://127.0.0.1:8080"), "http://127.0.0.1:8080/v1/chat/completions");
  EXPECT_EQ(*chat_completions_url("http://h:1/v1/"), "http://h:1/v1/chat/completions");
  EXPECT_EQ(*chat_completions_url("https://api.example.org/openai/v1/chat/completions"),
            "https://api.example.org/openai/v1/chat/completions");
  EXPECT_FALSE(chat_completions_url("127.0.0.1:8080"));
  EXPECT_FALSE(chat_completions_url("ftp://h/"));
  EXPECT_FALSE(chat_completions_url("http:///v1"));
  EXPECT_EQ(endpoint_key({"http://h:1", "m", "secret"}), "m@http://h:1/v1/chat/completions");
  EXPECT_EQ(endpoint_key({"http://h:1", "", ""}), "http://h:1/v1/chat/completions");
}

}  // namespace
}  // namespace crema::label
