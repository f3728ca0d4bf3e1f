// crema version: prints the version and the build's optional backends.
#include "command.h"

namespace crema::cli {
namespace {

void install_version(CLI::App& app, GlobalOptions& global, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("version", "Print version and build information");
  cmd->callback([&global, &exit_code] {
    if (global.json) {
      std::printf("{\"version\":\"0.1.0\"}\n");
    } else {
      std::printf("crema 0.1.0\n");
    }
    exit_code = kExitOk;
  });
}

}  // namespace
CREMA_REGISTER_COMMAND("z-version", install_version);
}  // namespace crema::cli
