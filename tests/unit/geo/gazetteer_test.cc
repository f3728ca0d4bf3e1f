#include "crema/geo/gazetteer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <random>

#include "../../../src/geo/gazetteer_file.h"
#include "../../../src/geo/geo_math.h"
#include "crema/common/file_io.h"
#include "geo_test_util.h"

namespace crema::geo {
namespace {

const Gazetteer& gaz() {
  static const Gazetteer g = [] {
    auto r = Gazetteer::open(testing::synthetic_gazetteer_path());
    if (!r) {
      ADD_FAILURE() << r.error().message;
      std::abort();
    }
    return *r;
  }();
  return g;
}

std::vector<std::string> names_of(const std::vector<uint32_t>& ids) {
  std::vector<std::string> out;
  for (const auto id : ids) out.push_back(gaz().place(id).name + "/" + gaz().place(id).country);
  return out;
}

TEST(NameKey, FoldsCaseAndPunctuation) {
  EXPECT_EQ(name_key("Port-au-Prince", false), "port au prince");
  EXPECT_EQ(name_key("  L'Aquila!! ", false), "l aquila");
  EXPECT_EQ(name_key("ZÜRICH", false), "zürich");
  EXPECT_EQ(name_key("ZÜRICH", true), "zurich");
  EXPECT_EQ(name_key("São Paulo", true), "sao paulo");
  EXPECT_EQ(name_key("काठमाडौं", true), "काठमाडौं");  // Devanagari marks are kept
  EXPECT_EQ(name_key("東京", false), "東京");
  EXPECT_EQ(name_key("🙂", false), "");
}

TEST(Gazetteer, BuildsAndCounts) {
  const auto& info = gaz().info();
  EXPECT_EQ(info.cities, 38u);
  EXPECT_GT(info.entries, info.cities);
  EXPECT_GT(info.names, 40u);
  EXPECT_GT(info.unigrams, 10u);
}

TEST(Gazetteer, LooksUpEveryScriptAndSpelling) {
  for (const char* n : {"Zürich", "zurich", "ZUERICH", "Цюрих"}) {
    const auto ids = gaz().lookup(n);
    ASSERT_FALSE(ids.empty()) << n;
    EXPECT_EQ(gaz().place(ids[0]).name, "Zürich") << n;
  }
  EXPECT_EQ(names_of(gaz().lookup("काठमाडौं")), std::vector<std::string>{"Kathmandu/NP"});
  EXPECT_EQ(names_of(gaz().lookup("東京")), std::vector<std::string>{"Tokyo/JP"});
  EXPECT_EQ(names_of(gaz().lookup("sao paulo")).size(), 2u);  // the city and its admin1
  EXPECT_TRUE(gaz().lookup("Atlantis").empty());
  EXPECT_TRUE(gaz().lookup("").empty());
}

TEST(Gazetteer, DivisionsCarryTheirNamesInOtherLanguages) {
  // GeoNames names Sardinia in English only; admin_names.tsv adds "Sardegna", "Sardaigne"…
  for (const char* n : {"Sardegna", "SARDAIGNE", "Сардиния", "Sardinia"}) {
    EXPECT_EQ(names_of(gaz().lookup(n)), std::vector<std::string>{"Sardinia/IT"}) << n;
  }
}

TEST(Gazetteer, DoubleBarrelledRegionsGoByTheirFirstPart) {
  EXPECT_EQ(names_of(gaz().lookup("Emilia")), std::vector<std::string>{"Emilia-Romagna/IT"});
  EXPECT_TRUE(gaz().lookup("Romagna").empty());
}

TEST(Gazetteer, AmbiguousNamesListEveryEntryByPopulation) {
  const auto ids = gaz().lookup("Springfield");
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_GE(gaz().population(ids[0]), gaz().population(ids[1]));
  EXPECT_GE(gaz().population(ids[1]), gaz().population(ids[2]));
  // Victoria: two cities and the Australian state.
  const auto v = gaz().lookup("victoria");
  ASSERT_EQ(v.size(), 3u);
  int admins = 0;
  for (const auto id : v) admins += gaz().kind(id) == PlaceKind::kAdmin1 ? 1 : 0;
  EXPECT_EQ(admins, 1);
}

TEST(Gazetteer, AdminsAndCountriesHaveCentroidsAndRadius) {
  const uint32_t np = gaz().country_index("np");
  ASSERT_NE(np, Gazetteer::kNone);
  const Place p = gaz().place(np);
  EXPECT_EQ(p.kind, PlaceKind::kCountry);
  EXPECT_EQ(p.name, "Nepal");
  EXPECT_NEAR(p.radius_km, std::sqrt(140800.0) / 2, 1.0);
  EXPECT_GT(p.lat, 27.0);
  EXPECT_LT(p.lat, 28.5);
  // Country names come from ICU in other languages too.
  EXPECT_EQ(names_of(gaz().lookup("Suiza")), std::vector<std::string>{"Switzerland/CH"});
  EXPECT_EQ(names_of(gaz().lookup("Népal")), std::vector<std::string>{"Nepal/NP"});
  // Admin names without their generic word.
  const auto bag = gaz().lookup("Bagmati");
  ASSERT_EQ(bag.size(), 1u);
  EXPECT_EQ(gaz().kind(bag[0]), PlaceKind::kAdmin1);
  // A city knows its admin1.
  const auto ktm = gaz().lookup("Kathmandu");
  ASSERT_FALSE(ktm.empty());
  EXPECT_EQ(gaz().place(ktm[0]).admin1, "Bagmati Province");
  // City radius grows with population within 5–30 km.
  const auto best = gaz().lookup("Best");
  ASSERT_FALSE(best.empty());
  EXPECT_GE(gaz().radius_km(best[0]), 5.0);
  EXPECT_LT(gaz().radius_km(best[0]), 10.0);
  EXPECT_GT(gaz().radius_km(ktm[0]), 15.0);
  EXPECT_LE(gaz().radius_km(ktm[0]), 30.0);
}

TEST(Gazetteer, NearestCityMatchesBruteForce) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> lat(-89.0, 89.0), lon(-180.0, 180.0);
  for (int i = 0; i < 300; ++i) {
    const double la = lat(rng), lo = lon(rng);
    const auto got = gaz().nearest_city(la, lo);
    ASSERT_TRUE(got.has_value());
    double best = 1e300;
    uint32_t best_i = 0;
    for (uint32_t e = 0; e < gaz().info().cities; ++e) {
      const double d = haversine_km(la, lo, gaz().lat(e), gaz().lon(e));
      if (d < best) {
        best = d;
        best_i = e;
      }
    }
    EXPECT_EQ(got->first, best_i) << la << "," << lo;
    EXPECT_NEAR(got->second, best, 1e-6);
  }
}

TEST(Gazetteer, UnigramsAndCues) {
  EXPECT_EQ(gaz().unigram_count("nepal"), 74u);
  EXPECT_EQ(gaz().unigram_capitalised("nepal"), 69u);
  EXPECT_EQ(gaz().unigram_count("zzzz"), 0u);
  EXPECT_TRUE(gaz().is_cue("prep", "in"));
  EXPECT_FALSE(gaz().is_cue("prep", "kathmandu"));
}

// --- hostile files ---------------------------------------------------------------------

std::string read_all(const std::string& path) {
  auto r = read_file(path);
  return r ? *r : std::string();
}

Result<Gazetteer> open_bytes_as_file(const std::string& bytes, const std::string& name) {
  const std::string path = testing::temp_dir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return Gazetteer::open(path);
}

TEST(GazetteerHostile, MissingFileIsNotFound) {
  auto r = Gazetteer::open(testing::temp_dir() + "/nope.bin");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST(GazetteerHostile, DamagedFilesAreCorruptNeverACrash) {
  const std::string good = read_all(testing::synthetic_gazetteer_path());
  ASSERT_GT(good.size(), sizeof(detail::FileHeader));
  struct Case {
    std::string name;
    std::string bytes;
  };
  std::vector<Case> cases;
  cases.push_back({"empty", ""});
  cases.push_back({"short", good.substr(0, 10)});
  cases.push_back({"header_only", good.substr(0, sizeof(detail::FileHeader))});
  cases.push_back({"truncated", good.substr(0, good.size() / 2)});
  cases.push_back({"padded", good + std::string(8, '\0')});
  std::string magic = good;
  magic[0] = 'X';
  cases.push_back({"magic", magic});
  std::string version = good;
  version[8] = 9;
  cases.push_back({"version", version});
  std::string flipped = good;
  flipped[good.size() - 100] ^= 0x40;
  cases.push_back({"flipped", flipped});
  for (const auto& c : cases) {
    auto r = open_bytes_as_file(c.bytes, c.name + ".bin");
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().code, ErrorCode::kCorrupt) << c.name;
    EXPECT_NE(r.error().message.find("gazetteer"), std::string::npos) << c.name;
  }
  EXPECT_TRUE(open_bytes_as_file(good, "good.bin"));
}

// Behind the checksum: structural checks catch inconsistent sections and entries.
TEST(GazetteerHostile, StructuralChecksBehindTheChecksum) {
  const std::string good = read_all(testing::synthetic_gazetteer_path());
  detail::FileHeader h;
  std::memcpy(&h, good.data(), sizeof(h));
  auto patched = [&](auto&& edit) {
    std::string b = good;
    detail::FileHeader hh = h;
    edit(b, hh);
    std::memcpy(b.data(), &hh, sizeof(hh));
    return detail::open_gazetteer_bytes(b, false);
  };
  EXPECT_TRUE(patched([](std::string&, detail::FileHeader&) {}));
  EXPECT_FALSE(patched([](std::string&, detail::FileHeader& x) { x.num_entries += 1; }));
  EXPECT_FALSE(patched([](std::string&, detail::FileHeader& x) { x.sections[detail::kNameTrie].offset = 1u << 30; }));
  EXPECT_FALSE(patched([](std::string&, detail::FileHeader& x) { x.num_cities = x.num_entries + 1; }));
  EXPECT_FALSE(patched([&](std::string& b, detail::FileHeader& x) {
    // A posting pointing past the entries.
    const uint32_t bad = 0xFFFFFF;
    std::memcpy(b.data() + x.sections[detail::kPostings].offset, &bad, 4);
  }));
  EXPECT_FALSE(patched([&](std::string& b, detail::FileHeader& x) {
    // An entry with latitude 1000.
    const float bad = 1000.0f;
    std::memcpy(b.data() + x.sections[detail::kEntries].offset + offsetof(detail::EntryRecord, lat), &bad, 4);
  }));
  EXPECT_FALSE(patched([&](std::string& b, detail::FileHeader& x) {
    // A name trie of garbage.
    for (uint64_t i = 0; i < std::min<uint64_t>(64, x.sections[detail::kNameTrie].size); ++i) {
      b[x.sections[detail::kNameTrie].offset + i] = 'z';
    }
  }));
}

TEST(GazetteerBuild, MissingSourceIsNotFound) {
  auto s = testing::write_synthetic_sources(testing::temp_dir() + "/src2");
  s.admin1 = testing::temp_dir() + "/src2/missing.txt";
  auto r = build_gazetteer(s, testing::temp_dir() + "/never.bin");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST(GazetteerBuild, SkipsMalformedRows) {
  auto s = testing::write_synthetic_sources(testing::temp_dir() + "/src3");
  auto r = build_gazetteer(s, testing::temp_dir() + "/src3.bin");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->skipped_rows, 1u);
  EXPECT_EQ(r->cities, 38u);
}

}  // namespace
}  // namespace crema::geo
