#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "crema/match/index.h"
#include "crema/match/matcher.h"
#include "crema/match/searcher.h"

namespace crema::match {
namespace {

constexpr int64_t kDay = 86'400'000;

TEST(SearchMode, Parses) {
  auto exact = parse_search_mode("exact-window");
  ASSERT_TRUE(exact.has_value());
  EXPECT_EQ(exact->kind, SearchMode::Kind::kExactWindow);
  auto ann = parse_search_mode("ann:IVF64,PQ16", 50);
  ASSERT_TRUE(ann.has_value());
  EXPECT_EQ(ann->kind, SearchMode::Kind::kAnn);
  EXPECT_EQ(ann->factory, "ivf64,pq16");
  EXPECT_EQ(ann->k, 50);
  EXPECT_EQ(search_mode_name(*ann), "ann:ivf64,pq16");
  EXPECT_EQ(search_mode_name(*exact), "exact-window");
  EXPECT_FALSE(parse_search_mode("ann:").has_value());
  EXPECT_FALSE(parse_search_mode("ann:lsh").has_value());
  EXPECT_FALSE(parse_search_mode("window").has_value());
  EXPECT_FALSE(parse_search_mode("ann:flat", 0).has_value());
}

struct World {
  std::vector<MatchPost> posts;
  std::vector<float> vectors;
};

// Posts around Sydney over 10 days with random unit vectors of dimension dim.
World random_world(size_t n, size_t dim, std::mt19937& rng) {
  std::uniform_real_distribution<double> lat(-34.2, -33.6), lon(150.8, 151.4);
  std::uniform_int_distribution<int64_t> t(0, 10 * kDay);
  std::normal_distribution<float> normal;
  World w;
  for (size_t i = 0; i < n; ++i) {
    MatchPost p;
    p.time_ms = t(rng);
    p.geo = GeoPoint{lat(rng), lon(rng)};
    w.posts.push_back(p);
    double norm = 0;
    std::vector<float> v(dim);
    for (float& x : v) {
      x = normal(rng);
      norm += x * x;
    }
    for (float& x : v) w.vectors.push_back(static_cast<float>(x / std::sqrt(norm)));
  }
  return w;
}

TEST(AnnSearch, FlatWithKCoveringAllOffersEqualsExhaustive) {
  std::mt19937 rng(5);
  constexpr size_t kDim = 16;
  for (int trial = 0; trial < 5; ++trial) {
    World req = random_world(40, kDim, rng), off = random_world(150, kDim, rng);
    MatchSet requests{req.posts, req.vectors, kDim}, offers{off.posts, off.vectors, kDim};
    MatchParams exact;
    exact.delta_time_ms = 3 * kDay;
    exact.delta_km = 15;
    exact.top_n = 5;
    MatchParams brute = exact;
    brute.exhaustive = true;
    MatchParams ann = exact;
    ann.search = *parse_search_mode("ann:flat", 150);
    auto a = match(requests, offers, brute);
    auto b = match(requests, offers, ann);
    auto c = match(requests, offers, exact);
    ASSERT_TRUE(a && b && c);
    for (size_t r = 0; r < a->size(); ++r) {
      ASSERT_EQ((*a)[r].offers.size(), (*b)[r].offers.size()) << r;
      ASSERT_EQ((*a)[r].offers.size(), (*c)[r].offers.size()) << r;
      for (size_t i = 0; i < (*a)[r].offers.size(); ++i) {
        EXPECT_EQ((*a)[r].offers[i].offer, (*b)[r].offers[i].offer);
        EXPECT_EQ((*a)[r].offers[i].offer, (*c)[r].offers[i].offer);
        EXPECT_EQ((*a)[r].offers[i].score, (*b)[r].offers[i].score);
      }
    }
  }
}

TEST(AnnSearch, TopKLosesTheNearOfferThatExactWindowFinds) {
  // Offer 0 is the text twin but 500 km away; offer 1 is next door with a weaker text match.
  const std::vector<MatchPost> req = {{0, GeoPoint{-33.87, 151.21}}};
  const std::vector<MatchPost> off = {{0, GeoPoint{-37.81, 144.96}}, {0, GeoPoint{-33.88, 151.20}}};
  const std::vector<float> rv = {1, 0};
  const std::vector<float> ov = {1, 0, 0.6F, 0.8F};
  MatchSet requests{req, rv, 2}, offers{off, ov, 2};
  MatchParams exact;
  auto e = match(requests, offers, exact);
  ASSERT_TRUE(e.has_value());
  ASSERT_EQ((*e)[0].offers.size(), 1u);
  EXPECT_EQ((*e)[0].offers[0].offer, 1u);
  MatchParams ann;
  ann.search = *parse_search_mode("ann:flat", 1);
  auto a = match(requests, offers, ann);
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE((*a)[0].offers.empty());  // the only text candidate scores 0 (outside δ_distance)
  ann.search.k = 2;
  a = match(requests, offers, ann);
  ASSERT_TRUE(a.has_value());
  ASSERT_EQ((*a)[0].offers.size(), 1u);
  EXPECT_EQ((*a)[0].offers[0].offer, 1u);
}

TEST(AnnSearch, ErrorsAreClear) {
  const std::vector<MatchPost> req = {{0, GeoPoint{0, 0}}}, off = {{0, GeoPoint{0, 0}}};
  const std::vector<float> v2 = {1, 0};
  MatchSet requests{req, v2, 2}, offers{off, v2, 2};
  MatchParams notext;
  notext.method = Method::kNoText;
  notext.search = *parse_search_mode("ann:flat");
  EXPECT_FALSE(match(requests, offers, notext).has_value());
  MatchParams ivf;
  ivf.search = *parse_search_mode("ann:ivf64,flat");
  auto st = match(requests, offers, ivf);  // one offer cannot train 64 lists
  ASSERT_FALSE(st.has_value());
  EXPECT_NE(st.error().message.find("training"), std::string::npos) << st.error().message;
  MatchParams prebuilt;
  prebuilt.search = *parse_search_mode("ann:flat");
  prebuilt.index = std::shared_ptr<const Index>(std::move(*make_index("flat", 3)));
  EXPECT_FALSE(match(requests, offers, prebuilt).has_value());  // index dim 3, offers 2
  const std::vector<float> nan_offer = {std::nanf(""), 0};
  MatchSet bad_offers{off, nan_offer, 2};
  MatchParams flat;
  flat.search = *parse_search_mode("ann:flat");
  EXPECT_FALSE(match(requests, bad_offers, flat).has_value());  // NaN offer vector
}

TEST(OfferSearcher, AnswersLikeMatchOneRequestAtATime) {
  std::mt19937 rng(11);
  constexpr size_t kDim = 8;
  World req = random_world(30, kDim, rng), off = random_world(300, kDim, rng);
  req.posts[3].geo.reset();  // unlocated: no matches
  MatchSet requests{req.posts, req.vectors, kDim}, offers{off.posts, off.vectors, kDim};
  MatchParams params;
  params.delta_time_ms = 2 * kDay;
  params.delta_km = 8;
  auto all = match(requests, offers, params);
  ASSERT_TRUE(all.has_value());
  auto searcher = OfferSearcher::build(offers, params);
  ASSERT_TRUE(searcher.has_value());
  EXPECT_GT((*searcher)->memory_bytes(), 0u);
  for (size_t r = 0; r < req.posts.size(); ++r) {
    size_t scored = 0;
    auto one = (*searcher)->search(req.posts[r], req.vectors.data() + r * kDim, &scored);
    ASSERT_TRUE(one.has_value());
    ASSERT_EQ(one->size(), (*all)[r].offers.size());
    for (size_t i = 0; i < one->size(); ++i) EXPECT_EQ((*one)[i].offer, (*all)[r].offers[i].offer);
    if (r == 3) {
      EXPECT_TRUE(one->empty());
    }
    EXPECT_LT(scored, off.posts.size());  // the window, not every offer
  }
  MatchPost bad = req.posts[0];
  bad.radius_km = -1;
  EXPECT_FALSE((*searcher)->search(bad, req.vectors.data()).has_value());
}

}  // namespace
}  // namespace crema::match
