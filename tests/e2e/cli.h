// tests/e2e/cli.h: what every end-to-end test needs to run the real `crema` binary and look at
// what it wrote.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace crema_e2e {

struct CliResult {
  int exit_code = -1;  // -1 when crema did not exit normally (signal, popen failure)
  std::string out;     // stdout, plus stderr with Stderr::kCaptured
};

enum class Stderr { kToLog, kCaptured };

// Runs CREMA_BIN with args (each single-quoted for the shell). kToLog leaves stderr on the
// test's own stderr, so diagnostics show in the ctest log.
CliResult run_crema(const std::vector<std::string>& args, Stderr err = Stderr::kToLog);

// A fresh empty directory under the system temp dir, unique to this process and name.
std::string temp_dir(const std::string& name);

std::string read_text(const std::string& path);  // whole file, bytes as they are ("" if missing)
std::vector<std::string> split_lines(const std::string& text);
std::vector<std::string> lines_of(const std::string& path);

// The first column of the first row of sql run on a read-only open of db_path; -1 on failure.
int64_t sql_count(const std::string& db_path, const std::string& sql);

}  // namespace crema_e2e
