// crema_gazetteer_build: the build-step tool that compiles data/geonames/ into gazetteer.bin.
//   crema_gazetteer_build <data/geonames dir> <out file>
#include <cstdio>

#include "crema/geo/gazetteer.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <geonames-dir> <out.bin>\n", argv[0]);
    return 2;
  }
  auto stats = crema::geo::build_gazetteer(crema::geo::gazetteer_sources_in(argv[1]), argv[2]);
  if (!stats) {
    std::fprintf(stderr, "crema_gazetteer_build: %s\n", stats.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "gazetteer %s: %u cities, %u admin2, %u admin1, %u countries, %u names, %llu bytes (%u rows skipped)\n",
               argv[2], stats->cities, stats->admin2, stats->admin1, stats->countries, stats->names,
               static_cast<unsigned long long>(stats->bytes), stats->skipped_rows);
  return 0;
}
