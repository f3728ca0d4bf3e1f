// Tests of parse_json_post: every supported shape and the reject reasons.
#include <gtest/gtest.h>

#include <string>

#include "crema/common/time.h"
#include "crema/ingest/reader.h"

namespace crema::ingest {
namespace {

Post parse_ok(std::string_view json) {
  auto post = parse_json_post(json, SourceRef{"f.jsonl", 7});
  EXPECT_TRUE(post.has_value()) << (post ? "" : post.error().message);
  return post ? *post : Post{};
}

std::string reason(std::string_view json, bool require_time = true) {
  auto post = parse_json_post(json, {}, require_time);
  EXPECT_FALSE(post.has_value()) << "parsed: " << json;
  if (post) return "";
  EXPECT_EQ(post.error().code, ErrorCode::kParseError);
  return post.error().message;
}

int64_t ms(std::string_view t) { return *parse_timestamp(t); }

TEST(ParseJsonPost, GenericWithNumericIdAndStringCoordinates) {
  const Post p = parse_ok(
      R"({"id": 12345678901234567, "text": "need water", "created_at": "2015-04-26T10:00:00Z",)"
      R"( "lang": "en", "lat": "27.7", "lon": 85.3, "place": "Kathmandu", "user": "ram", "kind": "request"})");
  EXPECT_EQ(p.id, "12345678901234567");
  EXPECT_EQ(p.text, "need water");
  EXPECT_EQ(p.created_at_ms, ms("2015-04-26T10:00:00Z"));
  EXPECT_EQ(p.lang, "en");
  ASSERT_TRUE(p.geo.has_value());
  EXPECT_DOUBLE_EQ(p.geo->lat, 27.7);
  EXPECT_DOUBLE_EQ(p.geo->lon, 85.3);
  EXPECT_EQ(p.place, "Kathmandu");
  EXPECT_EQ(p.user, "ram");
  EXPECT_EQ(p.kind, Label::kRequest);
  EXPECT_EQ(p.source.file, "f.jsonl");
  EXPECT_EQ(p.source.line, 7u);
}

TEST(ParseJsonPost, GenericEpochTimesAndNulls) {
  EXPECT_EQ(parse_ok(R"({"id":"a","text":"t","created_at":1430042400})").created_at_ms, 1430042400000);
  EXPECT_EQ(parse_ok(R"({"id":"a","text":"t","created_at":1430042400123})").created_at_ms, 1430042400123);
  EXPECT_EQ(parse_ok(R"({"id":"a","text":"t","created_at":"1430042400"})").created_at_ms, 1430042400000);
  EXPECT_EQ(parse_ok(R"({"id":"a","text":"t","created_at":1430042400.5})").created_at_ms, 1430042400500);
  const Post p = parse_ok(R"({"id":"a","text":"t","created_at":0,"lat":null,"lon":null,"lang":null,"kind":null})");
  EXPECT_FALSE(p.geo.has_value());
  EXPECT_EQ(p.kind, Label::kUnknown);
}

TEST(ParseJsonPost, TwitterV1PrefersIdStrAndReadsNestedFields) {
  const Post p = parse_ok(
      R"({"created_at":"Sun Apr 26 10:00:00 +0000 2015","id":591187427337031680,)"
      R"("id_str":"591187427337031681","text":"short","lang":"und",)"
      R"("user":{"id":1,"screen_name":"nepal_help"},)"
      R"("coordinates":{"type":"Point","coordinates":[85.324,27.7172]},)"
      R"("place":{"full_name":"Kathmandu, Nepal","country":"Nepal"},"entities":{}})");
  EXPECT_EQ(p.id, "591187427337031681");  // id_str wins, even when it disagrees with id
  EXPECT_EQ(p.text, "short");
  EXPECT_EQ(p.created_at_ms, ms("2015-04-26T10:00:00Z"));
  EXPECT_EQ(p.lang, "");  // "und" means undetermined
  EXPECT_EQ(p.user, "nepal_help");
  ASSERT_TRUE(p.geo.has_value());
  EXPECT_DOUBLE_EQ(p.geo->lat, 27.7172);  // GeoJSON order is [lon, lat]
  EXPECT_DOUBLE_EQ(p.geo->lon, 85.324);
  EXPECT_EQ(p.place, "Kathmandu, Nepal");
}

TEST(ParseJsonPost, UserLocationFromV1UserOrFlatField) {
  EXPECT_EQ(parse_ok(R"({"id_str":"1","text":"t","created_at":0,)"
                     R"("user":{"screen_name":"a","location":"Pokhara, Nepal"}})")
                .user_location,
            "Pokhara, Nepal");
  EXPECT_EQ(parse_ok(R"({"id":"1","text":"t","created_at":0,"user_location":"Lalitpur"})").user_location,
            "Lalitpur");
  EXPECT_EQ(parse_ok(R"({"id":"1","text":"t","created_at":0})").user_location, "");
  EXPECT_NE(reason(R"({"id":"1","text":"t","created_at":0,"user_location":5})").find("user_location"),
            std::string::npos);
}

TEST(ParseJsonPost, TwitterV1ExtendedTweetFullTextWins) {
  const Post p = parse_ok(
      R"({"id_str":"1","created_at":"Sun Apr 26 10:00:00 +0000 2015","text":"cut off…","truncated":true,)"
      R"("full_text":"middle","extended_tweet":{"full_text":"the whole long text"},"user":{"screen_name":"a"},)"
      R"("coordinates":null,"place":null})");
  EXPECT_EQ(p.text, "the whole long text");
  EXPECT_FALSE(p.geo.has_value());
  EXPECT_EQ(p.place, "");
  EXPECT_EQ(parse_ok(R"({"id_str":"1","created_at":"2015-04-26","text":"t","full_text":"full"})").text, "full");
}

TEST(ParseJsonPost, TwitterV1TruncatedRetweetUsesOriginalFullText) {
  const Post p = parse_ok(
      R"({"id_str":"2","created_at":"Sun Apr 26 10:00:00 +0000 2015","text":"RT @redcross: Volunteers needed in…",)"
      R"("user":{"screen_name":"fan"},"retweeted_status":{"id_str":"1","text":"Volunteers needed in…",)"
      R"("extended_tweet":{"full_text":"Volunteers needed in Gorkha, bring tents"},"user":{"screen_name":"redcross"}}})");
  EXPECT_EQ(p.text, "RT @redcross: Volunteers needed in Gorkha, bring tents");
  EXPECT_EQ(p.user, "fan");
  EXPECT_EQ(p.id, "2");
  // A retweet whose own text is complete keeps it.
  const Post q = parse_ok(
      R"({"id_str":"3","created_at":"2015-04-26","text":"RT @a: all here",)"
      R"("user":{"screen_name":"b"},"retweeted_status":{"text":"all here","user":{"screen_name":"a"}}})");
  EXPECT_EQ(q.text, "RT @a: all here");
}

TEST(ParseJsonPost, TwitterV2WrapperWithIncludedPlace) {
  const Post p = parse_ok(
      R"({"data":{"id":"1580000000000000000","text":"shelter open","created_at":"2022-10-12T08:30:00.000Z",)"
      R"("lang":"en","author_id":"999","geo":{"place_id":"abc","coordinates":{"type":"Point","coordinates":[-66.1,18.4]}}},)"
      R"("includes":{"places":[{"id":"zzz","full_name":"Elsewhere"},{"id":"abc","full_name":"San Juan, PR"}]}})");
  EXPECT_EQ(p.id, "1580000000000000000");
  EXPECT_EQ(p.text, "shelter open");
  EXPECT_EQ(p.created_at_ms, ms("2022-10-12T08:30:00Z"));
  EXPECT_EQ(p.user, "999");
  ASSERT_TRUE(p.geo.has_value());
  EXPECT_DOUBLE_EQ(p.geo->lat, 18.4);
  EXPECT_DOUBLE_EQ(p.geo->lon, -66.1);
  EXPECT_EQ(p.place, "San Juan, PR");
}

TEST(ParseJsonPost, TwitterV2FlatWithNoteTweet) {
  const Post p = parse_ok(
      R"({"id":"7","text":"short version","created_at":"2023-02-06T04:17:00Z","author_id":"42",)"
      R"("edit_history_tweet_ids":["7"],"note_tweet":{"text":"the long note text"},"geo":{"place_id":"nope"}})");
  EXPECT_EQ(p.text, "the long note text");
  EXPECT_EQ(p.user, "42");
  EXPECT_FALSE(p.geo.has_value());
  EXPECT_EQ(p.place, "");  // place_id without includes cannot be resolved
}

TEST(ParseJsonPost, RequireTimeFalseGivesZero) {
  EXPECT_EQ(reason(R"({"id":"1","text":"t"})"), "missing created_at");
  auto p = parse_json_post(R"({"id":"1","text":"t"})", {}, false);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->created_at_ms, 0);
  // An unparseable time is a reject either way.
  EXPECT_NE(reason(R"({"id":"1","text":"t","created_at":"yesterday"})", false).find("unparseable time"),
            std::string::npos);
}

TEST(ParseJsonPost, MalformedJsonSaysWhere) {
  EXPECT_EQ(reason(R"({"id":"1","text":"abc)"), "invalid JSON at byte 17: unclosed string");
  EXPECT_EQ(reason(R"({"id":"1" "text":"x"})"), "invalid JSON at byte 10: expected ',' or '}', got '\"'");
  EXPECT_EQ(reason(R"({"id":"1"} x)"), "invalid JSON at byte 11: unexpected 'x' after the JSON value");
  EXPECT_EQ(reason(R"({"id":1,)"), "invalid JSON at byte 8: unexpected end of input: unclosed object");
  EXPECT_EQ(reason(""), "invalid JSON at byte 0: empty input");
}

TEST(ParseJsonPost, NotAnObject) {
  EXPECT_EQ(reason("[1,2]"), "not a JSON object (got an array)");
  EXPECT_EQ(reason("42"), "not a JSON object (got a number)");
}

TEST(ParseJsonPost, InvalidUtf8AndNulBytes) {
  EXPECT_EQ(reason("{\"id\":\"1\",\"text\":\"caf\xC3\x28\"}"), "invalid UTF-8 at byte 21");
  static constexpr char kNul[] = "{\"id\":\"1\",\"text\":\"a\0b\"}";
  EXPECT_EQ(reason(std::string(kNul, sizeof kNul - 1)), "NUL byte at byte 19");
  EXPECT_EQ(reason(R"({"id":"1","text":"a\u0000b","created_at":"2015-01-01"})"), "NUL byte in text at byte 1");
}

TEST(ParseJsonPost, MissingAndWrongTypes) {
  EXPECT_EQ(reason(R"({"text":"t","created_at":"2015-01-01"})"), "missing id");
  EXPECT_EQ(reason(R"({"id":"","text":"t","created_at":"2015-01-01"})"), "empty id");
  EXPECT_EQ(reason(R"({"id":1.5,"text":"t"})"), "id must be a string or an integer, got a non-integer number");
  EXPECT_EQ(reason(R"({"id":{"a":1},"text":"t"})"), "id must be a string or an integer, got an object");
  EXPECT_EQ(reason(R"({"id":"1","created_at":"2015-01-01"})"), "missing text");
  EXPECT_EQ(reason(R"({"id":"1","text":"  ","created_at":"2015-01-01"})"), "empty text");
  EXPECT_EQ(reason(R"({"id":"1","text":17})"), "text must be a string, got a number");
  EXPECT_EQ(reason(R"({"id":"1","text":"t","created_at":true})"),
            "created_at must be a string or a number, got a boolean");
  EXPECT_EQ(reason(R"({"id":"1","text":"t","created_at":"2015-01-01","lang":5})"), "lang must be a string, got a number");
  EXPECT_EQ(reason(R"({"id":"1","text":"t","created_at":"2015-01-01","lat":true,"lon":1})"),
            "lat must be a number, got a boolean");
  EXPECT_EQ(reason(R"({"id":"1","text":"t","created_at":"2015-01-01","kind":"maybe"})"),
            "unknown kind 'maybe' (expected request, offer, request_and_offer, irrelevant or unknown)");
  EXPECT_EQ(reason(R"({"data":[{"id":"1"}]})"), "Twitter v2 'data' must be one tweet object, got an array");
}

TEST(ParseJsonPost, CoordinateChecks) {
  const std::string head = R"({"id":"9","text":"t","created_at":"2015-01-01",)";
  EXPECT_EQ(reason(head + R"("lat":91,"lon":0})"), "lat 91 out of range [-90, 90]");
  EXPECT_EQ(reason(head + R"("lat":0,"lon":-180.5})"), "lon -180.5 out of range [-180, 180]");
  EXPECT_EQ(reason(head + R"("lat":10})"), "only one of lat/lon given");
  EXPECT_EQ(reason(head + R"("lat":"NaN","lon":"1"})"), "lat/lon is not a finite number");
  EXPECT_EQ(reason(head + R"("lat":"north","lon":"1"})"), "lat is not a number: 'north'");
  EXPECT_EQ(reason(R"({"id_str":"1","text":"t","created_at":"2015-01-01","coordinates":{"coordinates":[1]}})"),
            "coordinates.coordinates must be [lon, lat] numbers");
  // Boundaries are in range.
  EXPECT_TRUE(parse_json_post(head + R"("lat":-90,"lon":180})").has_value());
}

TEST(ParseJsonPost, KindNamesAreCaseInsensitive) {
  const std::string head = R"({"id":"9","text":"t","created_at":"2015-01-01","kind":)";
  EXPECT_EQ(parse_ok(head + R"("Offer"})").kind, Label::kOffer);
  EXPECT_EQ(parse_ok(head + R"("both"})").kind, Label::kRequestAndOffer);
  EXPECT_EQ(parse_ok(head + R"("unknown"})").kind, Label::kUnknown);
}

TEST(ValidatePost, ChecksEveryStringField) {
  Post p;
  p.id = "1";
  p.text = "ok";
  EXPECT_TRUE(validate_post(p).has_value());
  p.place = "bad\xFF";
  ASSERT_FALSE(validate_post(p).has_value());
  EXPECT_EQ(validate_post(p).error().message, "invalid UTF-8 in place at byte 3");
  p.place.clear();
  p.user = std::string("a\0", 2);
  EXPECT_EQ(validate_post(p).error().message, "NUL byte in user at byte 1");
}

TEST(RejectToJson, EscapesEverything) {
  Reject r;
  r.source = SourceRef{"in \"x\".jsonl", 3};
  r.id = "7";
  r.reason = "missing text";
  r.excerpt = "{\"id\":\"7\"}";
  EXPECT_EQ(reject_to_json(r),
            R"({"file":"in \"x\".jsonl","line":3,"id":"7","reason":"missing text","excerpt":"{\"id\":\"7\"}"})");
}

TEST(ParseFormat, Names) {
  EXPECT_EQ(*parse_format("auto"), Format::kAuto);
  EXPECT_EQ(*parse_format("JSON"), Format::kJsonl);
  EXPECT_EQ(*parse_format("jsonl"), Format::kJsonl);
  EXPECT_EQ(*parse_format("csv"), Format::kCsv);
  EXPECT_EQ(*parse_format("tsv"), Format::kTsv);
  ASSERT_FALSE(parse_format("xml").has_value());
  EXPECT_NE(parse_format("xml").error().message.find("expected auto, jsonl"), std::string::npos);
}

TEST(ParseColumnMap, OverridesDefaults) {
  auto m = parse_column_map("id=tweet_id, text=message,created_at=date,lat=");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->id, "tweet_id");
  EXPECT_EQ(m->text, "message");
  EXPECT_EQ(m->created_at, "date");
  EXPECT_EQ(m->lat, "");
  EXPECT_EQ(m->lon, "lon");
  auto bad = parse_column_map("id=a,colour=b");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message,
            "unknown field 'colour' in column mapping (valid: id, text, created_at, lang, lat, lon, place, user, kind)");
  EXPECT_FALSE(parse_column_map("id").has_value());
  EXPECT_FALSE(parse_column_map("text=").has_value());
}

}  // namespace
}  // namespace crema::ingest
