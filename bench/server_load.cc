// bench/server_load.cc: load benchmark of crema-server (bench/README.md, "crema-server under
// load"). Builds a store with `crema run` on data/sample, creates an admin key, starts the
// real crema-server on a free loopback port and drives it from --clients threads, each with
// its own keep-alive connection, for a fixed time per scenario:
//   healthz  GET /healthz: the server's floor (routing, auth-free, one tiny SQLite read)
//   ingest   POST /v1/posts, batches of --batch new posts (unique ids, unseen texts)
//   matches  GET /v1/requests/{id}/matches for random request ids of the store
//   list     GET /v1/requests?limit=100
// Throughput and latency count the answers that arrive inside the measured window (after the
// warm-up); answers still in flight at its end are waited for but not counted. Latency
// percentiles come from a log-linear histogram (HDR-style, bucket error <= 1/64).
// Afterwards the server is stopped with SIGTERM and the store is counted: every post the
// server answered as stored must be a row. Exit 1 when a row is missing or the server did
// not stop cleanly; request errors are reported, not fatal.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cctype>
#include <cmath>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <simdjson.h>

#include "crema/common/json_writer.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// Log-linear latency histogram in microseconds: values below 128 exact, then 64 buckets per
// power of two. Percentiles report the bucket's upper edge (never under-reports).
class Histogram {
 public:
  void add(uint64_t us) {
    ++counts_[index(us)];
    ++n_;
    max_ = std::max(max_, us);
  }
  void merge(const Histogram& o) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    n_ += o.n_;
    max_ = std::max(max_, o.max_);
  }
  uint64_t count() const { return n_; }
  double max_ms() const { return static_cast<double>(max_) / 1000.0; }
  double percentile_ms(double q) const {
    if (n_ == 0) return 0;
    const auto rank = static_cast<uint64_t>(std::ceil(q / 100.0 * static_cast<double>(n_)));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= std::max<uint64_t>(rank, 1)) return static_cast<double>(std::min(upper(i), max_)) / 1000.0;
    }
    return max_ms();
  }

 private:
  static constexpr int kSubBits = 6;
  static constexpr size_t kLinear = size_t{1} << (kSubBits + 1);  // 128
  static constexpr size_t kSub = size_t{1} << kSubBits;           // 64
  static size_t index(uint64_t v) {
    const int bits = std::bit_width(v);
    if (bits <= kSubBits + 1) return static_cast<size_t>(v);
    const int shift = bits - (kSubBits + 1);
    return kLinear + static_cast<size_t>(shift - 1) * kSub + static_cast<size_t>((v >> shift) - kSub);
  }
  static uint64_t upper(size_t i) {
    if (i < kLinear) return i;
    const size_t j = i - kLinear;
    const int shift = static_cast<int>(j / kSub) + 1;
    const uint64_t top = j % kSub + kSub;
    return ((top + 1) << shift) - 1;
  }
  std::vector<uint64_t> counts_ = std::vector<uint64_t>(kLinear + kSub * 57);
  uint64_t n_ = 0, max_ = 0;
};

// What one client thread (and then the whole scenario) saw.
struct Tally {
  Histogram latency;
  uint64_t ok = 0, errors = 0;
  uint64_t posts = 0;  // posts in answered (200) ingest batches, in the measured window
  // Over the whole scenario, warm-up included (for the row count at the end).
  uint64_t stored = 0, duplicate = 0, rejected = 0, batches_failed = 0;
  std::map<std::string, uint64_t> error_kinds;  // whole scenario, warm-up included
  void merge(const Tally& o) {
    latency.merge(o.latency);
    ok += o.ok;
    errors += o.errors;
    posts += o.posts;
    stored += o.stored;
    duplicate += o.duplicate;
    rejected += o.rejected;
    batches_failed += o.batches_failed;
    for (const auto& [k, v] : o.error_kinds) error_kinds[k] += v;
  }
};

struct ScenarioResult {
  std::string name, what;
  Tally tally;
  double seconds = 0;            // measured window
  double server_cpu_s = 0;       // crema-server's user+system CPU during the scenario
  double client_cpu_s = 0;       // this tool's CPU during the scenario
  double rps() const { return seconds > 0 ? static_cast<double>(tally.latency.count()) / seconds : 0; }
};

struct InputPost {
  std::string text, created_at, place;
  std::optional<double> lat, lon;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<InputPost> load_posts(const std::string& path) {
  std::vector<InputPost> out;
  std::ifstream in(path);
  std::string line;
  simdjson::dom::parser parser;
  while (std::getline(in, line)) {
    simdjson::dom::element doc;
    std::string_view text, created;
    if (parser.parse(line).get(doc) != simdjson::SUCCESS || !doc.is_object()) continue;
    if (doc["text"].get_string().get(text) != simdjson::SUCCESS || text.empty()) continue;
    if (doc["created_at"].get_string().get(created) != simdjson::SUCCESS) continue;
    InputPost p;
    p.text = std::string(text);
    p.created_at = std::string(created);
    std::string_view place;
    if (doc["place"].get_string().get(place) == simdjson::SUCCESS) p.place = std::string(place);
    double lat = 0, lon = 0;
    if (doc["lat"].get_double().get(lat) == simdjson::SUCCESS && doc["lon"].get_double().get(lon) == simdjson::SUCCESS) {
      p.lat = lat;
      p.lon = lon;
    }
    out.push_back(std::move(p));
  }
  return out;
}

// Runs a command to completion; returns {exit code, stdout}. stderr goes to `err_log`.
std::pair<int, std::string> run_capture(const std::vector<std::string>& args, const std::string& err_log) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return {-1, ""};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
  posix_spawn_file_actions_addclose(&fa, pipefd[0]);
  posix_spawn_file_actions_addopen(&fa, 2, err_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(pipefd[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(pipefd[0]);
  if (rc != 0) return {-1, ""};
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// user+system CPU seconds of a process (/proc/PID/stat fields 14 and 15).
double process_cpu_s(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream in(stat.substr(paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double self_cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

std::string loadavg() {
  std::string s = read_file("/proc/loadavg");
  const size_t third = s.find(' ', s.find(' ', s.find(' ') + 1) + 1);
  return third == std::string::npos ? s : s.substr(0, third);
}

std::string url_encode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

int64_t count_rows(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
      n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close_v2(db);
  return n;
}

// One request of a scenario on this thread's connection; returns whether it succeeded and
// notes errors (and ingest counts) in the tally.
using Step = std::function<bool(httplib::Client&, std::mt19937_64&, int thread, uint64_t seq, Tally&)>;

struct Target {
  int port = 0;
  std::string token;
  pid_t server = 0;
};

bool check(const httplib::Result& r, int want, Tally& t) {
  if (!r) {
    ++t.error_kinds["transport: " + httplib::to_string(r.error())];
    return false;
  }
  if (r->status != want) {
    ++t.error_kinds["HTTP " + std::to_string(r->status)];
    return false;
  }
  return true;
}

ScenarioResult run_scenario(const std::string& name, const std::string& what, const Target& target, int clients,
                    double warmup_s, double duration_s, const Step& step) {
  std::vector<Tally> per(static_cast<size_t>(clients));
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  Clock::time_point measure_from, until;
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      httplib::Client cli("127.0.0.1", target.port);
      cli.set_keep_alive(true);
      // Headers and body go out in separate writes: without TCP_NODELAY, Nagle and the
      // server's delayed ACK add ~40 ms to every POST (the tool would measure itself).
      cli.set_tcp_nodelay(true);
      cli.set_connection_timeout(10, 0);
      cli.set_read_timeout(120, 0);
      cli.set_write_timeout(120, 0);
      cli.set_default_headers({{"Authorization", "Bearer " + target.token}});
      std::mt19937_64 rng(0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(i + 1));
      Tally& t = per[static_cast<size_t>(i)];
      ++ready;
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (uint64_t seq = 0;; ++seq) {
        const auto start = Clock::now();
        if (start >= until) break;
        Tally scratch;
        const bool ok = step(cli, rng, i, seq, scratch);
        const auto end = Clock::now();
        t.stored += scratch.stored;
        t.duplicate += scratch.duplicate;
        t.rejected += scratch.rejected;
        t.batches_failed += scratch.batches_failed;
        for (const auto& [k, v] : scratch.error_kinds) t.error_kinds[k] += v;
        // Throughput and latency count the answers that arrive inside the window.
        if (end < measure_from || end > until) continue;
        t.latency.add(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(end - start).count()));
        t.posts += scratch.posts;
        (ok ? t.ok : t.errors) += 1;
      }
    });
  }
  while (ready.load() < clients) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const double server_cpu0 = process_cpu_s(target.server);
  const double client_cpu0 = self_cpu_s();
  const auto t0 = Clock::now();
  measure_from = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup_s));
  until = measure_from + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration_s));
  go.store(true, std::memory_order_release);
  for (auto& th : threads) th.join();
  ScenarioResult r;
  r.name = name;
  r.what = what;
  for (const auto& t : per) r.tally.merge(t);
  r.seconds = duration_s;
  r.server_cpu_s = process_cpu_s(target.server) - server_cpu0;
  r.client_cpu_s = self_cpu_s() - client_cpu0;
  return r;
}

pid_t start_server(const std::vector<std::string>& args, const std::string& log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid = 0;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

// SIGTERM, wait up to `timeout_s`; the exit code, or -1 when killed or not running.
int stop_server(pid_t pid, int timeout_s) {
  if (pid == 0) return -1;
  kill(pid, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  while (Clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

int fail(const std::string& msg) {
  std::fprintf(stderr, "server_load: error: %s\n", msg.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string server_bin = CREMA_SERVER_BIN, crema_bin = CREMA_CLI_BIN;
  std::string input = std::string(CREMA_SOURCE_DIR) + "/data/sample/sample_posts.jsonl";
  std::string json_out, scenarios_arg = "healthz,ingest,matches,list", work_arg;
  int clients = 50, batch = 100, http_threads = 0;
  double duration = 10, warmup = 2;
  bool keep = false;
  CLI::App app{"server_load: crema-server under concurrent clients on loopback (bench/README.md)"};
  app.add_option("--server", server_bin, "crema-server binary (default: the one built with this tool)");
  app.add_option("--crema", crema_bin, "crema binary, for `crema run` (default: the one built with this tool)");
  app.add_option("--input", input, "posts (JSONL) for the store and for the ingest batches (default data/sample)");
  app.add_option("--clients", clients, "concurrent clients, one keep-alive connection each (default 50)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--duration", duration, "measured seconds per scenario (default 10)")->check(CLI::Range(0.1, 3600.0));
  app.add_option("--warmup", warmup, "seconds per scenario before measuring (default 2)")->check(CLI::Range(0.0, 600.0));
  app.add_option("--batch", batch, "posts per POST /v1/posts (default 100)")->check(CLI::Range(1, 1000));
  app.add_option("--scenarios", scenarios_arg, "comma-separated, in order: healthz, ingest, matches, list");
  app.add_option("--http-threads", http_threads, "crema-server --threads (default: the server's default)")
      ->check(CLI::Range(0, 1024));
  app.add_option("--json", json_out, "also write the figures as JSON here");
  app.add_option("--work", work_arg, "work folder (default: a new one under $TMPDIR, removed afterwards)");
  app.add_flag("--keep", keep, "keep the work folder (store, server log)");
  CLI11_PARSE(app, argc, argv);

  std::vector<std::string> scenarios;
  for (size_t s = 0; s <= scenarios_arg.size();) {
    size_t c = scenarios_arg.find(',', s);
    if (c == std::string::npos) c = scenarios_arg.size();
    if (c > s) scenarios.push_back(scenarios_arg.substr(s, c - s));
    s = c + 1;
  }
  for (const auto& s : scenarios) {
    if (s != "healthz" && s != "ingest" && s != "matches" && s != "list") {
      std::fprintf(stderr, "server_load: unknown scenario '%s' (healthz, ingest, matches, list)\n", s.c_str());
      return 2;
    }
  }

  std::string work = work_arg;
  if (work.empty()) {
    std::string pattern = (fs::temp_directory_path() / "crema_server_load_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) return fail("cannot create a work folder");
    work = pattern;
  } else {
    fs::create_directories(work);
  }
  const bool remove_work = work_arg.empty() && !keep;
  const std::string log = work + "/server.log", db = work + "/crema.sqlite";
  const auto posts = load_posts(input);
  if (posts.empty()) return fail(input + ": no posts with text and created_at");

  std::fprintf(stderr, "# crema run on %s → %s\n", input.c_str(), db.c_str());
  auto [run_rc, run_out] = run_capture({crema_bin, "run", "--in", input, "--out", work, "--quiet"}, log);
  if (run_rc != 0) return fail("crema run failed (" + std::to_string(run_rc) + "); see " + log);
  auto [key_rc, token] = run_capture({server_bin, "--db", db, "--create-key", "server-load", "--role", "admin"}, log);
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (key_rc != 0 || token.empty()) return fail("crema-server --create-key failed; see " + log);

  // Rate limits off for the benchmark: every client shares the one key.
  const std::string port_file = work + "/port";
  std::vector<std::string> server_args = {server_bin, "--db", db, "--port", "0", "--port-file", port_file,
                                          "--rate", "1000000000", "--burst", "1000000000"};
  if (http_threads > 0) {
    server_args.push_back("--threads");
    server_args.push_back(std::to_string(http_threads));
  }
  Target target;
  target.token = token;
  target.server = start_server(server_args, log);
  if (target.server == 0) return fail("cannot start " + server_bin);
  for (int i = 0; i < 1200 && target.port == 0; ++i) {
    const std::string p = read_file(port_file);
    if (!p.empty() && p.back() == '\n') target.port = std::stoi(p);
    int status = 0;
    if (target.port == 0 && waitpid(target.server, &status, WNOHANG) == target.server) {
      return fail("crema-server exited at start; see " + log);
    }
    if (target.port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (target.port == 0) {
    stop_server(target.server, 5);
    return fail("crema-server did not start within 60 s; see " + log);
  }

  // Request ids for the matches scenario: every request the API lists.
  std::vector<std::string> request_ids;
  uint64_t with_matches = 0;
  {
    httplib::Client cli("127.0.0.1", target.port);
    cli.set_default_headers({{"Authorization", "Bearer " + token}});
    std::string cursor;
    simdjson::dom::parser parser;
    for (;;) {
      auto r = cli.Get("/v1/requests?limit=1000" + (cursor.empty() ? std::string() : "&cursor=" + url_encode(cursor)));
      if (!r || r->status != 200) {
        stop_server(target.server, 30);
        return fail("GET /v1/requests failed while collecting request ids");
      }
      simdjson::dom::element doc;
      simdjson::dom::array rows;
      if (parser.parse(r->body).get(doc) != simdjson::SUCCESS || doc["requests"].get_array().get(rows) != simdjson::SUCCESS) {
        stop_server(target.server, 30);
        return fail("GET /v1/requests: unexpected answer");
      }
      for (auto row : rows) {
        std::string_view id;
        int64_t n = 0;
        if (row["id"].get_string().get(id) == simdjson::SUCCESS) request_ids.emplace_back(id);
        if (row["n_matches"].get_int64().get(n) == simdjson::SUCCESS && n > 0) ++with_matches;
      }
      std::string_view next;
      if (doc["next_cursor"].get_string().get(next) != simdjson::SUCCESS || next.empty()) break;
      cursor = std::string(next);
    }
  }
  if (request_ids.empty()) {
    stop_server(target.server, 30);
    return fail("the store has no requests to ask for matches");
  }
  const int64_t rows_before = count_rows(db, "SELECT COUNT(*) FROM posts");
  const std::string load_before = loadavg();

  const std::string batch_tag = std::to_string(static_cast<long long>(std::time(nullptr)));
  std::vector<ScenarioResult> results;
  for (const auto& s : scenarios) {
    std::fprintf(stderr, "# %s: %d clients, %.1f s warm-up + %.1f s\n", s.c_str(), clients, warmup, duration);
    Step step;
    std::string what;
    if (s == "healthz") {
      what = "GET /healthz";
      step = [](httplib::Client& cli, std::mt19937_64&, int, uint64_t, Tally& t) {
        return check(cli.Get("/healthz"), 200, t);
      };
    } else if (s == "list") {
      what = "GET /v1/requests?limit=100";
      step = [](httplib::Client& cli, std::mt19937_64&, int, uint64_t, Tally& t) {
        return check(cli.Get("/v1/requests?limit=100"), 200, t);
      };
    } else if (s == "matches") {
      what = "GET /v1/requests/{id}/matches";
      step = [&request_ids](httplib::Client& cli, std::mt19937_64& rng, int, uint64_t, Tally& t) {
        const std::string& id = request_ids[rng() % request_ids.size()];
        return check(cli.Get("/v1/requests/" + url_encode(id) + "/matches"), 200, t);
      };
    } else {
      what = "POST /v1/posts (" + std::to_string(batch) + " posts)";
      step = [&posts, batch, &batch_tag](httplib::Client& cli, std::mt19937_64& rng, int thread, uint64_t seq, Tally& t) {
        // New ids, and texts made of two sample posts so near-duplicate detection lets
        // them through to classification and matching like fresh posts.
        std::string body;
        for (int k = 0; k < batch; ++k) {
          const InputPost& a = posts[rng() % posts.size()];
          const InputPost& b = posts[rng() % posts.size()];
          crema::JsonWriter w;
          w.begin_object();
          w.key("id").value("bench-" + batch_tag + "-" + std::to_string(thread) + "-" + std::to_string(seq) + "-" +
                            std::to_string(k));
          w.key("text").value(a.text + " " + b.text);
          w.key("created_at").value(a.created_at);
          if (!a.place.empty()) w.key("place").value(a.place);
          if (a.lat) w.key("lat").value(*a.lat).key("lon").value(*a.lon);
          w.end_object();
          body += w.str();
          body += '\n';
        }
        auto r = cli.Post("/v1/posts", body, "application/x-ndjson");
        if (!check(r, 200, t)) {
          ++t.batches_failed;
          return false;
        }
        simdjson::dom::parser parser;
        simdjson::dom::element doc;
        uint64_t stored = 0, duplicate = 0, rejected = 0;
        if (parser.parse(r->body).get(doc) != simdjson::SUCCESS || doc["stored"].get_uint64().get(stored) ||
            doc["duplicate"].get_uint64().get(duplicate) || doc["rejected"].get_uint64().get(rejected)) {
          ++t.error_kinds["unreadable ingest answer"];
          return false;
        }
        t.stored += stored;
        t.duplicate += duplicate;
        t.rejected += rejected;
        t.posts += stored + duplicate + rejected;
        return true;
      };
    }
    results.push_back(run_scenario(s, what, target, clients, warmup, duration, step));
    const ScenarioResult& r = results.back();
    std::fprintf(stderr, "  %llu requests, %.0f/s, p50 %.2f ms, p99 %.2f ms, max %.1f ms, %llu errors\n",
                 static_cast<unsigned long long>(r.tally.latency.count()), r.rps(), r.tally.latency.percentile_ms(50),
                 r.tally.latency.percentile_ms(99), r.tally.latency.max_ms(),
                 static_cast<unsigned long long>(r.tally.errors));
  }
  const std::string load_after = loadavg();

  const int server_rc = stop_server(target.server, 120);
  uint64_t stored = 0, duplicate = 0, rejected = 0, failed_batches = 0;
  for (const auto& r : results) {
    stored += r.tally.stored;
    duplicate += r.tally.duplicate;
    rejected += r.tally.rejected;
    failed_batches += r.tally.batches_failed;
  }
  const int64_t bench_rows = count_rows(db, "SELECT COUNT(*) FROM posts WHERE id LIKE 'bench-" + batch_tag + "-%'");
  const int64_t rows_after = count_rows(db, "SELECT COUNT(*) FROM posts");
  const bool rows_ok = bench_rows == static_cast<int64_t>(stored);

  const ScenarioResult* floor = nullptr;
  for (const auto& r : results) {
    if (r.name == "healthz") floor = &r;
  }
  std::printf("crema-server load: %d clients on 127.0.0.1, %.0f s per scenario (after %.0f s warm-up), "
              "%u cores, load average %s before / %s after\n",
              clients, duration, warmup, std::thread::hardware_concurrency(), load_before.c_str(), load_after.c_str());
  std::printf("store: %lld posts from %s, %zu listed requests (%llu with matches)\n\n", static_cast<long long>(rows_before),
              fs::path(input).filename().c_str(), request_ids.size(), static_cast<unsigned long long>(with_matches));
  std::printf("| scenario | requests/s | posts/s | p50 ms | p95 ms | p99 ms | max ms | errors | server CPU | vs healthz (req/s, p99) |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& r : results) {
    const auto& h = r.tally.latency;
    char ratio[64] = "—";
    if (floor != nullptr && &r != floor && r.rps() > 0 && floor->tally.latency.percentile_ms(99) > 0) {
      std::snprintf(ratio, sizeof ratio, "%.2f×, %.1f×", r.rps() / floor->rps(),
                    h.percentile_ms(99) / floor->tally.latency.percentile_ms(99));
    }
    char rate[32] = "—";
    if (r.name == "ingest") std::snprintf(rate, sizeof rate, "%.0f", static_cast<double>(r.tally.posts) / r.seconds);
    std::printf("| %s | %.0f | %s | %.2f | %.2f | %.2f | %.1f | %llu | %.2f cores | %s |\n", r.what.c_str(), r.rps(), rate,
                h.percentile_ms(50), h.percentile_ms(95), h.percentile_ms(99), h.max_ms(),
                static_cast<unsigned long long>(r.tally.errors), r.server_cpu_s / r.seconds, ratio);
  }
  for (const auto& r : results) {
    for (const auto& [k, v] : r.tally.error_kinds) {
      std::printf("  %s errors (whole scenario, warm-up included): %s × %llu\n", r.name.c_str(), k.c_str(), static_cast<unsigned long long>(v));
    }
  }
  std::printf("\ningest check: %llu posts answered stored (%llu duplicate, %llu rejected, %llu failed batches); "
              "%lld rows with those ids after shutdown: %s. Store rows %lld → %lld. crema-server exit code %d.\n",
              static_cast<unsigned long long>(stored), static_cast<unsigned long long>(duplicate),
              static_cast<unsigned long long>(rejected), static_cast<unsigned long long>(failed_batches),
              static_cast<long long>(bench_rows), rows_ok ? "nothing lost" : "MISMATCH", static_cast<long long>(rows_before),
              static_cast<long long>(rows_after), server_rc);

  if (!json_out.empty()) {
    crema::JsonWriter w;
    w.begin_object();
    w.key("clients").value(clients).key("duration_s").value(duration).key("warmup_s").value(warmup);
    w.key("batch").value(batch).key("cores").value(static_cast<int64_t>(std::thread::hardware_concurrency()));
    w.key("load_before").value(load_before).key("load_after").value(load_after);
    w.key("store_posts").value(rows_before).key("request_ids").value(static_cast<uint64_t>(request_ids.size()));
    w.key("scenarios").begin_array();
    for (const auto& r : results) {
      const auto& h = r.tally.latency;
      w.begin_object().key("name").value(r.name).key("what").value(r.what);
      w.key("requests").value(h.count()).key("seconds").value(r.seconds).key("requests_per_s").value(r.rps());
      if (r.name == "ingest") w.key("posts_per_s").value(static_cast<double>(r.tally.posts) / r.seconds);
      w.key("p50_ms").value(h.percentile_ms(50)).key("p95_ms").value(h.percentile_ms(95));
      w.key("p99_ms").value(h.percentile_ms(99)).key("max_ms").value(h.max_ms());
      w.key("errors").value(r.tally.errors);
      w.key("server_cpu_s").value(r.server_cpu_s).key("client_cpu_s").value(r.client_cpu_s);
      w.end_object();
    }
    w.end_array();
    w.key("ingest_stored").value(stored).key("ingest_rows").value(bench_rows).key("nothing_lost").value(rows_ok);
    w.key("server_exit_code").value(server_rc).end_object();
    std::ofstream(json_out) << w.str() << "\n";
  }
  if (remove_work) {
    std::error_code ec;
    fs::remove_all(work, ec);
  } else {
    std::fprintf(stderr, "# work folder kept: %s\n", work.c_str());
  }
  return rows_ok && server_rc == 0 ? 0 : 1;
}
