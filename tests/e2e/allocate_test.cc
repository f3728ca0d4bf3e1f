// End-to-end test of `crema allocate`: run the pipeline on posts with quantities, allocate,
// and check the files against the capacities and needs stated in the posts.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "cli.h"

namespace {

namespace fs = std::filesystem;
using namespace crema_e2e;

class CremaAllocate : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir("allocate");
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const CliResult run = run_crema({"--quiet", "--threads", "1", "run", "--in",
                           std::string(CREMA_TESTDATA_DIR) + "/e2e/allocate_posts.jsonl", "--out", dir_ + "/run"});
    ASSERT_EQ(run.exit_code, 0);
    db_ = dir_ + "/run/crema.sqlite";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_, db_;
};

TEST_F(CremaAllocate, SharesTentsWithinCapacityAndReportsUnmet) {
  const std::string out = dir_ + "/alloc";
  const CliResult r = run_crema({"--json", "allocate", "--db", db_, "--out", out, "--compare"});
  ASSERT_EQ(r.exit_code, 0) << r.out;

  simdjson::dom::parser parser;
  simdjson::dom::element summary;
  ASSERT_EQ(parser.parse(r.out).get(summary), simdjson::SUCCESS) << r.out;
  EXPECT_EQ(summary["requests_with_amounts"].get_uint64().value(), 3u);
  EXPECT_EQ(summary["offers_with_amounts"].get_uint64().value(), 3u);

  // 500 + 100 tents asked, 200 + 150 offered: every offered tent goes out.
  std::map<std::string, double> from_offer, to_request;
  const auto lines = lines_of(out + "/allocations.jsonl");
  ASSERT_FALSE(lines.empty());
  simdjson::dom::parser line_parser;
  for (const auto& line : lines) {
    simdjson::dom::element a;
    ASSERT_EQ(line_parser.parse(line).get(a), simdjson::SUCCESS) << line;
    EXPECT_EQ(std::string(a["resource"].get_string().value()), "shelter") << line;
    EXPECT_EQ(std::string(a["unit"].get_string().value()), "count") << line;
    const double amount = a["amount"].get_double().value();
    EXPECT_GT(amount, 0);
    const double score = a["score"].get_double().value();
    EXPECT_GT(score, 0);
    EXPECT_LE(score, 1);
    from_offer[std::string(a["offer_id"].get_string().value())] += amount;
    to_request[std::string(a["request_id"].get_string().value())] += amount;
  }
  EXPECT_DOUBLE_EQ(from_offer["oa"], 200);
  EXPECT_DOUBLE_EQ(from_offer["ob"], 150);
  EXPECT_EQ(from_offer.count("oc"), 0u);  // rice in kg serves no tents and no water
  EXPECT_LE(to_request["ra"], 500);
  EXPECT_LE(to_request["rb"], 100);
  EXPECT_DOUBLE_EQ(to_request["ra"] + to_request["rb"], 350);
  EXPECT_EQ(lines_of(out + "/allocations.csv").size(), lines.size() + 1);

  // Unmet: the 250 tents left over and all 200 litres of water.
  const auto unmet = lines_of(out + "/unmet.csv");
  ASSERT_GE(unmet.size(), 2u);
  EXPECT_EQ(unmet[0], "request_id,resource,unit,need,served,remainder");
  double tents_left = 0;
  bool water = false;
  for (size_t i = 1; i < unmet.size(); ++i) {
    if (unmet[i].rfind("rc,water,l,200,0,200", 0) == 0) water = true;
    if (unmet[i].find(",shelter,count,") != std::string::npos) {
      tents_left += std::stod(unmet[i].substr(unmet[i].rfind(',') + 1));
    }
  }
  EXPECT_TRUE(water);
  EXPECT_DOUBLE_EQ(tents_left, 250);

  const auto result = summary["result"];
  const auto greedy = summary["greedy"];
  EXPECT_DOUBLE_EQ(result["served"].get_double().value(), 350);
  EXPECT_GE(result["weighted"].get_double().value() + 1e-9, greedy["weighted"].get_double().value());
}

TEST_F(CremaAllocate, GreedyRunsAndBadFlagsAreUsageErrors) {
  EXPECT_EQ(run_crema({"--quiet", "allocate", "--db", db_, "--out", dir_ + "/g", "--greedy"}).exit_code, 0);
  EXPECT_TRUE(fs::exists(dir_ + "/g/unmet.csv"));
  EXPECT_EQ(run_crema({"--quiet", "allocate", "--db", db_, "--objective", "most"}).exit_code, 2);
  EXPECT_EQ(run_crema({"--quiet", "allocate", "--db", db_, "--unquantified", "maybe"}).exit_code, 2);
  EXPECT_EQ(run_crema({"--quiet", "allocate", "--db", db_, "--greedy", "--compare"}).exit_code, 2);
  EXPECT_EQ(run_crema({"--quiet", "allocate", "--db", dir_ + "/missing.sqlite"}).exit_code, 1);
  EXPECT_FALSE(fs::exists(dir_ + "/missing.sqlite"));
}

}  // namespace
