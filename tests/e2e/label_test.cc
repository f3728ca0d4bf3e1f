// End-to-end tests of `crema label`: the real binary against real OpenAI-compatible
// chat-completions servers (cpp-httplib, in this process, on ephemeral ports). Each server
// reads the post from the user message and answers with the label its marker names, in its own
// reply style; one disagrees on some posts, one answers malformed JSON, HTTP 500 and slowly.
// Checked: kept labels, disputes, pending posts and resuming, the stratified validation sample
// (sized for ±3% at 95%), kappa against a person's file, exit codes, and a dead endpoint.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "cli.h"
#include "crema/common/json_writer.h"

namespace {

namespace fs = std::filesystem;
using namespace crema_e2e;

constexpr std::array<const char*, 4> kLabels = {"request", "offer", "request_and_offer", "irrelevant"};

// The label a post's marker names: [req], [off], [both], [irr].
int marker_label(std::string_view text) {
  if (text.find("[req]") != std::string_view::npos) return 0;
  if (text.find("[off]") != std::string_view::npos) return 1;
  if (text.find("[both]") != std::string_view::npos) return 2;
  if (text.find("[irr]") != std::string_view::npos) return 3;
  return -1;
}

std::string chat_body(std::string_view content) {
  std::string body = R"({"id":"chatcmpl-e2e","object":"chat.completion","created":1700000000,"model":"m",)"
                     R"("choices":[{"index":0,"message":{"role":"assistant","content":)";
  crema::append_json_string(body, content);
  body += R"(},"finish_reason":"stop"}],"usage":{"prompt_tokens":900,"completion_tokens":20,"total_tokens":920}})";
  return body;
}

// How one server answers a post: fills res (status, body) from the post text and how many
// times this server was asked about it before (call = 1 on the first request).
using Script = std::function<void(const std::string& post, int call, httplib::Response& res)>;

// An OpenAI-compatible /v1/chat/completions server. It checks the request's shape (model,
// system then user message, stream false) and answers 400 otherwise, as a real one would.
class ChatServer {
 public:
  ChatServer(std::string model, Script script) : model_(std::move(model)), script_(std::move(script)) {
    server_.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      handle(req, res);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~ChatServer() {
    server_.stop();
    thread_.join();
  }
  ChatServer(const ChatServer&) = delete;
  ChatServer& operator=(const ChatServer&) = delete;

  int port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int calls(const std::string& marker) {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& [post, count] : calls_) {
      if (post.find(marker) != std::string::npos) n += count;
    }
    return n;
  }
  int total_calls() { return calls(""); }
  int bad_requests() { return bad_requests_.load(); }

 private:
  void handle(const httplib::Request& req, httplib::Response& res) {
    simdjson::dom::parser parser;
    simdjson::dom::object body;
    std::string_view model, system, user, role0, role1;
    bool stream = true;
    simdjson::dom::array messages;
    const bool ok = parser.parse(req.body).get(body) == simdjson::SUCCESS &&
                    body["model"].get(model) == simdjson::SUCCESS && model == model_ &&
                    body["stream"].get(stream) == simdjson::SUCCESS && !stream &&
                    body["messages"].get(messages) == simdjson::SUCCESS && messages.size() == 2 &&
                    messages.at(0)["role"].get(role0) == simdjson::SUCCESS && role0 == "system" &&
                    messages.at(0)["content"].get(system) == simdjson::SUCCESS && !system.empty() &&
                    messages.at(1)["role"].get(role1) == simdjson::SUCCESS && role1 == "user" &&
                    messages.at(1)["content"].get(user) == simdjson::SUCCESS;
    if (!ok) {
      ++bad_requests_;
      res.status = 400;
      res.set_content(R"({"error":{"message":"bad request","type":"invalid_request_error"}})", "application/json");
      return;
    }
    const std::string post(user);
    int call = 0;
    {
      std::lock_guard lock(mu_);
      call = ++calls_[post];
    }
    script_(post, call, res);
  }

  std::string model_;
  Script script_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, int> calls_;
  std::atomic<int> bad_requests_{0};
};

// Three reply styles real models use.
std::string bare(int label) {
  return std::string(R"({"label": ")") + kLabels[static_cast<size_t>(label)] + R"(", "resources": )" +
         (label == 3 ? "[]" : R"(["water", "food"])") + "}";
}
std::string fenced(int label) {
  return "The author's intent is clear.\n```json\n" + bare(label) + "\n```";
}
std::string thinking(int label) {
  std::string name = kLabels[static_cast<size_t>(label)];
  name[0] = static_cast<char>(name[0] - 'a' + 'A');  // "Request": labels are read case-blind
  return "<think>Who needs what? {\"label\": \"irrelevant\"} no, read again.</think>\n{\"label\": \"" + name +
         "\", \"resources\": " + (label == 3 ? "[]" : R"(["water"])") + "}";
}

std::string str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}
int64_t num(simdjson::dom::element e, const char* key) {
  int64_t v = -1;
  EXPECT_EQ(e[key].get(v), simdjson::SUCCESS) << key;
  return v;
}
double real(simdjson::dom::element e, const char* key) {
  double v = std::nan("");
  EXPECT_EQ(e[key].get(v), simdjson::SUCCESS) << key;
  return v;
}

// Cochran's sample size with the finite-population correction, ±3% at 95% (docs/label.md),
// computed here independently of the library.
int64_t expected_sample(int64_t population) {
  const double z = 1.959963984540054;
  const double n0 = z * z * 0.25 / (0.03 * 0.03);
  const double n = n0 / (1.0 + (n0 - 1.0) / static_cast<double>(population));
  return std::min<int64_t>(population, static_cast<int64_t>(std::ceil(n - 1e-9)));
}

// Cohen's kappa of two label lists, computed independently of the library.
double kappa_of(const std::vector<int>& a, const std::vector<int>& b) {
  const double n = static_cast<double>(a.size());
  double po = 0, pa[4] = {}, pb[4] = {};
  for (size_t i = 0; i < a.size(); ++i) {
    po += a[i] == b[i] ? 1 : 0;
    pa[a[i]] += 1;
    pb[b[i]] += 1;
  }
  po /= n;
  double pe = 0;
  for (int c = 0; c < 4; ++c) pe += (pa[c] / n) * (pb[c] / n);
  return (po - pe) / (1.0 - pe);
}

std::string post_line(const std::string& id, const std::string& text, const std::string& lang = "en") {
  crema::JsonWriter w;
  w.begin_object().key("id").value(id).key("text").value(text).key("lang").value(lang).end_object();
  return w.take();
}

// The label of each post by id, from a JSONL file with "id" and "label".
std::map<std::string, std::string> labels_by_id(const std::string& path) {
  std::map<std::string, std::string> out;
  simdjson::dom::parser parser;
  for (const auto& line : lines_of(path)) {
    simdjson::dom::element e;
    EXPECT_EQ(parser.parse(line).get(e), simdjson::SUCCESS) << line;
    out[str(e, "id")] = str(e, "label");
  }
  return out;
}

// A port nothing listens on: bound by a plain socket, then closed. (httplib::Server's
// destructor would leave a bound socket listening, and connections to it would hang.)
int dead_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

class CremaLabel : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir(std::string("label_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (fs::path(dir_) / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::binary) << text;
    return path(name);
  }
  std::string dir_;
};

// The main run: three endpoints, 60 posts (plus three bad records). alpha answers bare JSON;
// beta answers in a fence after prose and says "irrelevant" to the four [disagree] posts;
// gamma thinks first, answers slowly, sends a malformed body for [broken], fails [flaky] once
// with HTTP 500 and fails [down] with HTTP 500 until it is "repaired".
TEST_F(CremaLabel, UnanimousKeptDisputesPendingResumeSampleAndValidation) {
  std::atomic<bool> repaired{false};
  ChatServer alpha("m-alpha", [](const std::string& post, int, httplib::Response& res) {
    res.set_content(chat_body(bare(marker_label(post))), "application/json");
  });
  ChatServer beta("m-beta", [](const std::string& post, int, httplib::Response& res) {
    const int label = post.find("[disagree]") != std::string::npos ? 3 : marker_label(post);
    res.set_content(chat_body(fenced(label)), "application/json");
  });
  ChatServer gamma("m-gamma", [&repaired](const std::string& post, int call, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    if (post.find("[broken]") != std::string::npos) {
      res.set_content(R"({"choices":[{"index":0,"message":{"role":"assistant","content":"{\"label\": \"req)",
                      "application/json");
      return;
    }
    if ((post.find("[flaky]") != std::string::npos && call == 1) ||
        (post.find("[down]") != std::string::npos && !repaired)) {
      res.status = 500;
      res.set_header("Retry-After", "0");
      res.set_content(R"({"error":{"message":"the model is loading"}})", "application/json");
      return;
    }
    res.set_content(chat_body(thinking(marker_label(post))), "application/json");
  });

  // 60 posts: 30 requests (4 of them [disagree]), 14 offers, 6 both, 10 irrelevant.
  std::string posts;
  std::map<std::string, int> truth;
  const auto add = [&](const std::string& id, int label, const std::string& extra) {
    static const char* kText[] = {"we need water and food at the school shelter", "I can drive supplies to anyone",
                                  "we collected food and need volunteers to hand it out",
                                  "praying for everyone affected"};
    const std::string marker = std::string("[") + (label == 0 ? "req" : label == 1 ? "off" : label == 2 ? "both" : "irr") + "]";
    posts += post_line(id, std::string(kText[label]) + " " + marker + extra + " #" + id) + "\n";
    truth[id] = label;
  };
  int n = 0;
  const auto next_id = [&n] {
    char buf[8];
    std::snprintf(buf, sizeof buf, "p%02d", ++n);
    return std::string(buf);
  };
  for (int i = 0; i < 30; ++i) add(next_id(), 0, i < 4 ? " [disagree]" : "");
  for (int i = 0; i < 14; ++i) add(next_id(), 1, i == 0 ? " [broken]" : i == 1 ? " [flaky]" : "");
  for (int i = 0; i < 6; ++i) add(next_id(), 2, i == 0 ? " [down]" : "");
  for (int i = 0; i < 10; ++i) add(next_id(), 3, "");
  posts += "{\"id\": \"x1\", \"text\": \"cut off\n";         // not JSON
  posts += post_line("p05", "a second record with id p05 [req]") + "\n";  // repeated id
  posts += "{\"id\": \"x2\", \"lang\": \"en\"}\n";             // no text
  const std::string in = write("posts.jsonl", posts);
  const std::string out = path("out");
  const std::string gamma_url = gamma.base() + "/v1/chat/completions";
  const std::vector<std::string> args = {"--json", "-t", "6", "label", "--endpoint", alpha.base(),
                                         "--endpoint", beta.base() + "/v1", "--endpoint", gamma_url,
                                         "--model", "m-alpha", "--model", "m-beta", "--model", "m-gamma",
                                         "--in", in, "--out", out, "--retries", "2", "--timeout", "10"};

  // Run 1: [down] stays unanswered by gamma, so the run ends with exit 1 and names gamma.
  {
    const CliResult r = run_crema(args, Stderr::kCaptured);
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("m-gamma@" + gamma_url), std::string::npos) << "the failing endpoint is named:\n" << r.out;
    EXPECT_NE(r.out.find("HTTP 500"), std::string::npos) << "the reason is given:\n" << r.out;
    std::string json;  // stdout's summary, among the error lines of stderr
    for (const auto& line : split_lines(r.out)) {
      if (line.starts_with('{')) json = line;
    }
    simdjson::dom::parser parser;
    simdjson::dom::element s;
    ASSERT_EQ(parser.parse(json).get(s), simdjson::SUCCESS) << r.out;
    EXPECT_EQ(num(s, "posts"), 60);
    EXPECT_EQ(num(s, "rejected"), 3);
    EXPECT_EQ(num(s, "kept"), 54);
    EXPECT_EQ(num(s, "disputed"), 5);
    EXPECT_EQ(num(s, "pending"), 1);
    EXPECT_EQ(num(s, "resumed_answers"), 0);
    EXPECT_EQ(lines_of(out + "/answers.jsonl").size(), 180U);
    EXPECT_EQ(lines_of(out + "/rejects.jsonl").size(), 3U);
  }
  EXPECT_EQ(alpha.bad_requests() + beta.bad_requests() + gamma.bad_requests(), 0);
  EXPECT_EQ(alpha.total_calls(), 60);
  EXPECT_EQ(gamma.calls("[flaky]"), 2);  // one 500, one answer
  EXPECT_EQ(gamma.calls("[down]"), 3);   // 1 + --retries 2

  // Run 2, gamma repaired: only the one missing (post, endpoint) pair is asked again.
  repaired = true;
  const CliResult r = run_crema(args);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(alpha.total_calls(), 60);
  EXPECT_EQ(beta.total_calls(), 60);
  EXPECT_EQ(gamma.calls("[down]"), 4);
  EXPECT_EQ(gamma.total_calls(), 60 + 1 + 3);
  simdjson::dom::parser parser;
  simdjson::dom::element s;
  ASSERT_EQ(parser.parse(r.out).get(s), simdjson::SUCCESS) << r.out;
  EXPECT_EQ(num(s, "resumed_answers"), 179);
  EXPECT_EQ(num(s, "kept"), 55);
  EXPECT_EQ(num(s, "disputed"), 5);
  EXPECT_EQ(num(s, "pending"), 0);
  EXPECT_NEAR(real(s, "unanimity"), 55.0 / 60.0, 1e-6);
  EXPECT_EQ(lines_of(out + "/answers.jsonl").size(), 181U);

  // Kept: the marker's label for every post but the disputed ones, with the annotators.
  const std::set<std::string> disputed_ids = {"p01", "p02", "p03", "p04", "p31"};
  const auto kept = labels_by_id(out + "/labels.jsonl");
  ASSERT_EQ(kept.size(), 55U);
  for (const auto& [id, label] : truth) {
    if (disputed_ids.count(id)) {
      EXPECT_EQ(kept.count(id), 0U) << id;
    } else {
      EXPECT_EQ(kept.count(id) ? kept.at(id) : "", kLabels[static_cast<size_t>(label)]) << id;
    }
  }
  {
    simdjson::dom::parser line_parser;  // s (from parser) stays valid
    simdjson::dom::element first;
    ASSERT_EQ(line_parser.parse(lines_of(out + "/labels.jsonl").at(0)).get(first), simdjson::SUCCESS);
    simdjson::dom::array annotators, resources;
    ASSERT_EQ(first["annotators"].get(annotators), simdjson::SUCCESS);
    EXPECT_EQ(annotators.size(), 3U);
    ASSERT_EQ(first["resources"].get(resources), simdjson::SUCCESS);
    ASSERT_EQ(resources.size(), 1U);  // water: the only resource all three chose
    EXPECT_EQ(str(first, "annotation"), "unanimous");
    EXPECT_EQ(str(first, "source"), "posts.jsonl");
  }

  // Disputed: the four disagreements, and gamma's malformed body as invalid.
  std::set<std::string> disputed;
  simdjson::dom::parser line_parser;  // s (from parser) stays valid
  for (const auto& line : lines_of(out + "/disputed.jsonl")) {
    simdjson::dom::element d;
    ASSERT_EQ(line_parser.parse(line).get(d), simdjson::SUCCESS) << line;
    disputed.insert(str(d, "id"));
    simdjson::dom::array answers;
    ASSERT_EQ(d["answers"].get(answers), simdjson::SUCCESS);
    ASSERT_EQ(answers.size(), 3U);
    if (str(d, "id") == "p31") {
      EXPECT_EQ(str(answers.at(2), "status"), "invalid") << line;
    } else {
      EXPECT_EQ(str(answers.at(1), "label"), "irrelevant") << line;
    }
  }
  EXPECT_EQ(disputed, disputed_ids);

  // Pairwise kappa alpha vs beta over the 60 posts, against one computed here.
  {
    std::vector<int> a, b;
    for (const auto& [id, label] : truth) {
      a.push_back(label);
      const bool disagree = id == "p01" || id == "p02" || id == "p03" || id == "p04";
      b.push_back(disagree ? 3 : label);
    }
    simdjson::dom::array pairs;
    ASSERT_EQ(s["pairwise"].get(pairs), simdjson::SUCCESS);
    ASSERT_EQ(pairs.size(), 3U);
    EXPECT_EQ(num(pairs.at(0), "n"), 60);
    EXPECT_NEAR(real(pairs.at(0), "raw_agreement"), 56.0 / 60.0, 1e-6);
    EXPECT_NEAR(real(pairs.at(0), "kappa"), kappa_of(a, b), 1e-6);
    EXPECT_EQ(num(pairs.at(1), "n"), 59);  // alpha vs gamma: gamma's [broken] is invalid
  }

  // The validation sample: sized for ±3% at 95% over the 55 kept, each label topped up to
  // --min-per-label 30 (all of it when smaller), drawn from the kept posts only.
  simdjson::dom::element sample;
  ASSERT_EQ(s["validation_sample"].get(sample), simdjson::SUCCESS);
  EXPECT_EQ(num(sample, "target"), expected_sample(55));
  std::map<std::string, int64_t> population = {
      {"request", 26}, {"offer", 13}, {"request_and_offer", 6}, {"irrelevant", 10}};
  simdjson::dom::array strata;
  ASSERT_EQ(sample["strata"].get(strata), simdjson::SUCCESS);
  int64_t drawn_total = 0;
  std::map<std::string, int64_t> drawn;
  for (auto stratum : strata) {
    const std::string label = str(stratum, "label");
    EXPECT_EQ(num(stratum, "population"), population[label]) << label;
    drawn[label] = num(stratum, "drawn");
    EXPECT_GE(drawn[label], std::min<int64_t>(30, population[label])) << label;
    EXPECT_LE(drawn[label], population[label]) << label;
    drawn_total += drawn[label];
  }
  EXPECT_EQ(drawn.size(), 4U);
  EXPECT_EQ(num(sample, "size"), drawn_total);
  EXPECT_GE(drawn_total, expected_sample(55));
  const auto sample_rows = lines_of(out + "/validation_sample.jsonl");
  ASSERT_EQ(static_cast<int64_t>(sample_rows.size()), drawn_total);
  std::map<std::string, int64_t> sampled_per_label;
  std::set<std::string> sampled_ids;
  std::string person;  // the person's file: agrees with the kept labels except on two posts
  std::vector<int> kept_side, person_side;
  int flipped = 0;
  for (const auto& row : sample_rows) {
    simdjson::dom::element e;
    ASSERT_EQ(line_parser.parse(row).get(e), simdjson::SUCCESS) << row;
    EXPECT_TRUE(e["label"].is_null()) << "the sample does not show the models' label: " << row;
    EXPECT_FALSE(str(e, "text").empty()) << row;
    const std::string id = str(e, "id");
    ASSERT_TRUE(kept.count(id)) << id << " was sampled but not kept";
    EXPECT_TRUE(sampled_ids.insert(id).second) << id << " sampled twice";
    ++sampled_per_label[kept.at(id)];
    const int model_label = truth[id];
    if (sampled_ids.size() == 1) {  // left unlabelled: skipped by the comparison
      person += post_line(id, str(e, "text")) + "\n";
      continue;
    }
    int person_label = model_label;
    if (model_label == 0 && flipped < 2) {
      person_label = flipped == 0 ? 1 : 3;
      ++flipped;
    }
    crema::JsonWriter w;
    w.begin_object().key("id").value(id).key("label").value(kLabels[static_cast<size_t>(person_label)]).end_object();
    person += w.take() + "\n";
    kept_side.push_back(model_label);
    person_side.push_back(person_label);
  }
  EXPECT_EQ(sampled_per_label, drawn);
  ASSERT_EQ(flipped, 2);
  const std::string person_path = write("person.jsonl", person);

  // Agreement with the person: n, raw agreement, kappa and the confusion cells.
  const CliResult v = run_crema({"--json", "label", "--out", out, "--validated", person_path});
  ASSERT_EQ(v.exit_code, 0) << v.out;
  simdjson::dom::element vs, ag;
  ASSERT_EQ(line_parser.parse(v.out).get(vs), simdjson::SUCCESS) << v.out;
  EXPECT_EQ(num(vs, "rows"), drawn_total);
  EXPECT_EQ(num(vs, "unlabelled"), 1);
  EXPECT_EQ(num(vs, "not_kept"), 0);
  ASSERT_EQ(vs["agreement"].get(ag), simdjson::SUCCESS);
  EXPECT_EQ(num(ag, "n"), drawn_total - 1);
  EXPECT_NEAR(real(ag, "raw_agreement"), static_cast<double>(drawn_total - 3) / static_cast<double>(drawn_total - 1),
              1e-6);
  EXPECT_NEAR(real(ag, "kappa"), kappa_of(kept_side, person_side), 1e-6);
  simdjson::dom::array confusion;
  ASSERT_EQ(ag["confusion"].get(confusion), simdjson::SUCCESS);
  int64_t request_as_offer = -1, request_as_irrelevant = -1;
  ASSERT_EQ(confusion.at(0).at(1).get(request_as_offer), simdjson::SUCCESS);
  ASSERT_EQ(confusion.at(0).at(3).get(request_as_irrelevant), simdjson::SUCCESS);
  EXPECT_EQ(request_as_offer, 1);
  EXPECT_EQ(request_as_irrelevant, 1);
  EXPECT_FALSE(read_text(out + "/validation.json").empty());
  const std::string text_report = read_text(out + "/validation.txt");
  EXPECT_NE(text_report.find("Cohen's kappa"), std::string::npos) << text_report;

  // A person's file with an unknown label: exit 1, naming the file and line.
  const std::string bad = write("bad.jsonl", "{\"id\":\"p10\",\"label\":\"request\"}\n\n{\"id\":\"p11\",\"label\":\"maybe\"}\n");
  const CliResult b = run_crema({"label", "--out", out, "--validated", bad}, Stderr::kCaptured);
  EXPECT_EQ(b.exit_code, 1) << b.out;
  EXPECT_NE(b.out.find(bad + ":3"), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("maybe"), std::string::npos) << b.out;
}

// The sample's size for ±3% at 95%: 1,200 unanimous posts give Cochran's n with the finite
// population correction, split across the labels in proportion (--min-per-label 0).
TEST_F(CremaLabel, SampleSizedForThreePercentAtNinetyFivePercent) {
  const Script answer = [](const std::string& post, int, httplib::Response& res) {
    res.set_content(chat_body(bare(marker_label(post))), "application/json");
  };
  ChatServer one("m1", answer), two("m2", answer);
  std::string posts;
  std::map<std::string, int64_t> population;
  const char* kMarker[] = {"[req]", "[off]", "[both]", "[irr]"};
  for (int i = 0; i < 1200; ++i) {
    const int label = i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : i % 10 < 9 ? 2 : 3;  // 600 / 360 / 120 / 120
    posts += post_line("q" + std::to_string(i), std::string("post ") + std::to_string(i) + " " + kMarker[label]) + "\n";
    ++population[kLabels[static_cast<size_t>(label)]];
  }
  const std::string in = write("posts.jsonl", posts);
  const std::string out = path("out");
  const CliResult r = run_crema({"--json", "-t", "8", "label", "--endpoint", one.base(), "--endpoint", two.base(),
                                 "--model", "m1", "--model", "m2", "--in", in, "--out", out, "--min-per-label", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  simdjson::dom::parser parser;
  simdjson::dom::element s, sample;
  ASSERT_EQ(parser.parse(r.out).get(s), simdjson::SUCCESS) << r.out;
  EXPECT_EQ(num(s, "kept"), 1200);
  ASSERT_EQ(s["validation_sample"].get(sample), simdjson::SUCCESS);
  const int64_t target = expected_sample(1200);
  EXPECT_EQ(target, 566);
  EXPECT_EQ(num(sample, "target"), target);
  EXPECT_EQ(num(sample, "size"), target);
  simdjson::dom::array strata;
  ASSERT_EQ(sample["strata"].get(strata), simdjson::SUCCESS);
  for (auto stratum : strata) {
    const std::string label = str(stratum, "label");
    const double share = static_cast<double>(target) * static_cast<double>(population[label]) / 1200.0;
    EXPECT_GE(static_cast<double>(num(stratum, "drawn")), std::floor(share)) << label;
    EXPECT_LE(static_cast<double>(num(stratum, "drawn")), std::ceil(share)) << label;
  }
  EXPECT_EQ(lines_of(out + "/validation_sample.jsonl").size(), static_cast<size_t>(target));

  // Fewer posts than the formula asks for: all of them are in the sample.
  const std::string small = write("small.jsonl", [] {
    std::string t;
    for (int i = 0; i < 10; ++i) t += post_line("s" + std::to_string(i), std::string("post [") + (i < 6 ? "req]" : "off]")) + "\n";
    return t;
  }());
  const CliResult r2 = run_crema({"--json", "label", "--endpoint", one.base(), "--endpoint", two.base(), "--model",
                                  "m1", "--model", "m2", "--in", small, "--out", path("small"), "--min-per-label", "0"});
  ASSERT_EQ(r2.exit_code, 0) << r2.out;
  ASSERT_EQ(parser.parse(r2.out).get(s), simdjson::SUCCESS) << r2.out;
  ASSERT_EQ(s["validation_sample"].get(sample), simdjson::SUCCESS);
  EXPECT_EQ(num(sample, "target"), 10);
  EXPECT_EQ(num(sample, "size"), 10);
}

// An endpoint nobody answers at: the run ends with exit 1 and an error naming it and why,
// without spending every post's retries on it.
TEST_F(CremaLabel, DeadEndpointIsNamed) {
  ChatServer alive("m", [](const std::string& post, int, httplib::Response& res) {
    res.set_content(chat_body(bare(marker_label(post))), "application/json");
  });
  const int port = dead_port();
  ASSERT_GT(port, 0);
  const std::string dead = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  std::string posts;
  for (int i = 0; i < 40; ++i) posts += post_line("d" + std::to_string(i), "need water [req]") + "\n";
  const std::string in = write("posts.jsonl", posts);
  const auto start = std::chrono::steady_clock::now();
  const CliResult r = run_crema({"-t", "2", "label", "--endpoint", alive.base(), "--endpoint", dead, "--model", "m",
                                 "--in", in, "--out", path("out"), "--retries", "1", "--connect-timeout", "2"},
                                Stderr::kCaptured);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("m@" + dead + "/chat/completions"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("could not connect"), std::string::npos) << "says the connection failed:\n" << r.out;
  // 40 posts x (1 + 1 retry after 1 s) would take 20 s at 2 threads; giving up on the
  // endpoint after its first failures takes a few.
  EXPECT_LT(seconds, 12.0) << r.out;
  EXPECT_EQ(alive.total_calls(), 40);
  simdjson::dom::parser parser;
  simdjson::dom::element report;
  ASSERT_EQ(parser.parse(read_text(path("out") + "/report.json")).get(report), simdjson::SUCCESS);
  EXPECT_EQ(num(report, "pending"), 40);
  EXPECT_EQ(num(report, "kept"), 0);
}

TEST_F(CremaLabel, UsageAndInputErrors) {
  const std::string in = write("posts.jsonl", post_line("a", "need water [req]") + "\n");
  const std::string out = path("out");
  const auto code = [](const std::vector<std::string>& args) { return run_crema(args, Stderr::kCaptured); };
  EXPECT_EQ(code({"label", "--in", in, "--out", out}).exit_code, 2);  // no endpoint
  const CliResult url = code({"label", "--endpoint", "ftp://127.0.0.1:1", "--in", in, "--out", out});
  EXPECT_EQ(url.exit_code, 2) << url.out;
  EXPECT_NE(url.out.find("ftp://127.0.0.1:1"), std::string::npos) << url.out;
  EXPECT_EQ(code({"label", "--endpoint", "http://127.0.0.1:1", "--endpoint", "http://127.0.0.1:2", "--model", "a",
                  "--model", "b", "--model", "c", "--in", in, "--out", out})
                .exit_code,
            2);
  EXPECT_EQ(code({"label", "--endpoint", "http://127.0.0.1:1", "--in", in}).exit_code, 2);  // no --out
  EXPECT_EQ(code({"label", "--endpoint", "http://127.0.0.1:1", "--endpoint", "http://127.0.0.1:1/v1", "--in", in,
                  "--out", out})
                .exit_code,
            2);  // the same endpoint twice
  const CliResult missing = code({"label", "--endpoint", "http://127.0.0.1:1", "--in", path("nope.jsonl"), "--out", out});
  EXPECT_EQ(missing.exit_code, 1) << missing.out;
  EXPECT_NE(missing.out.find("nope.jsonl"), std::string::npos) << missing.out;
  const CliResult no_labels = code({"label", "--out", path("empty"), "--validated", in});
  EXPECT_EQ(no_labels.exit_code, 1) << no_labels.out;
  EXPECT_NE(no_labels.out.find("labels.jsonl"), std::string::npos) << no_labels.out;
}

}  // namespace
