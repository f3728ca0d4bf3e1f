// kill -9 in the middle of writing: the store must hold exactly the batches that committed.
//
// A child process resumes from the run's checkpoint and writes batches (each with its
// checkpoint) until the parent SIGKILLs it at a random moment (mostly 0-60 ms after its
// first new batch, so every such round makes progress however slow the machine; sometimes
// blind, which can hit the open and WAL recovery). The child reports each batch on a pipe
// once write_batch has returned. After every kill the parent reopens the store and
// checks: the file passes integrity_check; the checkpoint sits on a batch boundary; every
// reported batch is present (nothing committed lost), at most the one in flight beyond it;
// and the posts, embeddings and rejects are exactly those of the committed batches.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "crema/store/store.h"
#include "store_test_util.h"

namespace crema::store {
namespace {

using testing::make_post;
using testing::ScratchDir;

constexpr uint64_t kPostsPerBatch = 40;
constexpr uint64_t kMaxBatches = 100000;  // the child stops by itself here, long after any kill
const char* const kInput = "stream.jsonl";

std::string post_id(uint64_t batch, uint64_t i) { return "b" + std::to_string(batch) + "-" + std::to_string(i); }

std::vector<ProcessedPost> batch_posts(uint64_t batch) {
  std::vector<ProcessedPost> posts;
  for (uint64_t i = 0; i < kPostsPerBatch; ++i) {
    std::vector<float> embedding(100, static_cast<float>(batch % 97) / 97.0f);
    ProcessedPost p = make_post(post_id(batch, i), i % 2 == 0 ? Label::kRequest : Label::kOffer,
                                static_cast<int64_t>(batch * 1000 + i), std::move(embedding));
    p.post.text = "batch " + std::to_string(batch) + " post " + std::to_string(i) + " needs water and food";
    posts.push_back(std::move(p));
  }
  return posts;
}

// The child: never returns. Exit codes other than death by SIGKILL mean the child failed.
[[noreturn]] void child_main(const std::string& path, int report_fd) {
  auto store = Store::open(path);
  if (!store) _exit(2);
  auto open_run = (*store)->last_open_run();
  if (!open_run) _exit(3);
  int64_t run = 0;
  if (*open_run) {
    run = **open_run;
  } else {
    auto begun = (*store)->begin_run({"crash test", {kInput}, "{}"});
    if (!begun) _exit(4);
    run = *begun;
  }
  auto cps = (*store)->checkpoints(run);
  if (!cps) _exit(5);
  const uint64_t first = cps->empty() ? 0 : (*cps)[0].line / kPostsPerBatch;
  for (uint64_t b = first; b < kMaxBatches; ++b) {
    const std::vector<ProcessedPost> posts = batch_posts(b);
    const std::vector<Store::Reject> rejects = {{kInput, (b + 1) * kPostsPerBatch, "", "bad record", "{"}};
    const Checkpoint cp{kInput, (b + 1) * 4096, (b + 1) * kPostsPerBatch};
    if (!(*store)->write_batch(run, posts, rejects, cp)) _exit(6);
    const uint64_t committed = b + 1;
    if (::write(report_fd, &committed, sizeof committed) != sizeof committed) _exit(7);
  }
  _exit(0);
}

struct Round {
  uint64_t reported = 0;  // batches the child saw committed (counting those before it started)
  bool killed = false;
  int status = 0;
};

// Starts a child and SIGKILLs it `delay` after it reported its first batch or, when
// wait_for_first is false, `delay` after the fork (so the kill can also land while the
// child opens the store and recovers the WAL). `committed_before`: batches already stored.
Round run_child_and_kill(const std::string& path, bool wait_for_first, std::chrono::microseconds delay,
                         uint64_t committed_before) {
  Round round;
  round.reported = committed_before;
  int fds[2];
  if (::pipe(fds) != 0) {
    ADD_FAILURE() << "pipe failed";
    return round;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    child_main(path, fds[1]);
  }
  ::close(fds[1]);
  if (pid < 0) {
    ADD_FAILURE() << "fork failed";
    ::close(fds[0]);
    return round;
  }
  uint64_t value = 0;
  // A child that fails closes the pipe by exiting, so this read cannot hang.
  if (wait_for_first && ::read(fds[0], &value, sizeof value) == static_cast<ssize_t>(sizeof value)) {
    round.reported = value;
  }
  std::this_thread::sleep_for(delay);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &round.status, 0);
  round.killed = WIFSIGNALED(round.status) && WTERMSIG(round.status) == SIGKILL;
  while (::read(fds[0], &value, sizeof value) == static_cast<ssize_t>(sizeof value)) round.reported = value;
  ::close(fds[0]);
  return round;
}

TEST(StoreCrash, KillNineLosesNothingCommittedAndKeepsNoPartialBatch) {
  ScratchDir dir;
  const std::string path = dir.file("crash.sqlite");
  uint64_t committed_before = 0;  // batches in the store before this round
  for (uint32_t seed : {11u, 22u, 33u, 44u, 55u, 66u, 77u, 88u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const bool wait_for_first = seed % 44 != 0;  // 2 of the 8 rounds kill at a blind moment
    const auto delay = std::chrono::microseconds(std::uniform_int_distribution<int>(0, 60000)(rng));
    const Round round = run_child_and_kill(path, wait_for_first, delay, committed_before);
    ASSERT_TRUE(round.killed) << "the child exited by itself with status " << round.status
                              << " (exit code 2..7: it failed to open or write the store)";

    auto opened = Store::open(path);
    ASSERT_TRUE(opened) << opened.error().message;
    Store& store = **opened;
    auto integrity = store.check_integrity();
    ASSERT_TRUE(integrity) << integrity.error().message;

    auto run = store.last_open_run();
    ASSERT_TRUE(run);
    uint64_t committed = 0;
    if (*run) {
      auto cps = store.checkpoints(**run);
      ASSERT_TRUE(cps);
      ASSERT_LE(cps->size(), 1u);
      if (!cps->empty()) {
        const Checkpoint& cp = (*cps)[0];
        EXPECT_EQ(cp.input, kInput);
        ASSERT_EQ(cp.line % kPostsPerBatch, 0u) << "checkpoint inside a batch";
        committed = cp.line / kPostsPerBatch;
        EXPECT_EQ(cp.offset, committed * 4096);
      }
    }
    // Nothing the child saw committed is lost; at most the batch in flight is extra.
    EXPECT_GE(committed, round.reported);
    EXPECT_LE(committed, round.reported + 1);
    EXPECT_GE(committed, committed_before);
    if (wait_for_first) {
      EXPECT_GT(committed, committed_before) << "the child reported a batch";
    }

    auto counts = store.counts();
    ASSERT_TRUE(counts);
    EXPECT_EQ(counts->posts, committed * kPostsPerBatch);
    EXPECT_EQ(counts->rejects, committed);
    EXPECT_EQ(counts->requests, committed * kPostsPerBatch / 2);
    auto requests = store.load_for_matching(Label::kRequest);
    ASSERT_TRUE(requests);
    EXPECT_EQ(requests->size(), committed * kPostsPerBatch / 2);  // every post kept its embedding

    std::set<std::string> expected, stored;
    for (uint64_t b = 0; b < committed; ++b) {
      for (uint64_t i = 0; i < kPostsPerBatch; ++i) expected.insert(post_id(b, i));
    }
    ASSERT_TRUE(store.for_each_original([&](const std::string& id, const std::string&) { stored.insert(id); }));
    EXPECT_EQ(stored, expected);
    EXPECT_FALSE(*store.has_post(post_id(committed, 0)));
    committed_before = committed;
  }
  EXPECT_GT(committed_before, 0u);
}

}  // namespace
}  // namespace crema::store
