#include "crema/analyse/analyse.h"

#include <gtest/gtest.h>

#include "scratch_dir.h"
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "crema/common/file_io.h"
#include "crema/store/store.h"

namespace crema::analyse {
namespace {

const std::string kBundled = std::string(CREMA_SOURCE_DIR) + "/data/geo/ne_110m_admin_0_countries.geojson";

TEST(Wilson, MatchesHandComputedValues) {
  // p̂ = 3/10, z = 1.96: centre (0.3 + 0.19208) / 1.38415 = 0.35551,
  // half-width 1.96 · sqrt(0.021 + 0.0096040) / 1.38415 = 0.24772.
  Interval a = wilson_interval(3, 10);
  EXPECT_DOUBLE_EQ(a.estimate, 0.3);
  EXPECT_NEAR(a.lo, 0.107791, 1e-6);
  EXPECT_NEAR(a.hi, 0.603222, 1e-6);
  Interval b = wilson_interval(50, 100);
  EXPECT_NEAR(b.lo, 0.403832, 1e-6);
  EXPECT_NEAR(b.hi, 0.596168, 1e-6);
  Interval c = wilson_interval(0, 10);  // z² / (n + z²) = 3.84146 / 13.84146
  EXPECT_EQ(c.lo, 0.0);
  EXPECT_NEAR(c.hi, 0.277533, 1e-6);
  Interval d = wilson_interval(10, 10);
  EXPECT_NEAR(d.lo, 0.722467, 1e-6);
  EXPECT_EQ(d.hi, 1.0);
  Interval e = wilson_interval(72, 282);  // CReMa's 72k offers / 210k requests, scaled down
  EXPECT_NEAR(e.lo, 0.207952, 1e-6);
  EXPECT_NEAR(e.hi, 0.309263, 1e-6);
  Interval none = wilson_interval(0, 0);
  EXPECT_EQ(none.lo, 0.0);
  EXPECT_EQ(none.hi, 1.0);
  EXPECT_EQ(wilson_interval(12, 10).estimate, 1.0);  // clamped
}

TEST(Ratios, MapTheShareInterval) {
  GroupCounts g;
  g.request = 6;
  g.offer = 2;
  g.request_and_offer = 1;  // R = 7, O = 3
  const GroupRatios r = group_ratios(g);
  EXPECT_DOUBLE_EQ(r.offer_share.estimate, 0.3);
  EXPECT_DOUBLE_EQ(r.o_r, 3.0 / 7.0);
  EXPECT_DOUBLE_EQ(r.r_o, 7.0 / 3.0);
  EXPECT_NEAR(r.o_r_lo / (0.107791 / (1 - 0.107791)), 1, 1e-5);
  EXPECT_NEAR(r.o_r_hi / (0.603222 / (1 - 0.603222)), 1, 1e-5);
  EXPECT_NEAR(r.r_o_lo / ((1 - 0.603222) / 0.603222) , 1, 1e-5);
  EXPECT_NEAR(r.r_o_hi / ((1 - 0.107791) / 0.107791) , 1, 1e-5);
  GroupCounts only_requests;
  only_requests.request = 4;
  const GroupRatios q = group_ratios(only_requests);
  EXPECT_EQ(q.o_r, 0.0);
  EXPECT_TRUE(std::isinf(q.r_o));
  EXPECT_TRUE(std::isinf(q.r_o_hi));
}

using testing_support::ScratchDir;

constexpr int64_t kJan15 = 1736899200000;  // 2025-01-15T00:00:00Z
constexpr int64_t kFeb02 = 1738454400000;  // 2025-02-02T00:00:00Z

store::ProcessedPost post(const std::string& id, Label label, std::optional<GeoPoint> geo,
                          std::vector<std::string> resources = {}, const std::string& lang = "en",
                          int64_t at = kJan15) {
  store::ProcessedPost p;
  p.post.id = id;
  p.post.text = "text " + id;
  p.post.created_at_ms = at;
  p.post.geo = geo;
  p.normalized = p.post.text;
  p.detected_lang = lang;
  p.label = label;
  p.resources = std::move(resources);
  return p;
}

constexpr GeoPoint kParis{48.8566, 2.3522}, kSydney{-33.80, 151.0}, kAtlantic{30, -40};

// 12 posts, hand-counted: FRA 6 (+1 duplicate skipped), AUS 2, unplaced 4 (1 at sea, 3 without
// coordinates).
std::vector<store::ProcessedPost> small_store_posts() {
  std::vector<store::ProcessedPost> v;
  v.push_back(post("f1", Label::kRequest, kParis, {"food", "water"}));
  v.push_back(post("f2", Label::kRequest, kParis, {"food"}, "fr"));
  v.push_back(post("f3", Label::kOffer, kParis, {"food"}, "fr", kFeb02));
  v.push_back(post("f4", Label::kRequestAndOffer, kParis, {"shelter"}));
  v.push_back(post("f5", Label::kIrrelevant, kParis));
  v.push_back(post("f6", Label::kRequest, kParis, {"food"}, "fr", kFeb02));
  auto dup = post("f7", Label::kRequest, kParis, {"food"});
  dup.duplicate_of = "f1";
  v.push_back(dup);
  v.push_back(post("a1", Label::kOffer, kSydney, {"water"}));
  v.push_back(post("a2", Label::kOffer, kSydney, {"water"}, "en", kFeb02));
  v.push_back(post("s1", Label::kRequest, kAtlantic, {}, "und"));
  v.push_back(post("n1", Label::kUnknown, std::nullopt));
  v.push_back(post("n2", Label::kRequest, std::nullopt, {"food"}, "es"));
  v.push_back(post("n3", Label::kOffer, std::nullopt, {}, "es", kFeb02));
  return v;
}

const GroupRow* find_row(const std::vector<GroupRow>& rows, const std::string& key) {
  for (const auto& r : rows) {
    if (r.key == key) return &r;
  }
  return nullptr;
}

class AnalyseStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::Store::open(db_);
    ASSERT_TRUE(s) << s.error().message;
    auto run = (*s)->begin_run({"test", {}, ""});
    ASSERT_TRUE(run);
    auto posts = small_store_posts();
    auto written = (*s)->write_batch(*run, posts, {}, {});
    ASSERT_TRUE(written) << written.error().message;
    // f1 is met (best 0.35 >= 0.1), f2 has only a weak match, the other requests none.
    std::vector<store::StoredMatch> matches = {{"f1", "f3", 1, 0.35f, 0.5f, 0.9f, 0.8f, 1.0},
                                               {"f1", "a1", 2, 0.05f, 0.4f, 0.5f, 0.25f, 16000},
                                               {"f2", "f3", 1, 0.08f, 0.2f, 0.9f, 0.6f, 2.0}};
    ASSERT_TRUE((*s)->replace_matches(*run, matches));
    ASSERT_TRUE((*s)->finish_run(*run, ""));
    auto index = CountryIndex::load(kBundled);
    ASSERT_TRUE(index) << index.error().message;
    index_ = std::make_unique<CountryIndex>(std::move(*index));
  }
  Result<AnalyseReport> analyse(uint64_t min_count, bool duplicates = false) {
    AnalyseOptions options;
    options.min_count = min_count;
    options.include_duplicates = duplicates;
    return analyse_store(db_, options, *index_);
  }
  ScratchDir dir_;
  std::string db_ = dir_.file("crema.sqlite");
  std::unique_ptr<CountryIndex> index_;
};

TEST_F(AnalyseStoreTest, CountsByEveryGroup) {
  auto report = analyse(0);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->total.posts, 12u);
  EXPECT_EQ(report->skipped_duplicates, 1u);
  EXPECT_EQ(report->total.request, 5u);
  EXPECT_EQ(report->total.offer, 4u);
  EXPECT_EQ(report->total.request_and_offer, 1u);
  EXPECT_EQ(report->total.irrelevant, 1u);
  EXPECT_EQ(report->total.unknown, 1u);
  EXPECT_EQ(report->placement.placed, 8u);
  EXPECT_EQ(report->placement.outside_polygons, 1u);
  EXPECT_EQ(report->placement.no_coordinates, 3u);
  EXPECT_EQ(report->placement.unplaced(), 4u);

  ASSERT_EQ(report->countries.size(), 3u);
  const GroupRow& fra = report->countries[0];  // most posts first
  EXPECT_EQ(fra.key, "FRA");
  EXPECT_EQ(fra.iso_a2, "FR");
  EXPECT_EQ(fra.counts.posts, 6u);
  EXPECT_EQ(fra.counts.requests(), 4u);  // f1 f2 f6 + f4
  EXPECT_EQ(fra.counts.offers(), 2u);    // f3 + f4
  EXPECT_DOUBLE_EQ(fra.ratios.o_r, 0.5);
  EXPECT_DOUBLE_EQ(fra.ratios.r_o, 2.0);
  const GroupRow* unplaced = find_row(report->countries, "unplaced");
  ASSERT_NE(unplaced, nullptr);
  EXPECT_EQ(unplaced->counts.posts, 4u);
  EXPECT_EQ(unplaced->counts.requests(), 2u);
  const GroupRow* aus = find_row(report->countries, "AUS");
  ASSERT_NE(aus, nullptr);
  EXPECT_EQ(aus->counts.offers(), 2u);
  EXPECT_TRUE(std::isinf(aus->ratios.o_r));

  const GroupRow* en = find_row(report->languages, "en");
  ASSERT_NE(en, nullptr);
  EXPECT_EQ(en->counts.posts, 6u);  // f1 f4 f5 a1 a2 n1
  EXPECT_EQ(find_row(report->languages, "fr")->counts.posts, 3u);
  EXPECT_EQ(find_row(report->languages, "es")->counts.posts, 2u);
  EXPECT_EQ(find_row(report->languages, "und")->counts.posts, 1u);  // s1

  const GroupRow* food = find_row(report->resources, "food");
  ASSERT_NE(food, nullptr);
  EXPECT_EQ(food->counts.posts, 5u);  // f1 f2 f3 f6 n2
  EXPECT_EQ(food->counts.requests(), 4u);
  EXPECT_EQ(find_row(report->resources, "water")->counts.posts, 3u);
  EXPECT_EQ(report->posts_without_resources, 4u);  // f5 s1 n1 n3

  ASSERT_EQ(report->months.size(), 2u);
  EXPECT_EQ(report->months[0].key, "2025-01");
  EXPECT_EQ(report->months[0].counts.posts, 8u);
  EXPECT_EQ(report->months[1].key, "2025-02");
  EXPECT_EQ(report->months[1].counts.posts, 4u);
  ASSERT_EQ(report->days.size(), 2u);
  EXPECT_EQ(report->days[1].key, "2025-02-02");
}

TEST_F(AnalyseStoreTest, ThresholdKeepsUnplacedAndTalliesTheRest) {
  auto report = analyse(3);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->countries.size(), 2u);  // FRA (6) and unplaced (4); AUS (2) below
  EXPECT_EQ(report->countries_below_threshold, 1u);
  EXPECT_EQ(report->country_posts_below_threshold, 2u);
  auto strict = analyse(6);  // "> min_count": FRA's 6 is not enough
  ASSERT_TRUE(strict);
  ASSERT_EQ(strict->countries.size(), 1u);
  EXPECT_EQ(strict->countries[0].key, "unplaced");
  EXPECT_EQ(strict->months.size(), 2u);  // time tables have no threshold
}

TEST_F(AnalyseStoreTest, DuplicatesOnRequest) {
  auto report = analyse(0, true);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->total.posts, 13u);
  EXPECT_EQ(report->skipped_duplicates, 0u);
  EXPECT_EQ(report->countries[0].counts.posts, 7u);
}

TEST_F(AnalyseStoreTest, WritesTablesAndJson) {
  auto report = analyse(0);
  ASSERT_TRUE(report);
  const std::string out = dir_.file("out");
  ASSERT_TRUE(write_report(*report, out, *index_));
  auto csv = read_file(out + "/by_country.csv");
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->rfind("country,iso_a2,name,posts,requests,offers,", 0), 0u);
  EXPECT_NE(csv->find("\r\nFRA,FR,France,6,4,2,3,1,1,1,0,0.333333,"), std::string::npos) << *csv;
  EXPECT_NE(csv->find("\r\nunplaced,,(no country),4,"), std::string::npos);
  for (const char* f : {"by_language.csv", "by_resource.csv", "by_day.csv", "by_week.csv", "by_month.csv",
                        "unmet_need.csv", "by_country.hxl.csv", "by_resource.hxl.csv", "unmet_need.hxl.csv",
                        "report.html", "analyse.json"}) {
    EXPECT_TRUE(std::filesystem::exists(out + "/" + f)) << f;
    EXPECT_FALSE(std::filesystem::exists(out + "/" + f + ".tmp")) << f;
  }
  auto json = read_file(out + "/analyse.json");
  ASSERT_TRUE(json);
  EXPECT_NE(json->find("\"placement\":{\"placed\":8,\"unplaced\":4,\"no_coordinates\":3,"), std::string::npos)
      << *json;
  // AUS has no requests: O:R is infinite, written as null.
  EXPECT_NE(json->find("\"key\":\"AUS\""), std::string::npos);
  EXPECT_NE(json->find("\"o_r\":[null,"), std::string::npos);
}

TEST_F(AnalyseStoreTest, IsoWeeksAcrossTheYearBoundary) {
  auto report = analyse(0);
  ASSERT_TRUE(report);
  ASSERT_EQ(report->weeks.size(), 2u);
  EXPECT_EQ(report->weeks[0].key, "2025-W03");  // Wed 2025-01-15
  EXPECT_EQ(report->weeks[0].counts.posts, 8u);
  EXPECT_EQ(report->weeks[1].key, "2025-W05");  // Sun 2025-02-02 ends week 5
  // Week keys of other days, through a store of one post each.
  ScratchDir dir;
  const std::string db = dir.file("w.sqlite");
  auto s = store::Store::open(db);
  ASSERT_TRUE(s);
  auto run = (*s)->begin_run({"test", {}, ""});
  ASSERT_TRUE(run);
  std::vector<store::ProcessedPost> posts = {
      post("a", Label::kRequest, std::nullopt, {}, "en", 1735516800000),   // Mon 2024-12-30 -> 2025-W01
      post("b", Label::kRequest, std::nullopt, {}, "en", 1609459200000),   // Fri 2021-01-01 -> 2020-W53
      post("c", Label::kRequest, std::nullopt, {}, "en", 1704067200000)};  // Mon 2024-01-01 -> 2024-W01
  ASSERT_TRUE((*s)->write_batch(*run, posts, {}, {}));
  s->reset();
  AnalyseOptions options;
  auto r = analyse_store(db, options, *index_);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->weeks.size(), 3u);
  EXPECT_EQ(r->weeks[0].key, "2020-W53");
  EXPECT_EQ(r->weeks[1].key, "2024-W01");
  EXPECT_EQ(r->weeks[2].key, "2025-W01");
}

TEST_F(AnalyseStoreTest, UnmetNeedByCountryAndResource) {
  auto report = analyse(0);
  ASSERT_TRUE(report);
  // Requests (R side, duplicate f7 skipped): f1 f2 f4 f6 (FRA), s1 (unplaced, sea), n2 (unplaced).
  EXPECT_EQ(report->requests_met, 1u);    // f1
  EXPECT_EQ(report->requests_unmet, 5u);
  auto cell = [&](const std::string& country, const std::string& resource) -> const UnmetRow* {
    for (const auto& row : report->unmet) {
      if (row.country == country && row.resource == resource) return &row;
    }
    return nullptr;
  };
  const UnmetRow* fra_food = cell("FRA", "food");  // f1 (met), f2, f6
  ASSERT_NE(fra_food, nullptr);
  EXPECT_EQ(fra_food->requests, 3u);
  EXPECT_EQ(fra_food->met, 1u);
  EXPECT_EQ(fra_food->unmet(), 2u);
  EXPECT_NEAR(fra_food->unmet_share.estimate, 2.0 / 3.0, 1e-12);
  EXPECT_EQ(cell("FRA", "water")->met, 1u);  // f1 has two resources
  EXPECT_EQ(cell("FRA", "shelter")->unmet(), 1u);  // f4, request_and_offer
  EXPECT_EQ(cell("unplaced", "unspecified")->requests, 1u);  // s1 names no resource
  EXPECT_EQ(cell("unplaced", "food")->requests, 1u);         // n2
  EXPECT_EQ(report->unmet.front().unmet(), 2u);  // most unmet first
  // A lower bar makes f2 met too.
  AnalyseOptions lenient;
  lenient.min_count = 0;
  lenient.met_score = 0.05;
  auto r2 = analyse_store(db_, lenient, *index_);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->requests_met, 2u);
}

TEST_F(AnalyseStoreTest, HxlTablesCarryTagRows) {
  auto report = analyse(0);
  ASSERT_TRUE(report);
  const std::string csv = rows_csv(report->countries, "country", true, true);
  const size_t first_end = csv.find("\r\n");
  ASSERT_NE(first_end, std::string::npos);
  const std::string tags = "#country+code,#country+code+iso2,#country+name,#indicator+posts+num,";
  EXPECT_EQ(csv.compare(first_end + 2, tags.size(), tags), 0) << csv;
  const std::string unmet = unmet_csv(report->unmet, true);
  EXPECT_NE(unmet.find("\r\n#country+code,#country+code+iso2,#country+name,#sector,"), std::string::npos);
  EXPECT_NE(unmet.find("\r\nFRA,FR,France,food,3,1,2,0.666667,"), std::string::npos) << unmet;
  // Without hxl the second line is data.
  EXPECT_EQ(unmet_csv(report->unmet).find('#'), std::string::npos);
}

size_t occurrences(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST_F(AnalyseStoreTest, HtmlReportIsSelfContainedWithOneMarkPerDatum) {
  auto report = analyse(0);
  ASSERT_TRUE(report);
  const std::string html = report_html(*report, *index_);
  EXPECT_EQ(html.rfind("<!doctype html>", 0), 0u);
  EXPECT_EQ(html.find("http://"), std::string::npos);  // nothing to fetch
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  // Two coloured countries (FRA, AUS); every country of the shapes drawn once.
  EXPECT_EQ(occurrences(html, "class=\"country has-data\""), 2u);
  EXPECT_EQ(occurrences(html, "<path class=\"country"), index_->countries().size());
  // Bars: 2 per top country (FRA, AUS) + 2 per resource (food, water, shelter).
  EXPECT_EQ(occurrences(html, "class=\"bar\""), 2u * 2 + 3u * 2);
  // Timeline: the posts span 18 days, so one point per day, quiet days included: 19 x 2 series.
  EXPECT_EQ(occurrences(html, "class=\"point\""), 19u * 2);
  EXPECT_NE(html.find("<td class=\"text\">France</td><td class=\"text\">food</td><td>3</td><td>1</td><td>2</td>"),
            std::string::npos);
  // Text from the store is escaped.
  AnalyseReport hostile = *report;
  hostile.db_path = "<script>alert(1)</script>";
  EXPECT_EQ(report_html(hostile, *index_).find("<script>"), std::string::npos);
  const auto charts = report_charts_svg(*report, *index_);
  ASSERT_EQ(charts.size(), 4u);
  for (const auto& [name, svg] : charts) EXPECT_NE(svg.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos) << name;
}

TEST(AnalyseResolvedLocations, ToponymPlacedPostsAdmin1CitiesAndStatus) {
  ScratchDir dir;
  const std::string db = dir.file("v2.sqlite");
  auto s = store::Store::open(db);
  ASSERT_TRUE(s) << s.error().message;
  auto run = (*s)->begin_run({"test", {}, ""});
  ASSERT_TRUE(run);
  auto located = [](store::ProcessedPost p, store::GeoSource source, GeoPoint at, const std::string& iso2,
                    const std::string& admin1, const std::string& city, double confidence) {
    p.location.source = source;
    p.location.point = at;
    p.location.confidence = confidence;
    p.location.radius_km = 10;
    p.location.country = iso2;
    p.location.admin1 = admin1;
    p.location.city = city;
    return p;
  };
  const GeoPoint kathmandu{27.7172, 85.324}, nice_coast{43.55, 7.45};  // at sea for the 1:110m outline
  std::vector<store::ProcessedPost> posts = {
      located(post("t1", Label::kRequest, std::nullopt, {"food"}), store::GeoSource::kToponym, kathmandu, "NP",
              "Bagmati Province", "Kathmandu", 0.8),
      located(post("t2", Label::kOffer, std::nullopt, {"food"}), store::GeoSource::kUser, kathmandu, "NP",
              "Bagmati Province", "Kathmandu", 0.4),
      located(post("t3", Label::kRequest, std::nullopt, {"water"}), store::GeoSource::kPlace, nice_coast, "FR",
              "Provence-Alpes-Cote d'Azur", "Nice", 0.9),
      post("g1", Label::kRequest, GeoPoint{48.8566, 2.3522}, {"food"}),  // geotag only
      post("n1", Label::kRequest, std::nullopt, {"food"})};
  ASSERT_TRUE((*s)->write_batch(*run, posts, {}, {}));
  s->reset();
  auto index = CountryIndex::load(kBundled);
  ASSERT_TRUE(index);
  AnalyseOptions options;
  options.min_count = 0;
  auto r = analyse_store(db, options, *index);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->placement.placed, 4u);
  EXPECT_EQ(r->placement.by_toponym, 1u);
  EXPECT_EQ(r->placement.by_user, 1u);
  EXPECT_EQ(r->placement.by_place, 1u);  // by its ISO code: the point is at sea for 1:110m
  EXPECT_EQ(r->placement.by_geotag, 1u);
  EXPECT_EQ(r->placement.no_coordinates, 1u);
  EXPECT_NEAR(r->placement.confidence_sum, 0.8 + 0.4 + 0.9 + 1.0, 1e-9);
  const GroupRow* npl = find_row(r->countries, "NPL");
  ASSERT_NE(npl, nullptr);
  EXPECT_EQ(npl->counts.posts, 2u);
  ASSERT_NE(find_row(r->countries, "FRA"), nullptr);
  EXPECT_EQ(find_row(r->countries, "FRA")->counts.posts, 2u);  // g1 + the coastal post
  const GroupRow* bagmati = find_row(r->admin1, "NP/Bagmati Province");
  ASSERT_NE(bagmati, nullptr);
  EXPECT_EQ(bagmati->iso_a2, "NP");
  EXPECT_EQ(bagmati->name, "Bagmati Province");
  EXPECT_EQ(bagmati->counts.requests(), 1u);
  EXPECT_EQ(bagmati->counts.offers(), 1u);
  EXPECT_EQ(find_row(r->cities, "NP/Kathmandu")->counts.posts, 2u);
  EXPECT_EQ(find_row(r->cities, "FR/Nice")->counts.posts, 1u);
  EXPECT_EQ(r->cities.size(), 2u);  // g1 and n1 have no resolved city
  const std::string hxl = rows_csv(r->admin1, "admin1", true, true);
  EXPECT_NE(hxl.find("#adm1+code,#country+code+iso2,#adm1+name,"), std::string::npos) << hxl;
}

TEST(AnalyseStoreErrors, MissingNotCremaAndBadShapes) {
  ScratchDir dir;
  auto index = CountryIndex::load(kBundled);
  ASSERT_TRUE(index);
  auto missing = analyse_store(dir.file("none.sqlite"), {}, *index);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(write_file_atomic(dir.file("text.sqlite"), "this is not a database at all, just some text"));
  auto text = analyse_store(dir.file("text.sqlite"), {}, *index);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, ErrorCode::kCorrupt) << text.error().message;

  AnalyseOptions bad_shapes;
  bad_shapes.countries_path = dir.file("text.sqlite");
  auto shapes = analyse_store(dir.file("whatever.sqlite"), bad_shapes);
  ASSERT_FALSE(shapes);
  EXPECT_EQ(shapes.error().code, ErrorCode::kParseError);
}

TEST(AnalyseStoreErrors, EmptyStoreGivesEmptyReport) {
  ScratchDir dir;
  {
    auto s = store::Store::open(dir.file("empty.sqlite"));
    ASSERT_TRUE(s);
  }
  auto index = CountryIndex::load(kBundled);
  ASSERT_TRUE(index);
  auto report = analyse_store(dir.file("empty.sqlite"), {}, *index);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->total.posts, 0u);
  EXPECT_TRUE(report->countries.empty());
  EXPECT_FALSE(report->first_ms.has_value());
  EXPECT_NE(report_json(*report).find("\"first_created_at\":null"), std::string::npos);
}

}  // namespace
}  // namespace crema::analyse
