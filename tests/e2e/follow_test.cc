// End-to-end tests of `crema match --follow`: every record of the stream is stored, rejected
// or reported as a duplicate; events come out as JSONL with the ids the store gave them; the
// matches do not depend on the batch size or on a restart between two parts of the stream
// (submit() pipelines each batch's commit with the next batch).
#include <sqlite3.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "cli.h"

namespace {

using namespace crema_e2e;

const std::string kPosts = std::string(CREMA_TESTDATA_DIR) + "/e2e/posts.jsonl";

// Every match row, ordered, as text (scores rounded so the comparison is about the ranking).
std::string matches_table(const std::string& db_path) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return "cannot open " + db_path;
  }
  sqlite3_stmt* stmt = nullptr;
  const char* sql = "SELECT request_id, rank, offer_id, printf('%.6f', score) FROM matches ORDER BY 1, 2";
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      for (int c = 0; c < 4; ++c) {
        out += reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
        out += c == 3 ? '\n' : ' ';
      }
    }
  } else {
    out = sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

CliResult follow(const std::string& db, const std::string& in, const std::string& batch_size) {
  return run_crema({"--quiet", "match", "--follow", "--db", db, "--in", in, "--until-eof", "--batch-size", batch_size,
                    "--poll-ms", "20"});
}

TEST(FollowCli, EveryRecordIsAccountedForAndEventsAreJsonl) {
  const std::string dir = temp_dir("follow");
  const std::string db = dir + "/live.db";
  const CliResult r = follow(db, kPosts, "2");
  ASSERT_EQ(r.exit_code, 0) << r.out;

  simdjson::dom::parser parser;
  std::set<int64_t> ids;
  std::set<std::string> requests_announced;
  for (const std::string& line : split_lines(r.out)) {
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(line).get(e), simdjson::SUCCESS) << line;
    int64_t id = 0;
    ASSERT_EQ(e["id"].get(id), simdjson::SUCCESS) << line;
    EXPECT_TRUE(ids.insert(id).second) << "event id repeated: " << line;
    std::string_view type;
    ASSERT_EQ(e["type"].get(type), simdjson::SUCCESS) << line;
    std::string_view request_id;
    if (type == "new_request" && e["request_id"].get(request_id) == simdjson::SUCCESS) {
      requests_announced.insert(std::string(request_id));
    }
  }
  // Each event printed is one the store holds, and none is held back at the end.
  EXPECT_EQ(static_cast<int64_t>(ids.size()), sql_count(db, "SELECT count(*) FROM events"));
  EXPECT_TRUE(requests_announced.contains("r1")) << r.out;
  EXPECT_TRUE(requests_announced.contains("r2")) << r.out;

  // 15 records: 10 stored (u3 as a near-duplicate of u1), r1 repeated, 4 malformed.
  EXPECT_EQ(sql_count(db, "SELECT count(*) FROM posts"), 10);
  EXPECT_EQ(sql_count(db, "SELECT count(*) FROM rejects"), 4);
  // r1's best offer is o1 (o3 has the words but is 90 km away).
  EXPECT_EQ(sql_count(db, "SELECT count(*) FROM matches WHERE request_id = 'r1' AND rank = 1 AND offer_id = 'o1'"), 1);
  EXPECT_EQ(sql_count(db, "SELECT count(*) FROM matches WHERE offer_id = 'o3'"), 0);
}

TEST(FollowCli, BatchSizeAndRestartsDoNotChangeTheMatches) {
  const std::string dir = temp_dir("follow_batches");
  ASSERT_EQ(follow(dir + "/one.db", kPosts, "1").exit_code, 0);
  ASSERT_EQ(follow(dir + "/all.db", kPosts, "1000").exit_code, 0);
  const std::string reference = matches_table(dir + "/one.db");
  EXPECT_NE(reference.find("r1 1 o1"), std::string::npos) << reference;
  EXPECT_EQ(matches_table(dir + "/all.db"), reference);

  // The same stream in two files, with a restart (state rebuilt from the store) between them.
  const std::vector<std::string> lines = lines_of(kPosts);
  ASSERT_GT(lines.size(), 6U);
  std::ofstream(dir + "/first.jsonl") << [&] {
    std::string s;
    for (size_t i = 0; i < 6; ++i) s += lines[i] + "\n";
    return s;
  }();
  std::ofstream(dir + "/second.jsonl") << [&] {
    std::string s;
    for (size_t i = 6; i < lines.size(); ++i) s += lines[i] + "\n";
    return s;
  }();
  ASSERT_EQ(follow(dir + "/split.db", dir + "/first.jsonl", "3").exit_code, 0);
  ASSERT_EQ(follow(dir + "/split.db", dir + "/second.jsonl", "3").exit_code, 0);
  EXPECT_EQ(matches_table(dir + "/split.db"), reference);
  EXPECT_EQ(sql_count(dir + "/split.db", "SELECT count(*) FROM posts"), 10);
}

TEST(FollowCli, FlagsThatNeedFollowAreUsageErrors) {
  EXPECT_EQ(run_crema({"match", "--follow", "--in", kPosts}).exit_code, 2);  // no --db
  EXPECT_EQ(run_crema({"match", "--in", kPosts, "--out", "/tmp/x.jsonl", "--until-eof"}).exit_code, 2);
  EXPECT_EQ(run_crema({"match", "--follow", "--db", "/tmp/x.db", "--in", kPosts, "--batch-size", "0"}).exit_code, 2);
}

}  // namespace
