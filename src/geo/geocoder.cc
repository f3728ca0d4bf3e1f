// Toponym candidates, verification, disambiguation and geo-resolution of a post.
#include "crema/geo/geocoder.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <unordered_map>

#include <unicode/uchar.h>
#include <unicode/uloc.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include "crema/text/normalize.h"
#include "geo_math.h"

namespace crema::geo {
namespace {

constexpr size_t kMaxNgram = 4;
constexpr size_t kMaxCandidates = 64;  // entries scored per mention (postings are by population)
// Country context of a country code ending a hashtag ("#ReliefPH"): between the user
// location (1) and the post's own geotag/place (3).
constexpr double kHashtagCountryWeight = 2.0;

struct Token {
  uint32_t start = 0, end = 0;  // bytes in the normalised text
  std::string key;              // name_key(…, false)
  std::string skey;             // name_key(…, true)
  bool upper_first = false;     // first letter upper/title case
  bool all_upper = false;       // every cased letter upper case (and at least two letters)
  bool cased = false;           // has cased letters at all
  bool ideograph = false;       // CJK/kana: names are written without spaces
  bool hashtag = false;
  bool sentence_initial = false;
  bool after_at = false;        // an @mention placeholder
  uint32_t group = 0;           // n-grams never cross groups
};

// Decodes the code point at s[i] and advances i; ill-formed bytes give -1.
UChar32 next_cp(std::string_view s, int32_t& i) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(s.data());
  UChar32 c = 0;
  U8_NEXT(bytes, i, static_cast<int32_t>(s.size()), c);
  return c;
}

bool is_word_char(UChar32 c) {
  const int8_t t = u_charType(c);
  return u_isalnum(c) || t == U_NON_SPACING_MARK || t == U_COMBINING_SPACING_MARK || t == U_ENCLOSING_MARK;
}

bool is_ideograph(UChar32 c) {
  UErrorCode err = U_ZERO_ERROR;
  const UScriptCode s = uscript_getScript(c, &err);
  return s == USCRIPT_HAN || s == USCRIPT_HIRAGANA || s == USCRIPT_KATAKANA || s == USCRIPT_THAI;
}

void describe_case(std::string_view word, Token& t) {
  int letters = 0, upper = 0, lower = 0;
  bool first = true;
  for (int32_t i = 0; i < static_cast<int32_t>(word.size());) {
    UChar32 c;
    c = next_cp(word, i);
    if (c < 0) continue;
    if (u_isUUppercase(c) || u_istitle(c)) {
      ++upper;
      if (first) t.upper_first = true;
    } else if (u_isULowercase(c)) {
      ++lower;
    }
    if (u_isalpha(c)) ++letters;
    first = false;
  }
  t.cased = upper + lower > 0;
  t.all_upper = upper >= 2 && lower == 0;
}

// ISO 3166-1 alpha-2 codes as ICU knows them (current codes and XK; not XX, ZZ or UK).
bool is_iso_country(std::string_view code) {
  for (const char* const* c = uloc_getISOCountries(); c != nullptr && *c != nullptr; ++c) {
    if (code == *c) return true;
  }
  return false;
}

}  // namespace

std::string_view geo_source_name(GeoSource source) {
  switch (source) {
    case GeoSource::kNone: return "none";
    case GeoSource::kGeotag: return "geotag";
    case GeoSource::kPlace: return "place";
    case GeoSource::kToponym: return "toponym";
    case GeoSource::kUser: return "user";
  }
  return "none";
}

Result<Region> parse_region(std::string_view text) {
  Region r;
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return r;
  if (text.size() == 2 && std::isalpha(static_cast<unsigned char>(text[0])) &&
      std::isalpha(static_cast<unsigned char>(text[1]))) {
    r.country = {static_cast<char>(std::toupper(static_cast<unsigned char>(text[0]))),
                 static_cast<char>(std::toupper(static_cast<unsigned char>(text[1])))};
    if (!is_iso_country(r.country)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "region \"" + std::string(text) +
                            "\": not an ISO 3166-1 alpha-2 country code (e.g. NP, HT, PH; the United Kingdom is GB)");
    }
    return r;
  }
  std::array<double, 4> box{};
  size_t i = 0;
  std::string_view rest = text;
  for (; i < 4; ++i) {
    const size_t comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    const auto res = std::from_chars(part.data(), part.data() + part.size(), box[i]);
    if (part.empty() || res.ec != std::errc() || res.ptr != part.data() + part.size() || !std::isfinite(box[i])) {
      return make_error(ErrorCode::kInvalidArgument,
                        "region \"" + std::string(text) + "\": expected an ISO 3166 alpha-2 code (NP) or minlon,minlat,maxlon,maxlat");
    }
    if (comma == std::string_view::npos) {
      ++i;
      break;
    }
    rest.remove_prefix(comma + 1);
    if (i == 3) return make_error(ErrorCode::kInvalidArgument, "region \"" + std::string(text) + "\": more than 4 numbers");
  }
  if (i != 4) return make_error(ErrorCode::kInvalidArgument, "region \"" + std::string(text) + "\": a bbox needs 4 numbers");
  if (box[0] < -180 || box[2] > 180 || box[1] < -90 || box[3] > 90 || box[0] >= box[2] || box[1] >= box[3]) {
    return make_error(ErrorCode::kInvalidArgument,
                      "region \"" + std::string(text) +
                          "\": bbox must be minlon,minlat,maxlon,maxlat with min < max, within [-180,180]x[-90,90]");
  }
  r.bbox = box;
  return r;
}

Result<Geocoder> Geocoder::open(const GeocoderOptions& options) {
  const std::string path = options.gazetteer_path.empty() ? default_gazetteer_path() : options.gazetteer_path;
  auto gaz = Gazetteer::open(path);
  if (!gaz) return tl::unexpected(gaz.error());
  return with_gazetteer(std::move(*gaz), options);
}

Result<Geocoder> Geocoder::with_gazetteer(Gazetteer gazetteer, const GeocoderOptions& options) {
  auto region = parse_region(options.region);
  if (!region) return tl::unexpected(region.error());
  return Geocoder(std::move(gazetteer), std::move(*region), options);
}

// ---------------------------------------------------------------------------------------
// Hashtag segmentation.

std::vector<Geocoder::Segment> Geocoder::segment_hashtag(std::string_view tag) const {
  std::vector<Segment> pieces;
  // 1. Split at '_', lower->upper, upper->upper+lower ("NYCFloods"), letter<->digit.
  enum Cls { kOther, kUpper, kLower, kDigit, kNoCase };
  struct Cp {
    uint32_t start, end;
    Cls cls;
  };
  std::vector<Cp> cps;
  for (int32_t i = 0; i < static_cast<int32_t>(tag.size());) {
    const int32_t s = i;
    UChar32 c;
    c = next_cp(tag, i);
    Cls cls = kOther;
    if (c >= 0 && is_word_char(c)) {
      if (u_isdigit(c)) cls = kDigit;
      else if (u_isUUppercase(c) || u_istitle(c)) cls = kUpper;
      else if (u_isULowercase(c)) cls = kLower;
      else cls = kNoCase;
    }
    cps.push_back({static_cast<uint32_t>(s), static_cast<uint32_t>(i), cls});
  }
  size_t begin = 0;
  auto flush = [&](size_t end) {
    if (end > begin) pieces.push_back({std::string(tag.substr(cps[begin].start, cps[end - 1].end - cps[begin].start)),
                                       cps[begin].start, cps[end - 1].end});
    begin = end;
  };
  // Lower-case text after a run of capitals: "NYCFloods" splits before the last capital,
  // "NSWbushfires" after it (the lower-case rest is a known word, "Floods"' rest is not).
  auto lower_word_from = [&](size_t k) {
    size_t e = k;
    while (e < cps.size() && cps[e].cls == kLower) ++e;
    std::string w(tag.substr(cps[k].start, e > k ? cps[e - 1].end - cps[k].start : 0));
    for (char& ch : w) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return w;
  };
  bool split_next = false;
  for (size_t k = 0; k < cps.size(); ++k) {
    if (cps[k].cls == kOther) {
      flush(k);
      begin = k + 1;
      split_next = false;
      continue;
    }
    if (k == begin) continue;
    const Cls a = cps[k - 1].cls, b = cps[k].cls;
    bool split = (a == kLower && b == kUpper) || ((a == kDigit) != (b == kDigit)) || split_next;
    split_next = false;
    if (a == kUpper && b == kUpper && k + 1 < cps.size() && cps[k + 1].cls == kLower) {
      const std::string rest = lower_word_from(k + 1);
      const std::string with_capital = lower_word_from(k).empty() ? std::string() :
          std::string(1, static_cast<char>(std::tolower(static_cast<unsigned char>(tag[cps[k].start])))) + rest;
      if (rest.size() >= 3 && gazetteer_.unigram_count(rest) > 0 && gazetteer_.unigram_count(with_capital) == 0) {
        split_next = true;
      } else {
        split = true;
      }
    }
    if (split) flush(k);
  }
  flush(cps.size());

  // 2. Long lower-case ASCII pieces: Norvig's segmentation by unigram probability.
  std::vector<Segment> out;
  const double total = static_cast<double>(gazetteer_.unigram_total()) + 1.0;
  auto word_logp = [&](std::string_view w) {
    double c = static_cast<double>(gazetteer_.unigram_count(w));
    if (w.size() >= 3 && !gazetteer_.lookup_key(w).empty()) c += 3.0;  // place names are words too
    if (c > 0) return std::log(c / total);
    return std::log(10.0 / total) - static_cast<double>(w.size()) * std::log(10.0);
  };
  for (auto& p : pieces) {
    const std::string_view w = p.word;
    const bool lower_ascii = w.size() >= 6 && w.size() <= 40 &&
                             std::all_of(w.begin(), w.end(), [](char c) { return (c >= 'a' && c <= 'z'); });
    if (!lower_ascii) {
      out.push_back(std::move(p));
      continue;
    }
    const size_t n = w.size();
    std::vector<double> best(n + 1, -1e300);
    std::vector<size_t> from(n + 1, 0);
    best[0] = 0;
    for (size_t i = 1; i <= n; ++i) {
      for (size_t j = i > 20 ? i - 20 : 0; j < i; ++j) {
        const double s = best[j] + word_logp(w.substr(j, i - j));
        if (s > best[i]) {
          best[i] = s;
          from[i] = j;
        }
      }
    }
    std::vector<std::pair<size_t, size_t>> cuts;
    bool all_known = true;
    for (size_t i = n; i > 0; i = from[i]) {
      cuts.emplace_back(from[i], i);
      const std::string_view piece = w.substr(from[i], i - from[i]);
      all_known = all_known && (gazetteer_.unigram_count(piece) > 0 || (piece.size() >= 3 && !gazetteer_.lookup_key(piece).empty()));
    }
    // An unknown word ("arsizio") stays whole rather than becoming short known pieces.
    if (!all_known) {
      out.push_back(std::move(p));
      continue;
    }
    std::reverse(cuts.begin(), cuts.end());
    for (const auto& [a, b] : cuts) {
      out.push_back({std::string(w.substr(a, b - a)), p.start + static_cast<uint32_t>(a), p.start + static_cast<uint32_t>(b)});
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Candidates and disambiguation.

namespace {

struct Context {
  std::unordered_map<std::string, double> countries;  // ISO2 -> weight
  std::unordered_map<uint32_t, double> admin1;        // admin1 entry -> weight
  std::optional<GeoPoint> point;                      // the geotag
  const Region* region = nullptr;
};

struct Candidate {
  size_t first = 0, last = 0;  // token range [first, last]
  std::string key;
  std::vector<uint32_t> entries;
  double evidence = 0;         // 0–1 that this is a place at all
  uint32_t chosen = Gazetteer::kNone;
  double margin_factor = 1.0;
  std::vector<uint8_t> alternate_only;  // per entry: a city known by this name only as an alternate
};

double entry_score(const Gazetteer& g, uint32_t e, const Context& ctx) {
  double s = std::log10(static_cast<double>(g.population(e)) + 10.0);
  // An admin area's population includes its namesake city: the city is the usual meaning.
  if (g.kind(e) == PlaceKind::kCity) s += 0.4;
  const std::string_view cc = g.country(e);
  double cw = 0;
  if (auto it = ctx.countries.find(std::string(cc)); it != ctx.countries.end()) cw = it->second;
  s += std::min(cw, 4.0);
  const uint32_t a1 = g.admin1_of(e);
  if (a1 != Gazetteer::kNone) {
    if (auto it = ctx.admin1.find(a1); it != ctx.admin1.end()) s += std::min(it->second, 2.5);
  }
  if (ctx.region != nullptr) {
    if (!ctx.region->country.empty()) s += cc == ctx.region->country ? 4.0 : 0.0;
    if (ctx.region->bbox) {
      const auto& b = *ctx.region->bbox;
      const double la = g.lat(e), lo = g.lon(e);
      const bool inside = lo >= b[0] && lo <= b[2] && la >= b[1] && la <= b[3];
      s += inside ? 4.0 : -2.0;
    }
  }
  if (ctx.point) s += 3.0 * std::exp(-haversine_km(ctx.point->lat, ctx.point->lon, g.lat(e), g.lon(e)) / 200.0);
  return s;
}

// Whether the entry's GeoNames main name is the written name (not only an alternate one).
bool main_name_is(const Gazetteer& g, uint32_t e, std::string_view key) {
  const std::string_view name = g.name(e);
  return name_key(name, false) == key || name_key(name, true) == key;
}

// Cities that carry the written name only as an alternate (a historical or foreign name:
// "Olbia" for Antalya) rank below a city whose main name it is (Olbia, Sardinia).
constexpr double kAlternateNameCityPenalty = 1.5;

// Picks the best entry of a candidate; returns the margin factor (close runner-up -> lower).
void choose(const Gazetteer& g, Candidate& c, const Context& ctx) {
  double best = -1e300, second = -1e300;
  uint32_t best_e = Gazetteer::kNone;
  const size_t n = std::min(c.entries.size(), kMaxCandidates);
  size_t cities = 0;
  for (size_t i = 0; i < n && cities < 2; ++i) cities += g.kind(c.entries[i]) == PlaceKind::kCity ? 1 : 0;
  if (c.alternate_only.empty() && cities > 1) {
    std::vector<uint8_t> alt(n, 0);
    bool main_city = false;
    for (size_t i = 0; i < n; ++i) {
      if (g.kind(c.entries[i]) != PlaceKind::kCity) continue;
      const bool is_main = main_name_is(g, c.entries[i], c.key);
      alt[i] = is_main ? 0 : 1;
      main_city = main_city || is_main;
    }
    c.alternate_only = main_city ? std::move(alt) : std::vector<uint8_t>(n, 0);
  }
  for (size_t i = 0; i < n; ++i) {
    double s = entry_score(g, c.entries[i], ctx);
    if (i < c.alternate_only.size() && c.alternate_only[i] != 0) s -= kAlternateNameCityPenalty;
    if (s > best) {
      second = best;
      best = s;
      best_e = c.entries[i];
    } else if (s > second) {
      second = s;
    }
  }
  c.chosen = best_e;
  c.margin_factor = second < -1e299 ? 1.0 : 0.6 + 0.4 * std::min(1.0, (best - second) / 2.0);
}

double specificity_bonus(PlaceKind k) {
  switch (k) {
    case PlaceKind::kCity: return 0.2;
    case PlaceKind::kAdmin2: return 0.15;
    case PlaceKind::kAdmin1: return 0.1;
    case PlaceKind::kCountry: return 0.0;
  }
  return 0.0;
}

std::string without_spaces(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  return s;
}

// Valid UTF-8 prefix of at most max bytes.
std::string_view clip_utf8(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

}  // namespace

namespace {

// Tokenises the normalised text: word runs, hashtags split into their words.
void tokenize(const Geocoder& geo, std::string_view t, std::vector<Token>& tokens) {
  uint32_t group = 0;
  bool sentence_start = true;
  bool prev_short_upper = false;  // "St." / "Mt." keep the group across the dot
  const auto n = static_cast<int32_t>(t.size());
  for (int32_t i = 0; i < n;) {
    const int32_t s = i;
    UChar32 c;
    c = next_cp(t, i);
    if (c < 0) {
      ++group;
      continue;
    }
    if (c == '#' && i < n) {
      // Hashtag body: word chars and '_'.
      int32_t j = i;
      while (j < n) {
        int32_t k = j;
        UChar32 d;
        d = next_cp(t, k);
        if (d < 0 || !(is_word_char(d) || d == '_')) break;
        j = k;
      }
      if (j > i) {
        ++group;
        for (const auto& seg : geo.segment_hashtag(t.substr(static_cast<size_t>(i), static_cast<size_t>(j - i)))) {
          Token tok;
          tok.start = static_cast<uint32_t>(i) + seg.start;
          tok.end = static_cast<uint32_t>(i) + seg.end;
          const std::string_view w = t.substr(tok.start, tok.end - tok.start);
          tok.key = name_key(w, false);
          tok.skey = name_key(w, true);
          describe_case(w, tok);
          tok.hashtag = true;
          tok.group = group;
          if (!tok.key.empty()) tokens.push_back(std::move(tok));
        }
        ++group;
        i = j;
        sentence_start = false;
        continue;
      }
    }
    if (is_word_char(c)) {
      const bool ideo = is_ideograph(c);
      int32_t j = i;
      if (!ideo) {
        while (j < n) {
          int32_t k = j;
          UChar32 d;
          d = next_cp(t, k);
          if (d < 0 || !is_word_char(d) || is_ideograph(d)) break;
          j = k;
        }
      }
      Token tok;
      tok.start = static_cast<uint32_t>(s);
      tok.end = static_cast<uint32_t>(j);
      const std::string_view w = t.substr(tok.start, tok.end - tok.start);
      tok.key = name_key(w, false);
      tok.skey = name_key(w, true);
      describe_case(w, tok);
      tok.ideograph = ideo;
      tok.group = group;
      tok.sentence_initial = sentence_start;
      tok.after_at = s > 0 && t[static_cast<size_t>(s) - 1] == '@';
      prev_short_upper = tok.upper_first && w.size() <= 3;
      sentence_start = false;
      if (!tok.key.empty()) tokens.push_back(std::move(tok));
      i = j;
      continue;
    }
    // Separators: spaces, hyphens and apostrophes join words of one name; others split.
    if (c == ' ' || c == '-' || c == '\'' || c == 0x2019) continue;
    if (c == '.' && prev_short_upper) {
      prev_short_upper = false;
      continue;
    }
    ++group;
    if (c == '.' || c == '!' || c == '?' || c == 0x3002) sentence_start = true;
  }
}

}  // namespace

namespace {

// Evidence (0–1) that tokens[a..b] name a place, or 0 if the guards reject it.
// caseless: the post writes no capital mid-sentence (all lower case, or shouting), so the
// lack of a capital says nothing.
double place_evidence(const Gazetteer& g, const std::vector<Token>& tokens, size_t a, size_t b, bool shouting,
                      bool caseless, const std::vector<uint32_t>& entries) {
  const Token& first = tokens[a];
  const Token& last = tokens[b];
  const size_t len = b - a + 1;
  const bool single = len == 1;
  for (size_t k = a; k <= b; ++k) {
    if (tokens[k].after_at || tokens[k].key == "httpurl") return 0;
  }
  // Proper-noun run: every word capitalised, small connectors ("de", "au", "of") inside.
  bool capitalised = true;
  for (size_t k = a; k <= b; ++k) {
    const Token& t = tokens[k];
    const bool connector = k != a && k != b && !t.upper_first && t.key.size() <= 3;
    if (!(t.upper_first || connector)) capitalised = false;
  }
  if (shouting) capitalised = false;
  bool uncased = true;
  for (size_t k = a; k <= b; ++k) uncased = uncased && !tokens[k].cased;
  const Token* prev = a > 0 && tokens[a - 1].group == first.group ? &tokens[a - 1] : nullptr;
  const Token* next = b + 1 < tokens.size() && tokens[b + 1].group == last.group ? &tokens[b + 1] : nullptr;
  // Prepositions may also sit just across a group boundary ("in: Tacloban" is rare; keep strict).
  const Token* prev_any = a > 0 && tokens[a - 1].end <= first.start ? &tokens[a - 1] : nullptr;
  const bool after_prep = prev_any != nullptr && !prev_any->hashtag && g.is_cue("prep", prev_any->skey) &&
                          (prev == prev_any);
  const bool prefix_word = prev != nullptr && g.is_cue("prefix", prev->skey);
  const bool suffix_word = next != nullptr && g.is_cue("suffix", next->skey);
  // A typical ending, also written apart as the last word ("petion ville").
  bool ending = len == 2 && g.is_cue("ending", last.skey) && first.skey.size() >= 3;
  if (single && first.skey.size() >= 6) {
    for (const char* e : {"pur", "abad", "nagar", "ganj", "garh", "gaon", "ville", "burg", "grad", "polis", "chester", "shire", "stadt"}) {
      const std::string_view es(e);
      if (first.skey.size() > es.size() + 2 && first.skey.compare(first.skey.size() - es.size(), es.size(), es) == 0 &&
          g.is_cue("ending", es)) {
        ending = true;
      }
    }
  }
  bool has_country = false, has_area = false;
  uint64_t max_pop = 0;
  for (size_t i = 0; i < std::min<size_t>(entries.size(), kMaxCandidates); ++i) {
    const PlaceKind k = g.kind(entries[i]);
    has_country = has_country || k == PlaceKind::kCountry;
    has_area = has_area || k == PlaceKind::kCountry || k == PlaceKind::kAdmin1;
    max_pop = std::max(max_pop, g.population(entries[i]));
  }
  const uint64_t count = single ? g.unigram_count(first.key) : 0;
  const uint64_t caps = single ? g.unigram_capitalised(first.key) : 0;
  const bool mostly_lower = count >= 8 && caps * 4 < count;
  // A state/province code that is one piece of a longer hashtag ("#abflood", "#COflood",
  // "#NSWfires"): the rest of the tag is the event word.
  // Only country codes and the state codes people write in tags (US, Canada, Australia);
  // other countries' ISO 3166-2 codes ("RS") count only after their city (add_state_codes).
  bool tag_code = false;
  for (size_t i = 0; i < std::min<size_t>(entries.size(), kMaxCandidates); ++i) {
    const PlaceKind k = g.kind(entries[i]);
    const std::string_view cc = g.country(entries[i]);
    tag_code = tag_code || k == PlaceKind::kCountry || (k == PlaceKind::kAdmin1 && (cc == "US" || cc == "CA" || cc == "AU"));
  }
  if (single && first.hashtag && first.key.size() == 2 && tag_code && !first.ideograph &&
      !g.is_cue("stop", first.skey) && !g.is_cue("prep", first.skey)) {
    const bool more = (prev != nullptr && prev->hashtag) || (next != nullptr && next->hashtag);
    if (more) return 0.5;
  }
  // Acronyms ("NYC", "KTM", "USA", "QLD"): capitals only, a gazetteer name of a big city or
  // of a country/state; GeoNames' many airport-style codes of small towns do not count.
  if (single && first.all_upper && !shouting && first.key.size() <= 4) {
    if (g.is_cue("stop", first.skey) && !has_country) return 0;
    if (mostly_lower) return 0;
    if (!(has_area || max_pop >= 1000000)) return 0;
    return first.key.size() >= 3 || has_country ? 0.5 : 0;
  }
  // Common-word guard: function words, cue words and words the corpora mostly write in
  // lower case need a place preposition/prefix and a capital (or a hashtag) to count.
  bool common = false;
  if (single) {
    common = g.is_cue("stop", first.skey) || g.is_cue("suffix", first.skey) || g.is_cue("prefix", first.skey) ||
             g.is_cue("prep", first.skey) || mostly_lower || (first.key.size() <= 2 && !first.ideograph);
  }
  if (first.ideograph || uncased) {
    // No case to go by (CJK, Devanagari, Arabic…): length and the common-word guard.
    if (common) return 0;
    size_t cps = 0;
    for (size_t k = a; k <= b; ++k) {
      const std::string& key = tokens[k].key;
      for (int32_t i = 0; i < static_cast<int32_t>(key.size());) {
        next_cp(key, i);
        ++cps;
      }
    }
    if (cps < 2 || (!first.ideograph && cps < 3)) return 0;
    return after_prep || prefix_word || suffix_word ? 0.65 : 0.5;
  }
  if (common) {
    if (g.is_cue("stop", first.skey) || g.is_cue("prep", first.skey) || first.key.size() <= 2) return 0;
    if ((after_prep || prefix_word) && (capitalised || first.hashtag)) return 0.45;
    return 0;
  }
  // Short words ("Lat", "Ops", "chi") are mostly codes and abbreviations in GeoNames; a
  // capitalised state/country abbreviation ("Qld", "Tas") is not, unless usually lower case.
  const bool area_abbrev = single && first.key.size() == 3 && has_area && !mostly_lower && !first.sentence_initial;
  const bool short_word = single && first.key.size() <= 3 && !area_abbrev;
  double ev = 0;
  if (first.hashtag) {
    // Short hashtags ("#yyc", "#qld") follow the acronym rule.
    if (first.key.size() <= 4 && single && !(has_area || max_pop >= 1000000)) return 0;
    // A short piece next to a capitalised piece that is a name (unknown, or mostly
    // capitalised in the corpora) but no place is part of a longer name ("#LacMégantic":
    // not Lac, Chad); "#NYCFloods" and "#abflood" keep theirs.
    auto unknown_piece = [&](const Token* t) {
      if (t == nullptr || !t->hashtag || !t->upper_first || !g.lookup_key(t->key).empty()) return false;
      const uint64_t n = g.unigram_count(t->key);
      return n == 0 || g.unigram_capitalised(t->key) * 2 >= n;
    };
    if (single && first.key.size() <= 4 && (unknown_piece(prev) || unknown_piece(next))) return 0;
    ev = 0.6;
  } else if (capitalised) {
    if (short_word && !after_prep) return 0;
    // One word of a longer capitalised run ("Nelson Mandela", "David Graham") is a name,
    // not a place, unless its neighbour is a place too or it is a well-known place.
    auto capital_neighbour = [&](const Token* t) {
      return t != nullptr && t->upper_first && !t->all_upper && !g.is_cue("prep", t->skey) &&
             !g.is_cue("suffix", t->skey) && !g.is_cue("prefix", t->skey) && !g.is_cue("stop", t->skey) &&
             g.lookup_key(t->key).empty();
    };
    if (single && !after_prep && (capital_neighbour(prev) || capital_neighbour(next)) &&
        !(has_area || max_pop >= 100000)) {
      return 0;
    }
    // Part of a longer capitalised run that a street/place word follows or precedes ("Nelson
    // Mandela place", "Rue Jean Baptiste"): the run is one street or landmark name.
    auto run_word = [&](size_t k) {
      const Token& t = tokens[k];
      return t.group == first.group && t.upper_first && !t.all_upper && !t.hashtag && !g.is_cue("prep", t.skey) &&
             !g.is_cue("suffix", t.skey) && !g.is_cue("prefix", t.skey) && !g.is_cue("stop", t.skey);
    };
    size_t r0 = a, r1 = b;
    while (r0 > 0 && run_word(r0 - 1)) --r0;
    while (r1 + 1 < tokens.size() && run_word(r1 + 1)) ++r1;
    if ((r0 < a || r1 > b) && !after_prep) {
      const bool suffix_after = r1 + 1 < tokens.size() && tokens[r1 + 1].group == first.group && g.is_cue("suffix", tokens[r1 + 1].skey);
      const bool prefix_before = r0 > 0 && tokens[r0 - 1].group == first.group && g.is_cue("prefix", tokens[r0 - 1].skey);
      // "Tinajeros Malabon city": an administrative word after the run names the place itself.
      const std::string& after = r1 + 1 < tokens.size() ? tokens[r1 + 1].skey : std::string();
      const bool admin_after = suffix_after && b == r1 &&
                               (after == "city" || after == "town" || after == "district" || after == "province" ||
                                after == "state" || after == "county" || after == "region");
      if ((suffix_after && !admin_after) || prefix_before) return 0;
    }
    if (first.sentence_initial && single) {
      // A capital at the start of a sentence says little: only well-known places.
      if (!(has_area || max_pop >= 100000) || (!caseless && count > 0 && caps * 2 < count)) return 0;
      ev = 0.45;
    } else {
      ev = 0.6;
    }
  } else {
    // Lower case: a preposition, a place word, a typical ending, or a word the corpora
    // mostly capitalise ("nepal", "kathmandu").
    if (single && first.key.size() <= 4 && !after_prep) return 0;
    // Without any of these only well-known places: the corpora capitalise person names too
    // ("titus"), and a post without capitals says nothing about case.
    const bool well_known = has_area || max_pop >= 100000;
    if (after_prep || prefix_word || suffix_word) ev = 0.45;
    else if (ending) ev = 0.4;
    else if (single && count >= 3 && caps * 2 >= count && (well_known || max_pop >= 50000)) ev = 0.4;
    else if (single && caseless && first.key.size() >= 5 && well_known) ev = 0.35;
    // Several words that together name a well-known place ("new jersey", "san juan"), in a
    // post that writes no capitals: a phrase is far less often a common word than one word.
    else if (!single && caseless && well_known && last.key.size() >= 4) ev = 0.35;
    else return 0;
  }
  if (after_prep) ev += 0.2;
  if (prefix_word || suffix_word) ev += 0.15;
  if (ending) ev += 0.05;
  if (!single) ev += 0.1;
  return std::min(ev, 0.95);
}

}  // namespace

std::vector<LocationMention> Geocoder::mentions(std::string_view text) const {
  Post p;
  p.text = std::string(text);
  GeocoderOptions copy = options_;
  Geocoder g(gazetteer_, region_, copy);
  g.options_.use_place = false;
  g.options_.use_user_location = false;
  return g.locate(p).locations;
}

namespace {

// Scans text for verified candidates (no disambiguation yet).
std::vector<Candidate> scan(const Geocoder& geo, const text::NormalizedText& norm, std::string_view raw,
                            std::vector<Token>& tokens, bool& caseless_out) {
  const Gazetteer& g = geo.gazetteer();
  tokenize(geo, norm.text, tokens);
  // Shouting: mostly capitals, so case says nothing.
  size_t upper = 0, cased = 0;
  for (const auto& t : tokens) {
    if (t.cased && !t.hashtag) {
      ++cased;
      upper += t.all_upper ? 1 : 0;
    }
  }
  const bool shouting = cased >= 4 && upper * 10 >= cased * 6;
  bool mid_capital = false;
  for (const auto& t : tokens) mid_capital = mid_capital || (!t.hashtag && t.upper_first && !t.all_upper && !t.sentence_initial);
  const bool caseless = shouting || !mid_capital;
  caseless_out = caseless;
  std::vector<Candidate> out;
  struct Match {
    size_t b;
    std::string key;
    std::vector<uint32_t> entries;
    bool joined = false;  // two words looked up as one ("petion ville" -> "petionville")
  };
  std::vector<Match> matches;
  for (size_t a = 0; a < tokens.size();) {
    // Grow the n-gram only while some name starts with it (one trie probe per token for
    // most words).
    matches.clear();
    std::string key, skey;
    for (size_t b = a; b < tokens.size() && b - a < kMaxNgram && tokens[b].group == tokens[a].group; ++b) {
      const bool glue = b > a && !(tokens[b].ideograph && tokens[b - 1].ideograph);
      if (glue) {
        key.push_back(' ');
        skey.push_back(' ');
      }
      key += tokens[b].key;
      skey += tokens[b].skey;
      std::vector<uint32_t> entries = g.lookup_key(key);
      bool stripped = false;
      if (entries.empty() && skey != key) {
        entries = g.lookup_key(skey);
        stripped = true;
      }
      if (!entries.empty()) matches.push_back({b, stripped ? skey : key, std::move(entries), false});
      // A name written apart before its generic ending ("petion ville", "gandhi nagar"):
      // also the closed compound, when the next word is a place ending or place word.
      if (b + 1 < tokens.size() && tokens[b + 1].group == tokens[a].group && !tokens[b + 1].ideograph &&
          tokens[b].skey.size() >= 3 && (g.is_cue("ending", tokens[b + 1].skey) || g.is_cue("suffix", tokens[b + 1].skey))) {
        std::string joined = skey + tokens[b + 1].skey;
        if (auto je = g.lookup_key(joined); !je.empty()) matches.push_back({b + 1, std::move(joined), std::move(je), true});
      }
      if (!g.has_longer_name(key) && (skey == key || !g.has_longer_name(skey))) {
        // Ideographs are not separated by spaces: a longer name continues without one.
        if (!(tokens[b].ideograph && b + 1 < tokens.size() && tokens[b + 1].ideograph)) break;
      }
    }
    bool taken = false;
    for (auto it = matches.rbegin(); it != matches.rend(); ++it) {
      const size_t b = it->b;
      const double ev = place_evidence(g, tokens, a, b, shouting, caseless, it->entries);
      if (ev <= 0) continue;
      // The raw bytes must say the same name (drops emoji names and placeholder text).
      const uint32_t rs = norm.offsets[tokens[a].start];
      const uint32_t re = norm.offsets[tokens[b].end];
      if (re <= rs || re > raw.size()) continue;
      const std::string_view raw_span = raw.substr(rs, re - rs);
      // In hashtags and closed compounds spaces do not count: "#SantaMaria" says "santa
      // maria", "petion ville" says "petionville".
      if (tokens[a].hashtag || it->joined) {
        const std::string want = without_spaces(it->key);
        if (without_spaces(name_key(raw_span, false)) != want && without_spaces(name_key(raw_span, true)) != want) continue;
      } else if (name_key(raw_span, false) != it->key && name_key(raw_span, true) != it->key) {
        continue;
      }
      Candidate c;
      c.first = a;
      c.last = b;
      c.key = std::move(it->key);
      c.entries = std::move(it->entries);
      if (a == b && tokens[a].key.size() == 2 && !tokens[a].ideograph) {
        // A two-letter code standing alone or in a tag means a country or a US/CA/AU state,
        // not another country's ISO 3166-2 code ("#abflood" is Alberta, not CI-AB).
        std::vector<uint32_t> codes;
        for (const uint32_t e : c.entries) {
          const PlaceKind k = g.kind(e);
          const std::string_view cc = g.country(e);
          if (k == PlaceKind::kCountry || (k == PlaceKind::kAdmin1 && (cc == "US" || cc == "CA" || cc == "AU"))) codes.push_back(e);
        }
        if (!codes.empty()) c.entries = std::move(codes);
      }
      c.evidence = ev;
      out.push_back(std::move(c));
      a = b + 1;
      taken = true;
      break;
    }
    if (!taken) ++a;
  }
  return out;
}

// "Virginia Beach, VA", "Boulder, CO": a two-letter code in capitals right after a comma
// that follows a city is a mention of that city's state when the code names it. Alone such
// codes are too ambiguous (scan() drops them).
void add_state_codes(const Gazetteer& g, std::string_view text, const std::vector<Token>& tokens,
                     std::vector<Candidate>& cands) {
  for (size_t i = 0; i < cands.size(); ++i) {
    const Candidate& c = cands[i];
    const size_t k = c.last + 1;
    if (c.chosen == Gazetteer::kNone || g.kind(c.chosen) != PlaceKind::kCity || k >= tokens.size()) continue;
    const Token& t = tokens[k];
    if (!t.all_upper || t.key.size() != 2 || t.hashtag || (i + 1 < cands.size() && cands[i + 1].first <= k)) continue;
    const std::string_view between = text.substr(tokens[c.last].end, t.start - tokens[c.last].end);
    // "Virginia Beach, VA", "Santa Maria - RS": a comma or a dash between.
    if (between.find_first_of(",-") == std::string_view::npos ||
        between.find_first_not_of(", -") != std::string_view::npos) {
      continue;
    }
    const uint32_t state = g.admin1_of(c.chosen);
    for (const uint32_t e : g.lookup_key(t.key)) {
      if (e != state) continue;
      Candidate s;
      s.first = s.last = k;
      s.key = t.key;
      s.entries = {e};
      s.evidence = std::min(0.95, c.evidence);
      s.chosen = e;
      cands.insert(cands.begin() + static_cast<std::ptrdiff_t>(i) + 1, std::move(s));
      ++i;
      break;
    }
  }
}

// Street, neighbourhood and landmark names that no gazetteer lists ("rue Innovation",
// "enpas Blanchard", "Marine Pde", "21st St", "Foothills Mall"): a street word with up to
// three name words after it (street_pre) or capitalised words before it (street_post).
// They are locations (the annotation guide counts them) but carry no coordinates.
struct LocalName {
  size_t first = 0, last = 0;
};

bool is_ordinal(std::string_view k) {
  size_t d = 0;
  while (d < k.size() && k[d] >= '0' && k[d] <= '9') ++d;
  if (d == 0) return false;
  const std::string_view rest = k.substr(d);
  return rest == "st" || rest == "nd" || rest == "rd" || rest == "th";
}

std::vector<LocalName> local_names(const Gazetteer& g, std::string_view text, const std::vector<Token>& tokens,
                                   const std::vector<Candidate>& cands, bool caseless) {
  std::vector<LocalName> out;
  std::vector<uint8_t> taken(tokens.size(), 0);
  for (const auto& c : cands) {
    for (size_t k = c.first; k <= c.last; ++k) taken[k] = 1;
  }
  auto plain = [&](size_t k) {
    const Token& t = tokens[k];
    return !t.hashtag && !t.after_at && !t.ideograph && t.key != "httpurl" && taken[k] == 0;
  };
  auto function_word = [&](const Token& t) {
    return g.is_cue("stop", t.skey) || g.is_cue("prep", t.skey) || g.is_cue("street_pre", t.skey) ||
           g.is_cue("street_post", t.skey);
  };
  auto digits = [](const Token& t) {
    return !t.key.empty() && std::all_of(t.key.begin(), t.key.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  };
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& w = tokens[i];
    if (!plain(i)) continue;
    if (g.is_cue("street_pre", w.skey) && !w.all_upper) {
      // Name words after the street word: capitalised ones in posts that use case, any
      // words of 3+ letters in posts without capitals; digits only between words
      // ("blvd 15 oct"), never at the end (house numbers).
      const size_t max_words = caseless ? 2 : 3;
      size_t last = i, words = 0;
      bool letters = false;
      for (size_t k = i + 1; k < tokens.size() && k - i <= max_words && tokens[k].group == w.group && plain(k); ++k) {
        const Token& t = tokens[k];
        if (function_word(t)) break;
        if (digits(t)) continue;
        // Right after the street word, a common lower-case word ("hospital staff") is no name.
        const uint64_t n = g.unigram_count(t.key);
        if (caseless && k == i + 1 && n >= 30 && g.unigram_capitalised(t.key) * 4 < n) break;
        const bool ok = caseless ? t.key.size() >= 3 : (t.upper_first || (k > i + 1 && t.key.size() <= 3 && !t.cased));
        if (!ok) break;
        last = k;
        ++words;
        letters = letters || t.cased;
      }
      if (words > 0 && letters) {
        out.push_back({i, last});
        for (size_t k = i; k <= last; ++k) taken[k] = 1;
        i = last;
        continue;
      }
    }
    if (g.is_cue("street_post", w.skey) && !caseless && i > 0 && !w.all_upper) {
      // Capitalised words (or an ordinal, "21st St") right before the street word.
      size_t first = i;
      for (size_t k = i; k-- > 0 && i - k <= 3;) {
        const Token& t = tokens[k];
        // Only spaces or an abbreviation's dot between the words ("Victims - Wall Street").
        const std::string_view gap = text.substr(t.end, tokens[k + 1].start - t.end);
        if (gap.find_first_not_of(" .") != std::string_view::npos) break;
        if (t.group != w.group || !plain(k) || function_word(t) || t.all_upper) break;
        if (!(t.upper_first || is_ordinal(t.key)) || (t.sentence_initial && k + 1 == i && g.unigram_count(t.key) > 0 &&
                                                       g.unigram_capitalised(t.key) * 2 < g.unigram_count(t.key))) {
          break;
        }
        first = k;
      }
      if (first < i) {
        out.push_back({first, i});
        for (size_t k = first; k <= i; ++k) taken[k] = 1;
      }
    }
  }
  // "households in Kajhu", "stranded at Tinajeros": after a place preposition, one or two
  // capitalised words the corpora never (or hardly) use, in a post that uses case, name a
  // place the gazetteer lacks. Known words ("in January", "at Red Cross") stay out.
  if (!caseless) {
    for (size_t i = 1; i < tokens.size(); ++i) {
      const Token& p = tokens[i - 1];
      if (!tokens[i].upper_first || p.upper_first || p.hashtag || p.group != tokens[i].group || !plain(i) ||
          !g.is_cue("prep", p.skey)) {
        continue;
      }
      size_t last = i;
      bool ok = true;
      for (size_t k = i; k < tokens.size() && k < i + 2 && tokens[k].group == tokens[i].group && plain(k); ++k) {
        const Token& t = tokens[k];
        const bool rare = g.unigram_count(t.key) < 3 && !g.is_cue("stop", t.skey) && !function_word(t);
        if (!t.upper_first || t.all_upper || t.key.size() < 4 || !rare ||
            std::any_of(t.key.begin(), t.key.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
          ok = k > i;
          break;
        }
        last = k;
      }
      if (!ok) continue;
      out.push_back({i, last});
      for (size_t k = i; k <= last; ++k) taken[k] = 1;
      i = last;
    }
  }
  // "Incirlik, Turkey", "Guiuan, East Samar": capitalised words right before a comma and a
  // division or country the gazetteer knows name a place inside it.
  if (!caseless) {
    for (const auto& c : cands) {
      if (c.chosen == Gazetteer::kNone || g.kind(c.chosen) == PlaceKind::kCity || c.first == 0 || tokens[c.first].hashtag) continue;
      const size_t e = c.first - 1;
      const std::string_view between = text.substr(tokens[e].end, tokens[c.first].start - tokens[e].end);
      if (between.find(',') == std::string_view::npos || between.find_first_not_of(", ") != std::string_view::npos) continue;
      // Capitalised words before the comma; words the corpora mostly write in lower case
      // ("High River, Alberta") only right after a place preposition.
      auto run_start = [&](bool allow_common) {
        size_t first = e + 1;
        for (size_t k = e + 1; k-- > 0 && e - k < 2;) {
          const Token& t = tokens[k];
          const uint64_t n = g.unigram_count(t.key);
          // After a preposition, name words the cue lists hold ("High River") may follow the first.
          const bool name_word = allow_common && g.is_cue("stop", t.skey) && !g.is_cue("prep", t.skey);
          if (!plain(k) || t.group != tokens[e].group || !t.upper_first || t.all_upper || t.sentence_initial ||
              t.key.size() < 3 || (function_word(t) && !name_word) ||
              (!allow_common && n >= 8 && g.unigram_capitalised(t.key) * 2 < n)) {
            break;
          }
          first = k;
        }
        while (first <= e && function_word(tokens[first])) ++first;
        return first;
      };
      auto prep_before = [&](size_t first) {
        return first > 0 && first <= e && tokens[first - 1].group == tokens[e].group && g.is_cue("prep", tokens[first - 1].skey);
      };
      size_t first = run_start(true);
      if (!prep_before(first)) first = run_start(false);
      if (first > e) continue;
      // Only after a place preposition or a word in lower case: "Thanks Nepal, India" is no place.
      const bool after_prep = prep_before(first);
      const bool after_lower = first > 0 && tokens[first - 1].group == tokens[e].group && !tokens[first - 1].upper_first;
      if (!after_prep && !after_lower) continue;
      out.push_back({first, e});
      for (size_t k = first; k <= e; ++k) taken[k] = 1;
    }
  }
  return out;
}

// Country codes that end a hashtag ("#ReliefPH", "#reliefph", "#temblorcr", "#RescuePH"):
// the event's country, as context for the post's mentions (never a mention: the code is an
// abbreviation inside the tag). The rest of the tag must be a known word and the code not a
// common lower-case word ("#helpus", "#terremotoes" say nothing).
std::vector<std::string> hashtag_country_codes(const Gazetteer& g, const std::vector<Token>& tokens,
                                               const std::vector<Candidate>& cands) {
  std::vector<std::string> out;
  std::vector<uint8_t> taken(tokens.size(), 0);
  for (const auto& c : cands) {
    for (size_t k = c.first; k <= c.last; ++k) taken[k] = 1;
  }
  auto code_word = [&](std::string_view code, bool upper) {
    if (code.size() != 2 || !std::isalpha(static_cast<unsigned char>(code[0])) || !std::isalpha(static_cast<unsigned char>(code[1]))) {
      return std::string();
    }
    const std::string cc = {static_cast<char>(std::toupper(static_cast<unsigned char>(code[0]))),
                            static_cast<char>(std::toupper(static_cast<unsigned char>(code[1])))};
    if (!is_iso_country(cc) || g.country_index(cc) == Gazetteer::kNone) return std::string();
    if (!upper) {
      const std::string lower(code);
      if (g.is_cue("stop", lower) || g.is_cue("prep", lower)) return std::string();
      const uint64_t n = g.unigram_count(lower);
      if (n >= 30 && g.unigram_capitalised(lower) * 2 < n) return std::string();
    }
    return cc;
  };
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (!t.hashtag || taken[i] != 0) continue;
    const bool last_piece = i + 1 == tokens.size() || tokens[i + 1].group != t.group;
    if (!last_piece) continue;
    const bool first_piece = i == 0 || tokens[i - 1].group != t.group;
    std::string cc;
    if (!first_piece && t.key.size() == 2) {
      // A piece of its own: "#Relief|PH", "#relief|ph".
      const Token& prev = tokens[i - 1];
      if (prev.key.size() >= 4 && !(t.cased && !t.all_upper && t.upper_first)) cc = code_word(t.key, t.all_upper);
    } else if (first_piece && !t.upper_first && t.key.size() >= 6 && g.unigram_count(t.key) == 0 && g.lookup_key(t.key).empty()) {
      // Glued to a known word: "#temblorcr".
      const std::string_view rest = std::string_view(t.key).substr(0, t.key.size() - 2);
      if (g.unigram_count(rest) > 0) cc = code_word(std::string_view(t.key).substr(t.key.size() - 2), false);
    }
    if (!cc.empty() && std::find(out.begin(), out.end(), cc) == out.end()) out.push_back(std::move(cc));
  }
  return out;
}

void add_entry_context(const Gazetteer& g, uint32_t e, double weight, Context& ctx) {
  if (e == Gazetteer::kNone) return;
  ctx.countries[std::string(g.country(e))] += weight;
  const uint32_t a1 = g.admin1_of(e);
  if (a1 != Gazetteer::kNone) ctx.admin1[a1] += weight * (g.kind(e) == PlaceKind::kAdmin1 ? 1.0 : 0.6);
}

double kind_context_weight(PlaceKind k) {
  switch (k) {
    case PlaceKind::kCountry: return 3.0;
    case PlaceKind::kAdmin1: return 2.0;
    case PlaceKind::kAdmin2: return 1.5;
    case PlaceKind::kCity: return 1.0;
  }
  return 1.0;
}

GeoResolution resolution_of(const Gazetteer& g, uint32_t e, GeoSource source, double confidence) {
  GeoResolution r;
  const Place p = g.place(e);
  r.lat = p.lat;
  r.lon = p.lon;
  r.source = source;
  r.confidence = std::clamp(confidence, 0.0, 1.0);
  r.radius_km = p.radius_km;
  r.country = p.country;
  r.admin1 = p.admin1;
  r.city = p.kind == PlaceKind::kCity ? p.name : "";
  r.geonameid = p.geonameid;
  return r;
}

}  // namespace

std::optional<GeoResolution> Geocoder::resolve_place_string(std::string_view text) const {
  text = clip_utf8(text, 1000);
  // Parts separated by commas/slashes/pipes: the first that names a place is the place; the
  // others ("Nepal", "NY") are context.
  std::vector<std::string> parts;
  std::string cur;
  for (const char c : text) {
    if (c == ',' || c == '/' || c == '|' || c == ';') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  parts.push_back(cur);
  std::vector<std::vector<uint32_t>> found;
  for (const auto& p : parts) found.push_back(gazetteer_.lookup(p));
  Context ctx;
  ctx.region = &region_;
  for (size_t i = 1; i < found.size(); ++i) {
    for (size_t k = 0; k < std::min<size_t>(found[i].size(), 8); ++k) {
      const uint32_t e = found[i][k];
      if (gazetteer_.kind(e) != PlaceKind::kCity) add_entry_context(gazetteer_, e, kind_context_weight(gazetteer_.kind(e)), ctx);
    }
  }
  for (size_t i = 0; i < found.size(); ++i) {
    if (found[i].empty()) continue;
    Candidate c;
    c.entries = found[i];
    choose(gazetteer_, c, ctx);
    if (c.chosen == Gazetteer::kNone) continue;
    const double conf = (i == 0 ? 0.85 : 0.7) * c.margin_factor;
    return resolution_of(gazetteer_, c.chosen, GeoSource::kPlace, conf);
  }
  return std::nullopt;
}

Result<GeoResolution> Geocoder::nearest_city(double lat, double lon) const {
  if (!std::isfinite(lat) || !std::isfinite(lon) || std::fabs(lat) > 90 || std::fabs(lon) > 180) {
    return make_error(ErrorCode::kInvalidArgument, "nearest_city: coordinates out of range");
  }
  const auto near = gazetteer_.nearest_city(lat, lon);
  if (!near) return make_error(ErrorCode::kNotFound, "nearest_city: the gazetteer has no cities");
  GeoResolution r = resolution_of(gazetteer_, near->first, GeoSource::kGeotag, 0.95);
  r.radius_km = near->second;
  return r;
}

GeoResult Geocoder::locate(const Post& post) const {
  GeoResult result;
  const Gazetteer& g = gazetteer_;
  Context ctx;
  ctx.region = &region_;
  std::optional<GeoResolution> base;
  if (post.geo && std::isfinite(post.geo->lat) && std::isfinite(post.geo->lon) && std::fabs(post.geo->lat) <= 90 &&
      std::fabs(post.geo->lon) <= 180) {
    ctx.point = *post.geo;
    GeoResolution r;
    r.lat = post.geo->lat;
    r.lon = post.geo->lon;
    r.source = GeoSource::kGeotag;
    r.confidence = 0.95;
    r.radius_km = 0.1;
    if (const auto near = g.nearest_city(r.lat, r.lon)) {
      const Place p = g.place(near->first);
      // Country and admin1 from the nearest city; the city name only when it is close.
      r.country = p.country;
      r.admin1 = p.admin1;
      if (near->second <= std::max(25.0, p.radius_km * 1.5)) {
        r.city = p.name;
        r.geonameid = p.geonameid;
      }
      ctx.countries[p.country] += 3.0;
    }
    base = r;
  }
  if (options_.use_place && !post.place.empty()) {
    if (auto r = resolve_place_string(post.place)) {
      ctx.countries[r->country] += 3.0;
      if (!base) base = r;
    }
  }
  std::optional<GeoResolution> user;
  if (options_.use_user_location && !post.user_location.empty()) {
    user = resolve_place_string(post.user_location);
    if (user) {
      user->source = GeoSource::kUser;
      user->confidence *= 0.5;
      ctx.countries[user->country] += 1.0;
    }
  }

  // Text mentions.
  const std::string_view raw = clip_utf8(post.text, options_.max_text_bytes);
  const text::NormalizedText norm = text::normalize(raw);
  std::vector<Token> tokens;
  bool caseless = false;
  std::vector<Candidate> cands = scan(*this, norm, raw, tokens, caseless);
  const std::vector<std::string> tag_countries = hashtag_country_codes(g, tokens, cands);
  for (const auto& cc : tag_countries) ctx.countries[cc] += kHashtagCountryWeight;
  for (auto& c : cands) choose(g, c, ctx);
  if (cands.size() > 1) {
    // Co-mentions: each mention is re-decided with the others' countries/admin1s as context.
    std::vector<uint32_t> first_pass;
    for (const auto& c : cands) first_pass.push_back(c.chosen);
    for (size_t i = 0; i < cands.size(); ++i) {
      Context local = ctx;
      for (size_t j = 0; j < cands.size(); ++j) {
        if (j != i && first_pass[j] != Gazetteer::kNone) {
          add_entry_context(g, first_pass[j], kind_context_weight(g.kind(first_pass[j])) * (0.5 + cands[j].evidence), local);
        }
      }
      choose(g, cands[i], local);
    }
  }
  add_state_codes(g, norm.text, tokens, cands);
  // Places that begin an organisation's name ("Nepal Red Cross", "Sri Lanka Air Force") are
  // no mentions; the post falls back on them only when it names no other place.
  std::vector<Candidate> org_places;
  for (size_t i = 0; i < cands.size();) {
    const Candidate& c = cands[i];
    const size_t k = c.last + 1;
    bool org = false;
    if (!tokens[c.first].hashtag && tokens[c.first].upper_first && k < tokens.size() && tokens[k].group == tokens[c.last].group &&
        tokens[k].upper_first) {
      org = g.is_cue("org", tokens[k].skey) ||
            (k + 1 < tokens.size() && tokens[k + 1].group == tokens[k].group && g.is_cue("org", tokens[k].skey + " " + tokens[k + 1].skey));
    }
    if (org) {
      org_places.push_back(cands[i]);
      cands.erase(cands.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
  std::vector<uint8_t> in_candidate(tokens.size(), 0);
  for (const auto& c : cands) {
    for (size_t k = c.first; k <= c.last; ++k) in_candidate[k] = 1;
  }
  // A compass word written with the place is part of its name ("Jakarta Utara", "North
  // Jakarta"); the place stays the one found.
  auto direction = [&](size_t k, const Candidate& c) {
    const Token& t = tokens[k];
    return in_candidate[k] == 0 && t.group == tokens[c.first].group && !t.hashtag && t.upper_first == tokens[c.first].upper_first &&
           t.all_upper == tokens[c.first].all_upper && g.is_cue("direction", t.skey);
  };
  std::unordered_map<std::string, double> country_votes;
  for (const auto& c : cands) {
    if (c.chosen == Gazetteer::kNone) continue;
    const Place p = g.place(c.chosen);
    size_t first = c.first, last = c.last;
    if (last + 1 < tokens.size() && direction(last + 1, c)) {
      ++last;
    } else if (first > 0 && direction(first - 1, c)) {
      --first;
    }
    LocationMention m;
    m.start = norm.offsets[tokens[first].start];
    m.end = norm.offsets[tokens[last].end];
    m.text = std::string(raw.substr(m.start, m.end - m.start));
    m.name = p.name;
    m.geonameid = p.geonameid;
    m.lat = p.lat;
    m.lon = p.lon;
    m.country = p.country;
    m.admin1 = p.admin1;
    m.kind = p.kind;
    m.radius_km = p.radius_km;
    m.confidence = std::clamp(c.evidence * c.margin_factor, 0.0, 1.0);
    m.entry = c.chosen;
    country_votes[m.country] += m.confidence;
    result.locations.push_back(std::move(m));
  }
  const size_t resolved = result.locations.size();
  for (const LocalName& l : local_names(g, norm.text, tokens, cands, caseless)) {
    LocationMention m;
    m.start = norm.offsets[tokens[l.first].start];
    m.end = norm.offsets[tokens[l.last].end];
    if (m.end <= m.start || m.end > raw.size()) continue;
    m.text = std::string(raw.substr(m.start, m.end - m.start));
    m.confidence = 0.3;
    result.locations.push_back(std::move(m));
  }
  if (result.locations.size() > resolved) {
    std::sort(result.locations.begin(), result.locations.end(),
              [](const LocationMention& a, const LocationMention& b) { return a.start < b.start; });
  }
  if (base) {
    result.geo = *base;
    return result;
  }
  // Best toponym: confident, specific, and agreeing with the post's other mentions.
  const LocationMention* best = nullptr;
  double best_score = -1;
  for (const auto& m : result.locations) {
    if (m.entry == Gazetteer::kNone) continue;  // a street or area name without coordinates
    double s = m.confidence + specificity_bonus(m.kind);
    double total = 0;
    for (const auto& [cc, v] : country_votes) total += v;
    if (total > 0) s += 0.2 * country_votes[m.country] / total;
    // A place inside another mentioned area ("Kathmandu" with "Nepal") is the better answer.
    for (const auto& o : result.locations) {
      if (&o == &m || o.entry == Gazetteer::kNone || o.kind <= m.kind || o.country != m.country) continue;
      if (o.kind == PlaceKind::kCountry || (o.kind == PlaceKind::kAdmin1 && o.name == m.admin1)) {
        s += 0.3;
        break;
      }
    }
    if (s > best_score) {
      best_score = s;
      best = &m;
    }
  }
  if (best != nullptr) {
    result.geo = resolution_of(g, best->entry, GeoSource::kToponym, best->confidence * 0.9);
    return result;
  }
  for (const auto& c : org_places) {
    if (c.chosen == Gazetteer::kNone) continue;
    result.geo = resolution_of(g, c.chosen, GeoSource::kToponym, 0.5 * c.evidence * c.margin_factor);
    return result;
  }
  // Only a country code in a hashtag ("#temblorcr"): the country, with low confidence.
  if (tag_countries.size() == 1) {
    if (const uint32_t e = g.country_index(tag_countries.front()); e != Gazetteer::kNone) {
      result.geo = resolution_of(g, e, GeoSource::kToponym, 0.3);
      return result;
    }
  }
  if (user) result.geo = *user;
  return result;
}

}  // namespace crema::geo
