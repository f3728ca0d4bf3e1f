// A crema-server child process on 127.0.0.1 for the API tests: started on a free port
// (--port 0 --port-file), stopped with SIGTERM, its stderr kept in a log file.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace crema::server::testing {

inline std::string scratch_dir() {
  std::string pattern = ::testing::TempDir() + "crema_server_XXXXXX";
  char* made = ::mkdtemp(pattern.data());
  if (made == nullptr) ADD_FAILURE() << "mkdtemp failed";
  return pattern;
}

inline std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a command to completion with stdout captured; returns {exit code, stdout}.
inline std::pair<int, std::string> run_capture(const std::vector<std::string>& args) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return {-1, ""};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
  posix_spawn_file_actions_addclose(&fa, pipefd[0]);
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

class ServerProcess {
 public:
  // Starts crema-server --db db --port 0 plus `extra` flags; waits until it listens.
  ServerProcess(const std::string& dir, const std::string& db, const std::vector<std::string>& extra = {}) {
    port_file_ = dir + "/port." + std::to_string(++counter());
    log_ = dir + "/server." + std::to_string(counter()) + ".log";
    std::vector<std::string> args = {CREMA_SERVER_BIN, "--db", db, "--port", "0", "--port-file", port_file_};
    args.insert(args.end(), extra.begin(), extra.end());
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = 0;
    posix_spawn_file_actions_destroy(&fa);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (pid_ != 0 && std::chrono::steady_clock::now() < deadline) {
      const std::string p = read_all(port_file_);
      if (!p.empty() && p.back() == '\n') {
        port_ = std::stoi(p);
        break;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (port_ == 0) ADD_FAILURE() << "crema-server did not start; log:\n" << read_all(log_);
  }
  ~ServerProcess() { stop(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  const std::string& log() const { return log_; }

  // SIGTERM and wait; returns the exit code (-1 if it had to be killed or was not running).
  int stop(int timeout_s = 30) {
    if (pid_ == 0) return -1;
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = 0;
    return -1;
  }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  pid_t pid_ = 0;
  int port_ = 0;
  std::string port_file_, log_;
};

// crema-server --db db --create-key name --role role; the token.
inline std::string create_key(const std::string& db, const std::string& name, const std::string& role) {
  auto [rc, out] = run_capture({CREMA_SERVER_BIN, "--db", db, "--create-key", name, "--role", role});
  EXPECT_EQ(rc, 0) << out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace crema::server::testing
