// End-to-end tests of the crema binary: counts, a known match, rejects, idempotence,
// resume after kill -9, exit codes.
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "cli.h"

namespace {

namespace fs = std::filesystem;
using namespace crema_e2e;

const std::string kPosts = std::string(CREMA_TESTDATA_DIR) + "/e2e/posts.jsonl";

uint64_t get_u64(simdjson::dom::element e, const char* key) {
  uint64_t v = 0;
  EXPECT_EQ(e[key].get(v), simdjson::SUCCESS) << key;
  return v;
}

TEST(CremaRun, CountsRejectsAndKnownMatch) {
  const std::string out = temp_dir("run");
  const CliResult r = run_crema({"--json", "run", "--in", kPosts, "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  simdjson::dom::parser parser;
  simdjson::dom::element summary;
  ASSERT_EQ(parser.parse(r.out).get(summary), simdjson::SUCCESS) << r.out;
  EXPECT_EQ(get_u64(summary, "read"), 15U);      // 15 non-blank lines
  EXPECT_EQ(get_u64(summary, "rejected"), 4U);   // bad json, no text, bad time, bad lat
  EXPECT_EQ(get_u64(summary, "inserted"), 10U);  // r1 appears twice
  EXPECT_EQ(get_u64(summary, "existing"), 1U);
  EXPECT_EQ(get_u64(summary, "duplicates"), 1U);  // u3 near-duplicates u1
  EXPECT_GE(get_u64(summary, "requests"), 3U);    // r1, r2, r3 are given as requests
  EXPECT_GE(get_u64(summary, "offers"), 4U);

  // rejects.jsonl names line and reason for each bad record.
  const auto rejects = lines_of(out + "/rejects.jsonl");
  ASSERT_EQ(rejects.size(), 4U);
  EXPECT_NE(rejects[0].find("\"line\":13"), std::string::npos) << rejects[0];
  for (const auto& line : rejects) EXPECT_NE(line.find("\"reason\""), std::string::npos);

  // The known match: r1's best offer is o1 (near in text, time and space); o3 is 90 km away.
  bool found_r1 = false;
  for (const auto& line : lines_of(out + "/matches.jsonl")) {
    simdjson::dom::element m;
    ASSERT_EQ(parser.parse(line).get(m), simdjson::SUCCESS) << line;
    std::string_view request_id;
    ASSERT_EQ(m["request_id"].get(request_id), simdjson::SUCCESS);
    simdjson::dom::array offers;
    ASSERT_EQ(m["offers"].get(offers), simdjson::SUCCESS);
    for (auto offer : offers) {
      std::string_view offer_id;
      ASSERT_EQ(offer["id"].get(offer_id), simdjson::SUCCESS);
      EXPECT_NE(offer_id, "o3") << "o3 is outside δ_distance";
    }
    if (request_id == "r1") {
      found_r1 = true;
      ASSERT_GE(offers.size(), 1U);
      std::string_view best;
      ASSERT_EQ(offers.at(0)["id"].get(best), simdjson::SUCCESS);
      EXPECT_EQ(best, "o1");
    }
    EXPECT_NE(request_id, "r3") << "r3 has no coordinates and --allow-unlocated was not given";
  }
  EXPECT_TRUE(found_r1);

  // The store agrees with the summary.
  const std::string db = out + "/crema.sqlite";
  EXPECT_EQ(sql_count(db, "SELECT count(*) FROM posts"), 10);
  EXPECT_EQ(sql_count(db, "SELECT count(*) FROM rejects"), 4);
  EXPECT_TRUE(fs::exists(out + "/posts.jsonl"));
  EXPECT_TRUE(fs::exists(out + "/posts.csv"));
  EXPECT_TRUE(fs::exists(out + "/matches.csv"));

  // Running the same input again adds nothing.
  const CliResult again = run_crema({"--json", "run", "--in", kPosts, "--out", out});
  ASSERT_EQ(again.exit_code, 0) << again.out;
  simdjson::dom::element summary2;
  ASSERT_EQ(parser.parse(again.out).get(summary2), simdjson::SUCCESS);
  EXPECT_EQ(get_u64(summary2, "inserted"), 0U);
  EXPECT_EQ(sql_count(db, "SELECT count(*) FROM posts"), 10);
  fs::remove_all(out);
}

TEST(CremaRun, ResumeAfterKillLosesNothing) {
  const std::string dir = temp_dir("resume");
  const std::string input = dir + "/many.jsonl";
  constexpr int kPostsCount = 60000;
  {
    std::ofstream f(input);
    for (int i = 0; i < kPostsCount; ++i) {
      f << R"({"id":"p)" << i << R"(","text":"post number )" << i
        << R"( we need water and food near the bridge","created_at":"2025-02-08T08:00:00Z","lat":-33.6,"lon":150.8})"
        << "\n";
    }
  }
  const std::string out = dir + "/out";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execl(CREMA_BIN, CREMA_BIN, "--quiet", "--threads", "1", "run", "--in", input.c_str(), "--out", out.c_str(),
            "--batch", "500", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Kill it once some, but not all, batches have committed.
  const std::string db = out + "/crema.sqlite";
  int64_t committed = 0;
  for (int i = 0; i < 600 && committed < 1000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (fs::exists(db)) committed = sql_count(db, "SELECT count(*) FROM posts");
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  const int64_t before = sql_count(db, "SELECT count(*) FROM posts");
  ASSERT_GT(before, 0);
  ASSERT_LT(before, kPostsCount) << "the run finished before it could be killed; make the input larger";
  EXPECT_EQ(before % 500, 0) << "only whole batches are committed";

  const CliResult r = run_crema({"--json", "--threads", "1", "run", "--in", input, "--out", out, "--resume"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  simdjson::dom::parser parser;
  simdjson::dom::element summary;
  ASSERT_EQ(parser.parse(r.out).get(summary), simdjson::SUCCESS) << r.out;
  EXPECT_EQ(get_u64(summary, "inserted"), static_cast<uint64_t>(kPostsCount - before));
  EXPECT_EQ(get_u64(summary, "existing"), 0U) << "resume must restart after the checkpoint";
  EXPECT_EQ(sql_count(db, "SELECT count(*) FROM posts"), kPostsCount);
  EXPECT_EQ(sql_count(db, "SELECT count(DISTINCT id) FROM posts"), kPostsCount);
  fs::remove_all(dir);
}

TEST(CremaCli, ExitCodes) {
  EXPECT_EQ(run_crema({"--help"}).exit_code, 0);
  EXPECT_EQ(run_crema({"run", "--help"}).exit_code, 0);
  EXPECT_EQ(run_crema({}).exit_code, 2);
  EXPECT_EQ(run_crema({"run"}).exit_code, 2);                                      // --in/--out missing
  EXPECT_EQ(run_crema({"no-such-command"}).exit_code, 2);
  EXPECT_EQ(run_crema({"match", "--in", kPosts, "--out", "/tmp/x.jsonl", "--delta-time", "soon"}).exit_code, 2);
  EXPECT_EQ(run_crema({"run", "--in", "/nonexistent/file.jsonl", "--out", temp_dir("missing")}).exit_code, 1);
}

TEST(CremaClassify, OneLinePerPost) {
  const std::string dir = temp_dir("classify");
  const CliResult r = run_crema({"--quiet", "classify", "--in", kPosts, "--out", dir + "/labels.jsonl"});
  ASSERT_EQ(r.exit_code, 0);
  const auto lines = lines_of(dir + "/labels.jsonl");
  EXPECT_EQ(lines.size(), 11U);  // every valid record, including the repeated id
  simdjson::dom::parser parser;
  for (const auto& line : lines) {
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(line).get(e), simdjson::SUCCESS) << line;
    double sum = 0;
    for (const char* k : {"request", "offer", "request_and_offer", "irrelevant"}) {
      double p = -1;
      ASSERT_EQ(e["probs"][k].get(p), simdjson::SUCCESS) << line;
      EXPECT_GE(p, 0.0);
      sum += p;
    }
    EXPECT_NEAR(sum, 1.0, 1e-3) << line;
  }
  // bad json, no text, bad time (an unparseable time is an error even when none is required), bad lat
  EXPECT_EQ(lines_of(dir + "/labels.jsonl.rejects.jsonl").size(), 4U);
  fs::remove_all(dir);
}

TEST(CremaMatch, UsesGivenKinds) {
  const std::string dir = temp_dir("match");
  const CliResult r =
      run_crema({"--quiet", "match", "--in", kPosts, "--out", dir + "/m.jsonl", "--top", "2", "--method", "tts"});
  ASSERT_EQ(r.exit_code, 0);
  const std::string text = read_text(dir + "/m.jsonl");
  EXPECT_NE(text.find(R"({"request_id":"r2","offers":[{"id":"o4")"), std::string::npos) << text;
  fs::remove_all(dir);
}

}  // namespace
