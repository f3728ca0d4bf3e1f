#include "crema/common/time.h"

#include <gtest/gtest.h>

namespace crema {
namespace {

TEST(ParseTimestamp, Iso8601Forms) {
  // Reference values from `date -u -d ... +%s`.
  EXPECT_EQ(*parse_timestamp("2018-10-10T20:19:24Z"), 1539202764000);
  EXPECT_EQ(*parse_timestamp("2018-10-10T20:19:24.250Z"), 1539202764250);
  EXPECT_EQ(*parse_timestamp("2018-10-10T22:19:24+02:00"), 1539202764000);
  EXPECT_EQ(*parse_timestamp("2018-10-10T15:49:24-0430"), 1539202764000);
  EXPECT_EQ(*parse_timestamp("2018-10-10 20:19:24"), 1539202764000);
  EXPECT_EQ(*parse_timestamp("2018-10-10"), 1539129600000);
  EXPECT_EQ(*parse_timestamp("  2018-10-10T20:19Z "), 1539202740000);
}

TEST(ParseTimestamp, TwitterAndEpoch) {
  EXPECT_EQ(*parse_timestamp("Wed Oct 10 20:19:24 +0000 2018"), 1539202764000);
  EXPECT_EQ(*parse_timestamp("Wed Oct 10 21:19:24 +0100 2018"), 1539202764000);
  EXPECT_EQ(*parse_timestamp("1539202764"), 1539202764000);
  EXPECT_EQ(*parse_timestamp("1539202764123"), 1539202764123);
}

TEST(ParseTimestamp, Rejects) {
  EXPECT_FALSE(parse_timestamp(""));
  EXPECT_FALSE(parse_timestamp("yesterday"));
  EXPECT_FALSE(parse_timestamp("2018-13-10T20:19:24Z"));
  EXPECT_FALSE(parse_timestamp("2018-02-30"));
  EXPECT_FALSE(parse_timestamp("2018-10-10T25:00:00Z"));
  EXPECT_FALSE(parse_timestamp("2018-10-10T20:19:24Zjunk"));
  EXPECT_FALSE(parse_timestamp("Wed Foo 10 20:19:24 +0000 2018"));
  EXPECT_FALSE(parse_timestamp("99999999999999999999"));
  EXPECT_EQ(parse_timestamp("nope").error().code, ErrorCode::kParseError);
}

TEST(FormatTimestamp, RoundTrips) {
  EXPECT_EQ(format_timestamp(1539202764000), "2018-10-10T20:19:24Z");
  EXPECT_EQ(format_timestamp(1539202764250), "2018-10-10T20:19:24.250Z");
  EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00Z");
  for (int64_t ms : {0LL, 951782400000LL, 1709164800123LL, 4102444799000LL}) {
    EXPECT_EQ(*parse_timestamp(format_timestamp(ms)), ms) << ms;
  }
}

TEST(ParseDuration, Units) {
  EXPECT_EQ(*parse_duration("30d"), 30LL * 86400000);
  EXPECT_EQ(*parse_duration("12h"), 12LL * 3600000);
  EXPECT_EQ(*parse_duration("90m"), 90LL * 60000);
  EXPECT_EQ(*parse_duration("45s"), 45000);
  EXPECT_EQ(*parse_duration("2w"), 14LL * 86400000);
  EXPECT_EQ(*parse_duration("3600"), 3600000);
  EXPECT_EQ(*parse_duration("1.5d"), 129600000);
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("-1d"));
  EXPECT_FALSE(parse_duration("d"));
  EXPECT_FALSE(parse_duration("10x"));
}

}  // namespace
}  // namespace crema
