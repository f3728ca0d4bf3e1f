// Fuzzes toponym extraction and geo-resolution over arbitrary post text/place/user_location
// with a small gazetteer built once from generated sources: never a crash, spans always
// inside the text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "crema/geo/geocoder.h"

namespace {

const crema::geo::Geocoder* geocoder() {
  static const crema::geo::Geocoder* g = [] {
    const std::string dir = std::filesystem::temp_directory_path().string() + "/crema_geo_fuzz";
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/cities.txt")
        << "1283240\tKathmandu\tKathmandu\tKTM,काठमाडौं\t27.7\t85.32\tP\tPPLC\tNP\t\t03\t\t\t\t1442271\t\t0\tUTC\t2024-01-01\n"
        << "6174041\tVictoria\tVictoria\t\t48.43\t-123.37\tP\tPPLA\tCA\t\t02\t\t\t\t289625\t\t0\tUTC\t2024-01-01\n"
        << "2990440\tNice\tNice\t\t43.7\t7.27\tP\tPPLA2\tFR\t\t93\t\t\t\t342669\t\t0\tUTC\t2024-01-01\n";
    std::ofstream(dir + "/admin1.txt") << "NP.03\tBagmati\tBagmati\t1\nCA.02\tBritish Columbia\tBritish Columbia\t2\n";
    std::ofstream(dir + "/countries.txt") << "NP\tNPL\t524\tNP\tNepal\tKathmandu\t140800\t28087871\tAS\t.np\tNPR\tRupee\t977\t\t\tne\t1282988\t\t\n"
                                          << "CA\tCAN\t124\tCA\tCanada\tOttawa\t9984670\t37058856\tNA\t.ca\tCAD\tDollar\t1\t\t\ten\t6251999\t\t\n";
    std::ofstream(dir + "/unigrams.tsv") << "the\t100\t1\nnepal\t10\t9\nearthquake\t20\t1\n";
    std::ofstream(dir + "/cues.tsv") << "prep\tin\nstop\tthe\nsuffix\tvalley\n";
    crema::geo::GazetteerSources s;
    s.cities = {dir + "/cities.txt"};
    s.admin1 = dir + "/admin1.txt";
    s.countries = dir + "/countries.txt";
    s.unigrams = dir + "/unigrams.tsv";
    s.cues = dir + "/cues.tsv";
    s.country_name_languages = {"en"};
    if (!crema::geo::build_gazetteer(s, dir + "/g.bin")) std::abort();
    crema::geo::GeocoderOptions o;
    o.gazetteer_path = dir + "/g.bin";
    auto r = crema::geo::Geocoder::open(o);
    if (!r) std::abort();
    return new crema::geo::Geocoder(std::move(*r));
  }();
  return g;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  crema::Post p;
  p.id = "f";
  p.text = bytes;
  p.place = bytes.substr(0, bytes.size() / 2);
  p.user_location = bytes.substr(bytes.size() / 2);
  const auto r = geocoder()->locate(p);
  for (const auto& m : r.locations) {
    if (m.start > m.end || m.end > p.text.size()) std::abort();
  }
  (void)geocoder()->segment_hashtag(bytes);
  return 0;
}
