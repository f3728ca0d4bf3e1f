// crema/common/file_io.h: whole-file reads and crash-safe writes.
#pragma once

#include <string>
#include <string_view>

#include "crema/common/result.h"

namespace crema {

Result<std::string> read_file(const std::string& path);

// Writes to path + ".tmp", fsyncs, then renames over path: a crash leaves either the old
// or the new file, never a torn one.
Status write_file_atomic(const std::string& path, std::string_view contents);

// Creates the directory and its parents if missing.
Status ensure_directory(const std::string& path);

}  // namespace crema
