// A small synthetic gazetteer for the geo tests: ambiguous names (Victoria, Springfield),
// names in several scripts, common words that are also places (Nice, Reading, Mobile, Best).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "crema/geo/gazetteer.h"

namespace crema::geo::testing {

inline std::string city_row(uint32_t id, const std::string& name, const std::string& alts, double lat, double lon,
                            const std::string& fcode, const std::string& cc, const std::string& a1, uint64_t pop) {
  return std::to_string(id) + "\t" + name + "\t" + name + "\t" + alts + "\t" + std::to_string(lat) + "\t" +
         std::to_string(lon) + "\tP\t" + fcode + "\t" + cc + "\t\t" + a1 + "\t\t\t\t" + std::to_string(pop) +
         "\t\t0\tUTC\t2024-01-01\n";
}

// Writes the synthetic sources to dir and returns them.
inline GazetteerSources write_synthetic_sources(const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::ofstream c(dir + "/cities.txt");
  c << city_row(6174041, "Victoria", "Victoria BC", 48.43, -123.37, "PPLA", "CA", "02", 289625)
    << city_row(241131, "Victoria", "Port Victoria", -4.62, 55.45, "PPLC", "SC", "17", 22881)
    << city_row(2158177, "Melbourne", "Melburn,メルボルン", -37.81, 144.96, "PPLA", "AU", "07", 4917750)
    << city_row(4250542, "Springfield", "", 39.80, -89.64, "PPLA", "US", "IL", 116250)
    << city_row(4409896, "Springfield", "", 37.22, -93.30, "PPLA2", "US", "MO", 166810)
    << city_row(4951788, "Springfield", "", 42.10, -72.59, "PPLA2", "US", "MA", 155929)
    << city_row(4887398, "Chicago", "Chicago IL", 41.85, -87.65, "PPLA2", "US", "IL", 2720546)
    << city_row(1283240, "Kathmandu", "KTM,Katmandu,काठमाडौं,加德满都", 27.70, 85.32, "PPLC", "NP", "03", 1442271)
    << city_row(1282898, "Pokhara", "पोखरा", 28.26, 83.97, "PPLA", "NP", "01", 599504)
    << city_row(2657896, "Zürich", "Zurich,Zuerich,Цюрих", 47.37, 8.55, "PPLA", "CH", "ZH", 341730)
    << city_row(3448439, "São Paulo", "Sao Paulo,サンパウロ", -23.55, -46.64, "PPLA", "BR", "27", 12400232)
    << city_row(1850147, "Tokyo", "東京,Tokio", 35.69, 139.69, "PPLC", "JP", "40", 9733276)
    << city_row(2990440, "Nice", "Nizza", 43.70, 7.27, "PPLA2", "FR", "93", 342669)
    << city_row(2639577, "Reading", "", 51.46, -0.97, "PPLA2", "GB", "ENG", 318014)
    << city_row(4076598, "Mobile", "", 30.69, -88.04, "PPLA2", "US", "AL", 187041)
    << city_row(2759040, "Best", "", 51.51, 5.39, "PPL", "NL", "06", 29000)
    << city_row(5128581, "New York City", "NYC,New York,Nueva York", 40.71, -74.01, "PPL", "US", "NY", 8804190)
    << city_row(1701668, "Manila", "Maynila", 14.60, 120.98, "PPLC", "PH", "NCR", 1600000)
    << city_row(1684308, "Tacloban", "Tacloban City", 11.24, 125.00, "PPLA", "PH", "08", 242089)
    << city_row(3117735, "Madrid", "", 40.42, -3.70, "PPLC", "ES", "29", 3255944)
    << city_row(3719028, "Pétionville", "Petionville", 18.51, -72.29, "PPL", "HT", "11", 283052)
    << city_row(3726786, "Delmas", "Delma", 18.54, -72.30, "PPL", "HT", "11", 382920)
    << city_row(3723779, "Jacmel", "Jakmel", 18.24, -72.54, "PPLA", "HT", "06", 137966)
    << city_row(3450083, "Santa Maria", "", -29.68, -53.81, "PPLA2", "BR", "23", 283677)
    << city_row(2174003, "Brisbane", "", -27.47, 153.03, "PPLA", "AU", "04", 2514184)
    << city_row(2147714, "Sydney", "", -33.87, 151.21, "PPLA", "AU", "02", 4627345)
    << city_row(2641591, "Nelson", "", 53.83, -2.22, "PPL", "GB", "ENG", 150000)
    << city_row(2435124, "Bol", "", 13.46, 14.71, "PPLA", "TD", "07", 20000)
    << city_row(2525473, "Cagliari", "", 39.23, 9.12, "PPLA", "IT", "14", 154106)
    << city_row(3181928, "Bologna", "", 44.49, 11.34, "PPLA", "IT", "05", 366133)
    << city_row(5419384, "Denver", "", 39.74, -104.98, "PPLA", "US", "CO", 715522)
    << city_row(3172087, "Olbia", "", 40.92, 9.50, "PPLA3", "IT", "14", 60345)
    << city_row(323777, "Antalya", "Adalia,Olbia", 36.91, 30.70, "PPLA", "TR", "07", 1344000)
    << city_row(4005539, "Guadalupe", "", 25.68, -100.26, "PPLA2", "MX", "19", 673616)
    << city_row(3623076, "Guadalupe", "", 9.95, -84.05, "PPL", "CR", "08", 26005)
    << city_row(1642911, "Jakarta", "Djakarta", -6.21, 106.85, "PPLC", "ID", "04", 8540121)
    << city_row(1298824, "Yangon", "Rangoon", 16.81, 96.16, "PPLA", "MM", "17", 4477638)
    << city_row(5913490, "Calgary", "", 51.05, -114.09, "PPLA2", "CA", "01", 1019942)
    << "malformed row without tabs\n";
  std::ofstream a(dir + "/admin1.txt");
  a << "CA.02\tBritish Columbia\tBritish Columbia\t5909050\n"
    << "SC.17\tEnglish River\tEnglish River\t241175\n"
    << "AU.07\tVictoria\tVictoria\t2145234\n"
    << "US.IL\tIllinois\tIllinois\t4896861\n"
    << "US.MO\tMissouri\tMissouri\t4398678\n"
    << "US.MA\tMassachusetts\tMassachusetts\t6254926\n"
    << "NP.03\tBagmati Province\tBagmati Province\t12095990\n"
    << "NP.01\tGandaki Province\tGandaki Province\t12095991\n"
    << "CH.ZH\tZurich\tZurich\t2657895\n"
    << "BR.27\tSão Paulo\tSao Paulo\t3448433\n"
    << "JP.40\tTokyo\tTokyo\t1850144\n"
    << "FR.93\tProvence-Alpes-Côte d'Azur\tProvence-Alpes-Cote d'Azur\t2985244\n"
    << "GB.ENG\tEngland\tEngland\t6269131\n"
    << "US.AL\tAlabama\tAlabama\t4829764\n"
    << "NL.06\tNorth Brabant\tNorth Brabant\t2749990\n"
    << "US.NY\tNew York\tNew York\t5128638\n"
    << "PH.NCR\tMetro Manila\tMetro Manila\t7521311\n"
    << "PH.08\tEastern Visayas\tEastern Visayas\t7521309\n"
    << "ES.29\tMadrid\tMadrid\t3117732\n"
    << "HT.11\tOuest\tOuest\t3719543\n"
    << "HT.06\tSud-Est\tSud-Est\t3716950\n"
    << "BR.23\tRio Grande do Sul\tRio Grande do Sul\t3451133\n"
    << "AU.04\tQueensland\tQueensland\t2152274\n"
    << "AU.02\tNew South Wales\tNew South Wales\t2155400\n"
    << "TD.07\tLac\tLac\t2429323\n"
    << "IT.14\tSardinia\tSardinia\t2523228\n"
    << "IT.05\tEmilia-Romagna\tEmilia-Romagna\t3177401\n"
    << "US.CO\tColorado\tColorado\t5417618\n"
    << "CM.12\tNorth\tNorth\t2223603\n"
    << "CA.01\tAlberta\tAlberta\t5883102\n";
  std::ofstream k(dir + "/countryInfo.txt");
  auto country = [&](const char* iso, const char* name, double area, uint64_t pop, uint32_t id) {
    k << iso << "\tXXX\t000\t" << iso << "\t" << name << "\tCap\t" << area << "\t" << pop
      << "\tEU\t.x\tEUR\tEuro\t1\t\t\ten\t" << id << "\t\t\n";
  };
  k << "#ISO\tISO3\t...\n";
  country("CA", "Canada", 9984670, 37058856, 6251999);
  country("SC", "Seychelles", 455, 96762, 241170);
  country("AU", "Australia", 7686850, 24992369, 2077456);
  country("US", "United States", 9629091, 327167434, 6252001);
  country("NP", "Nepal", 140800, 28087871, 1282988);
  country("CH", "Switzerland", 41290, 8516543, 2658434);
  country("BR", "Brazil", 8511965, 209469333, 3469034);
  country("JP", "Japan", 377835, 126529100, 1861060);
  country("FR", "France", 547030, 66987244, 3017382);
  country("GB", "United Kingdom", 244820, 66488991, 2635167);
  country("NL", "Netherlands", 41526, 17231017, 2750405);
  country("PH", "Philippines", 300000, 106651922, 1694008);
  country("ES", "Spain", 504782, 46723749, 2510769);
  country("HT", "Haiti", 27750, 9648924, 3723988);
  country("TD", "Chad", 1284000, 15477751, 2434508);
  country("IT", "Italy", 301230, 60431283, 3175395);
  country("TR", "Turkey", 780580, 82319724, 298795);
  country("MX", "Mexico", 1972550, 126190788, 3996063);
  country("CR", "Costa Rica", 51100, 4999441, 3624060);
  country("ID", "Indonesia", 1919440, 267663435, 1643084);
  country("CM", "Cameroon", 475440, 25216237, 2233387);
  country("MM", "Myanmar", 678500, 53708395, 1327865);
  std::ofstream u(dir + "/unigrams.tsv");
  u << "the\t27002\t580\nin\t14477\t332\nhelp\t2827\t243\nearthquake\t1020\t52\nflood\t900\t40\n"
    << "nepal\t74\t69\nvalley\t69\t44\nbest\t95\t4\nmobile\t104\t6\nnice\t20\t2\nreading\t15\t0\n"
    << "kathmandu\t20\t15\nrelief\t500\t30\nwishes\t40\t1\nwork\t300\t5\nneeded\t200\t3\n"
    << "typhoon\t400\t100\nhaiyan\t200\t150\nfloods\t300\t20\nfrom\t3000\t20\nand\t15169\t127\n"
    // A 4th column: occurrences in texts that use case (the capitalised count is of those).
    << "bushfires\t50\t2\t50\nfires\t80\t3\t80\nmégantic\t30\t28\t30\njakmel\t43\t5\t14\n"
    << "delma\t136\t32\t51\nplace\t300\t10\t300\nny\t10\t2\t10\nshelter\t200\t5\t200\n"
    << "staff\t139\t2\t109\nlaplan\t15\t0\t3\ntemblor\t17\t0\t13\nrelief\t893\t81\t634\nph\t18\t11\t13\n"
    << "january\t300\t290\t300\nhigh\t500\t20\t400\nriver\t300\t60\t250\nneed\t900\t30\t700\n";
  std::ofstream q(dir + "/cues.tsv");
  q << "# test cues\nprep\tin\nprep\tat\nprep\tfrom\nprep\tnear\nprep\ten\nsuffix\tvalley\nsuffix\tcity\n"
    << "suffix\tdistrict\nprefix\tbarangay\nstop\tthe\nstop\tin\nstop\thelp\nstop\tand\nstop\tfrom\nstop\tvalley\n"
    << "stop\tus\nstop\trt\nending\tpur\nending\tville\nsuffix\tplace\nprep\tnan\n"
    << "street_pre\true\nstreet_pre\tenpas\nstreet_pre\tblvd\nstreet_pre\tplace\nstreet_post\tpde\n"
    << "street_post\tmall\nstreet_post\tst\nstreet_post\tplace\nstreet_post\tcity\nstop\tst\n"
    << "street_pre\thospital\nstop\thospital\nsuffix\tstate\nstop\tstate\norg\tred cross\norg\tair force\nstreet_pre\tzon\nstreet_post\tstreet\nstop\tmy\n"
    << "stop\tnorth\nstop\tutara\ndirection\tnorth\ndirection\tutara\n";
  std::ofstream al(dir + "/aliases.tsv");
  al << "# aliases\nUS\tUSA\nUS\tUS\nGB\tUK\nAU.04\tQLD\nAU.02\tNSW\nCA.02\tBC\n";
  // Division names in other languages (admin_names.tsv, from ISO 3166-2 translations).
  std::ofstream an(dir + "/admin_names.tsv");
  an << "# names\nIT.14\tSardegna\nIT.14\tSardaigne\nIT.14\tСардиния\nBR.23\tRS\nNP.03\tBC\nCM.12\tUtara\n";
  GazetteerSources s;
  s.cities = {dir + "/cities.txt"};
  s.admin1 = dir + "/admin1.txt";
  s.countries = dir + "/countryInfo.txt";
  s.unigrams = dir + "/unigrams.tsv";
  s.cues = dir + "/cues.tsv";
  s.aliases = dir + "/aliases.tsv";
  s.admin_names = dir + "/admin_names.tsv";
  s.country_name_languages = {"en", "es", "fr", "ne"};
  return s;
}

// A temp directory removed with everything in it when the process ends.
struct TempDir {
  std::string path = std::filesystem::temp_directory_path().string() + "/crema_geo_test_" + std::to_string(::getpid());
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

inline const std::string& temp_dir() {
  static const TempDir dir;
  return dir.path;
}

// Builds the synthetic gazetteer once per process; returns its path ("" if the build failed).
inline const std::string& synthetic_gazetteer_path() {
  static const std::string path = [] {
    const auto sources = write_synthetic_sources(temp_dir() + "/src");
    const std::string out = temp_dir() + "/gazetteer.bin";
    if (!build_gazetteer(sources, out)) return std::string();
    return out;
  }();
  return path;
}

}  // namespace crema::geo::testing
