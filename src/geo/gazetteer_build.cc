// Compiles GeoNames text files into the binary gazetteer (docs/gazetteer_format.md).
#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <marisa.h>
#include <marisa/iostream.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include "crema/common/file_io.h"
#include "crema/geo/gazetteer.h"
#include "gazetteer_file.h"
#include "geo_math.h"

namespace crema::geo {
namespace {

// Reads a plain or gzip file line by line (zlib passes plain files through).
class LineReader {
 public:
  ~LineReader() {
    if (file_ != nullptr) gzclose(file_);
  }
  Status open(const std::string& path) {
    path_ = path;
    file_ = gzopen(path.c_str(), "rb");
    if (file_ == nullptr) return make_error(ErrorCode::kNotFound, "gazetteer source " + path + ": cannot open");
    return {};
  }
  // False at end of file.
  bool next(std::string& line) {
    line.clear();
    while (true) {
      const size_t nl = buffer_.find('\n', pos_);
      if (nl != std::string::npos) {
        line.assign(buffer_, pos_, nl - pos_);
        pos_ = nl + 1;
        ++line_no_;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return true;
      }
      buffer_.erase(0, pos_);
      pos_ = 0;
      char chunk[1 << 16];
      const int n = gzread(file_, chunk, sizeof(chunk));
      if (n <= 0) {
        if (buffer_.empty()) return false;
        line.swap(buffer_);
        buffer_.clear();
        ++line_no_;
        return true;
      }
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }
  uint64_t line_no() const { return line_no_; }

 private:
  std::string path_;
  gzFile file_ = nullptr;
  std::string buffer_;
  size_t pos_ = 0;
  uint64_t line_no_ = 0;
};

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return out;
}

template <typename T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  if constexpr (std::is_floating_point_v<T>) {
    // from_chars for double is available in GCC 12.
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(out);
  } else {
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
  }
}

struct BuildEntry {
  uint32_t geonameid = 0;
  double lat = 0, lon = 0;
  uint64_t population = 0;
  std::string name;
  std::string country;
  std::string admin1_code;  // "CC.X"
  std::string admin2_code;  // "CC.X.Y"
  std::string feature_code;
  PlaceKind kind = PlaceKind::kCity;
  double radius_km = 0;
  uint32_t admin1 = Gazetteer::kNone;
  std::vector<std::string> names;
};

double city_radius_km(uint64_t population) {
  const double p = std::max<double>(static_cast<double>(population), 1.0);
  return std::clamp(5.0 + 25.0 * (std::log10(p) - 4.2) / (7.0 - 4.2), 5.0, 30.0);
}

// Weighted centroid and spread of a set of cities.
struct Centroid {
  double lat = 0, lon = 0, spread_km = 0;
  uint64_t population = 0;
  bool any = false;
};

Centroid centroid_of(const std::vector<BuildEntry>& cities, const std::vector<uint32_t>& members) {
  Centroid c;
  if (members.empty()) return c;
  double wsum = 0, x = 0, y = 0, z = 0;
  for (const uint32_t i : members) {
    const auto& e = cities[i];
    const double w = static_cast<double>(e.population) + 1.0;
    const double la = e.lat * kPi / 180, lo = e.lon * kPi / 180;
    x += w * std::cos(la) * std::cos(lo);
    y += w * std::cos(la) * std::sin(lo);
    z += w * std::sin(la);
    wsum += w;
    c.population += e.population;
  }
  c.lat = std::atan2(z, std::sqrt(x * x + y * y)) * 180 / kPi;
  c.lon = std::atan2(y, x) * 180 / kPi;
  double var = 0;
  for (const uint32_t i : members) {
    const auto& e = cities[i];
    const double d = haversine_km(c.lat, c.lon, e.lat, e.lon);
    var += (static_cast<double>(e.population) + 1.0) * d * d;
  }
  c.spread_km = std::sqrt(var / wsum);
  c.any = true;
  return c;
}

// Administrative names with their generic words removed ("Bagmati Province" -> "Bagmati").
std::vector<std::string> admin_variants(const std::string& name) {
  static const char* const kSuffixes[] = {" Province", " Region", " District", " State", " Prefecture", " Governorate",
                                          " Municipality", " Oblast", " County", " Department", " Division",
                                          " Autonomous Region", " Zone", " Pradesh"};
  static const char* const kPrefixes[] = {"Province of ", "State of ", "Provincia de ", "Provincia del ", "Provincia di ",
                                          "Departamento de ", "Departamento del ", "Région ", "Region of ", "Distrito de ",
                                          "Estado de ", "City of ", "Municipality of ", "Provinsi "};
  std::vector<std::string> out;
  for (const char* s : kSuffixes) {
    const size_t n = std::strlen(s);
    if (name.size() > n + 2 && name.compare(name.size() - n, n, s) == 0 && std::string_view(s) != " Pradesh") {
      out.push_back(name.substr(0, name.size() - n));
    }
  }
  for (const char* p : kPrefixes) {
    const size_t n = std::strlen(p);
    if (name.size() > n + 2 && name.compare(0, n, p) == 0) out.push_back(name.substr(n));
  }
  return out;
}

const std::vector<std::string>& default_languages() {
  static const std::vector<std::string> langs = {"en", "es", "fr", "pt", "it", "de", "nl", "fil", "id", "ms", "hi",
                                                 "ne", "ur", "bn", "ar", "fa", "tr", "ru", "uk", "pl", "ja", "zh",
                                                 "ko", "th", "vi", "sw", "el", "he", "ro", "ta", "ht", "ca"};
  return langs;
}

std::string icu_country_name(const std::string& iso2, const std::string& lang) {
  icu::UnicodeString u;
  icu::Locale("", iso2.c_str()).getDisplayCountry(icu::Locale(lang.c_str()), u);
  std::string out;
  u.toUTF8String(out);
  if (out == iso2) out.clear();
  return out;
}

void append_aligned(std::string& file, std::string_view bytes, detail::SectionRef& ref) {
  while (file.size() % 8 != 0) file.push_back('\0');
  ref.offset = file.size();
  ref.size = bytes.size();
  file.append(bytes);
}

template <typename T>
std::string_view as_bytes(const std::vector<T>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)};
}

std::string trie_bytes(marisa::Trie& trie) {
  // marisa writes through a FILE*/fd/stream; use an in-memory stream.
  std::ostringstream os;
  marisa::write(os, trie);
  return os.str();
}

}  // namespace

GazetteerSources gazetteer_sources_in(const std::string& dir) {
  GazetteerSources s;
  s.cities = {dir + "/cities15000.txt.gz"};
  s.admin1 = dir + "/admin1CodesASCII.txt";
  s.admin2 = dir + "/admin2Codes.txt.gz";
  s.countries = dir + "/countryInfo.txt";
  s.cues = dir + "/toponym_cues.tsv";
  s.unigrams = dir + "/gazetteer_unigrams.tsv";
  s.aliases = dir + "/country_aliases.tsv";
  s.admin_names = dir + "/admin_names.tsv";
  return s;
}

Result<GazetteerBuildStats> build_gazetteer(const GazetteerSources& src, const std::string& out_path) {
  GazetteerBuildStats stats;
  std::string line;

  // Countries.
  struct CountryRow {
    std::string iso2, name;
    uint32_t geonameid = 0;
    double area = 0;
    uint64_t population = 0;
  };
  std::vector<CountryRow> country_rows;
  {
    LineReader r;
    if (auto st = r.open(src.countries); !st) return tl::unexpected(st.error());
    while (r.next(line)) {
      if (line.empty() || line[0] == '#') continue;
      const auto f = split_tabs(line);
      if (f.size() < 17 || f[0].size() != 2) {
        ++stats.skipped_rows;
        continue;
      }
      CountryRow c;
      c.iso2 = std::string(f[0]);
      c.name = std::string(f[4]);
      parse_number(f[6], c.area);
      parse_number(f[7], c.population);
      parse_number(f[16], c.geonameid);
      country_rows.push_back(std::move(c));
    }
  }
  // Admin1 and admin2 names.
  struct AdminRow {
    std::string name, ascii;
    uint32_t geonameid = 0;
  };
  std::map<std::string, AdminRow> admin1_rows, admin2_rows;
  auto read_admin = [&](const std::string& path, std::map<std::string, AdminRow>& rows) -> Status {
    LineReader r;
    if (auto st = r.open(path); !st) return st;
    while (r.next(line)) {
      const auto f = split_tabs(line);
      if (f.size() < 4 || f[0].find('.') == std::string_view::npos || f[1].empty()) {
        if (!line.empty()) ++stats.skipped_rows;
        continue;
      }
      AdminRow a{std::string(f[1]), std::string(f[2]), 0};
      parse_number(f[3], a.geonameid);
      rows.emplace(std::string(f[0]), std::move(a));
    }
    return {};
  };
  if (auto st = read_admin(src.admin1, admin1_rows); !st) return tl::unexpected(st.error());
  if (!src.admin2.empty()) {
    if (auto st = read_admin(src.admin2, admin2_rows); !st) return tl::unexpected(st.error());
  }

  // Cities.
  std::vector<BuildEntry> entries;
  std::unordered_set<uint32_t> seen_ids;
  for (const auto& path : src.cities) {
    LineReader r;
    if (auto st = r.open(path); !st) return tl::unexpected(st.error());
    while (r.next(line)) {
      const auto f = split_tabs(line);
      BuildEntry e;
      if (f.size() < 15 || !parse_number(f[0], e.geonameid) || !parse_number(f[4], e.lat) ||
          !parse_number(f[5], e.lon) || std::fabs(e.lat) > 90 || std::fabs(e.lon) > 180 || f[8].size() != 2 ||
          f[1].empty()) {
        if (!line.empty()) ++stats.skipped_rows;
        continue;
      }
      if (!seen_ids.insert(e.geonameid).second) continue;
      parse_number(f[14], e.population);
      e.name = std::string(f[1]);
      e.country = std::string(f[8]);
      e.feature_code = std::string(f[7].substr(0, 7));
      e.admin1_code = e.country + "." + std::string(f[10]);
      e.admin2_code = e.admin1_code + "." + std::string(f[11]);
      e.kind = PlaceKind::kCity;
      e.radius_km = city_radius_km(e.population);
      e.names.push_back(e.name);
      e.names.emplace_back(f[2]);
      std::string_view alts = f[3];
      while (!alts.empty()) {
        const size_t comma = alts.find(',');
        e.names.emplace_back(alts.substr(0, comma));
        if (comma == std::string_view::npos) break;
        alts.remove_prefix(comma + 1);
      }
      entries.push_back(std::move(e));
    }
  }
  const auto num_cities = static_cast<uint32_t>(entries.size());
  stats.cities = num_cities;

  // Admin2, admin1, countries: centroids of their cities.
  std::unordered_map<std::string, std::vector<uint32_t>> by_admin2, by_admin1, by_country;
  for (uint32_t i = 0; i < num_cities; ++i) {
    by_admin2[entries[i].admin2_code].push_back(i);
    by_admin1[entries[i].admin1_code].push_back(i);
    by_country[entries[i].country].push_back(i);
  }
  // Extra names by code: country_aliases.tsv and admin_names.tsv share the CODE<TAB>name form.
  std::unordered_map<std::string, std::vector<std::string>> aliases;
  for (const std::string* path : {&src.aliases, &src.admin_names}) {
    if (path->empty()) continue;
    LineReader r;
    if (auto st = r.open(*path); !st) return tl::unexpected(st.error());
    while (r.next(line)) {
      if (line.empty() || line[0] == '#') continue;
      const auto f = split_tabs(line);
      if (f.size() < 2) {
        ++stats.skipped_rows;
        continue;
      }
      aliases[std::string(f[0])].emplace_back(f[1]);
    }
  }
  std::vector<BuildEntry> admin_entries;
  for (const auto& [code, row] : admin2_rows) {
    auto it = by_admin2.find(code);
    if (it == by_admin2.end()) continue;
    const Centroid c = centroid_of(entries, it->second);
    BuildEntry e;
    e.geonameid = row.geonameid;
    e.lat = c.lat;
    e.lon = c.lon;
    e.population = c.population;
    e.name = row.name;
    e.country = code.substr(0, 2);
    e.admin1_code = code.substr(0, code.rfind('.'));
    e.feature_code = "ADM2";
    e.kind = PlaceKind::kAdmin2;
    e.radius_km = std::clamp(1.5 * c.spread_km, 10.0, 150.0);
    e.names = {row.name, row.ascii};
    for (auto& v : admin_variants(row.name)) e.names.push_back(std::move(v));
    if (auto al = aliases.find(code); al != aliases.end()) e.names.insert(e.names.end(), al->second.begin(), al->second.end());
    admin_entries.push_back(std::move(e));
    ++stats.admin2;
  }
  std::unordered_map<std::string, uint32_t> admin1_index;  // code -> final entry index
  std::vector<BuildEntry> admin1_entries;
  for (const auto& [code, row] : admin1_rows) {
    auto it = by_admin1.find(code);
    if (it == by_admin1.end()) continue;
    const Centroid c = centroid_of(entries, it->second);
    BuildEntry e;
    e.geonameid = row.geonameid;
    e.lat = c.lat;
    e.lon = c.lon;
    e.population = c.population;
    e.name = row.name;
    e.country = code.substr(0, 2);
    e.admin1_code = code;
    e.feature_code = "ADM1";
    e.kind = PlaceKind::kAdmin1;
    e.radius_km = std::clamp(1.5 * c.spread_km, 20.0, 600.0);
    e.names = {row.name, row.ascii};
    for (auto& v : admin_variants(row.name)) e.names.push_back(std::move(v));
    // A double-barrelled region goes by its first part ("Emilia-Romagna" -> "Emilia",
    // "Castilla-La Mancha" -> "Castilla"); parts under 5 bytes ("Sud-Est", "Nord-…") do not.
    if (const size_t dash = row.name.find('-'); dash != std::string::npos && dash >= 5 && row.name.find(' ') > dash) {
      e.names.push_back(row.name.substr(0, dash));
    }
    // Two-letter state codes ("NY", "CO") as used in place strings ("Boulder, CO").
    const std::string sub = code.substr(3);
    if ((e.country == "US" || e.country == "CA" || e.country == "AU") && sub.size() >= 2 && sub.size() <= 3 &&
        std::all_of(sub.begin(), sub.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; })) {
      e.names.push_back(sub);
    }
    if (auto al = aliases.find(code); al != aliases.end()) e.names.insert(e.names.end(), al->second.begin(), al->second.end());
    admin1_entries.push_back(std::move(e));
    ++stats.admin1;
  }
  const auto& langs = src.country_name_languages.empty() ? default_languages() : src.country_name_languages;
  std::vector<BuildEntry> country_entries;
  for (const auto& row : country_rows) {
    auto it = by_country.find(row.iso2);
    if (it == by_country.end()) continue;
    const Centroid c = centroid_of(entries, it->second);
    BuildEntry e;
    e.geonameid = row.geonameid;
    e.lat = c.lat;
    e.lon = c.lon;
    e.population = row.population > 0 ? row.population : c.population;
    e.name = row.name;
    e.country = row.iso2;
    e.feature_code = "PCLI";
    e.kind = PlaceKind::kCountry;
    e.radius_km = std::clamp(std::sqrt(std::max(row.area, 1.0)) / 2.0, 20.0, 2500.0);
    e.names = {row.name};
    for (const auto& lang : langs) {
      auto n = icu_country_name(row.iso2, lang);
      if (n.empty()) continue;
      // "Myanmar (Burma)", "Congo (DRC)": both names are in use, each on its own.
      if (const size_t open = n.find(" ("); open != std::string::npos && n.back() == ')') {
        e.names.push_back(n.substr(0, open));
        e.names.push_back(n.substr(open + 2, n.size() - open - 3));
      }
      e.names.push_back(std::move(n));
    }
    if (auto a = aliases.find(row.iso2); a != aliases.end()) e.names.insert(e.names.end(), a->second.begin(), a->second.end());
    country_entries.push_back(std::move(e));
    ++stats.countries;
  }
  // Final order: cities, admin2, admin1, countries.
  for (auto& e : admin_entries) entries.push_back(std::move(e));
  for (auto& e : admin1_entries) {
    admin1_index[e.admin1_code] = static_cast<uint32_t>(entries.size());
    entries.push_back(std::move(e));
  }
  for (auto& e : country_entries) entries.push_back(std::move(e));
  for (auto& e : entries) {
    if (e.kind == PlaceKind::kCity || e.kind == PlaceKind::kAdmin2) {
      if (auto it = admin1_index.find(e.admin1_code); it != admin1_index.end()) e.admin1 = it->second;
    }
  }
  if (entries.size() >= Gazetteer::kNone) return make_error(ErrorCode::kInvalidArgument, "gazetteer: too many entries");

  // Name keys -> entries.
  std::unordered_map<std::string, std::vector<uint32_t>> postings;
  for (uint32_t i = 0; i < entries.size(); ++i) {
    for (const auto& n : entries[i].names) {
      if (n.empty() || std::all_of(n.begin(), n.end(), [](char c) { return (c >= '0' && c <= '9') || c == ' ' || c == '-'; })) continue;
      for (const bool strip : {false, true}) {
        std::string key = name_key(n, strip);
        if (key.size() < 2) continue;
        auto& list = postings[key];
        if (list.empty() || list.back() != i) list.push_back(i);
      }
    }
  }
  marisa::Keyset keyset;
  for (const auto& [key, list] : postings) keyset.push_back(key.data(), key.size());
  marisa::Trie names;
  std::vector<uint32_t> starts, flat;
  try {
    names.build(keyset);
    std::vector<const std::vector<uint32_t>*> by_id(names.num_keys(), nullptr);
    marisa::Agent agent;
    for (auto& [key, list] : postings) {
      agent.set_query(key.data(), key.size());
      if (!names.lookup(agent)) return make_error(ErrorCode::kInternal, "gazetteer: key lost while building");
      std::sort(list.begin(), list.end(), [&](uint32_t a, uint32_t b) {
        return entries[a].population != entries[b].population ? entries[a].population > entries[b].population : a < b;
      });
      by_id[agent.key().id()] = &list;
    }
    starts.push_back(0);
    for (const auto* list : by_id) {
      flat.insert(flat.end(), list->begin(), list->end());
      starts.push_back(static_cast<uint32_t>(flat.size()));
    }
  } catch (const std::exception& ex) {
    return make_error(ErrorCode::kInternal, std::string("gazetteer: building the name trie failed: ") + ex.what());
  }
  stats.names = static_cast<uint32_t>(names.num_keys());

  // Unigrams.
  marisa::Trie unigram_trie;
  std::vector<uint32_t> unigram_counts;
  uint64_t unigram_total = 0;
  {
    std::vector<std::tuple<std::string, uint32_t, uint32_t>> rows;
    if (!src.unigrams.empty()) {
      LineReader r;
      if (auto st = r.open(src.unigrams); !st) return tl::unexpected(st.error());
      while (r.next(line)) {
        const auto f = split_tabs(line);
        uint32_t count = 0, caps = 0;
        if (f.size() < 2 || f[0].empty() || !parse_number(f[1], count)) {
          if (!line.empty()) ++stats.skipped_rows;
          continue;
        }
        if (f.size() >= 3) parse_number(f[2], caps);
        // A 4th column counts the occurrences in texts that use case; caps is of those, so
        // it is scaled to the whole count (all-lower-case SMS say nothing about case).
        uint32_t cased = 0;
        if (f.size() >= 4 && parse_number(f[3], cased)) {
          caps = cased == 0 ? 0
                            : static_cast<uint32_t>(static_cast<uint64_t>(std::min(caps, cased)) * count / cased);
        }
        rows.emplace_back(name_key(f[0], false), count, std::min(caps, count));
      }
    }
    marisa::Keyset ks;
    std::unordered_map<std::string, std::pair<uint32_t, uint32_t>> merged;
    for (const auto& [w, c, k] : rows) {
      if (w.empty()) continue;
      auto& m = merged[w];
      m.first += c;
      m.second += k;
      unigram_total += c;
    }
    for (const auto& [w, ck] : merged) ks.push_back(w.data(), w.size());
    try {
      unigram_trie.build(ks);
      unigram_counts.assign(2 * unigram_trie.num_keys(), 0);
      marisa::Agent agent;
      for (const auto& [w, ck] : merged) {
        agent.set_query(w.data(), w.size());
        if (!unigram_trie.lookup(agent)) continue;
        unigram_counts[2 * agent.key().id()] = ck.first;
        unigram_counts[2 * agent.key().id() + 1] = ck.second;
      }
    } catch (const std::exception& ex) {
      return make_error(ErrorCode::kInternal, std::string("gazetteer: building the unigram trie failed: ") + ex.what());
    }
  }
  // Cues.
  std::string cues;
  if (!src.cues.empty()) {
    LineReader r;
    if (auto st = r.open(src.cues); !st) return tl::unexpected(st.error());
    while (r.next(line)) {
      if (line.empty() || line[0] == '#') continue;
      const auto f = split_tabs(line);
      if (f.size() < 2) {
        ++stats.skipped_rows;
        continue;
      }
      cues.append(f[0]).push_back('\t');
      cues.append(name_key(f[1], true)).push_back('\n');
    }
  }

  // Records and strings.
  std::string strings(1, '\0');
  std::vector<detail::EntryRecord> records(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    auto& r = records[i];
    std::memset(&r, 0, sizeof(r));
    r.geonameid = e.geonameid;
    r.lat = static_cast<float>(e.lat);
    r.lon = static_cast<float>(e.lon);
    r.population = static_cast<uint32_t>(std::min<uint64_t>(e.population, 0xFFFFFFFFu));
    r.name_offset = static_cast<uint32_t>(strings.size());
    strings.append(e.name).push_back('\0');
    r.admin1 = e.admin1;
    r.radius_km = static_cast<float>(e.radius_km);
    r.country[0] = e.country.size() > 0 ? e.country[0] : '?';
    r.country[1] = e.country.size() > 1 ? e.country[1] : '?';
    r.kind = static_cast<uint8_t>(e.kind);
    std::memcpy(r.feature_code, e.feature_code.data(), std::min<size_t>(e.feature_code.size(), 7));
  }

  detail::FileHeader h{};
  std::memcpy(h.magic, detail::kMagic, sizeof(h.magic));
  h.version = detail::kVersion;
  h.header_size = sizeof(detail::FileHeader);
  h.num_entries = static_cast<uint32_t>(entries.size());
  h.num_cities = num_cities;
  h.num_keys = static_cast<uint32_t>(names.num_keys());
  h.num_unigrams = static_cast<uint32_t>(unigram_trie.num_keys());
  h.unigram_total = unigram_total;
  std::string file(sizeof(detail::FileHeader), '\0');
  try {
    append_aligned(file, as_bytes(records), h.sections[detail::kEntries]);
    append_aligned(file, strings, h.sections[detail::kStrings]);
    append_aligned(file, trie_bytes(names), h.sections[detail::kNameTrie]);
    append_aligned(file, as_bytes(starts), h.sections[detail::kPostingStarts]);
    append_aligned(file, as_bytes(flat), h.sections[detail::kPostings]);
    append_aligned(file, trie_bytes(unigram_trie), h.sections[detail::kUnigramTrie]);
    append_aligned(file, as_bytes(unigram_counts), h.sections[detail::kUnigramCounts]);
    append_aligned(file, cues, h.sections[detail::kCues]);
  } catch (const std::exception& ex) {
    return make_error(ErrorCode::kInternal, std::string("gazetteer: serialising failed: ") + ex.what());
  }
  while (file.size() % 8 != 0) file.push_back('\0');
  h.file_size = file.size();
  h.checksum = detail::checksum(reinterpret_cast<const unsigned char*>(file.data()) + sizeof(h), file.size() - sizeof(h));
  std::memcpy(file.data(), &h, sizeof(h));
  if (auto st = write_file_atomic(out_path, file); !st) return tl::unexpected(st.error());
  stats.bytes = file.size();
  return stats;
}

}  // namespace crema::geo
