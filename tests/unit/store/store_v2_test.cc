// Schema v2 and v3: migrations from v1 and v2, resolved locations, the request lifecycle rules, the event
// log and API keys.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "crema/store/store.h"
#include "store_test_util.h"

namespace crema::store {
namespace {

using testing::make_post;
using testing::open_or_die;
using testing::ScratchDir;

std::string sql_text(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << path;
    sqlite3_close(db);
    return out;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sqlite3_errmsg(db) << " in " << sql;
  } else {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const auto* text = sqlite3_column_text(stmt, c);
        out += (c > 0 ? "|" : "") + std::string(text ? reinterpret_cast<const char*>(text) : "NULL");
      }
      out += "\n";
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

constexpr const char* kIndexes = "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'index' ORDER BY 1";

std::string copy_v1_fixture(const ScratchDir& dir) {
  const std::string path = dir.file("v1.sqlite");
  std::filesystem::copy_file(std::string(CREMA_TESTDATA_DIR) + "/store/v1_store.sqlite", path);
  return path;
}

TEST(StoreMigration, V1FileIsMigratedWithDataIntact) {
  ScratchDir dir;
  const std::string path = copy_v1_fixture(dir);
  ASSERT_EQ(sql_text(path, "PRAGMA user_version"), "1\n");
  const std::string posts_before = sql_text(path, "SELECT seq, id, created_at_ms, text, lat, lon, label, resources, "
                                                  "duplicate_of FROM posts ORDER BY seq");
  const std::string matches_before = sql_text(path, "SELECT * FROM matches");
  const std::string other_before = sql_text(path, "SELECT (SELECT count(*) FROM embeddings), (SELECT count(*) FROM "
                                                  "rejects), (SELECT count(*) FROM runs), (SELECT count(*) FROM checkpoints)");
  {
    auto store = open_or_die(path);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->schema_version(), kSchemaVersion);
    EXPECT_TRUE(store->check_integrity());
    auto r1 = store->get_post("r1");
    ASSERT_TRUE(r1 && *r1);
    EXPECT_EQ((*r1)->post.place, "Brisbane, QLD");
    EXPECT_EQ((*r1)->location.source, GeoSource::kGeotag);
    ASSERT_TRUE((*r1)->location.point);
    EXPECT_DOUBLE_EQ((*r1)->location.point->lat, -27.47);
    EXPECT_EQ((*r1)->embedding, (std::vector<float>{0.6f, 0.8f, 0.f}));
    EXPECT_TRUE((*r1)->extraction_json.empty());
    auto state = store->request_state("r1");
    ASSERT_TRUE(state && *state);
    EXPECT_EQ((*state)->status, RequestStatus::kOpen);
    EXPECT_EQ((*state)->changed_at_ms, 1539202764000);
    // request_and_offer starts open; offers, irrelevant posts and duplicates have no status.
    EXPECT_TRUE(*store->request_state("b1"));
    EXPECT_FALSE(*store->request_state("o1"));
    EXPECT_FALSE(*store->request_state("i1"));
    EXPECT_FALSE(*store->request_state("r2"));
    auto b1 = store->get_post("b1");
    ASSERT_TRUE(b1 && *b1);
    EXPECT_EQ((*b1)->location.source, GeoSource::kNone);
    // The migrated store takes v2 writes.
    auto run = store->begin_run({"test", {}, "{}"});
    ASSERT_TRUE(run);
    ASSERT_TRUE(store->write_batch(*run, std::vector<ProcessedPost>{make_post("new", Label::kRequest)}, {}, {}));
    EXPECT_TRUE(*store->request_state("new"));
  }
  EXPECT_EQ(sql_text(path, "PRAGMA user_version"), std::to_string(kSchemaVersion) + "\n");
  EXPECT_EQ(sql_text(path, "SELECT seq, id, created_at_ms, text, lat, lon, label, resources, duplicate_of FROM posts "
                           "WHERE id != 'new' ORDER BY seq"),
            posts_before);
  EXPECT_EQ(sql_text(path, "SELECT * FROM matches"), matches_before);
  EXPECT_EQ(sql_text(path, "SELECT (SELECT count(*) - 1 FROM embeddings), (SELECT count(*) FROM rejects), (SELECT "
                           "count(*) - 1 FROM runs), (SELECT count(*) FROM checkpoints)"),
            other_before);
  // A migrated store has the same tables and columns as a new one.
  ScratchDir fresh;
  { ASSERT_NE(open_or_die(fresh.file("new.sqlite")), nullptr); }
  const std::string columns =
      "SELECT m.name, p.name, p.type FROM sqlite_schema m, pragma_table_info(m.name) p WHERE m.type = 'table' "
      "ORDER BY 1, p.cid";
  EXPECT_EQ(sql_text(path, columns), sql_text(fresh.file("new.sqlite"), columns));
  EXPECT_EQ(sql_text(path, kIndexes), sql_text(fresh.file("new.sqlite"), kIndexes));
}

// A version-2 store: a new store with version 3's change undone.
TEST(StoreMigration, V2FileGetsTheListIndex) {
  ScratchDir dir;
  const std::string path = dir.file("v2.sqlite");
  {
    auto store = open_or_die(path);
    ASSERT_NE(store, nullptr);
    auto run = store->begin_run({"test", {}, "{}"});
    ASSERT_TRUE(run);
    ASSERT_TRUE(store->write_batch(*run, std::vector<ProcessedPost>{make_post("r1", Label::kRequest)}, {}, {}));
  }
  const std::string v3_indexes = sql_text(path, kIndexes);
  ASSERT_NE(v3_indexes.find("posts_label_time"), std::string::npos) << v3_indexes;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP INDEX posts_label_time; CREATE INDEX posts_label ON posts(label); "
                         "PRAGMA user_version = 2",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const std::string posts_before = sql_text(path, "SELECT * FROM posts ORDER BY seq");
  {
    auto store = open_or_die(path);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->schema_version(), 3);
    EXPECT_TRUE(store->check_integrity());
  }
  EXPECT_EQ(sql_text(path, "PRAGMA user_version"), "3\n");
  EXPECT_EQ(sql_text(path, kIndexes), v3_indexes);
  EXPECT_EQ(sql_text(path, "SELECT * FROM posts ORDER BY seq"), posts_before);
}

TEST(StoreMigration, NewerVersionStaysUnsupported) {
  ScratchDir dir;
  const std::string path = dir.file("future.sqlite");
  { ASSERT_NE(open_or_die(path), nullptr); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const std::string newer = std::to_string(kSchemaVersion + 1);
  ASSERT_EQ(sqlite3_exec(db, ("PRAGMA user_version = " + newer).c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = Store::open(path);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kUnsupported) << store.error().message;
  EXPECT_EQ(sql_text(path, "PRAGMA user_version"), newer + "\n");
}

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_or_die(dir_.file("crema.sqlite"));
    ASSERT_NE(store_, nullptr);
    auto run = store_->begin_run({"test", {}, "{}"});
    ASSERT_TRUE(run);
    run_ = *run;
    std::vector<ProcessedPost> posts;
    auto req = make_post("req", Label::kRequest, 1000);
    req.resources = {"food", "water"};
    posts.push_back(req);
    auto bare = make_post("bare", Label::kRequest, 2000);
    posts.push_back(bare);
    auto food = make_post("food", Label::kOffer, 1500);
    food.resources = {"food"};
    posts.push_back(food);
    auto water = make_post("water", Label::kOffer, 1600);
    water.resources = {"water", "food"};
    posts.push_back(water);
    posts.push_back(make_post("junk", Label::kIrrelevant, 1700, {}));
    ASSERT_TRUE(store_->write_batch(run_, posts, {}, {}));
  }
  RequestStatus status(const std::string& id) {
    auto s = store_->request_state(id);
    if (!s || !*s) {
      ADD_FAILURE() << "no status for " << id;
      return RequestStatus::kOpen;
    }
    return (*s)->status;
  }
  Result<DecisionOutcome> decide(const std::string& req, const std::string& offer, Decision d, Role role = Role::kDispatcher) {
    DecisionInput in;
    in.request_id = req;
    in.offer_id = offer;
    in.decision = d;
    in.note = "note";
    in.actor = Actor{0, role};
    in.at_ms = 5000;
    return store_->record_decision(in);
  }

  ScratchDir dir_;
  std::unique_ptr<Store> store_;
  int64_t run_ = 0;
};

TEST_F(LifecycleTest, ConfirmServesWhenEveryResourceIsCovered) {
  auto first = decide("req", "food", Decision::kConfirm);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->before, RequestStatus::kOpen);
  EXPECT_EQ(first->after, RequestStatus::kPartlyServed);
  EXPECT_GT(first->event_id, 0);
  auto second = decide("req", "water", Decision::kConfirm);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->after, RequestStatus::kServed);
  EXPECT_EQ(status("req"), RequestStatus::kServed);
  auto events = store_->events_since(0, 100);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].type, EventType::kStatusChange);
  EXPECT_NE((*events)[1].payload_json.find("\"from\":\"partly_served\",\"to\":\"served\""), std::string::npos)
      << (*events)[1].payload_json;
  EXPECT_LT((*events)[0].id, (*events)[1].id);
}

TEST_F(LifecycleTest, RejectedMatchesLeaveTheRequestOpenAndAConfirmLaterRejectedDoesNotCover) {
  ASSERT_TRUE(decide("req", "food", Decision::kReject));
  ASSERT_TRUE(decide("req", "water", Decision::kReject));
  EXPECT_EQ(status("req"), RequestStatus::kOpen);
  auto events = store_->events_since(0, 100);
  ASSERT_TRUE(events);
  EXPECT_TRUE(events->empty());
  // A later confirm of water (which offers both resources) overrides its reject.
  ASSERT_TRUE(decide("req", "water", Decision::kConfirm));
  EXPECT_EQ(status("req"), RequestStatus::kServed);
}

TEST_F(LifecycleTest, LatestDecisionPerOfferCounts) {
  ASSERT_TRUE(decide("req", "water", Decision::kReject));
  auto out = decide("req", "food", Decision::kConfirm);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->after, RequestStatus::kPartlyServed);  // water was rejected: water not covered
}

TEST_F(LifecycleTest, RequestWithoutResourcesIsPartlyServedUntilFulfilled) {
  auto c = decide("bare", "food", Decision::kConfirm);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->after, RequestStatus::kPartlyServed);
  auto f = decide("bare", "food", Decision::kFulfilled);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->before, RequestStatus::kPartlyServed);
  EXPECT_EQ(f->after, RequestStatus::kServed);
  // Served is final for confirm; the decision is still recorded.
  auto again = decide("bare", "water", Decision::kConfirm);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->after, RequestStatus::kServed);
  EXPECT_EQ(again->event_id, 0);
  EXPECT_GT(again->decision_id, f->decision_id);
}

TEST_F(LifecycleTest, RejectingTheRequestItself) {
  auto r = decide("req", "", Decision::kReject);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->after, RequestStatus::kRejected);
  // Rejected is final: fulfilled does not serve it.
  auto f = decide("req", "food", Decision::kFulfilled);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->after, RequestStatus::kRejected);
}

TEST_F(LifecycleTest, BadDecisionsAreRefused) {
  EXPECT_EQ(decide("nope", "food", Decision::kConfirm).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(decide("food", "water", Decision::kConfirm).error().code, ErrorCode::kNotFound);  // not a request
  EXPECT_EQ(decide("req", "junk", Decision::kConfirm).error().code, ErrorCode::kNotFound);    // not an offer
  EXPECT_EQ(decide("req", "bare", Decision::kConfirm).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(decide("req", "", Decision::kConfirm).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(decide("req", "req", Decision::kReject).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(decide("req", "food", Decision::kConfirm, Role::kViewer).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(status("req"), RequestStatus::kOpen);
  auto events = store_->events_since(0, 10);
  ASSERT_TRUE(events);
  EXPECT_TRUE(events->empty());
}

TEST_F(LifecycleTest, ExpiryMovesOpenAndPartlyServedOnly) {
  ASSERT_TRUE(decide("bare", "food", Decision::kConfirm));  // partly_served
  auto e = store_->expire_requests(1500, 9000);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->size(), 1u);  // only req (created 1000) is older than the cutoff
  EXPECT_EQ(status("req"), RequestStatus::kExpired);
  EXPECT_EQ(status("bare"), RequestStatus::kPartlyServed);
  auto e2 = store_->expire_requests(3000, 9000);
  ASSERT_TRUE(e2);
  ASSERT_EQ(e2->size(), 1u);
  EXPECT_EQ(status("bare"), RequestStatus::kExpired);
  EXPECT_NE((*e2)[0].payload_json.find("\"from\":\"partly_served\",\"to\":\"expired\""), std::string::npos);
  auto again = store_->expire_requests(3000, 9000);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
  // A fulfilled expired request is served after all.
  auto f = decide("req", "food", Decision::kFulfilled);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->after, RequestStatus::kServed);
}

TEST_F(LifecycleTest, EventsAreTailedById) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(decide(i % 2 == 0 ? "req" : "bare", "food", Decision::kReject));
  }
  ASSERT_TRUE(decide("req", "food", Decision::kConfirm));
  ASSERT_TRUE(decide("bare", "food", Decision::kConfirm));
  ASSERT_TRUE(decide("bare", "food", Decision::kFulfilled));
  auto all = store_->events_since(0, 100);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  auto last = store_->last_event_id();
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, all->back().id);
  auto tail = store_->events_since((*all)[0].id, 1);
  ASSERT_TRUE(tail);
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ((*tail)[0].id, (*all)[1].id);
}

TEST_F(LifecycleTest, LiveBatchWritesTopNEventsAndExpiryInOneTransaction) {
  std::vector<ProcessedPost> posts{make_post("late-offer", Label::kOffer, 3000)};
  std::vector<RequestTopN> top{{"req", {StoredMatch{"req", "food", 1, 0.5f, 0.6f, 0.9f, 0.9f, 2.0},
                                        StoredMatch{"req", "late-offer", 2, 0.4f, 0.6f, 0.9f, 0.9f, -1}}}};
  std::vector<NewEvent> events{{EventType::kNewMatch, R"({"request_id":"req"})", 3000}};
  std::vector<std::string> expired{"bare", "food"};  // an offer has no status: ignored
  Store::LiveBatch batch;
  batch.posts = posts;
  batch.top_n = top;
  batch.events = events;
  batch.expired_requests = expired;
  batch.at_ms = 3000;
  auto out = store_->write_live_batch(run_, batch);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->counts.inserted, 1u);
  ASSERT_EQ(out->event_ids.size(), 1u);
  ASSERT_EQ(out->status_events.size(), 1u);
  EXPECT_GT(out->status_events[0].id, out->event_ids[0]);
  EXPECT_EQ(status("bare"), RequestStatus::kExpired);
  auto matches = store_->load_live_matches(0);
  ASSERT_TRUE(matches);
  ASSERT_EQ(matches->size(), 2u);
  EXPECT_EQ((*matches)[1].offer_id, "late-offer");
  EXPECT_EQ((*matches)[1].km, -1);
  EXPECT_GT((*matches)[1].offer_seq, (*matches)[0].offer_seq);

  // A bad event payload refuses the whole batch.
  std::vector<ProcessedPost> more{make_post("never", Label::kOffer, 3100)};
  std::vector<NewEvent> bad{{EventType::kNewMatch, "[1,2]", 3100}};
  Store::LiveBatch refused;
  refused.posts = more;
  refused.events = bad;
  EXPECT_FALSE(store_->write_live_batch(run_, refused));
  // So does a top-n list for an unknown request (checked inside the transaction).
  std::vector<RequestTopN> unknown{{"ghost", {}}};
  refused.events = {};
  refused.top_n = unknown;
  EXPECT_FALSE(store_->write_live_batch(run_, refused));
  EXPECT_FALSE(*store_->has_post("never"));
  auto last = store_->last_event_id();
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, out->status_events[0].id);
}

TEST_F(LifecycleTest, LiveLoadingAndBounds) {
  auto bounds = store_->post_bounds();
  ASSERT_TRUE(bounds);
  EXPECT_EQ(bounds->newest_created_at_ms, 2000);
  EXPECT_EQ(bounds->max_seq, 5);
  auto rows = store_->load_live_posts(1500);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3u);  // bare, food, water (junk is irrelevant, req too old)
  EXPECT_EQ((*rows)[0].id, "bare");
  EXPECT_EQ((*rows)[0].status, RequestStatus::kOpen);
  EXPECT_EQ((*rows)[2].resources, (std::vector<std::string>{"water", "food"}));
  EXPECT_EQ((*rows)[2].label, Label::kOffer);
  EXPECT_FALSE((*rows)[2].status);
}

TEST_F(LifecycleTest, ResolvedLocationRoundTripsAndIsValidated) {
  auto p = make_post("placed", Label::kRequest, 4000);
  p.post.user_location = "Townsville";
  p.location.source = GeoSource::kToponym;
  p.location.point = GeoPoint{-19.26, 146.82};
  p.location.confidence = 0.7;
  p.location.radius_km = 12.5;
  p.location.country = "AU";
  p.location.admin1 = "Queensland";
  p.location.city = "Townsville";
  p.location.geonameid = 2146142;
  p.extraction_json = R"({"id":"placed","quantities":[]})";
  ASSERT_TRUE(store_->write_batch(run_, std::vector<ProcessedPost>{p}, {}, {}));
  auto got = store_->get_post("placed");
  ASSERT_TRUE(got && *got);
  const ResolvedLocation& loc = (*got)->location;
  EXPECT_EQ(loc.source, GeoSource::kToponym);
  EXPECT_DOUBLE_EQ(loc.point->lon, 146.82);
  EXPECT_DOUBLE_EQ(loc.confidence, 0.7);
  EXPECT_DOUBLE_EQ(loc.radius_km, 12.5);
  EXPECT_EQ(loc.country, "AU");
  EXPECT_EQ(loc.admin1, "Queensland");
  EXPECT_EQ(loc.city, "Townsville");
  EXPECT_EQ(loc.geonameid, 2146142);
  EXPECT_EQ((*got)->post.user_location, "Townsville");
  EXPECT_EQ((*got)->extraction_json, p.extraction_json);
  auto rows = store_->load_for_matching(Label::kRequest);
  ASSERT_TRUE(rows);
  EXPECT_DOUBLE_EQ(rows->back().radius_km, 12.5);
  ASSERT_TRUE(rows->back().geo);

  for (int bad = 0; bad < 4; ++bad) {
    auto q = make_post("bad" + std::to_string(bad), Label::kOffer, 4000);
    q.location.source = GeoSource::kPlace;
    q.location.point = GeoPoint{10, 10};
    if (bad == 0) q.location.point.reset();
    if (bad == 1) q.location.point = GeoPoint{95, 10};
    if (bad == 2) q.location.confidence = 1.5;
    if (bad == 3) q.location.radius_km = -1;
    auto w = store_->write_batch(run_, std::vector<ProcessedPost>{q}, {}, {});
    ASSERT_FALSE(w) << bad;
    EXPECT_EQ(w.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(w.error().message.find(q.post.id), std::string::npos) << w.error().message;
  }
  auto bad_json = make_post("badjson", Label::kOffer, 4000);
  bad_json.extraction_json = "{not json";
  EXPECT_FALSE(store_->write_batch(run_, std::vector<ProcessedPost>{bad_json}, {}, {}));
}

TEST_F(LifecycleTest, GeotaggedPostsDefaultToGeotagResolution) {
  auto p = make_post("tagged", Label::kOffer, 4000);
  p.post.geo = GeoPoint{1.5, 2.5};
  ASSERT_TRUE(store_->write_batch(run_, std::vector<ProcessedPost>{p}, {}, {}));
  auto got = store_->get_post("tagged");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->location.source, GeoSource::kGeotag);
  EXPECT_DOUBLE_EQ((*got)->location.confidence, 1.0);
  EXPECT_DOUBLE_EQ((*got)->location.point->lat, 1.5);
}

TEST_F(LifecycleTest, ApiKeysAreHashedAtRestVerifiedAndRevoked) {
  auto key = store_->add_api_key("desk 1", Role::kDispatcher);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->token.size(), 6u + 16 + 1 + 48);
  EXPECT_EQ(key->token.rfind("crema_", 0), 0u);
  auto other = store_->add_api_key("wall screen", Role::kViewer);
  ASSERT_TRUE(other);
  EXPECT_NE(key->token, other->token);

  // The secret is nowhere in the file.
  const std::string secret = key->token.substr(key->token.size() - 48);
  const std::string dump = sql_text(dir_.file("crema.sqlite"), "SELECT key_id, name, role, hex(salt), hex(hash) FROM api_keys");
  EXPECT_EQ(dump.find(secret), std::string::npos);
  std::string upper = secret;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(dump.find(upper), std::string::npos);
  EXPECT_EQ(sql_text(dir_.file("crema.sqlite"), "SELECT length(salt), length(hash) FROM api_keys WHERE id = 1"), "16|32\n");

  auto ok = store_->verify_api_key(key->token);
  ASSERT_TRUE(ok);
  ASSERT_TRUE(*ok);
  EXPECT_EQ((*ok)->name, "desk 1");
  EXPECT_EQ((*ok)->role, Role::kDispatcher);
  EXPECT_EQ((*ok)->id, key->info.id);

  std::string wrong = key->token;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_FALSE(*store_->verify_api_key(wrong));
  EXPECT_FALSE(*store_->verify_api_key(""));
  EXPECT_FALSE(*store_->verify_api_key("crema_"));
  EXPECT_FALSE(*store_->verify_api_key(key->token + "0"));
  std::string upper_token = key->token;
  upper_token.back() = 'G';
  EXPECT_FALSE(*store_->verify_api_key(upper_token));
  // Another key's secret with this key's id fails.
  EXPECT_FALSE(*store_->verify_api_key(key->token.substr(0, 23) + other->token.substr(23)));

  ASSERT_TRUE(store_->revoke_api_key(key->info.id));
  EXPECT_FALSE(*store_->verify_api_key(key->token));
  EXPECT_TRUE(*store_->verify_api_key(other->token));
  EXPECT_TRUE(store_->revoke_api_key(key->info.id));  // twice is fine
  EXPECT_EQ(store_->revoke_api_key(999).error().code, ErrorCode::kNotFound);
  auto list = store_->list_api_keys();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_TRUE((*list)[0].revoked_at_ms);
  EXPECT_FALSE((*list)[1].revoked_at_ms);
  EXPECT_FALSE(store_->add_api_key("", Role::kAdmin));

  // Decisions name the key.
  DecisionInput in{"req", "food", Decision::kConfirm, "sent", Actor{other->info.id, Role::kDispatcher}, 7000};
  ASSERT_TRUE(store_->record_decision(in));
  EXPECT_EQ(sql_text(dir_.file("crema.sqlite"), "SELECT key_id, key_name, role, note FROM decisions"),
            std::to_string(other->info.id) + "|wall screen|dispatcher|sent\n");
}

}  // namespace
}  // namespace crema::store
