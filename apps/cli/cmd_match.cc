// crema match: match request posts to offer posts (CReMa §III-D) without a store, or with
// --follow, live over a store: read a JSONL stream (stdin or a growing file, tail -f style)
// and print match events as JSONL (docs/live.md).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "command.h"
#include "crema/engine.h"
#include "crema/common/time.h"
#include "crema/live.h"
#include "pipeline_options.h"

namespace crema::cli {
namespace {

struct FollowFlags {
  bool follow = false;
  std::string db;
  int poll_ms = 500;
  bool until_eof = false;
  size_t batch_size = 512;
  std::string lateness = "1h";
  bool wall_clock = false;
};

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocked poll() returns at once
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

// Complete lines from an fd that may grow (a file) or block (a pipe).
class LineSource {
 public:
  LineSource(int fd, bool is_stdin, std::string name, size_t max_line)
      : fd_(fd), stdin_(is_stdin), name_(std::move(name)), max_line_(max_line) {}
  ~LineSource() {
    if (!stdin_ && fd_ >= 0) ::close(fd_);
  }
  LineSource(const LineSource&) = delete;
  LineSource& operator=(const LineSource&) = delete;

  enum class Read { kData, kIdle, kEnd };
  // Waits up to wait_ms for bytes. kIdle: nothing yet (a file at its current end, or a
  // quiet pipe); kEnd: a pipe closed. Errors are I/O errors.
  Result<Read> fill(int wait_ms) {
    if (stdin_) {
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, wait_ms);
      if (ready < 0) {
        if (errno == EINTR) return Read::kIdle;
        return make_error(ErrorCode::kIoError, name_ + ": " + std::strerror(errno));
      }
      if (ready == 0) return Read::kIdle;
    }
    char chunk[1 << 16];
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) return Read::kIdle;
      return make_error(ErrorCode::kIoError, name_ + ": " + std::strerror(errno));
    }
    if (n == 0) {
      if (stdin_) return Read::kEnd;
      // At the end of a file: more may be appended later.
      if (wait_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
      return Read::kIdle;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return Read::kData;
  }

  // The next complete line (without '\n'), or false. Over-long lines come back truncated
  // with too_long set, so the caller can reject them.
  bool next(std::string& line, uint64_t& line_no, bool& too_long) {
    too_long = false;
    for (;;) {
      const size_t nl = buffer_.find('\n', pos_);
      if (nl == std::string::npos) {
        if (buffer_.size() - pos_ > max_line_ && !skipping_) {
          // No newline within the limit: report once, then drop bytes until the next one.
          line.assign(buffer_, pos_, 200);
          line_no = ++line_;
          too_long = true;
          skipping_ = true;
          compact(buffer_.size());
          return true;
        }
        if (skipping_) compact(buffer_.size());
        compact(pos_);
        return false;
      }
      if (skipping_) {
        skipping_ = false;
        pos_ = nl + 1;
        continue;
      }
      line.assign(buffer_, pos_, nl - pos_);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      pos_ = nl + 1;
      line_no = ++line_;
      return true;
    }
  }

  const std::string& name() const { return name_; }

 private:
  void compact(size_t upto) {
    buffer_.erase(0, upto);
    pos_ = 0;
  }
  int fd_;
  bool stdin_;
  std::string name_;
  size_t max_line_;
  std::string buffer_;
  size_t pos_ = 0;
  uint64_t line_ = 0;
  bool skipping_ = false;
};

int run_follow(const JobFlags& job, const FollowFlags& flags, const GlobalOptions& global) {
  if (flags.db.empty()) return usage_error("--follow needs --db FILE");
  if (job.inputs.size() > 1) return usage_error("--follow reads one stream: --in FILE or --in - (stdin)");
  if (flags.poll_ms < 1) return usage_error("--poll-ms must be at least 1");
  if (flags.batch_size == 0) return usage_error("--batch-size must be positive");
  auto lateness = parse_duration(flags.lateness);
  if (!lateness) return usage_error("--lateness: " + lateness.error().message);

  engine::LiveOptions options;
  options.models = model_options(job.pipeline);
  auto params = match_params(job.pipeline);
  if (!params) return report_error(params.error());
  options.match = *params;
  options.threads = global.threads;
  options.lateness_ms = *lateness;
  options.wall_clock = flags.wall_clock;
  options.command_line = joined_command_line();

  const std::string input = job.inputs.empty() ? "-" : job.inputs.front();
  const bool is_stdin = input == "-";
  const int fd = is_stdin ? STDIN_FILENO : ::open(input.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return report_error(Error{ErrorCode::kIoError, input + ": " + std::strerror(errno)});
  LineSource source(fd, is_stdin, input, 1 << 20);

  auto live = engine::LivePipeline::open(flags.db, options);
  if (!live) return report_error(live.error());
  install_stop_handlers();

  std::vector<Post> posts;
  std::vector<ingest::Reject> rejects;
  uint64_t events = 0, stored = 0, duplicates = 0, rejected = 0;
  const auto print = [&](const std::vector<engine::IngestReport>& reports) {
    for (const auto& report : reports) {
      for (const auto& e : report.events) std::fprintf(stdout, "%s\n", e.to_json().c_str());
      events += report.events.size();
      for (const auto& r : report.results) {
        stored += r.outcome == engine::IngestOutcome::kStored ? 1 : 0;
        duplicates += r.outcome == engine::IngestOutcome::kDuplicate ? 1 : 0;
        rejected += r.outcome == engine::IngestOutcome::kRejected ? 1 : 0;
      }
    }
    std::fflush(stdout);
  };
  // A full batch is submitted and matched while the previous one commits (its events are
  // printed once committed); when the stream pauses, everything in flight is committed and
  // printed, so events are never held back.
  const auto send = [&](bool wait) -> Status {
    if (!posts.empty() || !rejects.empty()) {
      auto reports = (*live)->submit(posts, rejects);
      posts.clear();
      rejects.clear();
      if (!reports) return tl::unexpected(reports.error());
      print(*reports);
    }
    if (!wait) return {};
    auto reports = (*live)->flush();
    if (!reports) return tl::unexpected(reports.error());
    print(*reports);
    return {};
  };

  std::string line;
  int exit_code = kExitOk;
  bool done = false;
  while (!done && !g_stop.load()) {
    auto read = source.fill(posts.empty() ? flags.poll_ms : 0);
    if (!read) {
      exit_code = report_error(read.error());
      break;
    }
    uint64_t line_no = 0;
    bool too_long = false;
    while (source.next(line, line_no, too_long)) {
      const SourceRef ref{input, line_no};
      if (too_long) {
        rejects.push_back({ref, "", "record longer than 1048576 bytes", line.substr(0, 200)});
        continue;
      }
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      auto post = ingest::parse_json_post(line, ref, /*require_time=*/true);
      if (post) {
        posts.push_back(std::move(*post));
      } else {
        rejects.push_back({ref, "", post.error().message, line.substr(0, 200)});
      }
      if (posts.size() + rejects.size() >= flags.batch_size) {
        if (auto st = send(/*wait=*/false); !st) {
          exit_code = report_error(st.error());
          done = true;
          break;
        }
      }
    }
    if (done) break;
    if (*read == LineSource::Read::kEnd) done = true;
    // A batch goes out as soon as the stream pauses, so events are never held back.
    if (*read != LineSource::Read::kData || done) {
      if (auto st = send(/*wait=*/true); !st) {
        exit_code = report_error(st.error());
        break;
      }
      if (!is_stdin && flags.until_eof && *read == LineSource::Read::kIdle) done = true;
    }
  }
  // Also after an error: what was committed before it is still printed.
  if (auto st = send(/*wait=*/true); !st && exit_code == kExitOk) exit_code = report_error(st.error());
  if (auto st = (*live)->close(); !st && exit_code == kExitOk) exit_code = report_error(st.error());
  if (!global.quiet) {
    const auto s = (*live)->stats();
    std::fprintf(stderr, "crema match --follow: %llu stored, %llu duplicate, %llu rejected, %llu events; %llu open requests, %llu live offers -> %s\n",
                 static_cast<unsigned long long>(stored), static_cast<unsigned long long>(duplicates),
                 static_cast<unsigned long long>(rejected), static_cast<unsigned long long>(events),
                 static_cast<unsigned long long>(s.open_requests), static_cast<unsigned long long>(s.live_offers),
                 flags.db.c_str());
  }
  return exit_code;
}

void install_match(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto flags = std::make_shared<JobFlags>();
  auto follow = std::make_shared<FollowFlags>();
  CLI::App* cmd = app.add_subcommand(
      "match", "Match requests to offers; posts with a kind field use it, others are classified first");
  add_job_flags(*cmd, *flags, "Output JSONL, one line per request");
  add_match_flags(*cmd, flags->pipeline);
  // --in and --out are required for the one-shot job only (checked in the callback).
  cmd->get_option("--in")->required(false);
  cmd->get_option("--out")->required(false);
  cmd->add_flag("--follow", follow->follow,
                "Live mode: read a JSONL stream (--in FILE|-, default stdin), store it in --db and print match "
                "events as JSONL (docs/live.md)");
  cmd->add_option("--db", follow->db, "Store for --follow (created if missing; state survives restarts)");
  cmd->add_option("--poll-ms", follow->poll_ms, "--follow: how often to look for new lines (ms)")->capture_default_str();
  cmd->add_flag("--until-eof", follow->until_eof, "--follow on a file: stop at its end instead of waiting for more");
  cmd->add_option("--batch-size", follow->batch_size, "--follow: most records per transaction")->capture_default_str();
  cmd->add_option("--lateness", follow->lateness, "--follow: how late a post may arrive (1h, 30m, …)")
      ->capture_default_str();
  cmd->add_flag("--wall-clock", follow->wall_clock, "--follow: expire by max(stream time, system time)");
  cmd->callback([flags, follow, &global, &exit_code] {
    if (follow->follow) {
      exit_code = run_follow(*flags, *follow, global);
      return;
    }
    if (!follow->db.empty() || follow->until_eof || follow->wall_clock) {
      exit_code = usage_error("--db, --until-eof and --wall-clock need --follow");
      return;
    }
    if (flags->inputs.empty() || flags->out.empty()) {
      exit_code = usage_error("match needs --in and --out (or --follow --db FILE)");
      return;
    }
    exit_code = run_file_job<engine::MatchJobOptions>(*flags, global, engine::match_posts);
  });
}

}  // namespace
CREMA_REGISTER_COMMAND("c-match", install_match);
}  // namespace crema::cli
