#include "crema/store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "store_test_util.h"

namespace crema::store {
namespace {

using testing::make_post;
using testing::open_or_die;
using testing::ScratchDir;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

// A raw single-value query on the file, bypassing the store.
std::string pragma(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string value;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return value;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_or_die(path_);
    ASSERT_NE(store_, nullptr);
    auto run = store_->begin_run({"crema run in.jsonl", {"in.jsonl"}, R"({"encoder":"test"})"});
    ASSERT_TRUE(run) << run.error().message;
    run_ = *run;
  }

  BatchCounts write(const std::vector<ProcessedPost>& posts, const std::vector<Store::Reject>& rejects = {},
                    Checkpoint checkpoint = {"in.jsonl", 100, 1}) {
    auto counts = store_->write_batch(run_, posts, rejects, checkpoint);
    EXPECT_TRUE(counts) << counts.error().message;
    return counts.value_or(BatchCounts{});
  }

  ScratchDir dir_;
  std::string path_ = dir_.file("crema.sqlite");
  std::unique_ptr<Store> store_;
  int64_t run_ = 0;
};

// --- schema ---

TEST_F(StoreTest, CreatesVersionedWalSchema) {
  EXPECT_EQ(store_->schema_version(), kSchemaVersion);
  store_.reset();
  EXPECT_EQ(pragma(path_, "PRAGMA application_id"), "1129467201");  // "CRMA"
  EXPECT_EQ(pragma(path_, "PRAGMA user_version"), std::to_string(kSchemaVersion));
  EXPECT_EQ(pragma(path_, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(pragma(path_, "PRAGMA page_size"), "8192");
  // 9 crema tables and SQLite's sqlite_sequence (events.id is AUTOINCREMENT).
  EXPECT_EQ(pragma(path_, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"), "10");
  auto reopened = Store::open(path_);
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_EQ((*reopened)->schema_version(), kSchemaVersion);
  EXPECT_TRUE((*reopened)->check_integrity());
}

TEST_F(StoreTest, RefusesEmptyPathAndMissingDirectory) {
  auto empty = Store::open("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
  auto missing = Store::open(dir_.file("no/such/dir/crema.sqlite"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kIoError);
  EXPECT_NE(missing.error().message.find("no/such/dir"), std::string::npos) << missing.error().message;
}

// --- posts ---

TEST_F(StoreTest, RoundTripsEveryField) {
  ProcessedPost full = make_post("tw:1", Label::kRequestAndOffer, 1539202764250);
  full.post.text = "Necesitamos agua 💧 في سان خوان, \"urgent\"\nline 2";
  full.post.lang = "es";
  full.post.geo = GeoPoint{18.465539, -66.105735};
  full.post.place = "San Juan, Puerto Rico";
  full.post.user = "@maría";
  full.post.kind = Label::kRequest;
  full.post.source = {"data/maria.jsonl", 42};
  full.normalized = "necesitamos agua في سان خوان urgent line 2";
  full.detected_lang = "es";
  full.duplicate_of = "tw:0";
  full.prefilter_pass = true;
  full.prefilter_rules = {3, 17};
  full.probs = {0.25f, 0.125f, 0.5f, 0.125f};
  full.label_from_input = true;
  full.resources = {"water", "shelter"};
  full.embedding.resize(100);
  for (size_t i = 0; i < full.embedding.size(); ++i) full.embedding[i] = static_cast<float>(i) * 0.01f - 0.3f;
  full.embedding[7] = std::numeric_limits<float>::denorm_min();
  full.embedding[8] = -0.0f;

  ProcessedPost bare = make_post("tw:2", Label::kIrrelevant, -1000, {});  // before the epoch, no vector
  bare.post.source = {};
  bare.detected_lang = "und";

  write({full, bare});
  store_.reset();
  store_ = open_or_die(path_);
  ASSERT_NE(store_, nullptr);

  auto got = store_->get_post("tw:1");
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_TRUE(got->has_value());
  const ProcessedPost& p = **got;
  EXPECT_EQ(p.post.id, full.post.id);
  EXPECT_EQ(p.post.text, full.post.text);
  EXPECT_EQ(p.post.created_at_ms, full.post.created_at_ms);
  EXPECT_EQ(p.post.lang, "es");
  ASSERT_TRUE(p.post.geo.has_value());
  EXPECT_EQ(p.post.geo->lat, 18.465539);
  EXPECT_EQ(p.post.geo->lon, -66.105735);
  EXPECT_EQ(p.post.place, full.post.place);
  EXPECT_EQ(p.post.user, full.post.user);
  EXPECT_EQ(p.post.kind, Label::kRequest);
  EXPECT_EQ(p.post.source.file, "data/maria.jsonl");
  EXPECT_EQ(p.post.source.line, 42u);
  EXPECT_EQ(p.normalized, full.normalized);
  EXPECT_EQ(p.detected_lang, "es");
  EXPECT_EQ(p.duplicate_of, std::optional<std::string>("tw:0"));
  EXPECT_EQ(p.prefilter_pass, std::optional<bool>(true));
  EXPECT_EQ(p.prefilter_rules, (std::vector<int>{3, 17}));
  EXPECT_EQ(p.label, Label::kRequestAndOffer);
  EXPECT_EQ(p.probs, full.probs);
  EXPECT_TRUE(p.label_from_input);
  EXPECT_EQ(p.resources, (std::vector<std::string>{"water", "shelter"}));
  ASSERT_EQ(p.embedding.size(), 100u);
  for (size_t i = 0; i < 100; ++i) {
    EXPECT_EQ(std::bit_cast<uint32_t>(p.embedding[i]), std::bit_cast<uint32_t>(full.embedding[i])) << i;
  }

  auto got_bare = store_->get_post("tw:2");
  ASSERT_TRUE(got_bare && got_bare->has_value());
  const ProcessedPost& b = **got_bare;
  EXPECT_EQ(b.post.created_at_ms, -1000);
  EXPECT_FALSE(b.post.geo.has_value());
  EXPECT_EQ(b.post.lang, "");
  EXPECT_EQ(b.post.place, "");
  EXPECT_EQ(b.post.user, "");
  EXPECT_EQ(b.post.kind, Label::kUnknown);
  EXPECT_EQ(b.post.source.file, "");
  EXPECT_EQ(b.post.source.line, 0u);
  EXPECT_EQ(b.detected_lang, "und");
  EXPECT_FALSE(b.duplicate_of.has_value());
  EXPECT_FALSE(b.prefilter_pass.has_value());
  EXPECT_TRUE(b.prefilter_rules.empty());
  EXPECT_EQ(b.label, Label::kIrrelevant);
  EXPECT_FALSE(b.label_from_input);
  EXPECT_TRUE(b.resources.empty());
  EXPECT_TRUE(b.embedding.empty());

  auto none = store_->get_post("tw:3");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST_F(StoreTest, ReinsertIsIdempotentById) {
  BatchCounts first = write({make_post("a", Label::kRequest), make_post("b", Label::kOffer)});
  EXPECT_EQ(first.inserted, 2u);
  EXPECT_EQ(first.existing, 0u);

  ProcessedPost changed = make_post("a", Label::kOffer);
  changed.post.text = "a different text";
  BatchCounts second = write({changed, make_post("c", Label::kRequest), make_post("c", Label::kRequest)});
  EXPECT_EQ(second.inserted, 1u);  // c once
  EXPECT_EQ(second.existing, 2u);  // a (stored before) and the repeated c

  auto a = store_->get_post("a");
  ASSERT_TRUE(a && a->has_value());
  EXPECT_EQ((*a)->post.text, "text of a");  // the first version stays
  EXPECT_EQ((*a)->label, Label::kRequest);
  EXPECT_EQ(store_->counts()->posts, 3u);
  EXPECT_EQ(*store_->has_post("c"), true);
  EXPECT_EQ(*store_->has_post("d"), false);
  const std::vector<std::string> ids = {"d", "a", "c", "", "a"};
  EXPECT_EQ(*store_->has_posts(ids), (std::vector<bool>{false, true, true, false, true}));
  EXPECT_EQ(*store_->has_posts({}), std::vector<bool>{});
  EXPECT_EQ(store_->load_for_matching(Label::kRequest)->size(), 2u);  // no second embedding for a
}

TEST_F(StoreTest, DuplicateLinkageSurvivesReopen) {
  ProcessedPost original = make_post("orig", Label::kRequest);
  ProcessedPost copy = make_post("copy", Label::kRequest);
  copy.duplicate_of = "orig";
  ProcessedPost later = make_post("later", Label::kOffer);
  write({original, copy});
  write({later});
  store_.reset();
  store_ = open_or_die(path_);
  ASSERT_NE(store_, nullptr);

  std::vector<std::pair<std::string, std::string>> seen;
  ASSERT_TRUE(store_->for_each_original([&](const std::string& id, const std::string& text) { seen.emplace_back(id, text); }));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::make_pair(std::string("orig"), std::string("text of orig")));
  EXPECT_EQ(seen[1].first, "later");
  EXPECT_EQ((*store_->get_post("copy"))->duplicate_of, std::optional<std::string>("orig"));
  EXPECT_EQ(store_->counts()->duplicates, 1u);
  auto requests = store_->load_for_matching(Label::kRequest);
  ASSERT_TRUE(requests);
  ASSERT_EQ(requests->size(), 1u);
  EXPECT_EQ((*requests)[0].id, "orig");
}

TEST_F(StoreTest, LoadForMatchingFiltersByLabelInInsertionOrder) {
  ProcessedPost r1 = make_post("r1", Label::kRequest, 1000, {1, 0, 0});
  r1.post.geo = GeoPoint{40.4168, -3.7038};
  ProcessedPost o1 = make_post("o1", Label::kOffer, 2000, {0, 1, 0});
  ProcessedPost both = make_post("ro", Label::kRequestAndOffer, 3000, {0, 0, 1});
  ProcessedPost irr = make_post("irr", Label::kIrrelevant, 4000);
  ProcessedPost unembedded = make_post("r-noemb", Label::kRequest, 5000, {});
  ProcessedPost dup = make_post("r-dup", Label::kRequest, 6000);
  dup.duplicate_of = "r1";
  ProcessedPost r2 = make_post("r2", Label::kRequest, 7000, {0.5f, 0.5f, 0});
  write({r1, o1, both, irr, unembedded, dup, r2});

  auto ids = [&](Label label) {
    std::vector<std::string> out;
    auto rows = store_->load_for_matching(label);
    EXPECT_TRUE(rows) << rows.error().message;
    for (const auto& row : rows.value_or(std::vector<MatchRow>{})) out.push_back(row.id);
    return out;
  };
  EXPECT_EQ(ids(Label::kRequest), (std::vector<std::string>{"r1", "ro", "r2"}));
  EXPECT_EQ(ids(Label::kOffer), (std::vector<std::string>{"o1", "ro"}));
  EXPECT_EQ(ids(Label::kRequestAndOffer), (std::vector<std::string>{"ro"}));
  EXPECT_EQ(ids(Label::kIrrelevant), (std::vector<std::string>{"irr"}));
  EXPECT_TRUE(ids(Label::kUnknown).empty());

  auto requests = store_->load_for_matching(Label::kRequest);
  ASSERT_TRUE(requests);
  const MatchRow& first = (*requests)[0];
  EXPECT_EQ(first.created_at_ms, 1000);
  ASSERT_TRUE(first.geo.has_value());
  EXPECT_EQ(first.geo->lat, 40.4168);
  EXPECT_EQ(first.geo->lon, -3.7038);
  EXPECT_EQ(first.embedding, (std::vector<float>{1, 0, 0}));
  EXPECT_FALSE((*requests)[1].geo.has_value());
}

// --- runs and checkpoints ---

TEST_F(StoreTest, RunsAndCheckpoints) {
  EXPECT_EQ(*store_->last_open_run(), std::optional<int64_t>(run_));
  EXPECT_TRUE(store_->checkpoints(run_)->empty());
  write({make_post("a", Label::kRequest)}, {}, {"one.jsonl", 120, 3});
  write({make_post("b", Label::kRequest)}, {}, {"two.jsonl", 50, 1});
  write({}, {}, {"one.jsonl", 300, 7});  // a batch of only skipped records still advances
  auto cps = store_->checkpoints(run_);
  ASSERT_TRUE(cps);
  ASSERT_EQ(cps->size(), 2u);
  EXPECT_EQ((*cps)[0].input, "one.jsonl");
  EXPECT_EQ((*cps)[0].offset, 300u);
  EXPECT_EQ((*cps)[0].line, 7u);
  EXPECT_EQ((*cps)[1].input, "two.jsonl");
  EXPECT_EQ((*cps)[1].offset, 50u);

  auto second = store_->begin_run({"crema run --resume", {"one.jsonl"}, ""});
  ASSERT_TRUE(second);
  EXPECT_GT(*second, run_);
  EXPECT_EQ(*store_->last_open_run(), std::optional<int64_t>(*second));
  EXPECT_TRUE(store_->checkpoints(*second)->empty());  // checkpoints are per run

  ASSERT_TRUE(store_->finish_run(*second, R"({"posts":2})"));
  EXPECT_EQ(*store_->last_open_run(), std::optional<int64_t>(run_));
  ASSERT_TRUE(store_->finish_run(run_, ""));
  EXPECT_EQ(*store_->last_open_run(), std::nullopt);

  auto again = store_->finish_run(run_, "{}");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidArgument);
  auto unknown = store_->finish_run(9999, "{}");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  auto bad_summary_run = store_->begin_run({"x", {}, "{}"});
  ASSERT_TRUE(bad_summary_run);
  EXPECT_FALSE(store_->finish_run(*bad_summary_run, "{not json"));
  EXPECT_FALSE(store_->begin_run({"x", {}, "not json"}));
}

TEST_F(StoreTest, RejectsBadBatchesWhole) {
  ProcessedPost nan_prob = make_post("bad", Label::kRequest);
  nan_prob.probs[1] = std::nanf("");
  auto r = store_->write_batch(run_, std::vector<ProcessedPost>{make_post("good", Label::kRequest), nan_prob}, {},
                               {"in.jsonl", 10, 1});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("'bad'"), std::string::npos) << r.error().message;

  ProcessedPost inf_vec = make_post("v", Label::kRequest);
  inf_vec.embedding[0] = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(store_->write_batch(run_, std::vector<ProcessedPost>{inf_vec}, {}, {"in.jsonl", 10, 1}));
  EXPECT_FALSE(store_->write_batch(run_, std::vector<ProcessedPost>{make_post("", Label::kRequest)}, {}, {"in.jsonl", 10, 1}));

  auto no_run = store_->write_batch(run_ + 100, std::vector<ProcessedPost>{make_post("x", Label::kRequest)}, {},
                                    {"in.jsonl", 10, 1});
  ASSERT_FALSE(no_run);
  EXPECT_EQ(no_run.error().code, ErrorCode::kInvalidArgument);

  EXPECT_EQ(store_->counts()->posts, 0u);
  EXPECT_TRUE(store_->checkpoints(run_)->empty());
  EXPECT_TRUE(store_->check_integrity());
}

// --- matches and counts ---

std::vector<StoredMatch> sample_matches() {
  return {{"r1", "o1", 1, 0.9f, 0.8f, 1.0f, 0.5f, 2.5},
          {"r1", "o2", 2, 0.7f, 0.6f, 0.5f, 1.0f, -1},
          {"r2", "o2", 1, 0.6f, 0.6f, 1.0f, 1.0f, 0.0}};
}

TEST_F(StoreTest, ReplaceMatchesSwapsTheWholeSet) {
  ASSERT_TRUE(store_->replace_matches(run_, sample_matches()));
  auto c = store_->counts();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->matches, 3u);
  EXPECT_EQ(c->matched_requests, 2u);

  std::vector<StoredMatch> next = {{"r3", "o9", 1, 0.5f, 0.5f, 1, 1, 1}};
  ASSERT_TRUE(store_->replace_matches(run_, next));
  EXPECT_EQ(store_->counts()->matches, 1u);

  // A failure half-way through leaves the previous set in place.
  std::vector<StoredMatch> clash = {{"r4", "o1", 1, 0.5f, 0.5f, 1, 1, 1}, {"r4", "o2", 1, 0.4f, 0.4f, 1, 1, 1}};
  auto status = store_->replace_matches(run_, clash);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(status.error().message.find("r4"), std::string::npos) << status.error().message;
  EXPECT_EQ(store_->counts()->matches, 1u);
  EXPECT_EQ(store_->counts()->matched_requests, 1u);

  std::vector<StoredMatch> rank0 = {{"r5", "o1", 0, 0.5f, 0.5f, 1, 1, 1}};
  EXPECT_FALSE(store_->replace_matches(run_, rank0));
  EXPECT_FALSE(store_->replace_matches(run_ + 7, next));

  ASSERT_TRUE(store_->replace_matches(run_, {}));
  EXPECT_EQ(store_->counts()->matches, 0u);
}

TEST_F(StoreTest, CountsEverything) {
  ProcessedPost kept = make_post("k", Label::kRequest);
  kept.prefilter_pass = true;
  ProcessedPost dropped = make_post("d", Label::kIrrelevant, 0, {});
  dropped.prefilter_pass = false;
  ProcessedPost dup = make_post("dup", Label::kOffer);
  dup.duplicate_of = "k";
  write({kept, dropped, dup, make_post("ro", Label::kRequestAndOffer), make_post("o", Label::kOffer)},
        {{"in.jsonl", 3, "", "invalid JSON", "{oops"}, {"in.jsonl", 9, "x9", "missing created_at", "{\"id\":\"x9\"}"}});
  // The same rejects again (re-ingesting the file) are not counted twice.
  write({}, {{"in.jsonl", 3, "", "invalid JSON", "{oops"}});
  ASSERT_TRUE(store_->replace_matches(run_, sample_matches()));

  auto c = store_->counts();
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->posts, 5u);
  EXPECT_EQ(c->duplicates, 1u);
  EXPECT_EQ(c->rejects, 2u);
  EXPECT_EQ(c->requests, 1u);
  EXPECT_EQ(c->offers, 2u);
  EXPECT_EQ(c->request_and_offer, 1u);
  EXPECT_EQ(c->irrelevant, 1u);
  EXPECT_EQ(c->prefilter_kept, 1u);
  EXPECT_EQ(c->prefilter_dropped, 1u);
  EXPECT_EQ(c->matches, 3u);
  EXPECT_EQ(c->matched_requests, 2u);
}

TEST_F(StoreTest, CountsOfAnEmptyStoreAreZero) {
  auto c = store_->counts();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->posts, 0u);
  EXPECT_EQ(c->requests, 0u);
  EXPECT_EQ(c->prefilter_kept, 0u);
  EXPECT_EQ(c->matched_requests, 0u);
}

// --- exports ---

TEST_F(StoreTest, ExportsPostsAsJsonl) {
  ProcessedPost p = make_post("p1", Label::kRequest);
  p.post.text = "need water at \"Plaza\" 💧\nnow";
  p.normalized = "need water at plaza now";
  p.post.geo = GeoPoint{18.4655394, -166.1057351};
  p.post.place = "San Juan";
  p.post.user = "maria";
  p.probs = {0.7f, 0.1f, 0.15f, 0.05f};
  p.resources = {"water", "food"};
  ProcessedPost q = make_post("p2", Label::kOffer, 1539202764250, {});
  q.duplicate_of = "p1";
  q.detected_lang = "und";
  write({p, q});

  const std::string out = dir_.file("posts.jsonl");
  ASSERT_TRUE(store_->export_posts_jsonl(out));
  const auto lines = lines_of(slurp(out));
  ASSERT_EQ(lines.size(), 2u);
  // The user handle is personal data: masked like every export (crema/store/export.h).
  EXPECT_EQ(lines[0],
            R"({"id":"p1","created_at":"2018-10-10T20:19:24Z","lang":"en","label":"request",)"
            R"("probs":{"request":0.7,"offer":0.1,"request_and_offer":0.15,"irrelevant":0.05},)"
            R"("resources":["water","food"],"duplicate_of":null,"lat":18.4655394,"lon":-166.1057351,)"
            R"("place":"San Juan","user":"•••","text":"need water at \"Plaza\" 💧\nnow",)"
            R"("normalized":"need water at plaza now"})");
  EXPECT_EQ(lines[1],
            R"({"id":"p2","created_at":"2018-10-10T20:19:24.250Z","lang":"und","label":"offer",)"
            R"("probs":{"request":0,"offer":1,"request_and_offer":0,"irrelevant":0},)"
            R"("resources":[],"duplicate_of":"p1","lat":null,"lon":null,"place":null,"user":null,)"
            R"("text":"text of p2","normalized":"text of p2"})");
  EXPECT_FALSE(std::filesystem::exists(out + ".tmp"));
}

TEST_F(StoreTest, ExportsPostsAsRfc4180Csv) {
  ProcessedPost p = make_post("p1", Label::kRequest);
  p.post.text = "water, food and \"blankets\"\r\nplease";
  p.post.geo = GeoPoint{-33.45, -70.66};
  p.probs = {0.7f, 0.1f, 0.15f, 0.05f};
  p.resources = {"water", "food"};
  write({p, make_post("p2", Label::kOffer)});

  const std::string out = dir_.file("posts.csv");
  ASSERT_TRUE(store_->export_posts_csv(out));
  const std::string csv = slurp(out);
  const std::string header =
      "id,created_at,lang,label,p_request,p_offer,p_request_and_offer,p_irrelevant,resources,duplicate_of,lat,lon,"
      "place,user,text,normalized\r\n";
  const std::string row1 =
      "p1,2018-10-10T20:19:24Z,en,request,0.7,0.1,0.15,0.05,water;food,,-33.45,-70.66,,,"
      "\"water, food and \"\"blankets\"\"\r\nplease\",text of p1\r\n";
  const std::string row2 = "p2,2018-10-10T20:19:24Z,en,offer,0,1,0,0,,,,,,,text of p2,text of p2\r\n";
  EXPECT_EQ(csv, header + row1 + row2);
}

TEST_F(StoreTest, ExportsMatchesGroupedByRequest) {
  // r2 is stored before r1, so its line comes first; offers are ordered by rank.
  write({make_post("r2", Label::kRequest), make_post("r1", Label::kRequest)});
  std::vector<StoredMatch> matches = sample_matches();
  std::swap(matches[0], matches[1]);
  ASSERT_TRUE(store_->replace_matches(run_, matches));

  const std::string jsonl = dir_.file("matches.jsonl");
  ASSERT_TRUE(store_->export_matches_jsonl(jsonl));
  const auto lines = lines_of(slurp(jsonl));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], R"({"request_id":"r2","offers":[{"id":"o2","score":0.6,"s_text":0.6,"w_time":1,"w_loc":1,"km":0}]})");
  EXPECT_EQ(lines[1],
            R"({"request_id":"r1","offers":[{"id":"o1","score":0.9,"s_text":0.8,"w_time":1,"w_loc":0.5,"km":2.5},)"
            R"({"id":"o2","score":0.7,"s_text":0.6,"w_time":0.5,"w_loc":1,"km":null}]})");

  const std::string csv = dir_.file("matches.csv");
  ASSERT_TRUE(store_->export_matches_csv(csv));
  EXPECT_EQ(slurp(csv),
            "request_id,rank,offer_id,score,s_text,w_time,w_loc,km\r\n"
            "r2,1,o2,0.6,0.6,1,1,0\r\n"
            "r1,1,o1,0.9,0.8,1,0.5,2.5\r\n"
            "r1,2,o2,0.7,0.6,0.5,1,\r\n");
}

TEST_F(StoreTest, ExportsReplaceAtomicallyAndReportBadPaths) {
  const std::string out = dir_.file("matches.jsonl");
  {
    std::ofstream old(out);
    old << "old contents\n";
  }
  ASSERT_TRUE(store_->export_matches_jsonl(out));
  EXPECT_EQ(slurp(out), "");  // no matches: an empty file, the old one replaced
  EXPECT_FALSE(std::filesystem::exists(out + ".tmp"));

  auto bad = store_->export_posts_jsonl(dir_.file("missing/posts.jsonl"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kIoError);
  EXPECT_NE(bad.error().message.find("missing/posts.jsonl"), std::string::npos);
}

TEST_F(StoreTest, ExportsStreamLargeStores) {
  // More rows than the 1 MiB write buffer holds, so the export flushes several times.
  std::vector<ProcessedPost> batch;
  for (int i = 0; i < 6000; ++i) {
    ProcessedPost p = make_post("id" + std::to_string(i), Label::kOffer, 1000 + i);
    p.post.text = std::string(200, 'x');
    batch.push_back(std::move(p));
  }
  write(batch);
  const std::string out = dir_.file("posts.jsonl");
  ASSERT_TRUE(store_->export_posts_jsonl(out));
  const auto lines = lines_of(slurp(out));
  ASSERT_EQ(lines.size(), 6000u);
  EXPECT_EQ(lines[5999].rfind(R"({"id":"id5999",)", 0), 0u);
}

}  // namespace
}  // namespace crema::store
