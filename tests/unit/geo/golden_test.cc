// Golden cases of toponym rules on the bundled gazetteer (tests/golden/geo/mentions.case):
// one case per rule, each input a post text, each expected line a mention ("text -> name/CC"
// or "text -> unresolved") and the post's placement ("geo: CC source" or "geo: none").
#include <gtest/gtest.h>

#include <string>

#include "crema/geo/geocoder.h"
#include "golden.h"

namespace crema::geo {
namespace {

std::string describe(const GeoResult& r) {
  std::string out;
  for (const auto& m : r.locations) {
    out += m.text + " -> " + (m.entry == Gazetteer::kNone ? std::string("unresolved") : m.name + "/" + m.country) + "\n";
  }
  if (r.geo.source == GeoSource::kNone) return out + "geo: none";
  return out + "geo: " + r.geo.country + " " + std::string(geo_source_name(r.geo.source));
}

TEST(GoldenMentions, BundledGazetteer) {
  auto geocoder = Geocoder::open({});
  ASSERT_TRUE(geocoder) << "build the gazetteer (target crema_gazetteer): " << geocoder.error().message;
  const auto cases = testing::read_golden_cases(std::string(CREMA_GOLDEN_DIR) + "/geo/mentions.case");
  ASSERT_GE(cases.size(), 10u);
  for (const auto& c : cases) {
    Post p;
    p.id = "golden";
    p.text = c.input;
    EXPECT_EQ(describe(geocoder->locate(p)), c.expected) << c.name;
  }
}

}  // namespace
}  // namespace crema::geo
