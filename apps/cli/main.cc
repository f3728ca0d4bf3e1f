// crema: the command-line interface. One binary, one subcommand per apps/cli/cmd_*.cc.
#include <cstdio>
#include <map>

#include <CLI/CLI.hpp>

#include "command.h"
#include "pipeline_options.h"

namespace crema::cli {
std::multimap<std::string, CommandInstaller>& command_registry();
}

int main(int argc, char** argv) {
  using namespace crema::cli;
  CLI::App app{"crema: Crisis Response Matcher. Finds requests for and offers of help in crisis "
               "posts, extracts what/where/who, and matches requests to offers.",
               "crema"};
  app.set_version_flag("--version", "crema 0.1.0");
  app.require_subcommand(1);
  GlobalOptions global;
  app.add_flag("-q,--quiet", global.quiet, "No progress bars or summary table")->configurable(false);
  app.add_flag("--json", global.json, "Print a machine-readable JSON summary on stdout");
  app.add_option("-t,--threads", global.threads, "Worker threads (0 = all cores)")
      ->check(CLI::NonNegativeNumber);
  app.fallthrough();

  set_command_line(argc, argv);
  int exit_code = kExitOk;
  for (const auto& [key, installer] : command_registry()) installer(app, global, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}
