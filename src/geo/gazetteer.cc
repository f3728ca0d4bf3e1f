// The gazetteer loader: mmap, validation, name lookups and the nearest-city grid.
#include "crema/geo/gazetteer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <unordered_set>

#include <marisa.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include "crema/common/paths.h"
#include "gazetteer_file.h"
#include "geo_math.h"

#ifndef CREMA_GAZETTEER_DEFAULT
#define CREMA_GAZETTEER_DEFAULT ""
#endif

namespace crema::geo {
namespace {

bool is_key_char(UChar32 c) {
  const int8_t type = u_charType(c);
  return u_isalnum(c) || type == U_NON_SPACING_MARK || type == U_COMBINING_SPACING_MARK ||
         type == U_ENCLOSING_MARK;
}

// Appends the ASCII-only key (fast path): lower case, non-alnum -> one space.
void ascii_key(std::string_view text, std::string& out) {
  bool pending_space = false;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      if (pending_space && !out.empty()) out.push_back(' ');
      pending_space = false;
      out.push_back(static_cast<char>(c));
    } else if (c >= 'A' && c <= 'Z') {
      if (pending_space && !out.empty()) out.push_back(' ');
      pending_space = false;
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else {
      pending_space = true;
    }
  }
}

}  // namespace

std::string_view place_kind_name(PlaceKind kind) {
  switch (kind) {
    case PlaceKind::kCity: return "city";
    case PlaceKind::kAdmin2: return "admin2";
    case PlaceKind::kAdmin1: return "admin1";
    case PlaceKind::kCountry: return "country";
  }
  return "city";
}

std::string name_key(std::string_view text, bool strip_accents) {
  std::string out;
  out.reserve(text.size());
  if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    ascii_key(text, out);
    return out;
  }
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  if (U_FAILURE(status)) return out;
  u.foldCase();
  icu::UnicodeString normalised;
  if (strip_accents) {
    icu::UnicodeString decomposed = nfd->normalize(u, status);
    icu::UnicodeString kept;
    for (int32_t i = 0; i < decomposed.length();) {
      const UChar32 c = decomposed.char32At(i);
      if (c < 0x300 || c > 0x36F) kept.append(c);
      i += U16_LENGTH(c);
    }
    normalised = nfc->normalize(kept, status);
  } else {
    normalised = nfc->normalize(u, status);
  }
  if (U_FAILURE(status)) return out;
  bool pending_space = false;
  for (int32_t i = 0; i < normalised.length();) {
    const UChar32 c = normalised.char32At(i);
    i += U16_LENGTH(c);
    if (is_key_char(c)) {
      if (pending_space && !out.empty()) out.push_back(' ');
      pending_space = false;
      char buf[4];
      int32_t n = 0;
      UBool error = false;
      U8_APPEND(reinterpret_cast<uint8_t*>(buf), n, 4, c, error);
      if (!error) out.append(buf, static_cast<size_t>(n));
    } else {
      pending_space = true;
    }
  }
  return out;
}

namespace detail {

uint64_t checksum(const unsigned char* data, size_t size) {
  uint64_t h = 0x6a09e667f3bcc909ULL ^ size;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
    h = (h << 29) | (h >> 35);
  }
  uint64_t tail = 0;
  for (size_t k = 0; i + k < size; ++k) tail |= static_cast<uint64_t>(data[i + k]) << (8 * k);
  h = (h ^ tail) * 0x9E3779B97F4A7C15ULL;
  h ^= h >> 31;
  return h;
}

}  // namespace detail

struct Gazetteer::Impl {
  // Exactly one of mapping/owned holds the bytes.
  void* mapping = nullptr;
  size_t mapping_size = 0;
  std::string owned;
  const unsigned char* base = nullptr;
  size_t size = 0;

  const detail::FileHeader* header = nullptr;
  const detail::EntryRecord* entries = nullptr;
  const char* strings = nullptr;
  size_t strings_size = 0;
  const uint32_t* posting_starts = nullptr;
  const uint32_t* postings = nullptr;
  uint32_t num_postings = 0;
  const uint32_t* unigram_counts = nullptr;
  marisa::Trie names;
  marisa::Trie unigrams;
  std::unordered_set<std::string> cues;  // "list\tword"
  std::vector<uint32_t> country_by_code;  // 26*26 -> entry index
  std::vector<uint32_t> cell_start;       // 1-degree grid over cities
  std::vector<uint32_t> cell_items;
  GazetteerInfo info;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (mapping != nullptr) munmap(mapping, mapping_size);
  }

  const detail::EntryRecord* entry(uint32_t i) const {
    return i < header->num_entries ? &entries[i] : nullptr;
  }
};

namespace {

Error corrupt(const std::string& what, const std::string& why) {
  return Error{ErrorCode::kCorrupt, "gazetteer " + what + ": " + why};
}

int cell_of(double lat, double lon) {
  int y = static_cast<int>(std::floor(lat + 90.0));
  int x = static_cast<int>(std::floor(lon + 180.0));
  y = std::clamp(y, 0, 179);
  x = ((x % 360) + 360) % 360;
  return y * 360 + x;
}

Status validate_and_index(Gazetteer::Impl& g, const std::string& what, bool check_checksum) {
  using detail::FileHeader;
  if (g.size < sizeof(FileHeader)) {
    return tl::unexpected(corrupt(what, "file is " + std::to_string(g.size) + " bytes, shorter than the header"));
  }
  FileHeader const* h = reinterpret_cast<const FileHeader*>(g.base);
  if (std::memcmp(h->magic, detail::kMagic, sizeof(detail::kMagic)) != 0) {
    return tl::unexpected(corrupt(what, "bad magic (not a crema gazetteer file)"));
  }
  if (h->version != detail::kVersion) {
    return tl::unexpected(corrupt(what, "format version " + std::to_string(h->version) + ", this build reads " +
                                            std::to_string(detail::kVersion) + " (rebuild it: crema gazetteer build)"));
  }
  if (h->header_size != sizeof(FileHeader) || h->file_size != g.size) {
    return tl::unexpected(corrupt(what, "truncated or padded: header says " + std::to_string(h->file_size) +
                                            " bytes, file has " + std::to_string(g.size)));
  }
  if (check_checksum &&
      detail::checksum(g.base + sizeof(FileHeader), g.size - sizeof(FileHeader)) != h->checksum) {
    return tl::unexpected(corrupt(what, "checksum mismatch (damaged file)"));
  }
  for (uint32_t s = 0; s < detail::kNumSections; ++s) {
    const auto& sec = h->sections[s];
    if (sec.offset < sizeof(FileHeader) || sec.offset % 8 != 0 || sec.offset > g.size ||
        sec.size > g.size - sec.offset) {
      return tl::unexpected(corrupt(what, "section " + std::to_string(s) + " out of bounds"));
    }
  }
  const auto& sec = h->sections;
  if (sec[detail::kEntries].size != uint64_t{h->num_entries} * sizeof(detail::EntryRecord) ||
      h->num_cities > h->num_entries ||
      sec[detail::kPostingStarts].size != (uint64_t{h->num_keys} + 1) * 4 ||
      sec[detail::kPostings].size % 4 != 0 ||
      sec[detail::kUnigramCounts].size != uint64_t{h->num_unigrams} * 8 || sec[detail::kStrings].size == 0) {
    return tl::unexpected(corrupt(what, "section sizes disagree with the header counts"));
  }
  g.header = h;
  g.entries = reinterpret_cast<const detail::EntryRecord*>(g.base + sec[detail::kEntries].offset);
  g.strings = reinterpret_cast<const char*>(g.base + sec[detail::kStrings].offset);
  g.strings_size = sec[detail::kStrings].size;
  if (g.strings[g.strings_size - 1] != '\0') return tl::unexpected(corrupt(what, "string table not terminated"));
  g.posting_starts = reinterpret_cast<const uint32_t*>(g.base + sec[detail::kPostingStarts].offset);
  g.postings = reinterpret_cast<const uint32_t*>(g.base + sec[detail::kPostings].offset);
  g.num_postings = static_cast<uint32_t>(sec[detail::kPostings].size / 4);
  g.unigram_counts = reinterpret_cast<const uint32_t*>(g.base + sec[detail::kUnigramCounts].offset);

  for (uint32_t k = 0; k < h->num_keys; ++k) {
    if (g.posting_starts[k] > g.posting_starts[k + 1]) return tl::unexpected(corrupt(what, "posting lists out of order"));
  }
  if (g.posting_starts[0] != 0 || g.posting_starts[h->num_keys] != g.num_postings) {
    return tl::unexpected(corrupt(what, "posting lists do not cover the postings section"));
  }
  for (uint32_t p = 0; p < g.num_postings; ++p) {
    if (g.postings[p] >= h->num_entries) return tl::unexpected(corrupt(what, "posting points past the entries"));
  }
  g.country_by_code.assign(26 * 26, Gazetteer::kNone);
  for (uint32_t i = 0; i < h->num_entries; ++i) {
    const auto& e = g.entries[i];
    if (e.name_offset >= g.strings_size || e.kind > 3 || (e.admin1 != Gazetteer::kNone && e.admin1 >= h->num_entries) ||
        !std::isfinite(e.lat) || !std::isfinite(e.lon) || std::fabs(e.lat) > 90.0f || std::fabs(e.lon) > 180.0f ||
        !std::isfinite(e.radius_km) || e.radius_km < 0.0f) {
      return tl::unexpected(corrupt(what, "entry " + std::to_string(i) + " is malformed"));
    }
    if ((i < h->num_cities) != (e.kind == static_cast<uint8_t>(PlaceKind::kCity))) {
      return tl::unexpected(corrupt(what, "entry " + std::to_string(i) + " has the wrong kind for its position"));
    }
    if (e.kind == static_cast<uint8_t>(PlaceKind::kCountry) && e.country[0] >= 'A' && e.country[0] <= 'Z' &&
        e.country[1] >= 'A' && e.country[1] <= 'Z') {
      g.country_by_code[static_cast<size_t>((e.country[0] - 'A') * 26 + (e.country[1] - 'A'))] = i;
    }
  }
  try {
    g.names.map(g.base + sec[detail::kNameTrie].offset, sec[detail::kNameTrie].size);
    g.unigrams.map(g.base + sec[detail::kUnigramTrie].offset, sec[detail::kUnigramTrie].size);
  } catch (const std::exception& ex) {
    return tl::unexpected(corrupt(what, std::string("name index unreadable: ") + ex.what()));
  }
  if (g.names.num_keys() != h->num_keys || g.unigrams.num_keys() != h->num_unigrams) {
    return tl::unexpected(corrupt(what, "name index key counts disagree with the header"));
  }
  // Cue lists.
  std::string_view cues(reinterpret_cast<const char*>(g.base + sec[detail::kCues].offset), sec[detail::kCues].size);
  while (!cues.empty()) {
    const size_t nl = cues.find('\n');
    const std::string_view line = cues.substr(0, nl);
    if (!line.empty()) g.cues.emplace(line);
    if (nl == std::string_view::npos) break;
    cues.remove_prefix(nl + 1);
  }
  // Nearest-city grid: counting sort of cities by 1-degree cell.
  constexpr size_t kCells = 180 * 360;
  g.cell_start.assign(kCells + 1, 0);
  for (uint32_t i = 0; i < h->num_cities; ++i) ++g.cell_start[static_cast<size_t>(cell_of(g.entries[i].lat, g.entries[i].lon)) + 1];
  for (size_t c = 0; c < kCells; ++c) g.cell_start[c + 1] += g.cell_start[c];
  g.cell_items.resize(h->num_cities);
  std::vector<uint32_t> fill(g.cell_start.begin(), g.cell_start.end() - 1);
  for (uint32_t i = 0; i < h->num_cities; ++i) {
    g.cell_items[fill[static_cast<size_t>(cell_of(g.entries[i].lat, g.entries[i].lon))]++] = i;
  }
  g.info.version = h->version;
  g.info.file_bytes = g.size;
  g.info.entries = h->num_entries;
  g.info.cities = h->num_cities;
  g.info.names = h->num_keys;
  g.info.unigrams = h->num_unigrams;
  return {};
}

}  // namespace

namespace detail {

Result<Gazetteer> open_gazetteer_bytes(std::string bytes, bool check_checksum) {
  auto impl = std::make_shared<Gazetteer::Impl>();
  impl->owned = std::move(bytes);
  // std::string data is at least 8-byte aligned from the allocator for non-SSO sizes; the
  // header alone is larger than any SSO buffer, and shorter inputs fail the size check.
  impl->base = reinterpret_cast<const unsigned char*>(impl->owned.data());
  impl->size = impl->owned.size();
  if (reinterpret_cast<uintptr_t>(impl->base) % 8 != 0) {
    return make_error(ErrorCode::kInternal, "gazetteer buffer is not 8-byte aligned");
  }
  impl->info.path = "<memory>";
  if (auto st = validate_and_index(*impl, "<memory>", check_checksum); !st) return tl::unexpected(st.error());
  return Gazetteer(std::shared_ptr<const Gazetteer::Impl>(std::move(impl)));
}

}  // namespace detail

Result<Gazetteer> Gazetteer::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return make_error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIoError,
                      "gazetteer " + path + ": " + std::strerror(err) +
                          (err == ENOENT ? " (build it with `crema gazetteer build` or the crema_gazetteer target)" : ""));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(ErrorCode::kIoError, "gazetteer " + path + ": not a regular file");
  }
  auto impl = std::make_shared<Impl>();
  impl->info.path = path;
  impl->size = static_cast<size_t>(st.st_size);
  if (impl->size > 0) {
    void* m = mmap(nullptr, impl->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return make_error(ErrorCode::kIoError, "gazetteer " + path + ": mmap failed: " + std::strerror(err));
    }
    impl->mapping = m;
    impl->mapping_size = impl->size;
    impl->base = static_cast<const unsigned char*>(m);
  }
  ::close(fd);
  if (auto status = validate_and_index(*impl, path, true); !status) return tl::unexpected(status.error());
  return Gazetteer(std::shared_ptr<const Impl>(std::move(impl)));
}

std::vector<uint32_t> Gazetteer::lookup_key(std::string_view key) const {
  std::vector<uint32_t> out;
  if (key.empty()) return out;
  marisa::Agent agent;
  agent.set_query(key.data(), key.size());
  if (!impl_->names.lookup(agent)) return out;
  const size_t id = agent.key().id();
  if (id >= impl_->header->num_keys) return out;
  out.assign(impl_->postings + impl_->posting_starts[id], impl_->postings + impl_->posting_starts[id + 1]);
  return out;
}

std::vector<uint32_t> Gazetteer::lookup(std::string_view text) const {
  auto out = lookup_key(name_key(text, false));
  if (out.empty()) out = lookup_key(name_key(text, true));
  return out;
}

bool Gazetteer::has_longer_name(std::string_view key) const {
  if (key.empty()) return false;
  std::string prefix(key);
  prefix.push_back(' ');
  marisa::Agent agent;
  agent.set_query(prefix.data(), prefix.size());
  return impl_->names.predictive_search(agent);
}

uint32_t Gazetteer::size() const { return impl_->header->num_entries; }

PlaceKind Gazetteer::kind(uint32_t index) const {
  const auto* e = impl_->entry(index);
  return e != nullptr ? static_cast<PlaceKind>(e->kind) : PlaceKind::kCity;
}
uint64_t Gazetteer::population(uint32_t index) const {
  const auto* e = impl_->entry(index);
  return e != nullptr ? e->population : 0;
}
std::string_view Gazetteer::country(uint32_t index) const {
  const auto* e = impl_->entry(index);
  return e != nullptr ? std::string_view(e->country, 2) : std::string_view();
}
uint32_t Gazetteer::admin1_of(uint32_t index) const {
  const auto* e = impl_->entry(index);
  if (e == nullptr) return kNone;
  return e->kind == static_cast<uint8_t>(PlaceKind::kAdmin1) ? index : e->admin1;
}
double Gazetteer::lat(uint32_t index) const {
  const auto* e = impl_->entry(index);
  return e != nullptr ? e->lat : 0.0;
}
double Gazetteer::lon(uint32_t index) const {
  const auto* e = impl_->entry(index);
  return e != nullptr ? e->lon : 0.0;
}
double Gazetteer::radius_km(uint32_t index) const {
  const auto* e = impl_->entry(index);
  return e != nullptr ? e->radius_km : 0.0;
}

uint32_t Gazetteer::country_index(std::string_view iso2) const {
  if (iso2.size() != 2) return kNone;
  const int a = std::toupper(static_cast<unsigned char>(iso2[0])) - 'A';
  const int b = std::toupper(static_cast<unsigned char>(iso2[1])) - 'A';
  if (a < 0 || a >= 26 || b < 0 || b >= 26) return kNone;
  return impl_->country_by_code[static_cast<size_t>(a * 26 + b)];
}

std::string_view Gazetteer::name(uint32_t index) const {
  const auto* e = impl_->entry(index);
  return e == nullptr ? std::string_view() : std::string_view(impl_->strings + e->name_offset);
}

Place Gazetteer::place(uint32_t index) const {
  Place p;
  const auto* e = impl_->entry(index);
  if (e == nullptr) return p;
  p.index = index;
  p.geonameid = e->geonameid;
  p.lat = e->lat;
  p.lon = e->lon;
  p.name = std::string(impl_->strings + e->name_offset);
  p.country = std::string(e->country, 2);
  if (const auto* a = impl_->entry(admin1_of(index)); a != nullptr) p.admin1 = std::string(impl_->strings + a->name_offset);
  p.feature_code = std::string(e->feature_code, strnlen(e->feature_code, sizeof(e->feature_code)));
  p.kind = static_cast<PlaceKind>(e->kind);
  p.population = e->population;
  p.radius_km = e->radius_km;
  return p;
}

std::optional<std::pair<uint32_t, double>> Gazetteer::nearest_city(double lat, double lon) const {
  if (impl_->header->num_cities == 0 || !std::isfinite(lat) || !std::isfinite(lon)) return std::nullopt;
  const int cy = cell_of(lat, lon) / 360;
  const int cx = cell_of(lat, lon) % 360;
  uint32_t best = kNone;
  double best_km = 1e300;
  for (int r = 0; r <= 180; ++r) {
    // Every point in ring r is at least (r - 1) degrees away in latitude or longitude.
    if (best != kNone && r >= 2) {
      const double worst_lat = std::min(90.0, std::fabs(lat) + r + 1);
      const double bound = (r - 1) * kKmPerDegree * std::cos(worst_lat * kPi / 180.0);
      if (bound > best_km) break;
    }
    for (int dy = -r; dy <= r; ++dy) {
      const int y = cy + dy;
      if (y < 0 || y >= 180) continue;
      const int step = (dy == -r || dy == r) ? 1 : 2 * r;
      for (int dx = -r; dx <= r; dx += std::max(step, 1)) {
        const int x = (((cx + dx) % 360) + 360) % 360;
        const size_t cell = static_cast<size_t>(y * 360 + x);
        for (uint32_t k = impl_->cell_start[cell]; k < impl_->cell_start[cell + 1]; ++k) {
          const uint32_t i = impl_->cell_items[k];
          const double d = haversine_km(lat, lon, impl_->entries[i].lat, impl_->entries[i].lon);
          if (d < best_km) {
            best_km = d;
            best = i;
          }
        }
        if (r == 0) break;
      }
    }
  }
  if (best == kNone) return std::nullopt;
  return std::make_pair(best, best_km);
}

uint64_t Gazetteer::unigram_count(std::string_view word) const {
  if (word.empty() || impl_->header->num_unigrams == 0) return 0;
  marisa::Agent agent;
  agent.set_query(word.data(), word.size());
  if (!impl_->unigrams.lookup(agent)) return 0;
  const size_t id = agent.key().id();
  return id < impl_->header->num_unigrams ? impl_->unigram_counts[2 * id] : 0;
}

uint64_t Gazetteer::unigram_capitalised(std::string_view word) const {
  if (word.empty() || impl_->header->num_unigrams == 0) return 0;
  marisa::Agent agent;
  agent.set_query(word.data(), word.size());
  if (!impl_->unigrams.lookup(agent)) return 0;
  const size_t id = agent.key().id();
  return id < impl_->header->num_unigrams ? impl_->unigram_counts[2 * id + 1] : 0;
}

uint64_t Gazetteer::unigram_total() const { return impl_->header->unigram_total; }

bool Gazetteer::is_cue(std::string_view list, std::string_view key) const {
  std::string k;
  k.reserve(list.size() + 1 + key.size());
  k.append(list).push_back('\t');
  k.append(key);
  return impl_->cues.count(k) != 0;
}

const GazetteerInfo& Gazetteer::info() const { return impl_->info; }

std::string default_gazetteer_path() {
  if (const char* env = std::getenv("CREMA_GAZETTEER"); env != nullptr && *env != '\0') return env;
  const std::string built = CREMA_GAZETTEER_DEFAULT;
  struct stat st {};
  if (!built.empty() && ::stat(built.c_str(), &st) == 0) return built;
  return resource_path("data/gazetteer.bin");
}

}  // namespace crema::geo
