#include "command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <vector>

namespace crema::cli {

std::multimap<std::string, CommandInstaller>& command_registry() {
  static std::multimap<std::string, CommandInstaller> registry;
  return registry;
}

CommandRegistrar::CommandRegistrar(const char* sort_key, CommandInstaller installer) {
  command_registry().emplace(sort_key, installer);
}

CLI::App* command_group(CLI::App& app, const std::string& name, const std::string& description) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_name() == name) return sub;
  }
  CLI::App* group = app.add_subcommand(name, description);
  group->require_subcommand(1);
  return group;
}

int report_error(const Error& error) {
  std::fprintf(stderr, "crema: error: %s\n", error.message.c_str());
  return error.code == ErrorCode::kInvalidArgument ? kExitUsage : kExitRuntimeError;
}

int usage_error(std::string_view message) {
  std::fprintf(stderr, "crema: usage error: %.*s\n", static_cast<int>(message.size()), message.data());
  return kExitUsage;
}

struct ProgressBar::State {
  bool enabled = false;
  bool drawn = false;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw{};
};

ProgressBar::ProgressBar(bool quiet) : state_(std::make_unique<State>()) {
  state_->enabled = !quiet && ::isatty(STDERR_FILENO) == 1;
}

ProgressBar::~ProgressBar() { finish(); }

ProgressFn ProgressBar::callback() {
  return [this](std::string_view stage, uint64_t done, uint64_t total) { update(stage, done, total); };
}

void ProgressBar::update(std::string_view stage, uint64_t done, uint64_t total) {
  if (!state_->enabled) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - state_->start < std::chrono::seconds(1)) return;
  if (state_->drawn && now - state_->last_draw < std::chrono::milliseconds(100) && done != total) return;
  state_->last_draw = now;
  state_->drawn = true;
  const double elapsed = std::chrono::duration<double>(now - state_->start).count();
  if (total > 0) {
    const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, '-');
    const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
    std::fprintf(stderr, "\r\033[K%-10.*s [%s] %5.1f%%  %.0fs left", static_cast<int>(stage.size()),
                 stage.data(), bar.c_str(), frac * 100, eta);
  } else {
    std::fprintf(stderr, "\r\033[K%-10.*s %llu  (%.0f/s)", static_cast<int>(stage.size()), stage.data(),
                 static_cast<unsigned long long>(done), elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0);
  }
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (state_ && state_->drawn) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    state_->drawn = false;
  }
}

}  // namespace crema::cli
