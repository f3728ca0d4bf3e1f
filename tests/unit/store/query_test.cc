// QueryDb: filters, keyset pagination, matches of a request, stats, events, bad input.
#include "crema/store/query.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "store_test_util.h"

namespace crema::store {
namespace {

using testing::make_post;
using testing::open_or_die;
using testing::ScratchDir;

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kHour = 3'600'000;

class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("q.sqlite");
    auto store = open_or_die(path_);
    ASSERT_NE(store, nullptr);
    auto run = store->begin_run(RunInfo{"test", {}, "{}"});
    ASSERT_TRUE(run) << run.error().message;
    std::vector<ProcessedPost> posts;
    // 10 requests an hour apart: even ones in Kathmandu with water, odd ones unplaced with food.
    for (int i = 0; i < 10; ++i) {
      auto p = make_post("r" + std::to_string(i), Label::kRequest, kT0 + i * kHour);
      p.resources = {i % 2 == 0 ? "water" : "food"};
      p.detected_lang = i < 8 ? "en" : "ne";
      if (i % 2 == 0) p.post.geo = GeoPoint{27.7 + 0.01 * i, 85.3};
      p.post.user = "alice";
      posts.push_back(p);
    }
    auto o = make_post("o1", Label::kOffer, kT0 + 2 * kHour);
    o.resources = {"water", "food"};
    o.post.geo = GeoPoint{27.71, 85.31};
    posts.push_back(o);
    auto d = make_post("r0dup", Label::kRequest, kT0 + 11 * kHour);
    d.duplicate_of = "r0";
    posts.push_back(d);
    ASSERT_TRUE(store->write_batch(*run, posts, {}, Checkpoint{}));
    std::vector<StoredMatch> matches = {{"r0", "o1", 1, 0.8f, 0.9f, 0.95f, 0.9f, 1.5}};
    ASSERT_TRUE(store->replace_matches(*run, matches));
    run_ = *run;
  }

  std::unique_ptr<QueryDb> db() {
    auto q = QueryDb::open(path_, 2);
    if (!q) ADD_FAILURE() << q.error().message;
    return q ? std::move(*q) : nullptr;
  }

  ScratchDir dir_;
  std::string path_;
  int64_t run_ = 0;
};

TEST_F(QueryTest, RequestsNewestFirstWithoutDuplicates) {
  auto q = db();
  ASSERT_NE(q, nullptr);
  auto page = q->posts(PostFilter{});
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->rows.size(), 10u);
  EXPECT_EQ(page->rows.front().id, "r9");
  EXPECT_EQ(page->rows.back().id, "r0");
  EXPECT_TRUE(page->next_cursor.empty());
  EXPECT_EQ(page->rows.back().n_matches, 1u);
  EXPECT_FLOAT_EQ(page->rows.back().best_score, 0.8f);
  EXPECT_EQ(page->rows.back().resources, std::vector<std::string>{"water"});
  ASSERT_TRUE(page->rows.back().geo.has_value());
  EXPECT_EQ(page->rows.back().geo_source, "geotag");
  EXPECT_EQ(page->rows.front().geo_source, "none");
  EXPECT_EQ(page->rows.front().status, "open");
}

TEST_F(QueryTest, CursorPagesCoverEveryRowOnce) {
  auto q = db();
  ASSERT_NE(q, nullptr);
  PostFilter f;
  f.limit = 3;
  std::vector<std::string> ids;
  int pages = 0;
  for (;;) {
    auto page = q->posts(f);
    ASSERT_TRUE(page) << page.error().message;
    ++pages;
    for (const auto& r : page->rows) ids.push_back(r.id);
    if (page->next_cursor.empty()) break;
    f.cursor = page->next_cursor;
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 4);
  ASSERT_EQ(ids.size(), 10u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 10u);
}

// Property: for any label set and page size, the pages (one index walk per label, merged)
// are exactly the brute-force order newest first, seq breaking ties, without duplicates.
TEST(QueryPages, EqualBruteForceOrderForAnyLabelsAndPageSize) {
  ScratchDir dir;
  const std::string path = dir.file("pages.sqlite");
  struct Expected {
    int64_t created_at_ms, seq;
    std::string id, label;
    bool duplicate;
  };
  std::vector<Expected> all;
  {
    auto store = open_or_die(path);
    ASSERT_NE(store, nullptr);
    auto run = store->begin_run(RunInfo{"test", {}, "{}"});
    ASSERT_TRUE(run);
    const Label labels[] = {Label::kRequest, Label::kOffer, Label::kRequestAndOffer, Label::kIrrelevant};
    std::vector<ProcessedPost> posts;
    uint64_t rng = 7;
    auto next = [&rng] {
      rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
      return rng >> 33;
    };
    for (int i = 0; i < 300; ++i) {
      const Label label = labels[next() % 4];
      auto p = make_post("p" + std::to_string(i), label, kT0 + static_cast<int64_t>(next() % 40) * kHour);  // many ties
      if (next() % 7 == 0 && i > 0) p.duplicate_of = "p0";
      all.push_back({p.post.created_at_ms, i + 1, p.post.id, std::string(label_name(label)), p.duplicate_of.has_value()});
      posts.push_back(std::move(p));
    }
    ASSERT_TRUE(store->write_batch(*run, posts, {}, Checkpoint{}));
  }
  auto q = QueryDb::open(path, 1);
  ASSERT_TRUE(q) << q.error().message;
  const std::vector<std::vector<std::string>> label_sets = {
      {}, {"offer"}, {"offer", "request_and_offer"}, {"request", "offer", "request_and_offer", "irrelevant"},
      {"request_and_offer", "request", "request"}};
  for (const auto& labels : label_sets) {
    for (bool with_duplicates : {false, true}) {
      const std::vector<std::string> want_labels = labels.empty() ? std::vector<std::string>{"request", "request_and_offer"} : labels;
      std::vector<Expected> want;
      for (const auto& e : all) {
        if (std::find(want_labels.begin(), want_labels.end(), e.label) == want_labels.end()) continue;
        if (e.duplicate && !with_duplicates) continue;
        want.push_back(e);
      }
      std::sort(want.begin(), want.end(), [](const Expected& a, const Expected& b) {
        return a.created_at_ms != b.created_at_ms ? a.created_at_ms > b.created_at_ms : a.seq > b.seq;
      });
      for (size_t limit : {1u, 7u, 50u, 500u}) {
        PostFilter f;
        f.labels = labels;
        f.include_duplicates = with_duplicates;
        f.limit = limit;
        std::vector<std::string> got;
        for (int pages = 0; pages < 400; ++pages) {
          auto page = (*q)->posts(f);
          ASSERT_TRUE(page) << page.error().message;
          for (const auto& r : page->rows) got.push_back(r.id);
          if (page->next_cursor.empty()) break;
          f.cursor = page->next_cursor;
        }
        std::vector<std::string> want_ids;
        for (const auto& e : want) want_ids.push_back(e.id);
        EXPECT_EQ(got, want_ids) << "labels " << labels.size() << " limit " << limit << " duplicates " << with_duplicates;
      }
    }
  }
}

TEST_F(QueryTest, FiltersCombine) {
  auto q = db();
  ASSERT_NE(q, nullptr);
  PostFilter f;
  f.resources = {"water"};
  f.bbox = BBox{85.0, 27.0, 86.0, 28.0};
  f.since_ms = kT0 + 2 * kHour;
  f.langs = {"en"};
  auto page = q->posts(f);
  ASSERT_TRUE(page);
  std::vector<std::string> ids;
  for (const auto& r : page->rows) ids.push_back(r.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"r6", "r4", "r2"}));

  PostFilter offers;
  offers.labels = {"offer"};
  auto op = q->posts(offers);
  ASSERT_TRUE(op);
  ASSERT_EQ(op->rows.size(), 1u);
  EXPECT_EQ(op->rows[0].id, "o1");

  PostFilter dups;
  dups.include_duplicates = true;
  auto dp = q->posts(dups);
  ASSERT_TRUE(dp);
  EXPECT_EQ(dp->rows.size(), 11u);
  EXPECT_EQ(dp->rows.front().duplicate_of, "r0");

  PostFilter status;
  status.statuses = {"served"};
  auto sp = q->posts(status);
  ASSERT_TRUE(sp);
  EXPECT_TRUE(sp->rows.empty());
}

TEST_F(QueryTest, AntimeridianBox) {
  auto q = db();
  ASSERT_NE(q, nullptr);
  PostFilter f;
  f.bbox = BBox{170.0, -90.0, -170.0, 90.0};  // crosses ±180: Kathmandu is outside
  auto page = q->posts(f);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->rows.empty());
}

TEST_F(QueryTest, BadFiltersAreInvalidArgument) {
  auto q = db();
  ASSERT_NE(q, nullptr);
  PostFilter f;
  f.limit = 0;
  EXPECT_EQ(q->posts(f).error().code, ErrorCode::kInvalidArgument);
  f.limit = kMaxPageSize + 1;
  EXPECT_EQ(q->posts(f).error().code, ErrorCode::kInvalidArgument);
  f.limit = 10;
  for (const char* c : {"garbage", "12", "1.x", ".5", "1.2.3"}) {
    f.cursor = c;
    auto r = q->posts(f);
    ASSERT_FALSE(r) << c;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << c;
  }
}

TEST_F(QueryTest, ParseBbox) {
  auto b = parse_bbox("85,27,86.5,28");
  ASSERT_TRUE(b);
  EXPECT_DOUBLE_EQ(b->east, 86.5);
  for (const char* bad : {"", "1,2,3", "1,2,3,4,5", "a,2,3,4", "0,50,10,40", "0,-91,10,10", "181,0,10,10", "1,2,3,"}) {
    EXPECT_FALSE(parse_bbox(bad)) << bad;
  }
}

TEST_F(QueryTest, MatchesOfARequest) {
  auto q = db();
  ASSERT_NE(q, nullptr);
  auto m = q->matches_of("r0");
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0].offer.id, "o1");
  EXPECT_EQ((*m)[0].rank, 1);
  EXPECT_FLOAT_EQ((*m)[0].s_text, 0.9f);
  EXPECT_DOUBLE_EQ((*m)[0].km, 1.5);
  EXPECT_FALSE((*m)[0].decision.has_value());
  auto none = q->matches_of("r1");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(q->matches_of("nope").error().code, ErrorCode::kNotFound);
}

TEST_F(QueryTest, DecisionShowsOnTheMatchAndStatusOnTheRequest) {
  {
    auto store = open_or_die(path_);
    ASSERT_NE(store, nullptr);
    DecisionInput in;
    in.request_id = "r0";
    in.offer_id = "o1";
    in.decision = Decision::kConfirm;
    in.note = "truck sent";
    in.actor = Actor{0, Role::kAdmin};
    auto out = store->record_decision(in);
    ASSERT_TRUE(out) << out.error().message;
  }
  auto q = db();
  ASSERT_NE(q, nullptr);
  EXPECT_TRUE(q->has_lifecycle());
  auto m = q->matches_of("r0");
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_EQ(m->size(), 1u);
  ASSERT_TRUE((*m)[0].decision.has_value());
  EXPECT_EQ((*m)[0].decision->decision, "confirm");
  EXPECT_EQ((*m)[0].decision->note, "truck sent");
  auto r = q->post("r0");
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->status, "served");  // water asked, water offered and confirmed
  EXPECT_GT((*r)->status_changed_at_ms, 0);
  PostFilter f;
  f.statuses = {"served"};
  auto sp = q->posts(f);
  ASSERT_TRUE(sp);
  ASSERT_EQ(sp->rows.size(), 1u);
  auto ev = q->events_after(0, 10);
  ASSERT_TRUE(ev) << ev.error().message;
  ASSERT_FALSE(ev->empty());
  EXPECT_EQ(ev->back().type, "status_change");
  auto last = q->last_event_id();
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, ev->back().id);
  auto later = q->events_after(*last, 10);
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->empty());
}

TEST_F(QueryTest, Stats) {
  auto q = db();
  ASSERT_NE(q, nullptr);
  auto st = q->stats();
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(st->posts, 12u);
  EXPECT_EQ(st->duplicates, 1u);
  EXPECT_EQ(st->matches, 1u);
  ASSERT_EQ(st->by_label.size(), 2u);
  EXPECT_EQ(st->by_label[0].key, "request");
  EXPECT_EQ(st->by_label[0].count, 10u);
  ASSERT_EQ(st->requests_by_resource.size(), 2u);
  EXPECT_EQ(st->requests_by_resource[0].count, 5u);
  ASSERT_EQ(st->offers_by_resource.size(), 2u);
  ASSERT_EQ(st->requests_by_lang.size(), 2u);
  EXPECT_EQ(st->requests_by_lang[0].key, "en");
  EXPECT_EQ(st->requests_by_lang[0].count, 8u);
  ASSERT_FALSE(st->by_day.empty());
  uint64_t total = 0;
  for (const auto& d : st->by_day) total += d.count;
  EXPECT_EQ(total, 11u);
}

TEST(QueryOpen, MissingAndForeignFiles) {
  ScratchDir dir;
  EXPECT_FALSE(QueryDb::open(dir.file("missing.sqlite")));
  EXPECT_EQ(QueryDb::open(dir.file("x"), 0).error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace crema::store
