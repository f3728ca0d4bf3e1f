#include "crema/match/matcher.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace crema::match {
namespace {

constexpr int64_t kDay = 86'400'000;

TEST(Haversine, KnownDistances) {
  const GeoPoint sydney{-33.8688, 151.2093}, melbourne{-37.8136, 144.9631};
  EXPECT_NEAR(haversine_km(sydney, melbourne), 713.4, 1.0);
  EXPECT_NEAR(haversine_km(melbourne, sydney), haversine_km(sydney, melbourne), 1e-9);
  EXPECT_DOUBLE_EQ(haversine_km(sydney, sydney), 0.0);
  // Pole to pole is half the circumference: pi * 6371.0088 km.
  EXPECT_NEAR(haversine_km({90, 0}, {-90, 0}), 20015.115, 0.01);
  // 0.2 degrees across the antimeridian on the equator, not 359.8 degrees.
  EXPECT_NEAR(haversine_km({0, 179.9}, {0, -179.9}), 22.239, 0.01);
  // Near a pole, longitude hardly matters.
  EXPECT_LT(haversine_km({89.999, 0}, {89.999, 180}), 0.3);
}

TEST(Method, ParseAndName) {
  EXPECT_EQ(*parse_method("TTS"), Method::kTts);
  EXPECT_EQ(*parse_method("ts"), Method::kTs);
  EXPECT_EQ(*parse_method("t"), Method::kT);
  EXPECT_EQ(*parse_method("NoText"), Method::kNoText);
  EXPECT_FALSE(parse_method("tfidf").has_value());
  EXPECT_EQ(method_name(Method::kNoText), "notext");
}

// Two-dimensional unit vectors at angle a.
std::vector<float> unit(double a) { return {static_cast<float>(std::cos(a)), static_cast<float>(std::sin(a))}; }

struct Fixture {
  std::vector<MatchPost> posts;
  std::vector<float> vectors;
  MatchSet set(size_t dim = 2) const { return MatchSet{posts, vectors, dim}; }
  void add(int64_t t, std::optional<GeoPoint> g, std::vector<float> v) {
    posts.push_back({t, g});
    vectors.insert(vectors.end(), v.begin(), v.end());
  }
};

TEST(Match, DimensionAndShapeErrors) {
  Fixture r, o;
  r.add(0, GeoPoint{0, 0}, {1, 0});
  o.add(0, GeoPoint{0, 0}, {1, 0});
  auto bad_dim = match(MatchSet{r.posts, r.vectors, 2}, MatchSet{o.posts, std::span<const float>(o.vectors).first(1), 1}, {});
  ASSERT_FALSE(bad_dim.has_value());
  EXPECT_EQ(bad_dim.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad_dim.error().message.find("dimension mismatch"), std::string::npos);
  auto bad_rows = match(MatchSet{r.posts, std::span<const float>(r.vectors).first(1), 2}, o.set(), {});
  ASSERT_FALSE(bad_rows.has_value());
  MatchParams p;
  p.top_n = 0;
  EXPECT_FALSE(match(r.set(), o.set(), p).has_value());
  p = {};
  p.alpha = 1.5;
  EXPECT_FALSE(match(r.set(), o.set(), p).has_value());
  p = {};
  p.delta_km = 0;
  EXPECT_FALSE(match(r.set(), o.set(), p).has_value());
  // notext needs no vectors.
  p = {};
  p.method = Method::kNoText;
  auto ok = match(MatchSet{r.posts, {}, 0}, MatchSet{o.posts, {}, 0}, p);
  ASSERT_TRUE(ok.has_value());
  ASSERT_EQ((*ok)[0].offers.size(), 1u);
  EXPECT_FLOAT_EQ((*ok)[0].offers[0].score, 1.0F);
}

TEST(Match, TtsScoresAndWindows) {
  // Request at the origin at t=0. On the equator 0.01 deg of longitude = 1.11195 km.
  Fixture r, o;
  r.add(0, GeoPoint{0, 0}, unit(0));
  o.add(3 * kDay, GeoPoint{0, 0.045}, unit(0));           // 0: 5.0 km, 3 d, same text
  o.add(0, GeoPoint{0, 0.0}, unit(M_PI / 3));             // 1: here, now, cos = 0.5
  o.add(31 * kDay, GeoPoint{0, 0.0}, unit(0));            // 2: outside δ_time
  o.add(0, GeoPoint{0, 0.1}, unit(0));                    // 3: 11.1 km, outside δ_distance
  o.add(-15 * kDay, GeoPoint{0.0449, 0}, {0.0F, 1.0F});  // 4: orthogonal text -> score 0
  MatchParams p;
  MatchStats stats;
  auto res = match(r.set(), o.set(), p, &stats);
  ASSERT_TRUE(res.has_value());
  const auto& offers = (*res)[0].offers;
  ASSERT_EQ(offers.size(), 2u);
  // Offer 0: 1 * (1 - 3/30) * (1 - 5.0038/10) = 0.9 * 0.49962.
  EXPECT_EQ(offers[0].offer, 1u);
  EXPECT_NEAR(offers[0].score, 0.5, 1e-6);
  EXPECT_EQ(offers[1].offer, 0u);
  EXPECT_NEAR(offers[1].km, 5.00378, 1e-4);
  EXPECT_NEAR(offers[1].w_time, 0.9, 1e-6);
  EXPECT_NEAR(offers[1].score, 0.9 * (1 - 5.00378 / 10), 1e-5);
  // Offers 0, 1, 4 are scored; offer 3 may be (it is in a grid cell next to the request's,
  // and scores 0); offer 2, outside the time window, never is.
  EXPECT_GE(stats.pairs_scored, 3u);
  EXPECT_LE(stats.pairs_scored, 4u);
  p.exhaustive = true;
  auto brute = match(r.set(), o.set(), p, &stats);
  EXPECT_EQ(stats.pairs_scored, 5u);
  ASSERT_EQ((*brute)[0].offers.size(), 2u);
  EXPECT_EQ((*brute)[0].offers[0].offer, 1u);
}

TEST(Match, TsIsLinearInAlpha) {
  Fixture r, o;
  r.add(0, GeoPoint{0, 0}, unit(0));
  o.add(0, GeoPoint{0, 0.045}, unit(0));                // s_text 1, W_loc 0.49962
  o.add(100 * kDay, GeoPoint{0, 0}, unit(M_PI / 2));   // s_text 0, W_loc 1, time ignored
  o.add(0, GeoPoint{0, 1.0}, unit(M_PI / 3));           // far: W_loc 0, s_text 0.5
  MatchParams p;
  p.method = Method::kTs;
  p.alpha = 0.25;
  auto res = match(r.set(), o.set(), p);
  ASSERT_TRUE(res.has_value());
  const auto& offers = (*res)[0].offers;
  ASSERT_EQ(offers.size(), 3u);
  EXPECT_EQ(offers[0].offer, 1u);
  EXPECT_NEAR(offers[0].score, 0.75, 1e-6);  // 0.25*0 + 0.75*1
  EXPECT_EQ(offers[1].offer, 0u);
  EXPECT_NEAR(offers[1].score, 0.25 + 0.75 * (1 - 5.00378 / 10), 1e-5);
  EXPECT_EQ(offers[2].offer, 2u);
  EXPECT_NEAR(offers[2].score, 0.125, 1e-6);  // far away still ranks under ts
  p.alpha = 1.0;  // text only
  res = match(r.set(), o.set(), p);
  EXPECT_EQ((*res)[0].offers[0].offer, 0u);
  EXPECT_NEAR((*res)[0].offers[1].score, 0.5, 1e-6);
}

TEST(Match, TiesFollowOfferIndexAndTopN) {
  Fixture r, o;
  r.add(0, GeoPoint{10, 10}, unit(0));
  for (int i = 0; i < 5; ++i) o.add(0, GeoPoint{10, 10}, unit(0));
  MatchParams p;
  p.top_n = 3;
  auto res = match(r.set(), o.set(), p);
  ASSERT_EQ((*res)[0].offers.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ((*res)[0].offers[i].offer, i);
}

TEST(Match, UnlocatedPosts) {
  Fixture r, o;
  r.add(0, GeoPoint{0, 0}, unit(0));
  r.add(0, std::nullopt, unit(0));
  o.add(kDay, GeoPoint{0, 0}, unit(0));
  o.add(kDay, std::nullopt, unit(0));
  o.add(kDay, GeoPoint{95, 0}, unit(0));  // invalid latitude counts as unlocated
  MatchParams p;
  MatchStats stats;
  auto res = match(r.set(), o.set(), p, &stats);
  EXPECT_EQ(stats.unlocated_requests, 1u);
  EXPECT_EQ(stats.unlocated_offers, 2u);
  ASSERT_EQ((*res)[0].offers.size(), 1u);
  EXPECT_EQ((*res)[0].offers[0].offer, 0u);
  EXPECT_TRUE((*res)[1].offers.empty());

  p.allow_unlocated = true;
  res = match(r.set(), o.set(), p, &stats);
  ASSERT_EQ((*res)[0].offers.size(), 3u);
  EXPECT_EQ((*res)[0].offers[1].offer, 1u);  // W_loc 1, same score as offer 0, higher index
  EXPECT_FLOAT_EQ((*res)[0].offers[1].w_loc, 1.0F);
  EXPECT_EQ((*res)[0].offers[1].km, -1);
  ASSERT_EQ((*res)[1].offers.size(), 3u);  // the unlocated request sees everything in time

  // The text-only method ignores location entirely.
  p = {};
  p.method = Method::kT;
  res = match(r.set(), o.set(), p);
  EXPECT_EQ((*res)[1].offers.size(), 3u);
}

double shaped(DecayShape shape, double x) {
  switch (shape) {
    case DecayShape::kLinear: return 1.0 - x;
    case DecayShape::kFast: return (1.0 - x) * (1.0 - x);
    case DecayShape::kSlow: return 1.0 - x * x;
    case DecayShape::kStep: return x < 1.0 ? 1.0 : 0.0;
  }
  return 0;
}

// Independent brute-force oracle with the header's formulas (decay profiles and
// uncertainty discs included).
std::vector<ScoredOffer> oracle(const MatchPost& r, const float* rv, const std::vector<MatchPost>& offers,
                                const std::vector<float>& ov, size_t dim, const MatchParams& p) {
  int64_t delta_time_ms = p.delta_time_ms;
  double delta_km = p.delta_km;
  DecayShape ts = DecayShape::kLinear, ds = DecayShape::kLinear;
  if (p.profiles && !r.resources.empty()) {
    if (const DecayProfile* prof = select_profile(*p.profiles, r.resources)) {
      delta_time_ms = prof->delta_time_ms;
      delta_km = prof->delta_km;
      ts = prof->time_shape;
      ds = prof->distance_shape;
    }
  }
  std::vector<ScoredOffer> all;
  for (size_t o = 0; o < offers.size(); ++o) {
    ScoredOffer s;
    s.offer = o;
    float dot = 0;
    for (size_t d = 0; d < dim; ++d) dot += rv[d] * ov[o * dim + d];
    s.s_text = dot;
    const double dt = std::fabs(static_cast<double>(r.time_ms - offers[o].time_ms));
    s.w_time = static_cast<float>(shaped(ts, std::min(dt / static_cast<double>(delta_time_ms), 1.0)));
    const bool both = r.geo && offers[o].geo;
    if (!both && !p.allow_unlocated) continue;
    if (both) {
      double km = haversine_km(*r.geo, *offers[o].geo);
      if (r.radius_km > 0 || offers[o].radius_km > 0) km = std::max(0.0, km - r.radius_km - offers[o].radius_km);
      s.w_loc = static_cast<float>(shaped(ds, std::min(km / delta_km, 1.0)));
    } else {
      s.w_loc = 1.0F;
    }
    s.score = p.method == Method::kTts ? s.s_text * s.w_time * s.w_loc : s.w_time * s.w_loc;
    if (s.score > p.min_score) all.push_back(s);
  }
  std::stable_sort(all.begin(), all.end(), [](const ScoredOffer& a, const ScoredOffer& b) { return a.score > b.score; });
  if (all.size() > static_cast<size_t>(p.top_n)) all.resize(static_cast<size_t>(p.top_n));
  return all;
}

// Variants: plain TTS, uncertainty radii, decay profiles, both. Radii are what the
// windowed search must widen its spatial window for; profiles give each request its own
// windows and shapes (step makes many ties).
void windowed_equals_brute_force(bool radii, bool profiles) {
  std::mt19937_64 rng(radii ? (profiles ? 11 : 9) : (profiles ? 10 : 7));
  std::uniform_real_distribution<double> u(0, 1);
  const size_t dim = 8;
  // Clusters near the antimeridian, both poles, and an ordinary place; few distinct times.
  const GeoPoint centres[] = {{0, 179.99}, {0, -179.99}, {89.97, 0}, {-89.95, 120}, {-33.87, 151.21}, {60, -179.995}};
  for (int round = 0; round < 30; ++round) {
    const double delta_km = 1 + 30 * u(rng);
    auto make = [&](size_t n, std::vector<MatchPost>& posts, std::vector<float>& vecs) {
      for (size_t i = 0; i < n; ++i) {
        MatchPost p;
        p.time_ms = static_cast<int64_t>(rng() % 6) * 10 * kDay;  // many identical times
        if (u(rng) > 0.1) {
          const GeoPoint c = centres[rng() % std::size(centres)];
          double lat = c.lat + (u(rng) - 0.5) * 0.8;
          double lon = c.lon + (u(rng) - 0.5) * 0.8 / std::max(0.05, std::cos(c.lat * M_PI / 180));
          lat = std::clamp(lat, -90.0, 90.0);
          if (lon > 180) lon -= 360;
          if (lon < -180) lon += 360;
          p.geo = GeoPoint{lat, lon};
          if (radii && u(rng) < 0.4) p.radius_km = 20 * u(rng);
        }
        if (profiles) {
          static const char* const kNames[] = {"a", "b", "c", "z"};  // z has no profile
          const auto count = rng() % 3;
          for (size_t k = 0; k < count; ++k) p.resources.emplace_back(kNames[rng() % 4]);
        }
        posts.push_back(p);
        std::vector<float> v(dim);
        double norm = 0;
        for (auto& x : v) {
          x = static_cast<float>(u(rng) - 0.2);
          norm += x * x;
        }
        for (auto& x : v) vecs.push_back(static_cast<float>(x / std::sqrt(norm)));
      }
    };
    std::vector<MatchPost> rp, op;
    std::vector<float> rv, ov;
    make(60, rp, rv);
    make(400, op, ov);
    std::shared_ptr<DecayProfiles> table;
    if (profiles) {
      table = std::make_shared<DecayProfiles>();
      for (const char* name : {"a", "b", "c"}) {
        DecayProfile prof;
        prof.resource = name;
        prof.delta_time_ms = static_cast<int64_t>((1 + 39 * u(rng)) * kDay);
        prof.delta_km = 1 + 30 * u(rng);
        prof.time_shape = static_cast<DecayShape>(rng() % 4);
        prof.distance_shape = static_cast<DecayShape>(rng() % 4);
        table->profiles.push_back(prof);
      }
    }
    for (const Method method : {Method::kTts, Method::kNoText}) {
      for (const bool allow : {false, true}) {
        MatchParams p;
        p.method = method;
        p.delta_km = delta_km;
        p.delta_time_ms = 25 * kDay;
        p.top_n = 5;
        p.allow_unlocated = allow;
        p.threads = 3;
        p.profiles = table;
        const MatchSet rs{rp, rv, dim}, os{op, ov, dim};
        auto windowed = match(rs, os, p);
        p.exhaustive = true;
        auto brute = match(rs, os, p);
        ASSERT_TRUE(windowed.has_value() && brute.has_value());
        for (size_t r = 0; r < rp.size(); ++r) {
          const auto expect = oracle(rp[r], rv.data() + r * dim, op, ov, dim, p);
          const auto& got = (*windowed)[r].offers;
          const auto& bf = (*brute)[r].offers;
          ASSERT_EQ(got.size(), expect.size()) << "round " << round << " request " << r << " radii " << radii
                                               << " profiles " << profiles;
          ASSERT_EQ(bf.size(), expect.size());
          for (size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].offer, bf[i].offer);
            EXPECT_EQ(got[i].score, bf[i].score);
            EXPECT_EQ(got[i].offer, expect[i].offer) << "round " << round << " request " << r << " rank " << i;
            EXPECT_NEAR(got[i].score, expect[i].score, 1e-6);
          }
        }
      }
    }
  }
}

TEST(MatchProperty, WindowedEqualsBruteForce) { windowed_equals_brute_force(false, false); }
TEST(MatchProperty, WindowedEqualsBruteForceWithRadii) { windowed_equals_brute_force(true, false); }
TEST(MatchProperty, WindowedEqualsBruteForceWithProfiles) { windowed_equals_brute_force(false, true); }
TEST(MatchProperty, WindowedEqualsBruteForceWithRadiiAndProfiles) { windowed_equals_brute_force(true, true); }

}  // namespace
}  // namespace crema::match
