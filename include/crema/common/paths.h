// crema/common/paths.h: where crema finds its bundled data/ and models/.
#pragma once

#include <string>

namespace crema {

// The root holding data/ and models/: $CREMA_HOME if set, else the source tree the binary
// was built from (compiled in), else the current directory.
std::string resource_root();

// resource_root() + "/" + relative.
std::string resource_path(const std::string& relative);

}  // namespace crema
