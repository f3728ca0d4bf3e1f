// Golden test: tests/golden/ingest/jsonl_records.case, one JSONL record per case.
#include <gtest/gtest.h>

#include <charconv>
#include <string>

#include "crema/common/json_writer.h"
#include "crema/common/time.h"
#include "crema/ingest/reader.h"
#include "golden.h"

namespace crema::ingest {
namespace {

std::string json_quote(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

std::string number(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

std::string summary(const Post& p) {
  std::string geo = p.geo ? number(p.geo->lat) + "," + number(p.geo->lon) : "none";
  return "id=" + json_quote(p.id) + " text=" + json_quote(p.text) + " at=" + format_timestamp(p.created_at_ms) +
         " lang=" + json_quote(p.lang) + " geo=" + geo + " place=" + json_quote(p.place) + " user=" + json_quote(p.user) +
         " kind=" + std::string(label_name(p.kind));
}

TEST(IngestGolden, JsonlRecords) {
  const auto cases = testing::read_golden_cases(std::string(CREMA_GOLDEN_DIR) + "/ingest/jsonl_records.case");
  ASSERT_GE(cases.size(), 25u);
  for (const auto& c : cases) {
    auto post = parse_json_post(c.input);
    const std::string got = post ? summary(*post) : "REJECT: " + post.error().message;
    EXPECT_EQ(got, c.expected) << c.name;
  }
}

}  // namespace
}  // namespace crema::ingest
