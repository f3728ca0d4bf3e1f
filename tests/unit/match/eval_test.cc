#include "crema/match/eval.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include <gtest/gtest.h>

namespace crema::match {
namespace {

// One dimension per keyword: a text's vector is the normalised sum of the keywords it has.
class KeywordEncoder final : public embed::Encoder {
 public:
  std::string_view name() const override { return "keywords"; }
  size_t dim() const override { return 4; }
  Status encode(std::span<const std::string_view> texts, std::span<float> out, int) const override {
    static const char* kWords[4] = {"water", "food", "blood", "shelter"};
    for (size_t i = 0; i < texts.size(); ++i) {
      std::string lower(texts[i]);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      float norm = 0;
      for (size_t d = 0; d < 4; ++d) {
        out[i * 4 + d] = lower.find(kWords[d]) != std::string::npos ? 1.0F : 0.0F;
        norm += out[i * 4 + d];
      }
      for (size_t d = 0; d < 4 && norm > 0; ++d) out[i * 4 + d] /= std::sqrt(norm);
    }
    return {};
  }
};

std::string testdata(const char* name) { return std::string(CREMA_TESTDATA_DIR) + "/match/" + name; }

void expect_top(const TopN& t, double a, double b, double c, const std::string& what) {
  EXPECT_NEAR(t.top1, a, 1e-9) << what;
  EXPECT_NEAR(t.top2, b, 1e-9) << what;
  EXPECT_NEAR(t.top3, c, 1e-9) << what;
}

// stream_small.jsonl: 3 pairs on the equator (0.01 deg lon = 1.112 km), in en and fr with
// the same times and places. Request/offer lon and day: r1 0.00/0, o1 0.01/1; r2 0.02/0,
// o2 0.035/2; r3 0.06/10, o3 0.05/10.
// Floor W_time*W_loc: r1: o1 .967*.889=.859 > o2 .933*.611=.570 > o3 .667*.444=.296 -> rank 1
//                     r2: o1 .859 > o2 .933*.833=.778 > o3 .667*.666=.444      -> rank 2
//                     r3: o3 1*.889 > o2 .733*.722=.530 > o1 .7*.444=.311      -> rank 1
// en texts name distinct resources (o3 "blood and water"): T, TS, TTS rank every true offer
// first. fr texts are all "water": T ties everywhere (ties count against: rank 3), TS and
// TTS fall back on geometry (TS orders by W_loc: r2 prefers o1 at 1.11 km to o2 at 1.67 km).
TEST(EvalMatching, SmallStreamByHand) {
  KeywordEncoder enc;
  EvalMatchOptions opt;
  opt.stream_path = testdata("stream_small.jsonl");
  auto rep = evaluate_matching(enc, opt);
  ASSERT_TRUE(rep.has_value()) << rep.error().message;
  ASSERT_EQ(rep->rows.size(), 4u);
  EXPECT_EQ(rep->rows[0].language, "en");
  EXPECT_EQ(rep->rows[1].language, "fr");
  EXPECT_EQ(rep->rows[2].language, "random");
  EXPECT_EQ(rep->rows[3].language, "mean");
  const double third = 1.0 / 3, two_thirds = 2.0 / 3;
  const auto& en = rep->rows[0];
  EXPECT_EQ(en.requests, 3u);
  expect_top(en.t, 1, 1, 1, "en T");
  expect_top(en.ts, 1, 1, 1, "en TS");
  expect_top(en.tts, 1, 1, 1, "en TTS");
  expect_top(en.notext, two_thirds, 1, 1, "en floor");
  const auto& fr = rep->rows[1];
  expect_top(fr.t, 0, 0, 1, "fr T (all tied)");
  expect_top(fr.ts, two_thirds, 1, 1, "fr TS");
  expect_top(fr.tts, two_thirds, 1, 1, "fr TTS");
  expect_top(fr.notext, two_thirds, 1, 1, "fr floor");
  // Geometry is the same in every language, so the random run's floor is the same.
  EXPECT_EQ(rep->rows[2].requests, 3u);
  expect_top(rep->rows[2].notext, two_thirds, 1, 1, "random floor");
  const auto& mean = rep->rows[3];
  EXPECT_EQ(mean.requests, 6u);
  expect_top(mean.t, 0.5, 0.5, 1, "mean T");
  expect_top(mean.tts, (1 + two_thirds) / 2, 1, 1, "mean TTS");
  (void)third;

  const std::string text = rep->to_text();
  EXPECT_NE(text.find("| language | n | T@1 | T@2 | T@3 | TS@1"), std::string::npos);
  EXPECT_NE(text.find("| fr | 3 | 0.000 | 0.000 | 1.000 | 0.667"), std::string::npos) << text;
  const std::string json = rep->to_json();
  EXPECT_NE(json.find("\"language\":\"random\""), std::string::npos);
  EXPECT_NE(json.find("\"encoder\":\"keywords\""), std::string::npos);
}

TEST(EvalMatching, WindowsComeFromOptions) {
  KeywordEncoder enc;
  EvalMatchOptions opt;
  opt.stream_path = testdata("stream_small.jsonl");
  // δ_distance 1 km: every true offer (>= 1.11 km away) gets W_loc 0, as do all others, so
  // the floor ties everything at 0 and each request ranks its offer last (3rd).
  opt.delta_km = 1.0;
  auto rep = evaluate_matching(enc, opt);
  ASSERT_TRUE(rep.has_value());
  expect_top(rep->rows[0].notext, 0, 0, 1, "floor at 1 km");
  expect_top(rep->rows[0].tts, 0, 0, 1, "tts at 1 km");
  expect_top(rep->rows[0].t, 1, 1, 1, "T ignores windows");
}

TEST(EvalMatching, RandomRunIsSeeded) {
  KeywordEncoder enc;
  EvalMatchOptions opt;
  opt.stream_path = testdata("stream_small.jsonl");
  auto a = evaluate_matching(enc, opt);
  auto b = evaluate_matching(enc, opt);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->to_json(), b->to_json());
}

TEST(EvalMatching, BadInputsNameTheRecord) {
  KeywordEncoder enc;
  EvalMatchOptions opt;
  opt.stream_path = testdata("stream_bad_time.jsonl");
  auto rep = evaluate_matching(enc, opt);
  ASSERT_FALSE(rep.has_value());
  EXPECT_EQ(rep.error().code, ErrorCode::kParseError);
  EXPECT_NE(rep.error().message.find("stream_bad_time.jsonl:2"), std::string::npos) << rep.error().message;
  opt.stream_path = testdata("does_not_exist.jsonl");
  EXPECT_FALSE(evaluate_matching(enc, opt).has_value());
}

// stream_city.jsonl: one city "X" on the equator, 0.3 deg lon = 33.4 km. r1 (blood, "water")
// is 33 km from its offer o1, r2 (food) at the same point as o2 (no city), which is 33 km
// from r1. Plain TTS: r1's offers both score 0 (tie, rank 2), r2 ranks o2 first -> 0.5.
TEST(EvalMatching, DecayProfilesComeFromTheResourceField) {
  KeywordEncoder enc;
  EvalMatchOptions opt;
  opt.stream_path = testdata("stream_city.jsonl");
  auto plain = evaluate_matching(enc, opt);
  ASSERT_TRUE(plain.has_value()) << plain.error().message;
  EXPECT_NEAR(plain->rows[0].tts.top1, 0.5, 1e-9);
  EXPECT_EQ(plain->to_text().find("Decay profiles"), std::string::npos);
  // blood: 12 h and 100 km, so o1 (1 h, 33 km) now scores for r1; food keeps 30 d / 10 km.
  opt.decay_profiles_path = testdata("decay_profiles_blood.tsv");
  auto prof = evaluate_matching(enc, opt);
  ASSERT_TRUE(prof.has_value()) << prof.error().message;
  EXPECT_NEAR(prof->rows[0].tts.top1, 1.0, 1e-9);
  EXPECT_NE(prof->to_text().find("Decay profiles: "), std::string::npos);
  EXPECT_NE(prof->to_json().find("\"decay_profiles\""), std::string::npos);
  opt.decay_profiles_path = testdata("decay_profiles_bad.tsv");
  auto bad = evaluate_matching(enc, opt);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("decay_profiles_bad.tsv:3:"), std::string::npos) << bad.error().message;
}

TEST(EvalMatching, CoarseningSnapsCityPostsToTheCentre) {
  KeywordEncoder enc;
  EvalMatchOptions opt;
  opt.stream_path = testdata("stream_city.jsonl");
  // City X's centre is the mean of r1, o1, r2: lon 0. All three snap there, o2 (no city)
  // stays at -0.3: r1-o1 now 0 km apart, r2 is 33 km from o2.
  opt.coarsen_km = 5;
  opt.coarsen_share = 1.0;
  opt.ignore_radius = true;
  auto naive = evaluate_matching(enc, opt);
  ASSERT_TRUE(naive.has_value()) << naive.error().message;
  EXPECT_NEAR(naive->rows[0].tts.top1, 0.5, 1e-9);  // r1 found, r2 lost (33 km > 10 km)
  // With a 30 km disc around the centre r2 is 3.4 km from o2's point: found again.
  opt.coarsen_km = 30;
  opt.ignore_radius = false;
  auto disc = evaluate_matching(enc, opt);
  ASSERT_TRUE(disc.has_value()) << disc.error().message;
  EXPECT_NEAR(disc->rows[0].tts.top1, 1.0, 1e-9);
  EXPECT_NE(disc->to_text().find("radius 30 km"), std::string::npos);
  opt.coarsen_share = 0;  // nothing snapped: the plain result
  auto none = evaluate_matching(enc, opt);
  ASSERT_TRUE(none.has_value());
  EXPECT_NEAR(none->rows[0].tts.top1, 0.5, 1e-9);
  opt.coarsen_share = 2;
  EXPECT_FALSE(evaluate_matching(enc, opt).has_value());
}

}  // namespace
}  // namespace crema::match
