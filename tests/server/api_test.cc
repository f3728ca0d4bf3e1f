// API tests: the real crema-server binary on 127.0.0.1 (started and stopped here), driven
// over HTTP: auth and roles, PII masking, ingest with per-record errors, limits, rate
// limiting, pagination, decisions and the request lifecycle, SSE delivery, concurrent
// ingest (rows counted afterwards), TLS, CORS, OpenAPI coverage, graceful shutdown.
#include <httplib.h>
#include <simdjson.h>
#include <sqlite3.h>

#include <atomic>
#include <regex>
#include <set>

#include "server_process.h"

namespace crema::server::testing {
namespace {

std::string post_line(const std::string& id, const std::string& text, const std::string& kind,
                      const std::string& created_at = "2026-12-01T10:00:00Z", double lat = 27.70, double lon = 85.32,
                      const std::string& user = "ramesh_k") {
  return "{\"id\":\"" + id + "\",\"text\":\"" + text + "\",\"created_at\":\"" + created_at + "\",\"lat\":" +
         std::to_string(lat) + ",\"lon\":" + std::to_string(lon) + ",\"kind\":\"" + kind + "\",\"user\":\"" + user +
         "\",\"lang\":\"en\"}";
}

httplib::Headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

simdjson::dom::element parse(simdjson::dom::parser& p, const std::string& body) {
  simdjson::dom::element e;
  EXPECT_EQ(p.parse(body).get(e), simdjson::SUCCESS) << body;
  return e;
}

int64_t count_rows(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
      n = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(h);
  return n;
}

// One server for most tests: a fresh store seeded with a request and two offers.
class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(scratch_dir());
    db_ = new std::string(*dir_ + "/crema.sqlite");
    viewer_ = new std::string(create_key(*db_, "vera", "viewer"));
    dispatcher_ = new std::string(create_key(*db_, "dan", "dispatcher"));
    admin_ = new std::string(create_key(*db_, "ada", "admin"));
    server_ = new ServerProcess(*dir_, *db_, {"--max-body", "65536", "--max-batch", "50", "--rate", "1000", "--burst", "1000"});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete viewer_;
    delete dispatcher_;
    delete admin_;
    std::error_code ec;
    std::filesystem::remove_all(*dir_, ec);
    delete db_;
    delete dir_;
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(30, 0);
    return c;
  }
  // Seeds r1 (water request) with offers o1 (water) and o2 (far away) once.
  void seed() {
    static bool done = false;
    if (done) return;
    auto c = client();
    const std::string body =
        post_line("r1", "We urgently need drinking water and food for 40 families in Kalimati, call +977 9841567230",
                  "request") +
        "\n" +
        post_line("o1", "We can deliver drinking water and food packages to families in Kalimati today", "offer",
                  "2026-12-01T12:00:00Z", 27.705, 85.31, "relief_org") +
        "\n" + post_line("o2", "Offering blankets in Pokhara", "offer", "2026-12-01T12:00:00Z", 28.2, 83.98) + "\n";
    auto res = c.Post("/v1/posts", bearer(*dispatcher_), body, "application/x-ndjson");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    done = true;
  }

  static std::string* dir_;
  static std::string* db_;
  static std::string* viewer_;
  static std::string* dispatcher_;
  static std::string* admin_;
  static ServerProcess* server_;
};
std::string* ApiTest::dir_ = nullptr;
std::string* ApiTest::db_ = nullptr;
std::string* ApiTest::viewer_ = nullptr;
std::string* ApiTest::dispatcher_ = nullptr;
std::string* ApiTest::admin_ = nullptr;
ServerProcess* ApiTest::server_ = nullptr;

TEST_F(ApiTest, HealthzAndOpenApiNeedNoKey) {
  auto c = client();
  auto h = c.Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_NE(h->body.find("\"ok\""), std::string::npos);
  auto o = c.Get("/v1/openapi.json");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->status, 200);
  simdjson::dom::parser p;
  auto doc = parse(p, o->body);
  EXPECT_EQ(std::string_view(doc["openapi"].get_string().value_unsafe()), "3.0.3");
}

// Every route the server registers (read from its source) is documented, and every
// documented path answers something other than "no route".
TEST_F(ApiTest, OpenApiCoversEveryRoute) {
  const std::string src = read_all(std::string(CREMA_SOURCE_DIR) + "/apps/server/server.cc");
  // s.Get("/plain", …) and s.Get(R"(/v1/x/([^/]+))", …); "([^/]+)" is the {id} segment.
  std::regex route(R"re(s\.(Get|Post|Delete)\((?:R"\((.*?)\)"|"([^"]*)"))re");
  std::set<std::pair<std::string, std::string>> routes;
  for (std::sregex_iterator it(src.begin(), src.end(), route), end; it != end; ++it) {
    std::string method = (*it)[1];
    for (auto& ch : method) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string path = (*it)[2].matched ? std::string((*it)[2]) : std::string((*it)[3]);
    const std::string id_group = "([^/]+)";
    for (size_t at; (at = path.find(id_group)) != std::string::npos;) path.replace(at, id_group.size(), "{id}");
    routes.emplace(method, path);
  }
  routes.emplace("get", "/v1/openapi.json");  // served from the embedded assets, like the page
  ASSERT_GE(routes.size(), 14u) << "route pattern no longer matches server.cc";
  auto c = client();
  auto o = c.Get("/v1/openapi.json");
  ASSERT_TRUE(o);
  simdjson::dom::parser p;
  auto doc = parse(p, o->body);
  simdjson::dom::object paths;
  ASSERT_EQ(doc["paths"].get_object().get(paths), simdjson::SUCCESS);
  for (const auto& [method, path] : routes) {
    simdjson::dom::element item;
    ASSERT_EQ(paths[path].get(item), simdjson::SUCCESS) << path << " is not in openapi.json";
    EXPECT_EQ(item[method].error(), simdjson::SUCCESS) << method << " " << path << " is not in openapi.json";
  }
  for (auto [path, item] : paths) {
    for (auto [method, op] : simdjson::dom::object(item)) {
      EXPECT_TRUE(routes.contains({std::string(method), std::string(path)}))
          << method << " " << path << " is documented but not served";
    }
  }
}

TEST_F(ApiTest, AuthFailures) {
  auto c = client();
  auto none = c.Get("/v1/requests");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Bearer realm=\"crema\"");
  EXPECT_NE(none->body.find("missing API key"), std::string::npos);
  auto wrong = c.Get("/v1/requests", bearer("crema_0000000000000001_" + std::string(48, '0')));
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto garbage = c.Get("/v1/requests", bearer("not-a-key"));
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 401);
  auto ok = c.Get("/v1/me", bearer(*viewer_));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_NE(ok->body.find("\"role\":\"viewer\""), std::string::npos);
}

TEST_F(ApiTest, ViewerIsReadOnlyAndSeesNoPii) {
  seed();
  auto c = client();
  auto post = c.Post("/v1/posts", bearer(*viewer_), post_line("v1", "need tents", "request"), "application/x-ndjson");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 403);
  auto dec = c.Post("/v1/matches/r1~o1/decision", bearer(*viewer_), R"({"decision":"confirm"})", "application/json");
  ASSERT_TRUE(dec);
  EXPECT_EQ(dec->status, 403);
  auto keys = c.Get("/v1/keys", bearer(*dispatcher_));
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->status, 403);

  auto v = c.Get("/v1/posts/r1", bearer(*viewer_));
  ASSERT_TRUE(v);
  ASSERT_EQ(v->status, 200);
  EXPECT_EQ(v->body.find("ramesh_k"), std::string::npos) << v->body;
  EXPECT_EQ(v->body.find("9841567230"), std::string::npos) << v->body;
  auto d = c.Get("/v1/posts/r1", bearer(*dispatcher_));
  ASSERT_TRUE(d);
  EXPECT_NE(d->body.find("ramesh_k"), std::string::npos);
  EXPECT_NE(d->body.find("9841567230"), std::string::npos);
  auto vm = c.Get("/v1/requests/r1/matches", bearer(*viewer_));
  ASSERT_TRUE(vm);
  EXPECT_EQ(vm->body.find("relief_org"), std::string::npos);
}

TEST_F(ApiTest, IngestReportsPerRecordErrors) {
  auto c = client();
  const std::string body = post_line("i1", "Need insulin at Bir hospital", "request") + "\n" +
                           "{\"id\":\"i2\",\"text\":\"broken\n" +  // invalid JSON on line 2
                           "{\"id\":\"i3\",\"text\":\"no time\"}\n" +
                           post_line("i1", "Need insulin at Bir hospital", "request") + "\n";
  auto res = c.Post("/v1/posts", bearer(*dispatcher_), body, "application/x-ndjson");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  simdjson::dom::parser p;
  auto doc = parse(p, res->body);
  EXPECT_EQ(int64_t(doc["stored"]), 1);
  EXPECT_EQ(int64_t(doc["duplicate"]), 1);
  EXPECT_EQ(int64_t(doc["rejected"]), 2);
  std::map<int64_t, std::string> outcome;
  for (auto r : doc["results"].get_array()) outcome[int64_t(r["line"])] = std::string(std::string_view(r["outcome"]));
  EXPECT_EQ(outcome[1], "stored");
  EXPECT_EQ(outcome[2], "rejected");
  EXPECT_EQ(outcome[3], "rejected");
  EXPECT_EQ(outcome[4], "duplicate");
  EXPECT_NE(res->body.find("created_at"), std::string::npos) << "reason for line 3 names the missing field";
}

TEST_F(ApiTest, MalformedJsonIs400NamingTheRecord) {
  auto c = client();
  auto res = c.Post("/v1/posts", bearer(*dispatcher_), "\n{\"id\": \"x\", \"text\": }\n", "application/x-ndjson");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(res->body.find("line 2"), std::string::npos) << res->body;
  auto empty = c.Post("/v1/posts", bearer(*dispatcher_), "\n\n", "application/x-ndjson");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 400);
  auto dec = c.Post("/v1/matches/r1~o1/decision", bearer(*dispatcher_), "{not json", "application/json");
  ASSERT_TRUE(dec);
  EXPECT_EQ(dec->status, 400);
  auto bad_decision = c.Post("/v1/matches/r1~o1/decision", bearer(*dispatcher_), R"({"decision":"maybe"})", "application/json");
  ASSERT_TRUE(bad_decision);
  EXPECT_EQ(bad_decision->status, 400);
  EXPECT_NE(bad_decision->body.find("maybe"), std::string::npos);
  auto bad_id = c.Post("/v1/matches/nomatch/decision", bearer(*dispatcher_), R"({"decision":"confirm"})", "application/json");
  ASSERT_TRUE(bad_id);
  EXPECT_EQ(bad_id->status, 400);
  auto unknown = c.Post("/v1/matches/zz~yy/decision", bearer(*dispatcher_), R"({"decision":"confirm"})", "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  auto route = c.Get("/v1/nothing", bearer(*viewer_));
  ASSERT_TRUE(route);
  EXPECT_EQ(route->status, 404);
  EXPECT_NE(route->body.find("no route"), std::string::npos);
}

TEST_F(ApiTest, BodyAndBatchLimits) {
  auto c = client();
  std::string big(70000, ' ');
  big += post_line("big", "x", "request");
  auto res = c.Post("/v1/posts", bearer(*dispatcher_), big, "application/x-ndjson");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  std::string batch;
  for (int i = 0; i < 51; ++i) batch += post_line("b" + std::to_string(i), "need rice", "request") + "\n";
  auto many = c.Post("/v1/posts", bearer(*dispatcher_), batch, "application/x-ndjson");
  ASSERT_TRUE(many);
  EXPECT_EQ(many->status, 413);
  EXPECT_NE(many->body.find("50"), std::string::npos);
  EXPECT_EQ(count_rows(*db_, "SELECT COUNT(*) FROM posts WHERE id = 'b0'"), 0) << "a refused batch stores nothing";
}

TEST_F(ApiTest, PaginationAndFilters) {
  auto c = client();
  std::string batch;
  for (int i = 0; i < 25; ++i) {
    char t[32];
    std::snprintf(t, sizeof t, "2026-12-02T%02d:00:00Z", i % 24);
    batch += post_line("p" + std::to_string(i), "Need shelter tents for family " + std::to_string(i), "request", t,
                       -33.9, 18.4) + "\n";
  }
  auto res = c.Post("/v1/posts", bearer(*dispatcher_), batch, "application/x-ndjson");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  std::set<std::string> ids;
  std::string cursor;
  int pages = 0;
  simdjson::dom::parser p;
  do {
    std::string url = "/v1/requests?bbox=18,-34.5,19,-33&limit=10";
    if (!cursor.empty()) url += "&cursor=" + cursor;
    auto page = c.Get(url, bearer(*viewer_));
    ASSERT_TRUE(page);
    ASSERT_EQ(page->status, 200) << page->body;
    auto doc = parse(p, page->body);
    for (auto r : doc["requests"].get_array()) ids.insert(std::string(std::string_view(r["id"])));
    cursor = doc["next_cursor"].is_null() ? "" : std::string(std::string_view(doc["next_cursor"]));
    ASSERT_LT(++pages, 10);
  } while (!cursor.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(ids.size(), 25u);
  for (const char* bad : {"/v1/requests?limit=0", "/v1/requests?limit=5000", "/v1/requests?cursor=zzz",
                          "/v1/requests?bbox=1,2,3", "/v1/requests?status=done", "/v1/requests?resource=gold",
                          "/v1/requests?since=yesterday", "/v1/requests?colour=red"}) {
    auto r = c.Get(bad, bearer(*viewer_));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad << " " << r->body;
  }
  auto shelter = c.Get("/v1/requests?resource=shelter&bbox=18,-34.5,19,-33&limit=1000", bearer(*viewer_));
  ASSERT_TRUE(shelter);
  EXPECT_EQ(shelter->status, 200);
}

TEST_F(ApiTest, MatchCardAndDecisionMoveTheStatus) {
  seed();
  auto c = client();
  auto m = c.Get("/v1/requests/r1/matches", bearer(*dispatcher_));
  ASSERT_TRUE(m);
  ASSERT_EQ(m->status, 200) << m->body;
  simdjson::dom::parser p;
  auto doc = parse(p, m->body);
  auto matches = doc["matches"].get_array();
  ASSERT_GE(matches.size(), 1u) << m->body;
  auto first = matches.at(0).value_unsafe();
  EXPECT_EQ(std::string_view(first["offer"]["id"]), "o1");
  EXPECT_EQ(std::string_view(first["match_id"]), "r1~o1");
  EXPECT_GT(double(first["s_text"]), 0.0);
  EXPECT_GT(double(first["w_time"]), 0.0);
  EXPECT_GT(double(first["w_loc"]), 0.0);
  EXPECT_NEAR(double(first["hours_apart"]), 2.0, 0.01);
  std::set<std::string> words;
  for (auto w : first["shared_words"].get_array()) words.insert(std::string(std::string_view(w)));
  EXPECT_TRUE(words.contains("drinking")) << m->body;
  EXPECT_TRUE(words.contains("kalimati")) << m->body;

  auto dec = c.Post("/v1/matches/r1~o1/decision", bearer(*dispatcher_),
                    R"({"decision":"confirm","note":"truck 7 sent"})", "application/json");
  ASSERT_TRUE(dec);
  ASSERT_EQ(dec->status, 200) << dec->body;
  auto out = parse(p, dec->body);
  const std::string status{std::string_view(out["status"])};
  EXPECT_TRUE(status == "served" || status == "partly_served") << dec->body;
  auto after = c.Get("/v1/requests/r1/matches", bearer(*viewer_));
  ASSERT_TRUE(after);
  EXPECT_NE(after->body.find("truck 7 sent"), std::string::npos);
  auto listed = c.Get("/v1/requests?status=" + status, bearer(*viewer_));
  ASSERT_TRUE(listed);
  EXPECT_NE(listed->body.find("\"id\":\"r1\""), std::string::npos);
  EXPECT_EQ(count_rows(*db_, "SELECT COUNT(*) FROM decisions WHERE request_id = 'r1' AND decision = 'confirm'"), 1);
}

TEST_F(ApiTest, EventsReachAStream) {
  seed();
  std::atomic<bool> got{false};
  std::string received;
  std::thread reader([&] {
    auto c = client();
    c.set_read_timeout(20, 0);
    c.Get("/v1/events", bearer(*viewer_), [&](const char* data, size_t n) {
      received.append(data, n);
      if (received.find("\"request_id\":\"sse1\"") != std::string::npos) {
        got = true;
        return false;
      }
      return true;
    });
  });
  // Give the stream time to start, then post a request it should announce.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  auto c = client();
  auto res = c.Post("/v1/posts", bearer(*dispatcher_),
                    post_line("sse1", "Need drinking water in Kalimati", "request", "2026-12-01T13:00:00Z"),
                    "application/x-ndjson");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  reader.join();
  EXPECT_TRUE(got.load()) << received;
  EXPECT_NE(received.find("event: new_request"), std::string::npos) << received;
  EXPECT_EQ(received.find("ramesh_k"), std::string::npos) << "viewer stream masks handles";
}

TEST_F(ApiTest, ConcurrentIngestLosesNothing) {
  constexpr int kClients = 4, kBatches = 5, kPerBatch = 20;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      auto c = client();
      for (int b = 0; b < kBatches; ++b) {
        std::string body;
        for (int i = 0; i < kPerBatch; ++i) {
          const std::string id = "c" + std::to_string(t) + "_" + std::to_string(b) + "_" + std::to_string(i);
          body += post_line(id, "Need food and water for shelter " + id, i % 2 ? "offer" : "request",
                            "2026-12-03T08:00:00Z", 40.0 + t, -3.7) + "\n";
        }
        auto res = c.Post("/v1/posts", bearer(*dispatcher_), body, "application/x-ndjson");
        if (!res || res->status != 200) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(count_rows(*db_, "SELECT COUNT(*) FROM posts WHERE id LIKE 'c%\\_%' ESCAPE '\\'"), kClients * kBatches * kPerBatch);
}

// Batches POSTed at the same time may be ingested as one group (group commit): each answer
// must still list exactly its own records, by line, with its own rejects.
TEST_F(ApiTest, ConcurrentBatchesEachGetTheirOwnResults) {
  constexpr int kClients = 8, kBatches = 4, kPerBatch = 12, kBadLine = 6;
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  std::vector<std::string> problems(kClients);
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      auto c = client();
      simdjson::dom::parser p;
      for (int b = 0; b < kBatches; ++b) {
        std::string body;
        std::vector<std::string> ids;
        for (int i = 1; i <= kPerBatch; ++i) {
          const std::string id = "g" + std::to_string(t) + "_" + std::to_string(b) + "_" + std::to_string(i);
          ids.push_back(id);
          body += (i == kBadLine ? std::string("{\"id\": \"broken") : post_line(id, "Need blankets and food for " + id,
                                                                             i % 2 ? "offer" : "request")) + "\n";
        }
        auto res = c.Post("/v1/posts", bearer(*dispatcher_), body, "application/x-ndjson");
        if (!res || res->status != 200) {
          ++wrong;
          problems[static_cast<size_t>(t)] += "HTTP failure; ";
          continue;
        }
        simdjson::dom::element doc;
        simdjson::dom::array results;
        if (p.parse(res->body).get(doc) != simdjson::SUCCESS || doc["results"].get_array().get(results) != simdjson::SUCCESS ||
            results.size() != static_cast<size_t>(kPerBatch) || int64_t(doc["stored"]) != kPerBatch - 1 ||
            int64_t(doc["rejected"]) != 1) {
          ++wrong;
          problems[static_cast<size_t>(t)] += res->body.substr(0, 300) + "; ";
          continue;
        }
        for (auto r : results) {
          const int64_t line = int64_t(r["line"]);
          const std::string_view outcome = r["outcome"].get_string().value_unsafe();
          const bool ok = line == kBadLine ? (outcome == "rejected" && r["id"].is_null())
                                           : (outcome == "stored" && r["id"].is_string() &&
                                              r["id"].get_string().value_unsafe() == ids[static_cast<size_t>(line - 1)]);
          if (!ok) {
            ++wrong;
            problems[static_cast<size_t>(t)] += "line " + std::to_string(line) + ": " + std::string(simdjson::minify(r)) + "; ";
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& pr : problems) EXPECT_TRUE(pr.empty()) << pr;
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(count_rows(*db_, "SELECT COUNT(*) FROM posts WHERE id LIKE 'g%\\_%\\_%' ESCAPE '\\'"),
            kClients * kBatches * (kPerBatch - 1));
}

TEST_F(ApiTest, StatsMetricsAndCors) {
  seed();
  auto c = client();
  auto s = c.Get("/v1/stats", bearer(*viewer_));
  ASSERT_TRUE(s);
  ASSERT_EQ(s->status, 200) << s->body;
  simdjson::dom::parser p;
  auto doc = parse(p, s->body);
  EXPECT_GE(int64_t(doc["posts"]), 3);
  EXPECT_GE(doc["requests_by_resource"].get_array().size(), 1u);
  // A request is counted by the access logger just after its response is sent: poll briefly.
  std::string metrics;
  for (int i = 0; i < 50; ++i) {
    auto m = c.Get("/metrics");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->status, 200);
    metrics = m->body;
    if (metrics.find("route=\"/v1/stats\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(metrics.find("crema_http_requests_total{route=\"/v1/stats\",method=\"GET\",code=\"200\"}"), std::string::npos);
  EXPECT_NE(metrics.find("crema_ingest_posts_total{outcome=\"stored\"}"), std::string::npos);
  EXPECT_NE(metrics.find("crema_http_request_duration_seconds_bucket"), std::string::npos);
  auto cors = c.Get("/v1/stats", {{"Authorization", "Bearer " + *viewer_}, {"Origin", "https://evil.example"}});
  ASSERT_TRUE(cors);
  EXPECT_FALSE(cors->has_header("Access-Control-Allow-Origin")) << "CORS is off by default";
}

TEST_F(ApiTest, AdminManagesKeys) {
  auto c = client();
  auto made = c.Post("/v1/keys", bearer(*admin_), R"({"name":"temp","role":"viewer"})", "application/json");
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 201) << made->body;
  simdjson::dom::parser p;
  auto doc = parse(p, made->body);
  const std::string token{std::string_view(doc["token"])};
  const int64_t id = int64_t(doc["id"]);
  auto ok = c.Get("/v1/me", bearer(token));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  auto del = c.Delete("/v1/keys/" + std::to_string(id), bearer(*admin_));
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 200);
  auto gone = c.Get("/v1/me", bearer(token));
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 401);
  const std::string secret = token.substr(token.rfind('_') + 1);
  const std::string bytes = read_all(*db_) + read_all(*db_ + "-wal");
  EXPECT_EQ(bytes.find(secret), std::string::npos) << "tokens are not stored in clear";
}

// Servers of their own: rate limit, TLS, shutdown.
TEST(ApiServerLifecycle, RateLimitPerKey) {
  const std::string dir = scratch_dir();
  const std::string db = dir + "/rl.sqlite";
  const std::string a = create_key(db, "a", "viewer"), b = create_key(db, "b", "viewer");
  ServerProcess server(dir, db, {"--rate", "1", "--burst", "5"});
  httplib::Client c("127.0.0.1", server.port());
  int ok = 0, limited = 0;
  std::string retry;
  for (int i = 0; i < 8; ++i) {
    auto r = c.Get("/v1/me", bearer(a));
    ASSERT_TRUE(r);
    if (r->status == 200) ++ok;
    if (r->status == 429) {
      ++limited;
      retry = r->get_header_value("Retry-After");
    }
  }
  EXPECT_GE(ok, 5);
  EXPECT_LE(ok, 6);
  EXPECT_GE(limited, 2);
  EXPECT_FALSE(retry.empty());
  auto other = c.Get("/v1/me", bearer(b));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200) << "another key has its own bucket";
  EXPECT_EQ(server.stop(), 0);
  std::filesystem::remove_all(dir);
}

TEST(ApiServerLifecycle, TlsWithASelfSignedCertificate) {
  const std::string dir = scratch_dir();
  const std::string cert = dir + "/cert.pem", key = dir + "/key.pem";
  auto [rc, out] = run_capture({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                                "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"});
  ASSERT_EQ(rc, 0) << "openssl req failed";
  const std::string db = dir + "/tls.sqlite";
  ServerProcess server(dir, db, {"--tls-cert", cert, "--tls-key", key});
  ASSERT_NE(server.port(), 0);
  httplib::SSLClient s("127.0.0.1", server.port());
  s.enable_server_certificate_verification(false);
  auto h = s.Get("/healthz");
  ASSERT_TRUE(h) << "HTTPS request failed";
  EXPECT_EQ(h->status, 200);
  httplib::Client plain("127.0.0.1", server.port());
  auto p = plain.Get("/healthz");
  EXPECT_TRUE(!p || p->status != 200) << "plain HTTP must not be served on the TLS port";
  EXPECT_EQ(server.stop(), 0);
  auto [bad_rc, bad_out] = run_capture({CREMA_SERVER_BIN, "--db", db, "--port", "0", "--tls-cert", cert});
  EXPECT_EQ(bad_rc, 2) << "--tls-cert without --tls-key is a usage error";
  std::filesystem::remove_all(dir);
}

TEST(ApiServerLifecycle, SigtermFlushesAndFinishesTheRun) {
  const std::string dir = scratch_dir();
  const std::string db = dir + "/st.sqlite";
  const std::string k = create_key(db, "d", "dispatcher");
  {
    ServerProcess server(dir, db);
    httplib::Client c("127.0.0.1", server.port());
    auto r = c.Post("/v1/posts", bearer(k), post_line("s1", "Need water", "request") + "\n" + post_line("s2", "Have water", "offer"),
                    "application/x-ndjson");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(server.stop(), 0) << read_all(server.log());
    EXPECT_NE(read_all(server.log()).find("SIGTERM received"), std::string::npos);
  }
  EXPECT_EQ(count_rows(db, "SELECT COUNT(*) FROM posts"), 2);
  EXPECT_EQ(count_rows(db, "SELECT COUNT(*) FROM runs WHERE finished_at_ms IS NULL"), 0) << "the run was finished";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace crema::server::testing
