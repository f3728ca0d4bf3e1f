// crema label against a scripted OpenAI-compatible server on 127.0.0.1 (httplib::Server):
// agreeing and disagreeing endpoints, fenced JSON, garbage, 500 then success, 429 with
// Retry-After, 401, slow replies that time out, resuming, and the human-validation report.
//
// PkgConfig::HTTPLIB (tests/CMakeLists.txt) defines the CPPHTTPLIB_* switches the library was
// built with, so this server and the library's client agree on httplib's class layout.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "crema/common/json_writer.h"
#include "crema/label/label.h"

namespace crema::label {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> lines_of(const fs::path& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::string line_with(const std::vector<std::string>& lines, const std::string& needle) {
  for (const auto& line : lines) {
    if (line.find(needle) != std::string::npos) return line;
  }
  return {};
}

std::string chat_body(std::string_view content) {
  std::string body = R"({"id":"chatcmpl-1","object":"chat.completion","created":0,"model":"m",)"
                     R"("choices":[{"index":0,"message":{"role":"assistant","content":)";
  append_json_string(body, content);
  body += R"(},"finish_reason":"stop"}]})";
  return body;
}

std::string json_reply(const char* label, const char* resources) {
  return std::string("{\"label\": \"") + label + "\", \"resources\": " + resources + "}";
}

// Serves /a/v1/chat/completions and /b/v1/chat/completions. Each post's text names its
// script (a word such as "AGREE"); the reply depends on the script, the endpoint and how
// often the post was asked before.
class ScriptedServer {
 public:
  ScriptedServer() {
    server_.Post(R"(/(a|b)/v1/chat/completions)", [this](const httplib::Request& req, httplib::Response& res) {
      handle(req.matches[1], req, res);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~ScriptedServer() {
    server_.stop();
    thread_.join();
  }
  std::string url(const char* which) const { return "http://127.0.0.1:" + std::to_string(port_) + "/" + which + "/v1"; }
  int calls(const std::string& endpoint, const std::string& script) {
    std::lock_guard lock(mu_);
    return calls_[endpoint + "/" + script];
  }
  int total_calls() {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& [k, v] : calls_) n += v;
    return n;
  }
  std::string last_authorization() {
    std::lock_guard lock(mu_);
    return authorization_;
  }
  std::atomic<bool> slow_is_fast{false};

 private:
  void handle(const std::string& endpoint, const httplib::Request& req, httplib::Response& res) {
    static const char* kScripts[] = {"AGREE", "DISAGREE", "FENCED", "GARBAGE", "FLAKY", "BUSY", "SLOW", "DENIED"};
    std::string script = "NONE";
    for (const char* s : kScripts) {
      if (req.body.find(s) != std::string::npos) script = s;
    }
    int call = 0;
    {
      std::lock_guard lock(mu_);
      call = ++calls_[endpoint + "/" + script];
      authorization_ = req.get_header_value("Authorization");
    }
    const bool a = endpoint == "a";
    std::string content;
    if (script == "AGREE") {
      content = json_reply("request", a ? "[\"water\", \"food\"]" : "[\"water\"]");
    } else if (script == "DISAGREE") {
      content = a ? json_reply("offer", "[\"shelter\"]") : json_reply("irrelevant", "[]");
    } else if (script == "FENCED") {
      content = a ? "```json\n" + json_reply("offer", "[\"transport\"]") + "\n```"
                  : "The author offers rides. " + json_reply("Offer", "[\"transport\", \"volunteers\"]");
    } else if (script == "GARBAGE") {
      content = a ? "I'm sorry, I can't classify this." : json_reply("irrelevant", "[]");
    } else if (script == "FLAKY" && !a && call == 1) {
      res.status = 500;
      res.set_content("{\"error\":{\"message\":\"overloaded\"}}", "application/json");
      return;
    } else if (script == "BUSY" && a && call == 1) {
      res.status = 429;
      res.set_header("Retry-After", "0");
      res.set_content("slow down", "text/plain");
      return;
    } else if (script == "SLOW" && a && !slow_is_fast) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      content = json_reply("request", "[\"medical\"]");
    } else if (script == "DENIED" && !a) {
      res.status = 401;
      res.set_content("{\"error\":{\"message\":\"bad key\"}}", "application/json");
      return;
    } else {
      content = json_reply("request", "[\"medical\"]");
    }
    res.set_content(chat_body(content), "application/json");
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, int> calls_;
  std::string authorization_;
};

class LabelRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("crema_label_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write_posts(const std::vector<std::pair<std::string, std::string>>& posts) {
    std::string text;
    for (const auto& [id, body] : posts) {
      JsonWriter w;
      w.begin_object().key("id").value(id).key("text").value(body).key("lang").value("en").end_object();
      text += w.str() + "\n";
    }
    const fs::path path = dir_ / "posts.jsonl";
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  LabelOptions options(const std::string& in) {
    LabelOptions o;
    o.endpoints = {{server_.url("a"), "model-a", "k-123"}, {server_.url("b"), "model-b", ""}};
    o.in_path = in;
    o.out_dir = (dir_ / "out").string();
    o.threads = 3;
    o.client.timeout_s = 0.5;
    o.client.max_retries = 2;
    o.client.backoff_s = 0.01;
    o.min_per_label = 2;
    return o;
  }

  ScriptedServer server_;
  fs::path dir_;
};

TEST_F(LabelRunTest, UnanimityDisputesRetriesAndTimeouts) {
  const std::string in = write_posts({{"p1", "AGREE: need water at the school"},
                                      {"p2", "DISAGREE: spare room?"},
                                      {"p3", "FENCED: free rides"},
                                      {"p4", "GARBAGE"},
                                      {"p5", "FLAKY: insulin needed"},
                                      {"p6", "BUSY: doctors needed"},
                                      {"p7", "SLOW: nurses needed"},
                                      {"p1", "duplicate id"}});
  auto o = options(in);
  o.client.max_retries = 1;  // FLAKY and BUSY succeed on their retry; SLOW times out twice
  std::vector<uint64_t> progress;
  o.progress = [&progress](std::string_view stage, uint64_t done, uint64_t total) {
    EXPECT_EQ(stage, "label");
    EXPECT_EQ(total, 14u);
    progress.push_back(done);
  };
  auto summary = run_labelling(o);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->posts, 7);
  EXPECT_EQ(summary->rejected, 1);
  EXPECT_EQ(summary->resumed, 0);
  // Kept: p1, p3, p5 (after a 500), p6 (after a 429); disputed: p2, p4; pending: p7 (timeout).
  EXPECT_EQ(summary->kept, 4);
  EXPECT_EQ(summary->disputed, 2);
  EXPECT_EQ(summary->pending, 1);
  EXPECT_NEAR(summary->unanimity, 4.0 / 6.0, 1e-12);
  EXPECT_EQ(summary->kept_labels[static_cast<size_t>(Label::kRequest)], 3);
  EXPECT_EQ(summary->kept_labels[static_cast<size_t>(Label::kOffer)], 1);
  ASSERT_EQ(summary->endpoints.size(), 2u);
  EXPECT_EQ(summary->endpoints[0].invalid, 1);  // p4 on a
  EXPECT_EQ(summary->endpoints[0].error, 1);    // p7 on a
  EXPECT_EQ(summary->endpoints[0].requests_made, 7);
  EXPECT_EQ(server_.calls("b", "FLAKY"), 2);
  EXPECT_EQ(server_.calls("a", "BUSY"), 2);
  EXPECT_EQ(server_.calls("a", "SLOW"), 2);  // one retry after the timeout
  EXPECT_EQ(server_.calls("b", "SLOW"), 1);
  ASSERT_EQ(progress.size(), 15u);
  EXPECT_EQ(progress.back(), 14u);

  // Pairwise: valid on both for p1, p2, p3, p5, p6 (p4 invalid on a, p7 error on a);
  // a: R O O R R, b: R I O R R -> raw 0.8.
  ASSERT_EQ(summary->pairs.size(), 1u);
  EXPECT_EQ(summary->pairs[0].n, 5);
  EXPECT_NEAR(summary->pairs[0].raw, 0.8, 1e-12);

  const fs::path out = dir_ / "out";
  const auto labels = lines_of(out / "labels.jsonl");
  ASSERT_EQ(labels.size(), 4u);
  // Resources: both chose water -> water (a also said food); FENCED: the common transport.
  EXPECT_NE(line_with(labels, "\"id\":\"p1\"").find("\"label\":\"request\",\"resources\":[\"water\"]"), std::string::npos)
      << labels[0];
  EXPECT_NE(line_with(labels, "\"id\":\"p3\"").find("\"label\":\"offer\",\"resources\":[\"transport\"]"),
            std::string::npos);
  EXPECT_NE(labels[0].find("\"source\":\"posts.jsonl\",\"source_id\":\"p1\""), std::string::npos);
  EXPECT_NE(labels[0].find("\"annotation\":\"unanimous\""), std::string::npos);

  const auto disputed = lines_of(out / "disputed.jsonl");
  ASSERT_EQ(disputed.size(), 2u);
  EXPECT_NE(line_with(disputed, "\"id\":\"p2\"").find("\"label\":\"irrelevant\""), std::string::npos);
  const std::string garbage = line_with(disputed, "\"id\":\"p4\"");
  EXPECT_NE(garbage.find("\"status\":\"invalid\""), std::string::npos);
  EXPECT_NE(garbage.find("I'm sorry"), std::string::npos);  // the raw text is kept

  const auto answers = lines_of(out / "answers.jsonl");
  EXPECT_EQ(answers.size(), 14u);
  const std::string slow = line_with(answers, "\"id\":\"p7\",\"endpoint\":\"model-a@");
  EXPECT_NE(slow.find("\"status\":\"error\""), std::string::npos);
  EXPECT_NE(slow.find("\"attempts\":2"), std::string::npos);

  EXPECT_EQ(lines_of(out / "rejects.jsonl").size(), 1u);
  EXPECT_NE(read_text(out / "rejects.jsonl").find("duplicate id"), std::string::npos);
  const std::string report = read_text(out / "report.json");
  EXPECT_NE(report.find("\"kept\":4"), std::string::npos);
  EXPECT_NE(report.find("\"pending\":1"), std::string::npos);
  EXPECT_NE(read_text(out / "report.txt").find("unanimity 0.667"), std::string::npos);
  // Sample of 4 kept posts: n = 4 (finite population), stratified request 3 / offer 1.
  const auto sample = lines_of(out / "validation_sample.jsonl");
  EXPECT_EQ(sample.size(), 4u);
  for (const auto& line : sample) EXPECT_NE(line.find("\"label\":null"), std::string::npos) << line;
}

TEST_F(LabelRunTest, RerunResumesAndRetriesOnlyErrors) {
  const std::string in = write_posts({{"p1", "AGREE"}, {"p2", "GARBAGE"}, {"p3", "SLOW"}});
  auto o = options(in);
  o.client.max_retries = 0;
  auto first = run_labelling(o);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->pending, 1);
  const int calls_after_first = server_.total_calls();
  EXPECT_EQ(calls_after_first, 6);

  server_.slow_is_fast = true;
  auto second = run_labelling(o);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->resumed, 5);  // all but p3 on a
  EXPECT_EQ(server_.total_calls(), calls_after_first + 1);
  EXPECT_EQ(second->pending, 0);
  EXPECT_EQ(second->kept, 2);
  EXPECT_EQ(lines_of(dir_ / "out" / "answers.jsonl").size(), 7u);  // appended, never rewritten

  // --retry-invalid asks a again about p2 (still garbage).
  o.retry_invalid = true;
  auto third = run_labelling(o);
  ASSERT_TRUE(third);
  EXPECT_EQ(server_.calls("a", "GARBAGE"), 2);
  EXPECT_EQ(third->disputed, 1);
}

TEST_F(LabelRunTest, TornAnswersLineIsSkipped) {
  const std::string in = write_posts({{"p1", "AGREE"}});
  auto o = options(in);
  fs::create_directories(dir_ / "out");
  std::ofstream(dir_ / "out" / "answers.jsonl", std::ios::binary)
      << "{\"id\":\"p1\",\"endpoint\":\"model-a@" << server_.url("a")
      << "/chat/completions\",\"status\":\"valid\",\"label\":\"request\",\"resources\":[\"water\"]}\n"
      << "{\"id\":\"p1\",\"endpoint\":\"mod";  // killed mid-write
  auto summary = run_labelling(o);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->unreadable_answers, 1);
  EXPECT_EQ(summary->resumed, 1);
  EXPECT_EQ(server_.calls("a", "AGREE"), 0);
  EXPECT_EQ(server_.calls("b", "AGREE"), 1);
  EXPECT_EQ(summary->kept, 1);
  const auto answers = lines_of(dir_ / "out" / "answers.jsonl");
  ASSERT_EQ(answers.size(), 3u);  // the new answer starts on a line of its own
  EXPECT_EQ(answers[2].rfind("{\"id\":\"p1\",\"endpoint\":\"model-b@", 0), 0u) << answers[2];
}

TEST_F(LabelRunTest, ClientErrorsAreNotRetriedAndKeySent) {
  const std::string in = write_posts({{"p1", "DENIED"}});
  auto o = options(in);
  o.endpoints = {{server_.url("b"), "m", "sk-test"}};
  auto summary = run_labelling(o);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(server_.calls("b", "DENIED"), 1);
  EXPECT_EQ(server_.last_authorization(), "Bearer sk-test");
  EXPECT_EQ(summary->pending, 1);
  EXPECT_NE(read_text(dir_ / "out" / "answers.jsonl").find("HTTP 401"), std::string::npos);
}

// b refuses every DENIED post with 401: after give_up_after errors in a row it is not asked
// again this run; its posts stay pending and a rerun asks them. An answer resets the count.
TEST_F(LabelRunTest, GivesUpOnAnEndpointAfterErrorsInARow) {
  std::vector<std::pair<std::string, std::string>> posts;
  for (int i = 0; i < 8; ++i) posts.emplace_back("p" + std::to_string(i), "DENIED " + std::to_string(i));
  const std::string in = write_posts(posts);
  auto o = options(in);
  o.threads = 1;  // requests in input order, so the count of errors in a row is exact
  o.give_up_after = 3;
  auto summary = run_labelling(o);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(server_.calls("a", "DENIED"), 8);
  EXPECT_EQ(server_.calls("b", "DENIED"), 3);
  const EndpointStats& b = summary->endpoints[1];
  EXPECT_TRUE(b.given_up);
  EXPECT_EQ(b.requests_made, 3);
  EXPECT_EQ(b.skipped, 5);
  EXPECT_EQ(b.error, 3);
  EXPECT_EQ(b.unanswered, 8);
  EXPECT_EQ(b.last_error, "HTTP 401");
  EXPECT_FALSE(summary->endpoints[0].given_up);
  EXPECT_EQ(summary->endpoints[0].unanswered, 0);
  EXPECT_EQ(summary->pending, 8);
  EXPECT_EQ(lines_of(dir_ / "out" / "answers.jsonl").size(), 11u);  // skipped requests store nothing
  EXPECT_NE(read_text(dir_ / "out" / "report.txt").find("gave up"), std::string::npos);
  EXPECT_NE(read_text(dir_ / "out" / "report.json").find("\"given_up\":true"), std::string::npos);

  // 0 = never give up: the rerun asks b about all eight.
  o.give_up_after = 0;
  auto rerun = run_labelling(o);
  ASSERT_TRUE(rerun) << rerun.error().message;
  EXPECT_EQ(server_.calls("b", "DENIED"), 11);
  EXPECT_FALSE(rerun->endpoints[1].given_up);
  EXPECT_EQ(rerun->endpoints[1].skipped, 0);
}

TEST_F(LabelRunTest, AnAnswerResetsTheErrorsInARow) {
  const std::string in = write_posts({{"p1", "DENIED 1"}, {"p2", "DENIED 2"}, {"p3", "AGREE 3"},
                                      {"p4", "DENIED 4"}, {"p5", "DENIED 5"}, {"p6", "AGREE 6"}});
  auto o = options(in);
  o.threads = 1;
  o.give_up_after = 3;
  auto summary = run_labelling(o);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_FALSE(summary->endpoints[1].given_up);
  EXPECT_EQ(server_.calls("b", "DENIED"), 4);
  EXPECT_EQ(summary->kept, 2);
  EXPECT_EQ(summary->pending, 4);
}

TEST_F(LabelRunTest, BadOptionsFailBeforeAnyRequest) {
  const std::string in = write_posts({{"p1", "AGREE"}});
  auto o = options(in);
  o.endpoints.clear();
  EXPECT_FALSE(run_labelling(o));
  o = options(in);
  o.endpoints.push_back(o.endpoints[0]);
  auto twice = run_labelling(o);
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("twice"), std::string::npos);
  o = options(in);
  o.endpoints[0].url = "localhost:8080";
  EXPECT_EQ(run_labelling(o).error().code, ErrorCode::kInvalidArgument);
  o = options(in);
  o.margin = 0;
  EXPECT_FALSE(run_labelling(o));
  o = options((dir_ / "missing.jsonl").string());
  EXPECT_FALSE(run_labelling(o));
  EXPECT_EQ(server_.total_calls(), 0);
}

TEST_F(LabelRunTest, ConnectionRefusedIsAnErrorAnswer) {
  const std::string in = write_posts({{"p1", "AGREE"}});
  auto o = options(in);
  // A port nobody listens on: bound by a plain socket, then closed (an httplib::Server that
  // never listened keeps its bound socket listening, and a connection to it would hang).
  int port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port = ntohs(addr.sin_port);
    ::close(fd);
  }
  o.endpoints = {{"http://127.0.0.1:" + std::to_string(port), "", ""}};
  o.client.max_retries = 1;
  auto summary = run_labelling(o);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->pending, 1);
  EXPECT_EQ(summary->endpoints[0].error, 1);
  EXPECT_NE(read_text(dir_ / "out" / "answers.jsonl").find("request failed: could not connect"), std::string::npos);
  EXPECT_EQ(summary->endpoints[0].last_error.rfind("request failed: could not connect", 0), 0u)
      << summary->endpoints[0].last_error;
}

TEST_F(LabelRunTest, ValidationAgainstAPersonsLabels) {
  const std::string in = write_posts({{"p1", "AGREE"}, {"p2", "FENCED"}, {"p3", "x"}, {"p4", "y"}});
  auto summary = run_labelling(options(in));
  ASSERT_TRUE(summary) << summary.error().message;
  ASSERT_EQ(summary->kept, 4);  // request, offer, request, request
  const fs::path validated = dir_ / "validated.jsonl";
  std::ofstream(validated) << "{\"id\":\"p1\",\"label\":\"request\"}\n"
                              "{\"id\":\"p2\",\"label\":\"offer\"}\n"
                              "{\"id\":\"p3\",\"label\":\"irrelevant\"}\n"
                              "{\"id\":\"p4\",\"label\":null}\n"
                              "{\"id\":\"zz\",\"label\":\"offer\"}\n";
  const std::string labels = (dir_ / "out" / "labels.jsonl").string();
  auto v = validate_labels(labels, validated.string());
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->rows, 5);
  EXPECT_EQ(v->unlabelled, 1);
  EXPECT_EQ(v->not_kept, 1);
  EXPECT_EQ(v->agreement.n, 3);
  EXPECT_NEAR(v->agreement.raw, 2.0 / 3.0, 1e-12);
  // kept R O R, person R O I: pe = (2*1 + 1*1 + 0*1)/9 = 1/3; kappa = (2/3 - 1/3)/(2/3) = 0.5.
  EXPECT_NEAR(v->agreement.kappa, 0.5, 1e-12);
  EXPECT_NE(read_text(dir_ / "out" / "validation.json").find("\"kappa\":0.5"), std::string::npos);
  EXPECT_NE(read_text(dir_ / "out" / "validation.txt").find("Cohen's kappa 0.500"), std::string::npos);
  EXPECT_NE(read_text(dir_ / "out" / "validation.json").find("\"request_and_offer\":null"), std::string::npos);
  EXPECT_NE(read_text(dir_ / "out" / "validation.txt").find("request_and_offer n/a"), std::string::npos);

  std::ofstream(validated) << "{\"id\":\"p1\",\"label\":\"request\"}\n{\"id\":\"p2\",\"label\":\"maybe\"}\n";
  auto bad = validate_labels(labels, validated.string());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find(validated.string() + ":2: unknown label \"maybe\""), std::string::npos)
      << bad.error().message;
  std::ofstream(validated) << "{\"id\":\"p9\",\"label\":\"request\"}\n";
  EXPECT_EQ(validate_labels(labels, validated.string()).error().code, ErrorCode::kInvalidArgument);
  std::ofstream(validated) << "not json\n";
  EXPECT_EQ(validate_labels(labels, validated.string()).error().code, ErrorCode::kParseError);
}

}  // namespace
}  // namespace crema::label
