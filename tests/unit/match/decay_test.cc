// Decay profiles (parsing, selection, shapes) and uncertainty discs in match().
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crema/match/matcher.h"

namespace crema::match {
namespace {

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 24 * kHour;

TEST(DecayProfiles, ParsesCommentsBlanksCrlfAndDefaults) {
  const std::string text =
      "# resource\tdelta_time\tdelta_km\n"
      "\n"
      "Blood\t12h\t30\tfast\tlinear\r\n"
      "food\t3d\t10\n"
      "money\t4w\t500\tslow\tstep\n"
      "   \n";
  auto p = parse_decay_profiles(text, "t.tsv");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  ASSERT_EQ(p->profiles.size(), 3u);
  const DecayProfile* blood = p->find("BLOOD");
  ASSERT_NE(blood, nullptr);
  EXPECT_EQ(blood->resource, "blood");
  EXPECT_EQ(blood->delta_time_ms, 12 * kHour);
  EXPECT_DOUBLE_EQ(blood->delta_km, 30.0);
  EXPECT_EQ(blood->time_shape, DecayShape::kFast);
  EXPECT_EQ(blood->distance_shape, DecayShape::kLinear);
  const DecayProfile* food = p->find("food");
  ASSERT_NE(food, nullptr);
  EXPECT_EQ(food->time_shape, DecayShape::kLinear);  // omitted shapes are linear
  EXPECT_EQ(food->distance_shape, DecayShape::kLinear);
  EXPECT_EQ(p->find("money")->delta_time_ms, 28 * kDay);
  EXPECT_EQ(p->find("money")->distance_shape, DecayShape::kStep);
  EXPECT_EQ(p->find("shelter"), nullptr);  // no "*" line
}

TEST(DecayProfiles, BadLinesNameTheLine) {
  struct Case {
    std::string text, expect;
  };
  const Case cases[] = {
      {"blood\t12h\n", "t.tsv:1: 2 tab-separated columns"},
      {"# c\nblood\t12h\t30\tfast\tlinear\textra\n", "t.tsv:2: 6 tab-separated columns"},
      {"blood\t12x\t30\n", "t.tsv:1: delta_time"},
      {"blood\t0h\t30\n", "t.tsv:1: delta_time"},
      {"blood\t12h\tfar\n", "t.tsv:1: delta_km 'far' is not a positive number"},
      {"blood\t12h\t-3\n", "t.tsv:1: delta_km '-3'"},
      {"blood\t12h\tnan\n", "t.tsv:1: delta_km 'nan'"},
      {"blood\t12h\t30\tsideways\n", "t.tsv:1: unknown decay shape 'sideways'"},
      {"blood\t12h\t30\nfood\t1d\t5\nBLOOD\t1d\t5\n", "t.tsv:3: duplicate resource 'blood'"},
      {"\t12h\t30\n", "t.tsv:1: empty resource"},
      {"# only comments\n\n", "t.tsv: no profiles"},
  };
  for (const auto& c : cases) {
    auto p = parse_decay_profiles(c.text, "t.tsv");
    ASSERT_FALSE(p.has_value()) << c.text;
    EXPECT_EQ(p.error().code, ErrorCode::kParseError);
    EXPECT_NE(p.error().message.find(c.expect), std::string::npos) << p.error().message;
  }
}

TEST(DecayProfiles, LoadsFilesAndTheBundledTable) {
  const std::string bad = std::string(CREMA_TESTDATA_DIR) + "/match/decay_profiles_bad.tsv";
  auto p = load_decay_profiles(bad);
  ASSERT_FALSE(p.has_value());
  EXPECT_NE(p.error().message.find("decay_profiles_bad.tsv:3: unknown decay shape"), std::string::npos)
      << p.error().message;
  EXPECT_FALSE(load_decay_profiles(std::string(CREMA_TESTDATA_DIR) + "/match/no_such_file.tsv").has_value());

  auto bundled = load_decay_profiles(std::string(CREMA_SOURCE_DIR) + "/data/match/decay_profiles.tsv");
  ASSERT_TRUE(bundled.has_value()) << bundled.error().message;
  // Urgency order the table exists for: blood/rescue in hours, food in days, money in weeks.
  const DecayProfile* blood = bundled->find("blood");
  const DecayProfile* food = bundled->find("food");
  const DecayProfile* shelter = bundled->find("shelter");
  const DecayProfile* money = bundled->find("money");
  ASSERT_TRUE(blood && food && shelter && money && bundled->find("rescue"));
  EXPECT_LE(blood->delta_time_ms, kDay);
  EXPECT_LT(blood->delta_time_ms, food->delta_time_ms);
  EXPECT_LT(food->delta_time_ms, shelter->delta_time_ms);
  EXPECT_LT(shelter->delta_time_ms, money->delta_time_ms);
  EXPECT_GE(money->delta_time_ms, 14 * kDay);
}

TEST(DecayProfiles, SelectionTakesTheMostLenientThenStar) {
  auto p = parse_decay_profiles("blood\t12h\t30\nshelter\t7d\t25\nfood\t7d\t40\n", "t");
  ASSERT_TRUE(p.has_value());
  const std::vector<std::string> blood{"blood"}, both{"blood", "shelter"}, tie{"shelter", "food"}, unknown{"lego"},
      none{};
  EXPECT_EQ(select_profile(*p, blood)->resource, "blood");
  EXPECT_EQ(select_profile(*p, both)->resource, "shelter");  // longest δ_time
  EXPECT_EQ(select_profile(*p, tie)->resource, "food");      // same δ_time: longest δ_km
  EXPECT_EQ(select_profile(*p, unknown), nullptr);
  EXPECT_EQ(select_profile(*p, none), nullptr);
  auto star = parse_decay_profiles("*\t2d\t10\nblood\t12h\t30\n", "t");
  ASSERT_TRUE(star.has_value());
  EXPECT_EQ(select_profile(*star, unknown)->resource, "*");
  const std::vector<std::string> mixed{"lego", "blood"};
  EXPECT_EQ(select_profile(*star, mixed)->resource, "blood");  // a real line beats "*"
}

TEST(DecayShapes, Values) {
  EXPECT_DOUBLE_EQ(decay_weight(DecayShape::kLinear, 2.5, 10), 0.75);
  EXPECT_DOUBLE_EQ(decay_weight(DecayShape::kFast, 2.5, 10), 0.5625);
  EXPECT_DOUBLE_EQ(decay_weight(DecayShape::kSlow, 2.5, 10), 0.9375);
  EXPECT_DOUBLE_EQ(decay_weight(DecayShape::kStep, 9.99, 10), 1.0);
  for (const auto s : {DecayShape::kLinear, DecayShape::kFast, DecayShape::kSlow, DecayShape::kStep}) {
    EXPECT_DOUBLE_EQ(decay_weight(s, 0, 10), 1.0) << decay_shape_name(s);
    EXPECT_DOUBLE_EQ(decay_weight(s, 10, 10), 0.0) << decay_shape_name(s);
    EXPECT_DOUBLE_EQ(decay_weight(s, 50, 10), 0.0) << decay_shape_name(s);
    EXPECT_EQ(*parse_decay_shape(decay_shape_name(s)), s);
  }
  EXPECT_EQ(*parse_decay_shape("FAST"), DecayShape::kFast);
  EXPECT_FALSE(parse_decay_shape("exp").has_value());
}

TEST(DiscDistance, SubtractsBothRadiiAndClampsAtZero) {
  const GeoPoint a{0, 0}, b{0, 0.2};  // 22.239 km on the equator
  const double d = haversine_km(a, b);
  EXPECT_DOUBLE_EQ(disc_distance_km(a, 0, b, 0), d);
  EXPECT_NEAR(disc_distance_km(a, 5, b, 7), d - 12, 1e-9);
  EXPECT_DOUBLE_EQ(disc_distance_km(a, 15, b, 10), 0.0);  // overlapping discs
  EXPECT_DOUBLE_EQ(disc_distance_km(a, 3, a, 0), 0.0);
}

struct Posts {
  std::vector<MatchPost> posts;
  std::vector<float> vectors;
  MatchSet set() const { return MatchSet{posts, vectors, 2}; }
  MatchPost& add(int64_t t, GeoPoint g) {
    posts.push_back({t, g});
    vectors.insert(vectors.end(), {1.0F, 0.0F});
    return posts.back();
  }
};

TEST(MatchProfiles, RequestResourcePicksItsWindows) {
  Posts r, o;
  r.add(0, {0, 0}).resources = {"blood"};
  r.add(0, {0, 0});  // no resource: MatchParams' windows
  r.add(0, {0, 0}).resources = {"lego"};  // no profile: MatchParams' windows
  o.add(6 * kHour, {0, 0});
  o.add(2 * kDay, {0, 0});
  MatchParams p;
  p.profiles = std::make_shared<DecayProfiles>(*parse_decay_profiles("blood\t12h\t10\tfast\n", "t"));
  auto res = match(r.set(), o.set(), p);
  ASSERT_TRUE(res.has_value());
  ASSERT_EQ((*res)[0].offers.size(), 1u);  // the 2-day offer is outside blood's 12 h
  EXPECT_EQ((*res)[0].offers[0].offer, 0u);
  EXPECT_FLOAT_EQ((*res)[0].offers[0].w_time, 0.25F);  // fast: (1 - 6/12)^2
  for (size_t i : {1u, 2u}) {
    ASSERT_EQ((*res)[i].offers.size(), 2u);
    EXPECT_FLOAT_EQ((*res)[i].offers[0].w_time, static_cast<float>(1.0 - 0.25 / 30));
  }
  p.exhaustive = true;
  auto brute = match(r.set(), o.set(), p);
  ASSERT_TRUE(brute.has_value());
  EXPECT_EQ((*brute)[0].offers.size(), 1u);
}

TEST(MatchProfiles, LinearProfileWithTheSameWindowsIsBitIdentical) {
  Posts r, o;
  for (int i = 0; i < 20; ++i) {
    r.add(i * 7 * kHour, {0.01 * i, 0.003 * i}).resources = {"food"};
    o.add(i * 5 * kHour + 17, {0.004 * i, 0.011 * i});
  }
  MatchParams plain;
  plain.top_n = 20;
  MatchParams prof = plain;
  prof.profiles = std::make_shared<DecayProfiles>(*parse_decay_profiles("food\t30d\t10\tlinear\tlinear\n", "t"));
  auto a = match(r.set(), o.set(), plain);
  auto b = match(r.set(), o.set(), prof);
  ASSERT_TRUE(a.has_value() && b.has_value());
  size_t pairs = 0;
  for (size_t i = 0; i < a->size(); ++i) {
    ASSERT_EQ((*a)[i].offers.size(), (*b)[i].offers.size());
    for (size_t k = 0; k < (*a)[i].offers.size(); ++k, ++pairs) {
      EXPECT_EQ((*a)[i].offers[k].offer, (*b)[i].offers[k].offer);
      EXPECT_EQ((*a)[i].offers[k].score, (*b)[i].offers[k].score);
    }
  }
  EXPECT_GT(pairs, 20u);
}

TEST(MatchRadius, DiscDistanceWidensTheWindow) {
  // Offer centre 22.239 km east of the request; δ 10 km. As points: out of range.
  Posts r, o;
  r.add(0, {0, 0});
  o.add(0, {0, 0.2});
  MatchParams p;
  auto points = match(r.set(), o.set(), p);
  ASSERT_TRUE(points.has_value());
  EXPECT_TRUE((*points)[0].offers.empty());
  // Placed by a city name: 15 km radius on the offer -> d' = 7.239 km.
  o.posts[0].radius_km = 15;
  auto disc = match(r.set(), o.set(), p);
  ASSERT_TRUE(disc.has_value());
  ASSERT_EQ((*disc)[0].offers.size(), 1u);
  EXPECT_NEAR((*disc)[0].offers[0].km, haversine_km({0, 0}, {0, 0.2}) - 15, 1e-9);
  EXPECT_NEAR((*disc)[0].offers[0].w_loc, 1 - (*disc)[0].offers[0].km / 10, 1e-6);
  // The same split between the two sides gives the same score.
  o.posts[0].radius_km = 5;
  r.posts[0].radius_km = 10;
  auto split = match(r.set(), o.set(), p);
  ASSERT_TRUE(split.has_value());
  ASSERT_EQ((*split)[0].offers.size(), 1u);
  EXPECT_FLOAT_EQ((*split)[0].offers[0].score, (*disc)[0].offers[0].score);
}

TEST(MatchRadius, BadRadiusIsAnError) {
  Posts r, o;
  r.add(0, {0, 0});
  o.add(0, {0, 0}).radius_km = -1;
  auto res = match(r.set(), o.set(), {});
  ASSERT_FALSE(res.has_value());
  EXPECT_NE(res.error().message.find("offers post 0: radius_km"), std::string::npos) << res.error().message;
  o.posts[0].radius_km = NAN;
  EXPECT_FALSE(match(r.set(), o.set(), {}).has_value());
  MatchParams p;
  auto bad = std::make_shared<DecayProfiles>();
  bad->profiles.push_back({"blood", 0, 10, DecayShape::kLinear, DecayShape::kLinear});
  p.profiles = bad;
  o.posts[0].radius_km = 0;
  EXPECT_FALSE(match(r.set(), o.set(), p).has_value());
}

}  // namespace
}  // namespace crema::match
