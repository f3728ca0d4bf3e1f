// End-to-end tests of `crema extract` and `crema eval extract`: malformed --region values are
// usage errors (exit 2) that name the problem, good ones run, and the JSONL carries resolved
// places and unresolved street names (docs/extraction.md, docs/geo.md).
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "cli.h"

namespace {

using namespace crema_e2e;

std::string write_posts(const std::string& dir) {
  const std::string path = dir + "/posts.jsonl";
  std::ofstream out(path, std::ios::binary);
  out << R"({"id":"1","text":"We need 500 tents and 2 trucks in Kathmandu, Nepal"})" << '\n'
      << R"({"id":"2","text":"nou bezwen dlo ak manje, adres la se rue Innovation"})" << '\n';
  return path;
}

const std::string& gold() {
  static const std::string g = std::string(CREMA_TESTDATA_DIR) + "/extraction_gold.jsonl";
  return g;
}

TEST(ExtractCli, MalformedRegionIsAUsageErrorThatSaysWhy) {
  const std::string dir = temp_dir("extract_region");
  const std::string in = write_posts(dir);
  struct Case {
    std::string region, says;
  };
  const std::vector<Case> cases = {{"XX", "ISO 3166-1"},           {"UK", "GB"},
                                   {"NPL", "ISO 3166"},           {"85,27,85", "4 numbers"},
                                   {"85,27,85,28", "min < max"},  {"85,27,86,28,1", "more than 4"},
                                   {"85,x,86,28", "minlon"},      {"-190,27,86,28", "[-180,180]"}};
  for (const auto& c : cases) {
    const CliResult r = run_crema({"extract", "--in", in, "--out", dir + "/out.jsonl", "--region", c.region}, Stderr::kCaptured);
    EXPECT_EQ(r.exit_code, 2) << c.region << ": " << r.out;
    EXPECT_NE(r.out.find(c.says), std::string::npos) << c.region << ": " << r.out;
    const CliResult e = run_crema({"eval", "extract", "--gold", gold(), "--region", c.region}, Stderr::kCaptured);
    EXPECT_EQ(e.exit_code, 2) << c.region << ": " << e.out;
    EXPECT_NE(e.out.find(c.says), std::string::npos) << c.region << ": " << e.out;
  }
}

TEST(ExtractCli, RegionsThatParseRunAndRecordsCarryPlacesAndStreets) {
  const std::string dir = temp_dir("extract_ok");
  const std::string in = write_posts(dir);
  for (const std::string region : {"np", "NP", "80,26,89,31"}) {
    const std::string out = dir + "/out.jsonl";
    const CliResult r = run_crema({"extract", "--in", in, "--out", out, "--region", region, "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << region;
    const auto lines = lines_of(out);
    ASSERT_EQ(lines.size(), 2u) << region;
    simdjson::dom::parser parser;
    simdjson::dom::element first, second;
    ASSERT_EQ(parser.parse(lines[0]).get(first), simdjson::SUCCESS);
    std::string_view country;
    ASSERT_EQ(first["geo"]["country"].get(country), simdjson::SUCCESS) << lines[0];
    EXPECT_EQ(country, "NP");
    std::string_view amount;
    ASSERT_EQ(first["quantities"].at(0)["amount"].get(amount), simdjson::SUCCESS) << lines[0];
    EXPECT_EQ(amount, "500");
    simdjson::dom::parser parser2;
    ASSERT_EQ(parser2.parse(lines[1]).get(second), simdjson::SUCCESS);
    // The street is a location without coordinates, and it places nothing.
    simdjson::dom::array locs;
    ASSERT_EQ(second["locations"].get(locs), simdjson::SUCCESS) << lines[1];
    ASSERT_EQ(locs.size(), 1u) << lines[1];
    std::string_view text;
    bool resolved = true;
    ASSERT_EQ(locs.at(0)["text"].get(text), simdjson::SUCCESS);
    EXPECT_EQ(text, "rue Innovation");
    ASSERT_EQ(locs.at(0)["resolved"].get(resolved), simdjson::SUCCESS);
    EXPECT_FALSE(resolved);
    EXPECT_TRUE(locs.at(0)["lat"].error() == simdjson::NO_SUCH_FIELD);
    EXPECT_TRUE(second["geo"].is_null()) << lines[1];
  }
}

TEST(ExtractCli, EvalExtractWithARegionRuns) {
  const CliResult r = run_crema({"eval", "extract", "--gold", gold(), "--split", "dev", "--region", "HT", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(r.out).get(doc), simdjson::SUCCESS) << r.out;
  double f1 = 0;
  ASSERT_EQ(doc["locations"]["f1"].get(f1), simdjson::SUCCESS) << r.out;
  EXPECT_GT(f1, 0.5);
}

}  // namespace

TEST(GazetteerCli, LocateMarksUnresolvedStreetsWithoutCoordinates) {
  const std::string dir = temp_dir("gazetteer_locate");
  const std::string in = dir + "/posts.jsonl";
  std::ofstream(in) << R"({"id":"a","text":"Need water at rue Innovation, Port-au-Prince","created_at":"2020-01-01T00:00:00Z"})"
                    << "\n";
  const CliResult r = run_crema({"gazetteer", "locate", "--in", in, "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(r.out).get(doc), simdjson::SUCCESS) << r.out;
  simdjson::dom::array locs;
  ASSERT_EQ(doc["locations"].get(locs), simdjson::SUCCESS) << r.out;
  ASSERT_EQ(locs.size(), 2u) << r.out;
  bool street_resolved = true, city_resolved = false;
  ASSERT_EQ(locs.at(0)["resolved"].get(street_resolved), simdjson::SUCCESS) << r.out;
  EXPECT_FALSE(street_resolved);
  EXPECT_TRUE(locs.at(0)["lat"].error() == simdjson::NO_SUCH_FIELD) << r.out;
  ASSERT_EQ(locs.at(1)["resolved"].get(city_resolved), simdjson::SUCCESS) << r.out;
  EXPECT_TRUE(city_resolved);
  std::string_view country;
  ASSERT_EQ(locs.at(1)["country"].get(country), simdjson::SUCCESS) << r.out;
  EXPECT_EQ(country, "HT");
}
