// apps/cli/command.h: how crema's subcommands plug into the one `crema` binary.
//
// Each apps/cli/cmd_<name>.cc defines a function that adds its subcommand to the CLI11
// app and registers it with CREMA_REGISTER_COMMAND. Subcommands only call the public API
// in include/crema/. Exit codes: 0 ok, 1 runtime error, 2 usage error.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "crema/common/progress.h"
#include "crema/common/result.h"

namespace crema::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeError = 1;
inline constexpr int kExitUsage = 2;

// Flags every subcommand shares (parsed on the top-level app, valid before or after the
// subcommand name).
struct GlobalOptions {
  bool quiet = false;  // no progress bars, no summary table
  bool json = false;   // print a JSON summary on stdout instead of the table
  int threads = 0;     // 0 = all cores
};

// Adds a subcommand. Set exit_code from the subcommand's callback.
using CommandInstaller = void (*)(CLI::App& app, GlobalOptions& global, int& exit_code);

struct CommandRegistrar {
  CommandRegistrar(const char* sort_key, CommandInstaller installer);
};

#define CREMA_REGISTER_COMMAND(sort_key, installer) \
  static const ::crema::cli::CommandRegistrar crema_registrar_##installer(sort_key, installer)

// Returns the existing subcommand `name` of app, or creates it (e.g. "train", "eval").
CLI::App* command_group(CLI::App& app, const std::string& name, const std::string& description);

// Prints "crema: error: <message>" on stderr and returns kExitRuntimeError
// (kExitUsage for kInvalidArgument).
int report_error(const Error& error);

// Prints a usage error and returns kExitUsage.
int usage_error(std::string_view message);

// A progress bar on stderr, drawn only when stderr is a terminal, not quiet, and the work
// has run for more than a second. progress() returns a callback for library calls.
class ProgressBar {
 public:
  explicit ProgressBar(bool quiet);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ProgressFn callback();
  void update(std::string_view stage, uint64_t done, uint64_t total);
  void finish();  // clears the bar line

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace crema::cli
