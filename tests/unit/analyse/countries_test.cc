#include "crema/analyse/countries.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <string>

#include "crema/common/file_io.h"

namespace crema::analyse {
namespace {

const std::string kBundled = std::string(CREMA_SOURCE_DIR) + "/data/geo/ne_110m_admin_0_countries.geojson";
const std::string kSquares = std::string(CREMA_TESTDATA_DIR) + "/analyse/squares.geojson";

class WorldTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = CountryIndex::load(kBundled);
    ASSERT_TRUE(loaded) << loaded.error().message;
    world_ = std::make_unique<CountryIndex>(std::move(*loaded));
  }
  static void TearDownTestSuite() { world_.reset(); }

  // ISO alpha-2 of the country at (lat, lon), or "unplaced".
  static std::string iso_at(double lat, double lon) {
    const int c = world_->lookup(lat, lon);
    EXPECT_EQ(c, world_->lookup_brute_force(lat, lon)) << lat << "," << lon;
    if (c == CountryIndex::kUnplaced) return "unplaced";
    return world_->countries()[static_cast<size_t>(c)].iso_a2;
  }
  static std::unique_ptr<CountryIndex> world_;
};
std::unique_ptr<CountryIndex> WorldTest::world_;

TEST_F(WorldTest, LoadsAllNaturalEarthFeatures) {
  EXPECT_EQ(world_->countries().size(), 177u);
  EXPECT_GT(world_->num_vertices(), 10000u);
  // Russia and Fiji reach ±180° but are split there in Natural Earth: no copies needed,
  // so polygons = 148 + the MultiPolygons' parts.
  EXPECT_GE(world_->num_polygons(), 177u);
  const int fra = world_->find("FRA");
  ASSERT_NE(fra, CountryIndex::kUnplaced);
  EXPECT_EQ(world_->countries()[static_cast<size_t>(fra)].iso_a2, "FR");
  EXPECT_EQ(world_->countries()[static_cast<size_t>(fra)].name, "France");
  EXPECT_EQ(world_->find("XXX"), CountryIndex::kUnplaced);
  EXPECT_GT(world_->direct_cell_fraction(), 0.5);
}

TEST_F(WorldTest, KnownCities) {
  EXPECT_EQ(iso_at(-33.80, 151.00), "AU");  // Sydney (Parramatta; the 110m coast is coarse)
  EXPECT_EQ(iso_at(48.8566, 2.3522), "FR");  // Paris
  EXPECT_EQ(iso_at(18.54, -72.30), "HT");    // Port-au-Prince
  EXPECT_EQ(iso_at(-29.5, 28.2), "LS");      // Lesotho, a hole in South Africa
  EXPECT_EQ(iso_at(-26.2, 28.0), "ZA");      // Johannesburg
  EXPECT_EQ(iso_at(30.0, -40.0), "unplaced");  // mid-Atlantic
  EXPECT_EQ(iso_at(0.0, -160.0), "unplaced");  // mid-Pacific
  EXPECT_EQ(iso_at(27.7, 85.3), "NP");       // Kathmandu
  EXPECT_EQ(iso_at(40.71, -74.0), "US");     // New York
  EXPECT_EQ(iso_at(-85.0, 0.0), "AQ");       // Antarctica
  EXPECT_EQ(iso_at(-20.2, 57.5), "unplaced");  // Mauritius: too small for 1:110m
}

TEST_F(WorldTest, AntimeridianCountries) {
  EXPECT_EQ(iso_at(66.0, 175.0), "RU");   // Chukotka west of 180°
  EXPECT_EQ(iso_at(66.0, -175.0), "RU");  // Chukotka east of 180°
  EXPECT_EQ(iso_at(-17.8, 178.0), "FJ");  // Viti Levu
  EXPECT_EQ(iso_at(-16.5, 179.5), "FJ");  // Vanua Levu, west of 180°
  EXPECT_EQ(iso_at(-16.3, -179.9), "FJ");     // Vanua Levu's tip east of 180°
}

TEST_F(WorldTest, RejectsUnusableCoordinates) {
  EXPECT_EQ(world_->lookup(91, 0), CountryIndex::kUnplaced);
  EXPECT_EQ(world_->lookup(0, 181), CountryIndex::kUnplaced);
  EXPECT_EQ(world_->lookup(std::nan(""), 2), CountryIndex::kUnplaced);
  EXPECT_EQ(world_->lookup(48.8, INFINITY), CountryIndex::kUnplaced);
}

// Property: the grid gives the brute-force answer everywhere, for random points, for points
// on cell edges (multiples of the cell size) and on polygon vertices.
TEST_F(WorldTest, GridEqualsBruteForce) {
  std::mt19937_64 rng(20240917);
  std::uniform_real_distribution<double> lat(-90, 90), lon(-180, 180);
  int placed = 0;
  for (int i = 0; i < 10000; ++i) {
    const double y = lat(rng), x = lon(rng);
    const int grid = world_->lookup(y, x);
    ASSERT_EQ(grid, world_->lookup_brute_force(y, x)) << y << "," << x;
    placed += grid != CountryIndex::kUnplaced;
  }
  EXPECT_GT(placed, 2000);  // ~29 % of the sphere's lon/lat rectangle is land (incl. Antarctica)
  EXPECT_LT(placed, 5000);
  std::uniform_int_distribution<int> cy(-180, 180), cx(-360, 360);
  for (int i = 0; i < 5000; ++i) {
    const double y = cy(rng) * 0.5, x = cx(rng) * 0.5;
    ASSERT_EQ(world_->lookup(y, x), world_->lookup_brute_force(y, x)) << y << "," << x;
  }
}

TEST(CountryIndexGrid, AnyCellSizeEqualsBruteForce) {
  auto text = read_file(kBundled);
  ASSERT_TRUE(text);
  for (double cell : {0.25, 1.0, 7.0, 90.0}) {
    CountryIndexOptions options;
    options.cell_degrees = cell;
    auto index = CountryIndex::parse_geojson(*text, "bundled", options);
    ASSERT_TRUE(index) << index.error().message;
    std::mt19937_64 rng(static_cast<uint64_t>(cell * 1000));
    std::uniform_real_distribution<double> lat(-90, 90), lon(-180, 180);
    for (int i = 0; i < 2000; ++i) {
      const double y = lat(rng), x = lon(rng);
      ASSERT_EQ(index->lookup(y, x), index->lookup_brute_force(y, x)) << cell << ": " << y << "," << x;
    }
  }
}

class SquaresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = CountryIndex::load(kSquares);
    ASSERT_TRUE(loaded) << loaded.error().message;
    index_ = std::make_unique<CountryIndex>(std::move(*loaded));
  }
  std::string a3_at(double lat, double lon) const {
    const int c = index_->lookup(lat, lon);
    EXPECT_EQ(c, index_->lookup_brute_force(lat, lon));
    return c == CountryIndex::kUnplaced ? "-" : index_->countries()[static_cast<size_t>(c)].a3;
  }
  std::unique_ptr<CountryIndex> index_;
};

TEST_F(SquaresTest, HolesAndIslands) {
  EXPECT_EQ(a3_at(2, 2), "OUT");
  EXPECT_EQ(a3_at(4.2, 4.2), "-");    // in the hole, outside the inner country
  EXPECT_EQ(a3_at(5, 5), "INN");      // the country filling part of the hole
  EXPECT_EQ(a3_at(20.5, 20.5), "ISL");
  EXPECT_EQ(a3_at(-29.5, 30.5), "ISL");
  EXPECT_EQ(a3_at(25, 25), "-");
  EXPECT_EQ(index_->countries()[2].iso_a2, "");  // "-99" means none
  EXPECT_EQ(index_->countries()[3].iso_a2, "");  // absent
}

TEST_F(SquaresTest, RingCrossingTheAntimeridianIsUnwrapped) {
  EXPECT_EQ(a3_at(0, 175), "AMX");
  EXPECT_EQ(a3_at(0, -175), "AMX");
  EXPECT_EQ(a3_at(0, 180), "AMX");
  EXPECT_EQ(a3_at(0, -180), "AMX");
  EXPECT_EQ(a3_at(0, 165), "-");
  EXPECT_EQ(a3_at(0, -165), "-");
  EXPECT_EQ(a3_at(15, 178), "-");
  EXPECT_EQ(a3_at(-5, 0), "-");
  EXPECT_EQ(index_->num_polygons(), 6u);  // 1 + 1 + 2 + AMX and its copy
}

// Errors: each hostile or broken input gives a clear error, never a crash.
struct BadCase {
  const char* name;
  std::string json;
  ErrorCode code;
  const char* message_part;
};

std::string feature(const std::string& props, const std::string& geometry) {
  return R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":)" + props +
         R"(,"geometry":)" + geometry + "}]}";
}
const std::string kProps = R"({"ADM0_A3":"AAA"})";
const std::string kSquare = R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]})";

TEST(CountryIndexErrors, BadInputsNameTheProblem) {
  const std::vector<BadCase> cases = {
      {"empty", "", ErrorCode::kParseError, "not valid JSON"},
      {"not json", "hello", ErrorCode::kParseError, "not valid JSON"},
      {"truncated", feature(kProps, kSquare).substr(0, 80), ErrorCode::kParseError, "not valid JSON"},
      {"array", "[]", ErrorCode::kCorrupt, "not a GeoJSON FeatureCollection"},
      {"wrong type", R"({"type":"Feature","features":[]})", ErrorCode::kCorrupt, "FeatureCollection"},
      {"no features", R"({"type":"FeatureCollection"})", ErrorCode::kCorrupt, "\"features\""},
      {"zero features", R"({"type":"FeatureCollection","features":[]})", ErrorCode::kCorrupt, "no features"},
      {"no key", feature(R"({"NAME":"x"})", kSquare), ErrorCode::kCorrupt, "feature 0: property ADM0_A3"},
      {"point", feature(kProps, R"({"type":"Point","coordinates":[0,0]})"), ErrorCode::kCorrupt,
       "\"Point\" is not Polygon"},
      {"null geometry", feature(kProps, "null"), ErrorCode::kCorrupt, "geometry is missing"},
      {"short ring", feature(kProps, R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]})"),
       ErrorCode::kCorrupt, "fewer than 4 positions"},
      {"open ring", feature(kProps, R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]})"),
       ErrorCode::kCorrupt, "not closed"},
      {"lat 95", feature(kProps, R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,95],[0,0]]]})"),
       ErrorCode::kCorrupt, "out of range"},
      {"string coord", feature(kProps, R"({"type":"Polygon","coordinates":[[[0,0],["1",0],[1,1],[0,0]]]})"),
       ErrorCode::kCorrupt, "not a number"},
      {"no rings", feature(kProps, R"({"type":"Polygon","coordinates":[]})"), ErrorCode::kCorrupt, "no rings"},
      {"no polygons", feature(kProps, R"({"type":"MultiPolygon","coordinates":[]})"), ErrorCode::kCorrupt,
       "no polygons"},
      {"pole", feature(kProps,
                       R"({"type":"Polygon","coordinates":[[[-120,80],[0,80],[120,80],[-120,80]]]})"),
       ErrorCode::kCorrupt, "winds around a pole"},
      {"duplicate key",
       R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"ADM0_A3":"AAA"},"geometry":)" +
           kSquare + R"(},{"type":"Feature","properties":{"ADM0_A3":"AAA"},"geometry":)" + kSquare + "}]}",
       ErrorCode::kCorrupt, "feature 1: duplicate ADM0_A3"},
  };
  for (const auto& c : cases) {
    auto index = CountryIndex::parse_geojson(c.json, "in.geojson");
    ASSERT_FALSE(index) << c.name;
    EXPECT_EQ(index.error().code, c.code) << c.name << ": " << index.error().message;
    EXPECT_NE(index.error().message.find(c.message_part), std::string::npos) << c.name << ": " << index.error().message;
    EXPECT_NE(index.error().message.find("in.geojson"), std::string::npos) << c.name;
  }
}

TEST(CountryIndexErrors, TruncatedBundledFile) {
  auto text = read_file(kBundled);
  ASSERT_TRUE(text);
  for (size_t cut : {size_t{1}, text->size() / 3, text->size() - 3}) {
    auto index = CountryIndex::parse_geojson(text->substr(0, cut), "cut");
    ASSERT_FALSE(index) << cut;
    EXPECT_EQ(index.error().code, ErrorCode::kParseError) << index.error().message;
  }
}

TEST(CountryIndexErrors, LimitsAndOptions) {
  CountryIndexOptions small;
  small.max_bytes = 10;
  auto a = CountryIndex::parse_geojson(feature(kProps, kSquare), "x", small);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kInvalidArgument);
  CountryIndexOptions few;
  few.max_vertices = 3;
  auto b = CountryIndex::parse_geojson(feature(kProps, kSquare), "x", few);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("vertices"), std::string::npos);
  CountryIndexOptions bad_cell;
  bad_cell.cell_degrees = 0;
  EXPECT_FALSE(CountryIndex::parse_geojson(feature(kProps, kSquare), "x", bad_cell));
  auto missing = CountryIndex::load("/nonexistent/countries.geojson");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace crema::analyse
