// Index files: load_index must reject any byte string with an error, never crash; a file
// that loads must answer a search.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crema/common/file_io.h"
#include "crema/match/index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = "/tmp/crema_match_index_fuzz_" + std::to_string(getpid()) + ".idx";
  if (!crema::write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(data), size))) return 0;
  auto index = crema::match::load_index(path);
  if (index) {
    std::vector<float> query((*index)->dim(), 0.0F);
    query[0] = 1.0F;
    std::vector<crema::match::Neighbor> out(3);
    (void)(*index)->search(query, 3, out);
  }
  unlink(path.c_str());
  return 0;
}
