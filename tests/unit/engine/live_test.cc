// LivePipeline: live matching equals batch matching on the same posts (seeded random
// streams), restart equivalence, expiry, decisions and bad input.
#include <gtest/gtest.h>

#include "scratch_dir.h"
#include <stdlib.h>

#include <filesystem>
#include <random>

#include "crema/live.h"

namespace crema::engine {
namespace {

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kT0 = 1'600'000'000'000;

using testing_support::ScratchDir;

LiveOptions options() {
  LiveOptions o;
  o.threads = 2;
  o.match.top_n = 3;
  o.lateness_ms = 0;
  return o;
}

// A stream of labelled posts around two towns, in time order (ties included), a few
// unlocated, with texts drawn from a small vocabulary so scores differ.
std::vector<Post> random_stream(uint32_t seed, size_t n) {
  std::mt19937 rng(seed);
  const char* words[] = {"water", "food", "shelter", "blankets", "boat", "rescue", "medicine", "baby", "formula",
                         "generator", "fuel", "tents", "volunteers", "transport", "clothes", "insulin"};
  const GeoPoint towns[] = {{-27.47, 153.02}, {-27.60, 153.10}};
  std::uniform_real_distribution<double> jitter(-0.05, 0.05);
  std::vector<Post> posts;
  int64_t t = kT0;
  for (size_t i = 0; i < n; ++i) {
    Post p;
    p.id = "s" + std::to_string(seed) + "-" + std::to_string(i);
    const uint32_t kind = rng() % 10;
    p.kind = kind < 5 ? Label::kRequest : kind < 9 ? Label::kOffer : Label::kRequestAndOffer;
    std::string text = p.kind == Label::kOffer ? "we can offer" : "we urgently need";
    const size_t count = 2 + rng() % 4;
    for (size_t w = 0; w < count; ++w) text += std::string(" ") + words[rng() % std::size(words)];
    p.text = text + " " + std::to_string(rng() % 1000);
    if (rng() % 8 != 0) {
      const GeoPoint town = towns[rng() % 2];
      p.geo = GeoPoint{town.lat + jitter(rng), town.lon + jitter(rng)};
    }
    t += rng() % 4 == 0 ? 0 : static_cast<int64_t>(rng() % (2 * kDay));
    p.created_at_ms = t;
    p.lang = "en";
    p.source = {"stream", i + 1};
    posts.push_back(std::move(p));
  }
  return posts;
}

struct Row {
  std::string request, offer;
  int rank;
  float score;
  bool operator==(const Row&) const = default;
};

std::vector<Row> stored_matches(const std::string& db_path) {
  auto db = store::Store::open(db_path);
  EXPECT_TRUE(db) << db.error().message;
  if (!db) return {};
  auto rows = (*db)->load_live_matches(INT64_MIN);
  EXPECT_TRUE(rows);
  std::vector<Row> out;
  for (const auto& m : *rows) out.push_back({m.request_id, m.offer_id, m.rank, m.score});
  std::sort(out.begin(), out.end(), [](const Row& a, const Row& b) {
    return a.request != b.request ? a.request < b.request : a.rank < b.rank;
  });
  return out;
}

// Batch matching (what `crema run` does) over the posts and embeddings in the store.
std::vector<Row> batch_matches(const std::string& db_path, const match::MatchParams& params) {
  auto db = store::Store::open(db_path);
  EXPECT_TRUE(db);
  if (!db) return {};
  auto requests = (*db)->load_for_matching(Label::kRequest);
  auto offers = (*db)->load_for_matching(Label::kOffer);
  EXPECT_TRUE(requests && offers);
  const size_t dim = requests->empty() ? 0 : requests->front().embedding.size();
  auto view = [&](const std::vector<store::MatchRow>& rows, std::vector<match::MatchPost>& posts, std::vector<float>& vecs) {
    for (const auto& r : rows) {
      posts.push_back({r.created_at_ms, r.geo, r.radius_km, r.resources});
      vecs.insert(vecs.end(), r.embedding.begin(), r.embedding.end());
    }
  };
  std::vector<match::MatchPost> rp, op;
  std::vector<float> rv, ov;
  view(*requests, rp, rv);
  view(*offers, op, ov);
  match::MatchParams p = params;
  p.top_n += 1;
  auto result = match::match({rp, rv, dim}, {op, ov, dim}, p);
  EXPECT_TRUE(result);
  std::vector<Row> out;
  for (const auto& r : *result) {
    int rank = 0;
    for (const auto& o : r.offers) {
      const std::string& request_id = (*requests)[r.request].id;
      const std::string& offer_id = (*offers)[o.offer].id;
      if (offer_id == request_id) continue;
      if (rank == params.top_n) break;
      out.push_back({request_id, offer_id, ++rank, o.score});
    }
  }
  std::sort(out.begin(), out.end(), [](const Row& a, const Row& b) {
    return a.request != b.request ? a.request < b.request : a.rank < b.rank;
  });
  return out;
}

// Feeds posts in random-sized batches.
void feed(LivePipeline& live, std::span<const Post> posts, std::mt19937& rng, std::vector<MatchEvent>* events = nullptr) {
  size_t i = 0;
  while (i < posts.size()) {
    const size_t n = std::min(posts.size() - i, static_cast<size_t>(1 + rng() % 40));
    auto report = live.ingest(posts.subspan(i, n));
    ASSERT_TRUE(report) << report.error().message;
    if (events != nullptr) events->insert(events->end(), report->events.begin(), report->events.end());
    i += n;
  }
}

TEST(LivePipeline, LiveEqualsBatchOnRandomStreams) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    ScratchDir dir;
    const std::string path = dir.file("live.sqlite");
    const auto posts = random_stream(seed, 400);
    LiveOptions o = options();
    o.match.delta_time_ms = 10 * kDay;  // expiry happens many times over the ~300-day stream
    std::mt19937 rng(seed * 7);
    {
      auto live = LivePipeline::open(path, o);
      ASSERT_TRUE(live) << live.error().message;
      feed(**live, posts, rng);
      EXPECT_GT((*live)->stats().expired, 0u) << seed;
      ASSERT_TRUE((*live)->close());
    }
    const auto expected = batch_matches(path, o.match);
    EXPECT_GT(expected.size(), 100u) << seed;
    EXPECT_EQ(stored_matches(path), expected) << "seed " << seed;
  }
}

TEST(LivePipeline, RestartGivesTheSameMatchesAsOnePass) {
  const auto posts = random_stream(11, 300);
  LiveOptions o = options();
  o.match.delta_time_ms = 15 * kDay;
  ScratchDir dir;
  std::mt19937 rng(5);
  {
    auto live = LivePipeline::open(dir.file("one.sqlite"), o);
    ASSERT_TRUE(live);
    feed(**live, posts, rng);
  }
  const size_t half = posts.size() / 2;
  {
    auto live = LivePipeline::open(dir.file("two.sqlite"), o);
    ASSERT_TRUE(live);
    feed(**live, std::span(posts).first(half), rng);
  }
  {
    auto live = LivePipeline::open(dir.file("two.sqlite"), o);
    ASSERT_TRUE(live);
    EXPECT_GT((*live)->stats().loaded_requests, 0u);
    EXPECT_GT((*live)->stats().loaded_offers, 0u);
    feed(**live, std::span(posts).subspan(half), rng);
  }
  const auto one = stored_matches(dir.file("one.sqlite"));
  EXPECT_FALSE(one.empty());
  EXPECT_EQ(stored_matches(dir.file("two.sqlite")), one);
}

Post post(const std::string& id, Label kind, int64_t t, std::optional<GeoPoint> geo, const std::string& text) {
  Post p;
  p.id = id;
  p.kind = kind;
  p.created_at_ms = t;
  p.geo = geo;
  p.text = text;
  p.source = {"test", 1};
  return p;
}

// The JSONL lines a consumer sees: every result and every event (with its id).
std::vector<std::string> report_lines(const IngestReport& report) {
  std::vector<std::string> out;
  for (const auto& r : report.results) {
    out.push_back(r.id + " " + std::string(ingest_outcome_name(r.outcome)) + " " + std::string(label_name(r.label)) + " " +
                  r.duplicate_of.value_or("-"));
  }
  for (const auto& e : report.events) out.push_back(e.to_json());
  return out;
}

TEST(LivePipeline, SubmitGivesTheSameReportsAsIngest) {
  auto posts = random_stream(21, 400);
  // Repeats: one inside a batch window and one of an earlier post, so some arrive while
  // the post they repeat is still in flight.
  posts.insert(posts.begin() + 30, posts[25]);
  posts.insert(posts.begin() + 200, posts[199]);
  LiveOptions o = options();
  o.match.delta_time_ms = 4 * kDay;  // expiries happen
  ScratchDir dir;
  std::vector<size_t> sizes;
  std::mt19937 rng(9);
  for (size_t i = 0; i < posts.size();) {
    sizes.push_back(std::min(posts.size() - i, static_cast<size_t>(1 + rng() % 40)));
    i += sizes.back();
  }
  std::vector<std::string> one, two;
  {
    auto live = LivePipeline::open(dir.file("one.sqlite"), o);
    ASSERT_TRUE(live);
    size_t i = 0;
    for (size_t n : sizes) {
      auto report = (*live)->ingest(std::span(posts).subspan(i, n));
      ASSERT_TRUE(report) << report.error().message;
      for (auto& line : report_lines(*report)) one.push_back(std::move(line));
      i += n;
    }
  }
  size_t batches = 0;
  {
    auto live = LivePipeline::open(dir.file("two.sqlite"), o);
    ASSERT_TRUE(live);
    size_t i = 0;
    for (size_t n : sizes) {
      auto reports = (*live)->submit(std::span(posts).subspan(i, n));
      ASSERT_TRUE(reports) << reports.error().message;
      EXPECT_LE(reports->size(), 1u);
      for (const auto& r : *reports) {
        ++batches;
        for (auto& line : report_lines(r)) two.push_back(std::move(line));
      }
      i += n;
    }
    auto last = (*live)->flush();
    ASSERT_TRUE(last) << last.error().message;
    ASSERT_EQ(last->size(), 1u);
    for (auto& line : report_lines(last->front())) two.push_back(std::move(line));
    ++batches;
    auto none = (*live)->flush();
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
    EXPECT_EQ((*live)->stats().duplicates, 2u);
  }
  EXPECT_EQ(batches, sizes.size());
  EXPECT_GT(one.size(), posts.size());
  EXPECT_EQ(two, one);
  EXPECT_EQ(stored_matches(dir.file("two.sqlite")), stored_matches(dir.file("one.sqlite")));
}

TEST(LivePipeline, CallsAfterSubmitWaitForTheBatchInFlight) {
  ScratchDir dir;
  auto live = LivePipeline::open(dir.file("db.sqlite"), options());
  ASSERT_TRUE(live);
  const GeoPoint here{-27.47, 153.02};
  std::vector<Post> first{post("r1", Label::kRequest, kT0, here, "we urgently need drinking water"),
                          post("o1", Label::kOffer, kT0 + 1000, here, "we can offer drinking water bottles")};
  auto submitted = (*live)->submit(first);
  ASSERT_TRUE(submitted) << submitted.error().message;
  EXPECT_TRUE(submitted->empty());
  // ingest() commits the batch in flight first; its report waits for the next submit/flush.
  std::vector<Post> second{post("o1", Label::kOffer, kT0 + 2000, here, "a repeated id")};
  auto report = (*live)->ingest(second);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->results.size(), 1u);
  EXPECT_EQ(report->results[0].outcome, IngestOutcome::kDuplicate);
  std::vector<Post> third{post("o2", Label::kOffer, kT0 + 3000, here, "we can offer blankets and tents")};
  auto held = (*live)->submit(third);
  ASSERT_TRUE(held) << held.error().message;
  ASSERT_EQ(held->size(), 1u);
  ASSERT_EQ((*held)[0].results.size(), 2u);
  EXPECT_EQ((*held)[0].results[0].id, "r1");
  ASSERT_FALSE((*held)[0].events.empty());
  // advance_clock after a submit: the batch in flight is committed before the expiry.
  auto expired = (*live)->advance_clock(kT0 + 40 * kDay);  // past δ_time (30 days)
  ASSERT_TRUE(expired) << expired.error().message;
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ((*expired)[0].request_id, "r1");
  auto reports = (*live)->flush();
  ASSERT_TRUE(reports);
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_EQ((*reports)[0].results[0].id, "o2");
  EXPECT_LT((*held)[0].events.back().event_id, (*expired)[0].event_id);
  EXPECT_TRUE((*live)->close());
  EXPECT_FALSE((*live)->submit(third));
  EXPECT_FALSE((*live)->flush());
}

TEST(LivePipeline, NewRequestGetsOffersAtOnceAndNewOffersArePushed) {
  ScratchDir dir;
  auto live = LivePipeline::open(dir.file("db.sqlite"), options());
  ASSERT_TRUE(live);
  const GeoPoint here{-27.47, 153.02};
  std::vector<Post> first{post("o1", Label::kOffer, kT0, here, "we can offer drinking water bottles"),
                          post("r1", Label::kRequest, kT0 + 1000, here, "we need drinking water bottles please")};
  auto a = (*live)->ingest(first);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->events.size(), 1u);
  EXPECT_EQ(a->events[0].type, store::EventType::kNewRequest);
  ASSERT_EQ(a->events[0].offers.size(), 1u);
  EXPECT_EQ(a->events[0].offers[0].offer_id, "o1");
  EXPECT_GT(a->events[0].event_id, 0);
  const std::string line = a->events[0].to_json();
  EXPECT_EQ(line.rfind("{\"id\":" + std::to_string(a->events[0].event_id) + ",\"type\":\"new_request\",\"request_id\":\"r1\"", 0), 0u)
      << line;

  std::vector<Post> second{post("o2", Label::kOffer, kT0 + 2000, here, "drinking water bottles available need any")};
  auto b = (*live)->ingest(second);
  ASSERT_TRUE(b);
  ASSERT_EQ(b->events.size(), 1u);
  EXPECT_EQ(b->events[0].type, store::EventType::kNewMatch);
  EXPECT_EQ(b->events[0].offer_id, "o2");
  EXPECT_EQ(b->events[0].request_id, "r1");
  EXPECT_EQ(b->events[0].offers.size(), 2u);
  EXPECT_EQ((*live)->matches_of("r1").size(), 2u);
  EXPECT_GT(b->events[0].event_id, a->events[0].event_id);
  // The same events are in the store, in order.
  auto db = store::Store::open(dir.file("db.sqlite"));
  ASSERT_TRUE(db);
  auto stored = (*db)->events_since(0, 10);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[1].payload_json, b->events[0].payload_json());
}

TEST(LivePipeline, RequestsExpireOnTheStreamClock) {
  ScratchDir dir;
  LiveOptions o = options();
  o.match.delta_time_ms = 2 * kDay;
  o.lateness_ms = kDay;
  auto live = LivePipeline::open(dir.file("db.sqlite"), o);
  ASSERT_TRUE(live);
  const GeoPoint here{-27.47, 153.02};
  ASSERT_TRUE((*live)->ingest(std::vector<Post>{post("r1", Label::kRequest, kT0, here, "need food now")}));
  EXPECT_EQ((*live)->stats().open_requests, 1u);
  auto not_yet = (*live)->ingest(std::vector<Post>{post("x", Label::kIrrelevant, kT0 + 3 * kDay, here, "nice weather")});
  ASSERT_TRUE(not_yet);
  EXPECT_TRUE(not_yet->events.empty());  // 3 days: inside δ_time + lateness
  auto later = (*live)->ingest(std::vector<Post>{post("y", Label::kIrrelevant, kT0 + 3 * kDay + 1, here, "sunny")});
  ASSERT_TRUE(later);
  ASSERT_EQ(later->events.size(), 1u);
  EXPECT_EQ(later->events[0].type, store::EventType::kStatusChange);
  EXPECT_EQ(later->events[0].request_id, "r1");
  EXPECT_EQ(later->events[0].to, store::RequestStatus::kExpired);
  EXPECT_EQ((*live)->stats().open_requests, 0u);
  ASSERT_TRUE((*live)->close());
  auto db = store::Store::open(dir.file("db.sqlite"));
  ASSERT_TRUE(db);
  auto state = (*db)->request_state("r1");
  ASSERT_TRUE(state && *state);
  EXPECT_EQ((*state)->status, store::RequestStatus::kExpired);
  // advance_clock expires without new posts.
  auto again = LivePipeline::open(dir.file("db.sqlite"), o);
  ASSERT_TRUE(again);
  ASSERT_TRUE((*again)->ingest(std::vector<Post>{post("r2", Label::kRequest, kT0 + 4 * kDay, here, "need water")}));
  auto moved = (*again)->advance_clock(kT0 + 10 * kDay);
  ASSERT_TRUE(moved);
  ASSERT_EQ(moved->size(), 1u);
  EXPECT_EQ((*moved)[0].request_id, "r2");
}

TEST(LivePipeline, DecisionsCloseRequests) {
  ScratchDir dir;
  auto live = LivePipeline::open(dir.file("db.sqlite"), options());
  ASSERT_TRUE(live);
  const GeoPoint here{-27.47, 153.02};
  ASSERT_TRUE((*live)->ingest(std::vector<Post>{post("o1", Label::kOffer, kT0, here, "offer blankets and tents"),
                                                post("r1", Label::kRequest, kT0, here, "need blankets and tents")}));
  store::DecisionInput in{"r1", "o1", store::Decision::kFulfilled, "done", {}, kT0};
  auto e = (*live)->record_decision(in);
  ASSERT_TRUE(e) << e.error().message;
  ASSERT_TRUE(*e);
  EXPECT_EQ((*e)->to, store::RequestStatus::kServed);
  EXPECT_EQ((*live)->stats().open_requests, 0u);
  // A later offer is not pushed to the served request.
  auto b = (*live)->ingest(std::vector<Post>{post("o2", Label::kOffer, kT0 + 1, here, "blankets and tents here")});
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->events.empty());
}

TEST(LivePipeline, BadInputIsReportedAndTheStreamGoesOn) {
  ScratchDir dir;
  auto live = LivePipeline::open(dir.file("db.sqlite"), options());
  ASSERT_TRUE(live);
  std::vector<Post> posts{post("no-time", Label::kRequest, 0, GeoPoint{1, 1}, "need food"),
                          post("bad-geo", Label::kRequest, kT0, GeoPoint{95, 1}, "need food"),
                          post("", Label::kRequest, kT0, std::nullopt, "no id"),
                          post("unlocated", Label::kRequest, kT0, std::nullopt, "need food and water"),
                          post("ok", Label::kOffer, kT0, GeoPoint{1, 1}, "food and water to give"),
                          post("ok", Label::kOffer, kT0, GeoPoint{1, 1}, "repeated id")};
  std::vector<ingest::Reject> rejects{{{"in.jsonl", 7}, "", "invalid JSON at byte 3", "{x"}};
  auto report = (*live)->ingest(posts, rejects);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->results.size(), 7u);
  EXPECT_EQ(report->results[0].outcome, IngestOutcome::kRejected);
  EXPECT_NE(report->results[0].reason.find("created_at"), std::string::npos);
  EXPECT_EQ(report->results[1].outcome, IngestOutcome::kRejected);
  EXPECT_EQ(report->results[2].outcome, IngestOutcome::kRejected);
  EXPECT_EQ(report->results[3].outcome, IngestOutcome::kStored);
  EXPECT_EQ(report->results[4].outcome, IngestOutcome::kStored);
  EXPECT_EQ(report->results[5].outcome, IngestOutcome::kDuplicate);
  EXPECT_EQ(report->results[6].outcome, IngestOutcome::kRejected);
  // The unlocated request is stored and announced but gets no offers (allow_unlocated off).
  ASSERT_EQ(report->events.size(), 1u);
  EXPECT_TRUE(report->events[0].offers.empty());
  // Re-sending a stored id is a duplicate, not an error.
  auto again = (*live)->ingest(std::vector<Post>{posts[4]});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->results[0].outcome, IngestOutcome::kDuplicate);
  ASSERT_TRUE((*live)->close());
  auto db = store::Store::open(dir.file("db.sqlite"));
  ASSERT_TRUE(db);
  auto counts = (*db)->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->posts, 2u);
  EXPECT_EQ(counts->rejects, 4u);
}

TEST(LivePipeline, StoredEmbeddingsOfAnotherDimensionAreSkipped) {
  ScratchDir dir;
  const std::string path = dir.file("db.sqlite");
  {
    auto db = store::Store::open(path);
    ASSERT_TRUE(db);
    auto run = (*db)->begin_run({"test", {}, "{}"});
    ASSERT_TRUE(run);
    store::ProcessedPost p;
    p.post = post("old", Label::kOffer, kT0, GeoPoint{1, 1}, "old offer");
    p.normalized = "old offer";
    p.detected_lang = "en";
    p.label = Label::kOffer;
    p.embedding = {0.6f, 0.8f, 0.0f};  // 3-d: another encoder
    ASSERT_TRUE((*db)->write_batch(*run, std::vector<store::ProcessedPost>{p}, {}, {}));
  }
  auto live = LivePipeline::open(path, options());
  ASSERT_TRUE(live) << live.error().message;
  EXPECT_EQ((*live)->stats().skipped_wrong_dim, 1u);
  EXPECT_EQ((*live)->stats().live_offers, 0u);
  auto r = (*live)->ingest(std::vector<Post>{post("r", Label::kRequest, kT0, GeoPoint{1, 1}, "need old offer")});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->events.size(), 1u);
  EXPECT_TRUE(r->events[0].offers.empty());
}

TEST(LivePipeline, BadOptionsAreRefused) {
  ScratchDir dir;
  LiveOptions o = options();
  o.match.top_n = 0;
  EXPECT_EQ(LivePipeline::open(dir.file("a.sqlite"), o).error().code, ErrorCode::kInvalidArgument);
  o = options();
  o.lateness_ms = -1;
  EXPECT_EQ(LivePipeline::open(dir.file("a.sqlite"), o).error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace crema::engine
