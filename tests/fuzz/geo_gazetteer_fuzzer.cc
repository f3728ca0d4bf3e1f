// Fuzzes the gazetteer loader: any bytes must open cleanly or fail with kCorrupt, never
// crash. The bytes go through the full open (checksum first) and, with the checksum check
// off, through the structural checks behind it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "../../src/geo/gazetteer_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto checked = crema::geo::detail::open_gazetteer_bytes(bytes, true);
  if (checked) {
    (void)checked->lookup("Kathmandu");
    (void)checked->nearest_city(27.7, 85.3);
  }
  // Without the checksum the structural checks alone must hold; marisa's own format is
  // only trusted behind the checksum, so no lookups here.
  auto unchecked = crema::geo::detail::open_gazetteer_bytes(bytes, false);
  if (unchecked) (void)unchecked->place(0);
  return 0;
}
