#include "crema/common/paths.h"

#include <cstdlib>
#include <filesystem>

namespace crema {

std::string resource_root() {
  if (const char* home = std::getenv("CREMA_HOME"); home != nullptr && *home != '\0') {
    return home;
  }
#ifdef CREMA_SOURCE_ROOT_DIR
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::path(CREMA_SOURCE_ROOT_DIR) / "models", ec)) {
    return CREMA_SOURCE_ROOT_DIR;
  }
#endif
  return ".";
}

std::string resource_path(const std::string& relative) {
  return resource_root() + "/" + relative;
}

}  // namespace crema
