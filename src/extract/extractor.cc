#include "crema/extract/extractor.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>

#include <phonenumbers/phonenumberutil.h>

#include "crema/common/paths.h"
#include "crema/common/utf8.h"
#include "crema/embed/encoder.h"
#include "crema/text/normalize.h"
#include "lexicon.h"

namespace crema::extract {
namespace {

constexpr std::array<std::string_view, kNumResourceClasses> kClassNames = {
    "food", "health", "shelter", "logistics", "cash", "water", "blood", "power", "volunteers", "clothing", "other"};
constexpr size_t kMaxTextBytes = 64 * 1024;

}  // namespace

std::string_view class_name(ResourceClass cls) { return kClassNames[static_cast<size_t>(cls)]; }

std::optional<ResourceClass> parse_class(std::string_view name) {
  for (size_t i = 0; i < kClassNames.size(); ++i) {
    if (kClassNames[i] == name) return static_cast<ResourceClass>(i);
  }
  return std::nullopt;
}

ResourceClass ocha_class(ResourceClass cls) {
  switch (cls) {
    case ResourceClass::kWater: return ResourceClass::kFood;
    case ResourceClass::kBlood: return ResourceClass::kHealth;
    case ResourceClass::kPower:
    case ResourceClass::kVolunteers: return ResourceClass::kLogistics;
    case ResourceClass::kClothing: return ResourceClass::kShelter;
    default: return cls;
  }
}

std::string_view crema_resource_name(ResourceClass cls) {
  switch (cls) {
    case ResourceClass::kCash: return "money";
    case ResourceClass::kHealth: return "medical";
    case ResourceClass::kLogistics: return "transport";
    default: return class_name(cls);
  }
}

std::string_view contact_kind_name(ContactKind kind) {
  switch (kind) {
    case ContactKind::kPhone: return "phone";
    case ContactKind::kEmail: return "email";
    case ContactKind::kUrl: return "url";
  }
  return "phone";
}

std::string mask_contact(const Contact& c) {
  static const std::string kDot = "\xE2\x80\xA2";  // •
  switch (c.kind) {
    case ContactKind::kPhone: {
      std::string digits;
      for (char ch : c.value) if (ch >= '0' && ch <= '9') digits += ch;
      if (digits.size() < 6) return std::string(digits.size(), '*');
      std::string out = c.value.starts_with("+") ? "+" : "";
      out += digits.substr(0, 2);
      for (size_t i = 2; i + 3 < digits.size(); ++i) out += kDot;
      out += digits.substr(digits.size() - 3);
      return out;
    }
    case ContactKind::kEmail: {
      size_t at = c.value.find('@');
      if (at == std::string::npos || at == 0) return kDot + kDot + kDot;
      return c.value.substr(0, 1) + kDot + kDot + kDot + c.value.substr(at);
    }
    case ContactKind::kUrl: {
      size_t scheme = c.value.find("://");
      size_t host_start = scheme == std::string::npos ? 0 : scheme + 3;
      size_t slash = c.value.find('/', host_start);
      if (slash == std::string::npos) return c.value;
      return c.value.substr(0, slash + 1) + kDot + kDot + kDot;
    }
  }
  return {};
}

namespace {

using detail::fold;
using detail::Lexicon;
using detail::OrgKind;
using detail::NumberWord;
using detail::stem;

enum class TokKind : uint8_t { kWord, kNumber, kPunct };

struct Token {
  uint32_t start = 0;  // byte offsets into the normalised text
  uint32_t end = 0;
  TokKind kind = TokKind::kWord;
  bool upper_initial = false;
  bool all_upper = false;
  bool hashtag = false;   // preceded by '#'
  bool mention = false;   // preceded by '@'
  bool consumed = false;  // part of a contact/URL
  std::string folded;
  std::string stemmed;
};

bool is_word_byte(unsigned char b) { return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b == '_' || b >= 0x80; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Non-letter code points >= U+0080 that still end a word: general punctuation, symbols,
// emoji. Cheap range checks; letters of every script stay in words.
bool is_separator_cp(std::string_view s, size_t i, size_t len) {
  auto b0 = static_cast<unsigned char>(s[i]);
  if (len == 2 && b0 == 0xC2) return true;  // U+0080..U+00BF: NBSP, «, », ¡, ¿, °, £ …
  if (len == 3 && b0 == 0xE2) return true;  // U+2000..U+2FFF: quotes, dashes, •, €, arrows
  if (len == 3 && b0 == 0xE3 && static_cast<unsigned char>(s[i + 1]) == 0x80) return true;  // CJK punct
  if (len == 4) return true;  // emoji and other astral symbols
  if (len == 3 && b0 == 0xEF && static_cast<unsigned char>(s[i + 1]) >= 0xB8) return true;  // variation sel., FFFD, fullwidth
  return false;
}

std::vector<Token> tokenize(std::string_view t) {
  std::vector<Token> toks;
  size_t i = 0;
  while (i < t.size()) {
    auto b = static_cast<unsigned char>(t[i]);
    size_t len = b < 0x80 ? 1 : utf8_sequence_length(t, i);
    if (len == 0) len = 1;
    bool word = b < 0x80 ? is_word_byte(b) : !is_separator_cp(t, i, len);
    if (!word) {
      if (b != ' ') {
        Token p;
        p.start = static_cast<uint32_t>(i);
        p.end = static_cast<uint32_t>(i + len);
        p.kind = TokKind::kPunct;
        p.folded = std::string(t.substr(i, len));
        toks.push_back(std::move(p));
      }
      i += len;
      continue;
    }
    size_t j = i;
    while (j < t.size()) {
      auto c = static_cast<unsigned char>(t[j]);
      if (c < 0x80) {
        if (is_word_byte(c)) {
          ++j;
          continue;
        }
        // Digit groups (1,000 / 1.000 / 2.35) and inner hyphens/apostrophes of words.
        bool next_alnum = j + 1 < t.size() && is_word_byte(static_cast<unsigned char>(t[j + 1]));
        // A letter O typed for a zero after a leading digit ("6O", "3OO,OOO.OO") counts as one.
        auto digitish = [&](size_t k) { return is_digit(t[k]) || (t[k] == 'O' && is_digit(t[i])); };
        if ((c == ',' || c == '.') && j > i && digitish(j - 1) && j + 1 < t.size() && digitish(j + 1)) {
          ++j;
          continue;
        }
        if ((c == '-' || c == '\'') && j > i && !is_digit(t[j - 1]) && next_alnum && !is_digit(t[j + 1])) {
          ++j;
          continue;
        }
        break;
      }
      size_t l = utf8_sequence_length(t, j);
      if (l == 0 || is_separator_cp(t, j, l)) break;
      j += l;
    }
    Token w;
    w.start = static_cast<uint32_t>(i);
    w.end = static_cast<uint32_t>(j);
    std::string_view raw = t.substr(i, j - i);
    w.folded = fold(raw);
    bool digits = !w.folded.empty() && is_digit(w.folded[0]);
    bool all_digits = true;
    for (char c : w.folded) if (!is_digit(c) && c != ',' && c != '.') all_digits = false;
    w.kind = digits && all_digits ? TokKind::kNumber : TokKind::kWord;
    w.upper_initial = raw[0] >= 'A' && raw[0] <= 'Z';
    if (!w.upper_initial && static_cast<unsigned char>(raw[0]) >= 0x80) w.upper_initial = fold(raw.substr(0, 2)) != raw.substr(0, 2);
    w.all_upper = true;
    bool has_letter = false;
    for (char c : raw) {
      if (c >= 'a' && c <= 'z') w.all_upper = false;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) has_letter = true;
    }
    if (!has_letter) w.all_upper = false;
    w.hashtag = i > 0 && t[i - 1] == '#';
    w.mention = i > 0 && t[i - 1] == '@';
    w.stemmed = w.kind == TokKind::kWord ? stem(w.folded) : w.folded;
    toks.push_back(std::move(w));
    i = j;
  }
  return toks;
}

// Parses "1,000", "1.000", "2.35", "3,5" into a value. False if not a plain number.
bool parse_digits(std::string_view s, double& value) {
  std::string clean;
  size_t seps = 0;
  char last_sep = 0;
  size_t digits_after = 0;
  for (char c : s) {
    if (is_digit(c)) {
      clean += c;
      ++digits_after;
    } else if (c == ',' || c == '.') {
      ++seps;
      last_sep = c;
      digits_after = 0;
      clean += '|';
    } else {
      return false;
    }
  }
  if (clean.empty()) return false;
  std::string num;
  if (seps == 0) {
    num = clean;
  } else if (seps == 1 && digits_after != 3) {
    for (char c : clean) num += c == '|' ? '.' : c;  // decimal point or comma
  } else if (seps > 1 && digits_after != 3) {
    // 1,000.50 / 1.000,50: the last separator is the decimal one.
    size_t last = clean.rfind('|');
    for (size_t k = 0; k < clean.size(); ++k) {
      if (clean[k] == '|') {
        if (k == last) num += '.';
      } else {
        num += clean[k];
      }
    }
  } else {
    for (char c : clean) if (c != '|') num += c;  // thousands separators
  }
  (void)last_sep;
  if (num.size() > 15) return false;
  char* end = nullptr;
  value = std::strtod(num.c_str(), &end);
  return end && *end == '\0' && std::isfinite(value);
}

std::string format_amount(double v) {
  char buf[64];
  if (std::fabs(v - std::round(v)) < 1e-9 && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.3f", v);
    std::string s(buf);
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }
  return buf;
}

const std::unordered_map<std::string_view, std::string_view>& currency_words() {
  static const std::unordered_map<std::string_view, std::string_view> m = {
      {"$", "USD"}, {"us$", "USD"}, {"usd", "USD"}, {"dollars", "USD"}, {"dollar", "USD"}, {"dola", "HTG"},
      {"dolar", "USD"}, {"dolares", "USD"}, {"€", "EUR"}, {"eur", "EUR"}, {"euro", "EUR"}, {"euros", "EUR"},
      {"£", "GBP"}, {"gbp", "GBP"}, {"pounds", "GBP"}, {"₹", "INR"}, {"rs", "INR"}, {"inr", "INR"},
      {"rupees", "INR"}, {"rupaye", "INR"}, {"npr", "NPR"}, {"pkr", "PKR"}, {"thb", "THB"}, {"baht", "THB"},
      {"php", "PHP"}, {"pesos", "PHP"}, {"peso", "PHP"}, {"gourdes", "HTG"}, {"goud", "HTG"}, {"htg", "HTG"},
      {"reais", "BRL"}, {"r$", "BRL"}, {"quetzales", "GTQ"}, {"aud", "AUD"}, {"cad", "CAD"}, {"g", "HTG"},
      {"\xE0\xA4\xB0\xE0\xA5\x81\xE0\xA4\xAA\xE0\xA4\xAF\xE0\xA5\x87", "INR"},   // रुपये
      {"\xE0\xA4\xB0\xE0\xA5\x81\xE0\xA4\xAA\xE0\xA4\x8F", "INR"},               // रुपए
      {"rupiah", "IDR"}, {"rp", "IDR"}, {"soles", "PEN"}, {"yen", "JPY"}};
  return m;
}

// Words after a number that say it is not a count of goods.
bool is_non_goods_unit(std::string_view w) {
  static const std::unordered_set<std::string_view> k = {
      "people", "persons", "person", "peoples", "moun", "families", "family", "famiy", "fanmi", "households", "kids",
      "children", "timoun", "villages", "dead", "injured", "killed", "victims", "personas", "familias", "persone",
      "famiglie", "pessoas", "familias", "personnes", "familles", "log", "lok", "km", "kms", "miles", "mile", "metres",
      "meters", "m", "cm", "mm", "degrees", "percent", "pc", "hectares", "ha", "am", "pm", "h", "hrs", "hours",
      "hour", "days", "day", "jr", "jou", "weeks", "months", "years", "year", "min", "mins", "minutes", "grados",
      "richter", "magnitude", "st", "nd", "rd", "th", "e", "eme", "jan", "janv", "january", "feb", "february",
      "march", "april", "may", "june", "july", "aug", "august", "sept", "september", "oct", "october", "nov",
      "november", "dec", "december", "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
      "septiembre", "octubre", "noviembre", "diciembre", "janvier", "fevrier", "mars", "avril", "mai", "juin",
      "juillet", "aout", "septembre", "octobre", "novembre", "decembre", "gennaio", "maggio", "giugno", "luglio",
      "affected", "displaced", "homeless", "evacuated", "evacuees", "residents", "inhabitants", "houses", "homes",
      "buildings", "deaths", "died", "missing", "survivors", "rescued", "trapped", "stranded", "refugees",
      "times", "followers", "tweets", "afectados", "damnificados", "evacuados", "muertos", "heridos",
      "desaparecidos", "viviendas", "casas", "sinistres", "morts", "blesses", "maisons", "sinistrati", "sfollati",
      "morti", "feriti", "dispersi", "desabrigados", "desalojados", "mortos", "feridos", "orang", "jiwa", "rumah",
      "tao", "pamilya", "bahay", "logon", "parivar", "ghar", "magnitud", "scossa"};
  return k.count(w) > 0;
}

// Words before a number that make it an address, a time or an identifier.
bool is_address_word(std::string_view w) {
  static const std::unordered_set<std::string_view> k = {
      "rue", "ri", "ru", "route", "rout", "wout", "street", "st", "road", "rd", "av", "ave", "avenue", "avenida",
      "via", "km", "no", "nos", "number", "section", "seksyon", "sector", "zone", "zon", "phase", "lot", "block",
      "imp", "impasse", "delmas", "delma", "santo", "tank", "tanque", "flight", "line", "row", "ward", "house",
      "apt", "floor", "room", "gate", "bus", "route", "channel", "fm", "am", "at", "since", "in", "on", "year",
      "anos", "ano", "año"};
  return k.count(w) > 0;
}

// Units of a capacity or rating written between a count and its goods ("eight 20,000-litre
// bladders", "three 20 kV generators"): that number describes each item, it counts nothing.
bool is_capacity_unit(std::string_view w) {
  static const std::unordered_set<std::string_view> k = {
      "litre", "litres", "liter", "liters", "l", "lt", "ltr", "gallon", "gallons", "kv", "kva", "kw", "mw", "w",
      "watt", "watts", "hp", "ton", "tonne", "tons", "tonnes", "cc", "ml", "kg", "inch", "ft", "foot", "feet",
      "litros", "litri", "galones", "metre", "meter", "m3"};
  return k.count(w) > 0;
}

// "6o", "3oo,ooo.oo" (folded): digits with letter O typed for zeros, read as "60", "300,000.00".
std::string o_as_zero(std::string_view w) {
  if (w.empty() || !is_digit(w[0]) || w.find('o') == std::string_view::npos) return {};
  std::string out(w);
  for (char& c : out) {
    if (c == 'o') c = '0';
    else if (!is_digit(c) && c != ',' && c != '.') return {};
  }
  return out;
}

// Words a number may skip on its way to the resource it counts.
bool is_count_filler(std::string_view w) {
  static const std::unordered_set<std::string_view> k = {
      "of", "de", "di", "da", "del", "des", "du", "d", "units", "unit", "kg", "kgs", "kilos", "kilo", "tonnes",
      "tons", "tonne", "ton", "metric", "mt", "litres", "liters", "litre", "liter", "l", "lt", "ltr", "gallons",
      "packets", "packs", "pack", "bags", "bag", "sacks", "boxes", "box", "cartons", "bottles", "pieces", "pcs",
      "more", "extra", "new", "free", "x", "additional", "mas", "toneladas", "tonelada", "sacos", "cajas", "bolsas",
      "unidades", "essential", "each", "bottled", "big", "small", "large", "plastic", "clean", "urgent",
      "emergency", "relief", "sachets", "tablets", "pairs", "sets", "kits", "kit", "portable", "family", "dry",
      "ti", "gwo", "sak", "unites", "sacs", "litros", "bidones", "gallon", "tonnellate", "sacchi", "pezzi"};
  return k.count(w) > 0;
}

const std::unordered_set<std::string_view>& unit_words() {
  static const std::unordered_set<std::string_view> k = {
      "units", "unit", "kg", "kgs", "kilos", "tonnes", "tons", "tonne", "metric", "mt", "litres", "liters", "litre",
      "liter", "l", "lt", "ltr", "gallons", "packets", "packs", "bags", "sacks", "boxes", "cartons", "bottles",
      "pieces", "pcs", "trucks", "toneladas", "sacos", "cajas", "bolsas", "litros", "bidones", "sachets", "tablets"};
  return k;
}

bool is_need_cue(std::string_view w) {
  static const std::unordered_set<std::string_view> k = {
      "need", "needs", "needed", "require", "required", "requires", "send", "donate", "donated", "donating",
      "distribute", "distributing", "provide", "providing", "supply", "bezwen", "voye", "necesito", "necesitan",
      "necesitamos", "besoin", "precisam", "precisamos", "serve", "servono", "occorrono", "bisogno", "kailangan",
      "butuh", "chahiye", "zaroorat", "short", "lack", "shortage", "offering", "offer", "giving", "collecting"};
  return k.count(w) > 0;
}

// Generic heads that name the form of the goods a resource word qualifies ("food supplies",
// "water bottles", "medical kits", "blood donations").
bool is_generic_head(std::string_view w) {
  static const std::unordered_set<std::string_view> k = {
      "supplies", "supply", "goods", "items", "item", "kits", "kit", "packs", "pack", "packages", "package", "parcels",
      "parcel", "packets", "materials", "products", "donations", "aid", "assistance", "bottles", "rations",
      "suministros", "insumos", "fournitures", "suprimentos", "forniture"};
  return k.count(w) > 0;
}

bool is_stopword(std::string_view w) {
  static const std::unordered_set<std::string_view> k = {
      "the", "and", "for", "with", "this", "that", "from", "have", "will", "please", "help", "more", "some", "they",
      "their", "there", "here", "your", "urgent", "urgently", "people", "victims", "each", "every", "other", "also",
      "about", "what", "when", "where", "which", "would", "could", "should", "those", "these", "them", "than",
      "then", "into", "over", "after", "before", "just", "only", "very", "much", "many", "most", "such", "being",
      "been", "were", "again", "today", "tomorrow", "families", "persons", "children", "kids", "moun", "pou",
      "nou", "yo", "para", "pour", "per", "httpurl", "user", "immediately", "asap", "desperately", "anyone"};
  return k.count(w) > 0;
}

// Generic goods a count may count without a lexicon class ("relief items", "supplies").
bool is_generic_goods(std::string_view w) {
  static const std::unordered_set<std::string_view> k = {
      "supplies", "items", "goods", "packages", "parcels", "relief", "aid", "materials", "consignments",
      "consignment", "shipments", "shipment", "provisions", "cargo", "truckloads", "loads", "stuff", "nfis", "nfi",
      "suministros", "insumos", "articulos", "paquetes", "donativos", "ayuda", "fournitures", "articles", "colis",
      "materiel", "suprimentos", "itens", "pacotes", "ajuda", "aiuti", "forniture", "materiali", "pacchi",
      "bantuan", "paket", "tulong", "saman", "samagri"};
  return k.count(w) > 0;
}

// "a few hundred", "several thousand", "quelques centaines": the amount is approximate.
bool is_vague_prefix(std::string_view w) {
  static const std::unordered_set<std::string_view> k = {
      "few", "several", "some", "couple", "quelques", "plusieurs", "varios", "varias", "algunos", "algunas",
      "alguns", "algumas", "vari", "alcune", "alcuni", "diverse", "diversi", "kuch", "kai", "beberapa", "ilang"};
  return k.count(w) > 0;
}

// Running value of a number written in words, digits and multipliers: groups below a
// thousand are summed ("twenty five", "doscientos cincuenta") and scaled by the
// multipliers after them ("two hundred thousand", "3 millones", "1 million 200 thousand").
class NumberAcc {
 public:
  void start_digits(double v) {
    group_ = v;
    any_ = true;
  }
  // False when the word cannot continue this number ("two three", "twenty thirty").
  bool add(const NumberWord& w) {
    if (w.kind == NumberWord::kVague) return false;
    if (w.kind == NumberWord::kNum) {
      if (any_) {
        if (after_mult_) {
          if (w.value >= last_mult_) return false;
        } else {
          bool tens = last_add_ >= 20 && std::fmod(last_add_, 10.0) == 0.0 && w.value < last_add_;
          bool teens = last_add_ >= 10 && last_add_ < 20 && w.value < 10;
          if (!tens && !teens) return false;
        }
      }
      group_ += w.value;
      last_add_ = w.value;
      after_mult_ = false;
      any_ = true;
      return true;
    }
    if (after_mult_ && w.value <= last_mult_ && w.value < 1000) return false;  // "hundred hundred"
    double g = group_ == 0.0 ? 1.0 : group_;
    if (w.value >= 1000) {
      if (w.value > scale_ && scale_ > 0.0) {
        total_ = (total_ + g) * w.value;  // "two thousand million"
      } else {
        total_ += g * w.value;
      }
      scale_ = w.value;
      group_ = 0.0;
    } else {
      group_ = g * w.value;
    }
    last_mult_ = w.value;
    last_add_ = 0.0;
    after_mult_ = true;
    any_ = true;
    return true;
  }
  double value() const { return total_ + group_; }

 private:
  double total_ = 0.0;
  double group_ = 0.0;
  double scale_ = 0.0;
  double last_add_ = 0.0;
  double last_mult_ = 0.0;
  bool after_mult_ = false;
  bool any_ = false;
};

bool is_number_connector(std::string_view w) {
  return w == "and" || w == "y" || w == "e" || w == "et" || w == "aur" || w == "-";
}

struct Prototype {
  ResourceClass cls;
  std::string_view phrase;
};

constexpr std::array<Prototype, 10> kPrototypes = {{
    {ResourceClass::kFood, "food rice meals flour bread groceries"},
    {ResourceClass::kHealth, "medicine doctors medical supplies drugs nurses"},
    {ResourceClass::kShelter, "tents shelter blankets tarpaulins mattresses"},
    {ResourceClass::kLogistics, "trucks boats transport vehicles helicopters"},
    {ResourceClass::kCash, "money cash funds donations dollars"},
    {ResourceClass::kWater, "drinking water bottled water water tanks"},
    {ResourceClass::kBlood, "blood donors blood units plasma"},
    {ResourceClass::kPower, "electricity generators fuel diesel batteries"},
    {ResourceClass::kVolunteers, "volunteers helpers rescue workers"},
    {ResourceClass::kClothing, "clothes clothing shoes jackets garments"},
}};

class LexiconExtractor final : public Extractor {
 public:
  LexiconExtractor(Lexicon lex, std::unique_ptr<embed::Encoder> encoder, std::vector<float> protos, float threshold)
      : lex_(std::move(lex)), encoder_(std::move(encoder)), protos_(std::move(protos)), threshold_(threshold) {}

  size_t lexicon_size() const override { return lex_.resources.size(); }

  Extraction extract(std::string_view raw_in, const ExtractContext& context) const override {
    Extraction ex;
    std::string_view raw = raw_in;
    if (raw.size() > kMaxTextBytes) raw = raw.substr(0, kMaxTextBytes);
    text::NormalizeOptions nopts;
    nopts.replace_urls = false;
    nopts.replace_mentions = false;
    nopts.emoji_names = false;
    text::NormalizedText norm = text::normalize(raw, nopts);
    const std::string& t = norm.text;
    auto to_raw = [&](uint32_t s, uint32_t e) {
      Span sp;
      sp.start = norm.offsets[std::min<size_t>(s, t.size())];
      // End: the raw offset of the byte after the last one (so multi-byte sources map whole).
      sp.end = e >= t.size() ? static_cast<uint32_t>(raw.size()) : norm.offsets[e];
      if (sp.end < sp.start) sp.end = sp.start;
      return sp;
    };
    auto raw_text = [&](Span sp) { return std::string(raw.substr(sp.start, sp.end - sp.start)); };

    std::vector<Token> toks = tokenize(t);
    find_contacts(t, toks, context, ex, to_raw, raw_text);
    find_resources(toks, ex, to_raw, raw_text);
    find_quantities(t, toks, ex, to_raw, raw_text);
    find_sources(t, toks, ex, to_raw, raw_text);
    drop_resources_in_names(ex);
    return ex;
  }

 private:
  // A capitalised resource word inside an organisation's name is part of the name ("World
  // Food Programme", "Public Health Service"), not a resource. Quantities bound to it unbind.
  static void drop_resources_in_names(Extraction& ex) {
    std::vector<int> new_index(ex.resources.size(), -1);
    std::vector<Resource> kept;
    for (size_t r = 0; r < ex.resources.size(); ++r) {
      const Resource& res = ex.resources[r];
      bool in_name = false;
      if (!res.text.empty() && res.text[0] >= 'A' && res.text[0] <= 'Z') {
        for (const auto& src : ex.sources) {
          if (!src.mention && src.span.start <= res.span.start && res.span.end <= src.span.end) in_name = true;
        }
      }
      if (in_name) continue;
      new_index[r] = static_cast<int>(kept.size());
      kept.push_back(res);
    }
    if (kept.size() == ex.resources.size()) return;
    for (auto& q : ex.quantities) if (q.resource >= 0) q.resource = new_index[static_cast<size_t>(q.resource)];
    ex.resources = std::move(kept);
  }

  template <typename ToRaw, typename RawText>
  void find_contacts(const std::string& t, std::vector<Token>& toks, const ExtractContext& ctx, Extraction& ex,
                     const ToRaw& to_raw, const RawText& raw_text) const {
    auto consume = [&](size_t s, size_t e) {
      for (auto& tok : toks) if (tok.start >= s && tok.end <= e) tok.consumed = true;
    };
    auto add = [&](ContactKind kind, size_t s, size_t e, std::string value) {
      for (const auto& c : ex.contacts) if (c.value == value) return;
      Contact c;
      c.kind = kind;
      c.span = to_raw(static_cast<uint32_t>(s), static_cast<uint32_t>(e));
      c.text = raw_text(c.span);
      c.value = std::move(value);
      ex.contacts.push_back(std::move(c));
    };
    // URLs.
    size_t pos = 0;
    while (pos < t.size()) {
      size_t h = t.find("http", pos);
      size_t w = t.find("www.", pos);
      size_t s = std::min(h, w);
      if (s == std::string::npos) break;
      bool ok = false;
      size_t body = s;
      if (s == h && t.compare(s, 7, "http://") == 0) { ok = true; body = s + 7; }
      else if (s == h && t.compare(s, 8, "https://") == 0) { ok = true; body = s + 8; }
      else if (s == w && (s == 0 || !is_word_byte(static_cast<unsigned char>(t[s - 1])))) { ok = true; body = s; }
      if (!ok) { pos = s + 1; continue; }
      size_t e = body;
      while (e < t.size() && static_cast<unsigned char>(t[e]) > ' ' && static_cast<unsigned char>(t[e]) < 0x80 &&
             t[e] != '"' && t[e] != '<' && t[e] != '>') ++e;
      while (e > body && (t[e - 1] == '.' || t[e - 1] == ',' || t[e - 1] == ')' || t[e - 1] == ':' || t[e - 1] == ';')) --e;
      // A host needs a dot and at least one character after it ("http://t.co/x"; not "http://t.…").
      std::string_view url(t.data() + body, e - body);
      size_t slash = url.find('/');
      std::string_view host = url.substr(0, slash);
      // ... and a top-level label of two characters or more ("http://t.c…" was cut).
      size_t dot = host.find('.');
      size_t tld = host.rfind('.');
      if (dot != std::string_view::npos && dot > 0 && host.size() - tld - 1 >= 2) {
        add(ContactKind::kUrl, s, e, std::string(t.substr(s, e - s)));
      }
      consume(s, std::max(e, body));
      pos = std::max(e, s + 1);
    }
    // E-mails: word@word.tld.
    for (size_t at = t.find('@'); at != std::string::npos; at = t.find('@', at + 1)) {
      if (at == 0 || !is_word_byte(static_cast<unsigned char>(t[at - 1]))) continue;
      size_t s = at;
      while (s > 0 && (is_word_byte(static_cast<unsigned char>(t[s - 1])) || t[s - 1] == '.' || t[s - 1] == '-' || t[s - 1] == '+') &&
             static_cast<unsigned char>(t[s - 1]) < 0x80) --s;
      size_t e = at + 1;
      while (e < t.size() && static_cast<unsigned char>(t[e]) < 0x80 &&
             (is_word_byte(static_cast<unsigned char>(t[e])) || t[e] == '.' || t[e] == '-')) ++e;
      while (e > at && t[e - 1] == '.') --e;
      std::string_view domain(t.data() + at + 1, e - at - 1);
      size_t dot = domain.rfind('.');
      if (s == at || dot == std::string_view::npos || dot == 0 || dot + 2 > domain.size()) continue;
      add(ContactKind::kEmail, s, e, fold(t.substr(s, e - s)));
      consume(s, e);
    }
    // Phone numbers: runs of digits with spaces, dashes, dots, brackets; 7–15 digits.
    const auto* util = i18n::phonenumbers::PhoneNumberUtil::GetInstance();
    size_t i = 0;
    while (i < t.size()) {
      char c = t[i];
      if (!(is_digit(c) || (c == '+' && i + 1 < t.size() && is_digit(t[i + 1])) || (c == '(' && i + 1 < t.size() && is_digit(t[i + 1])))) {
        ++i;
        continue;
      }
      if (i > 0 && (is_word_byte(static_cast<unsigned char>(t[i - 1])) || t[i - 1] == '$' || t[i - 1] == '/' ||
                    t[i - 1] == '.' || t[i - 1] == ',' || t[i - 1] == '#' || t[i - 1] == '@')) {
        while (i < t.size() && (is_word_byte(static_cast<unsigned char>(t[i])) || t[i] == '+')) ++i;
        continue;
      }
      size_t s = i;
      size_t e = i;
      size_t ndigits = 0;
      size_t last_digit_end = i;
      bool plus = c == '+';
      while (e < t.size()) {
        char d = t[e];
        if (is_digit(d)) {
          ++ndigits;
          last_digit_end = e + 1;
        } else if (d == '+' && e == s) {
        } else if (d == ' ' || d == '-' || d == '.' || d == '(' || d == ')') {
          if (e + 1 < t.size() && d == ' ' && t[e + 1] == ' ') break;
          // "0532771546 - 0532771585": a spaced dash separates two numbers.
          if (d == '-' && e > s && (t[e - 1] == ' ' || (e + 1 < t.size() && t[e + 1] == ' '))) break;
        } else {
          break;
        }
        ++e;
      }
      bool glued = last_digit_end < t.size() && (is_word_byte(static_cast<unsigned char>(t[last_digit_end])));
      size_t after = last_digit_end;
      i = std::max(e, s + 1);
      if (glued) {
        while (i < t.size() && is_word_byte(static_cast<unsigned char>(t[i]))) ++i;
        continue;
      }
      if (ndigits < 7 || ndigits > 15) continue;
      std::string_view cand(t.data() + s, after - s);
      // Decimal/thousand-grouped amounts ("1,000,000", "2.35") are never phones.
      if (cand.find(',') != std::string_view::npos) continue;
      std::string digits;
      for (char d : cand) if (is_digit(d)) digits += d;
      if (digits.size() >= 3 && std::all_of(digits.begin(), digits.end(), [&](char d) { return d == digits[0]; })) continue;
      std::string value;
      i18n::phonenumbers::PhoneNumber number;
      std::string region = plus ? "ZZ" : ctx.region;
      bool parsed = false;
      if (!region.empty()) {
        try {
          if (util->Parse(std::string(cand), region, &number) == i18n::phonenumbers::PhoneNumberUtil::NO_PARSING_ERROR &&
              (plus ? util->IsPossibleNumber(number) : util->IsValidNumber(number))) {
            util->Format(number, i18n::phonenumbers::PhoneNumberUtil::E164, &value);
            parsed = true;
          }
        } catch (...) {
          parsed = false;
        }
      }
      if (!parsed) {
        if (plus || !ctx.region.empty()) continue;
        // No region: national numbers with a trunk prefix or toll-free form (0…, 1800…, 800…),
        // 9+ digits, are kept as written (digits only).
        if (digits.size() < 9 || !(digits[0] == '0' || digits.starts_with("1800") || digits.starts_with("800") ||
                                    digits.starts_with("1300"))) continue;
        value = digits;
      }
      add(ContactKind::kPhone, s, after, value);
      consume(s, after);
    }
  }

  template <typename ToRaw, typename RawText>
  void find_resources(std::vector<Token>& toks, Extraction& ex, const ToRaw& to_raw, const RawText& raw_text) const {
    size_t n = toks.size();
    for (size_t i = 0; i < n; ++i) {
      if (toks[i].kind == TokKind::kPunct || toks[i].consumed || toks[i].mention) continue;
      bool found = false;
      size_t longest = phrase_reach(toks, i, std::min(lex_.max_phrase_tokens, n - i), lex_.resource_prefixes, true);
      for (size_t len = longest; len >= 1 && !found; --len) {
        std::string key;
        bool ok = true;
        for (size_t k = i; k < i + len; ++k) {
          if (toks[k].kind == TokKind::kPunct || toks[k].consumed) { ok = false; break; }
          if (!key.empty()) key += ' ';
          key += toks[k].stemmed;
        }
        if (!ok) continue;
        // Goods words whose singular is another word: "supply" and "provision" name the act
        // ("supply of essential items"), "good" is the adjective.
        if (len == 1 && (toks[i].folded == "supply" || toks[i].folded == "provision" || toks[i].folded == "good")) continue;
        // "Waters" are floods or seas (guide: "flood waters" is no resource), the singular the resource.
        if (len == 1 && (toks[i].folded == "waters" || toks[i].folded == "aguas" || toks[i].folded == "acque")) continue;
        auto it = lex_.resources.find(key);
        if (it == lex_.resources.end()) continue;
        // A hashtag-only or mention word is a topic, not a resource mention ("#rescuePH"),
        // unless a need/offer cue makes it the object ("Savar Needs #Blood").
        if (toks[i].hashtag && len == 1 && !(i >= 2 && toks[i - 2].kind == TokKind::kWord && is_need_cue(toks[i - 2].folded))) break;
        // The item as written (guide: a multiword name is one resource): a generic head right
        // after it ("food supplies", "medical kits") belongs to its span; the class is the item's.
        size_t last = i + len;
        if (last < n && toks[last].kind == TokKind::kWord && !toks[last].consumed && !toks[last].hashtag &&
            !toks[last].mention && toks[last - 1].end + 1 == toks[last].start && is_generic_head(toks[last].folded))
          ++last;
        Resource r;
        r.cls = it->second;
        r.lemma = key;
        r.span = to_raw(toks[i].start, toks[last - 1].end);
        r.text = raw_text(r.span);
        ex.resources.push_back(std::move(r));
        i = last - 1;
        found = true;
      }
    }
    if (encoder_) semantic_resources(toks, ex, to_raw, raw_text);
  }

  template <typename ToRaw, typename RawText>
  void semantic_resources(const std::vector<Token>& toks, Extraction& ex, const ToRaw& to_raw, const RawText& raw_text) const {
    std::vector<size_t> cands;
    for (size_t i = 1; i < toks.size(); ++i) {
      const Token& w = toks[i];
      if (w.kind != TokKind::kWord || w.consumed || w.hashtag || w.mention || w.folded.size() < 4 || w.all_upper) continue;
      if (is_stopword(w.folded) || is_non_goods_unit(w.folded) || lex_.numbers.count(w.folded)) continue;
      bool after_number = toks[i - 1].kind == TokKind::kNumber || lex_.numbers.count(toks[i - 1].folded) > 0;
      bool after_cue = is_need_cue(toks[i - 1].folded) || (i >= 2 && is_need_cue(toks[i - 2].folded) && toks[i - 1].kind == TokKind::kWord);
      if (!after_number && !after_cue) continue;
      bool covered = false;
      for (const auto& r : ex.resources) {
        Span sp = to_raw(w.start, w.end);
        if (sp.start < r.span.end && r.span.start < sp.end) covered = true;
      }
      if (!covered) cands.push_back(i);
    }
    for (size_t i : cands) {
      auto best = classify_word(toks[i].folded);
      if (!best) continue;
      Resource r;
      r.cls = best->first;
      r.score = best->second;
      r.semantic = true;
      r.lemma = toks[i].stemmed;
      r.span = to_raw(toks[i].start, toks[i].end);
      r.text = raw_text(r.span);
      ex.resources.push_back(std::move(r));
    }
    std::sort(ex.resources.begin(), ex.resources.end(), [](const Resource& a, const Resource& b) { return a.span.start < b.span.start; });
  }

  std::optional<std::pair<ResourceClass, float>> classify_word(const std::string& word) const {
    {
      std::shared_lock lock(cache_mutex_);
      auto it = cache_.find(word);
      if (it != cache_.end()) return it->second;
    }
    std::optional<std::pair<ResourceClass, float>> result;
    size_t dim = encoder_->dim();
    std::vector<float> v(dim);
    std::string_view sv = word;
    if (encoder_->encode(std::span<const std::string_view>(&sv, 1), v, 1)) {
      float best = -1.0f;
      size_t best_k = 0;
      for (size_t k = 0; k < kPrototypes.size(); ++k) {
        float dot = 0.0f;
        for (size_t d = 0; d < dim; ++d) dot += v[d] * protos_[k * dim + d];
        if (dot > best) { best = dot; best_k = k; }
      }
      if (best >= threshold_) result = std::make_pair(kPrototypes[best_k].cls, best);
    }
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() < 100000) cache_.emplace(word, result);
    return result;
  }

  // A number word: a lexicon entry, or a hyphenated compound of entries ("twenty-five",
  // "dix-sept", "two-hundred").
  std::optional<NumberWord> number_word(std::string_view w) const {
    if (w.empty()) return std::nullopt;
    if (auto it = lex_.numbers.find(std::string(w)); it != lex_.numbers.end()) return it->second;
    if (w.find('-') == std::string_view::npos) return std::nullopt;
    NumberAcc acc;
    size_t start = 0;
    bool any = false;
    while (start <= w.size()) {
      size_t dash = w.find('-', start);
      if (dash == std::string_view::npos) dash = w.size();
      auto it = lex_.numbers.find(std::string(w.substr(start, dash - start)));
      if (it == lex_.numbers.end() || !acc.add(it->second)) return std::nullopt;
      if (!any && it->second.kind == NumberWord::kMult) return std::nullopt;
      any = true;
      start = dash + 1;
    }
    NumberWord out;
    out.value = acc.value();
    out.kind = NumberWord::kNum;
    return out;
  }

  // Extends a number that starts at toks[i] over the number words, multipliers and
  // connectors after it; returns the index of its last token.
  size_t number_tail(const std::vector<Token>& toks, size_t i, NumberAcc& acc) const {
    size_t last = i;
    size_t k = i + 1;
    while (k < toks.size()) {
      if (toks[k].kind == TokKind::kWord && !toks[k].hashtag && !toks[k].mention) {
        if (auto nw = number_word(toks[k].folded); nw && acc.add(*nw)) {
          last = k;
          ++k;
          continue;
        }
      }
      // "hundred and fifty", "cincuenta y cinco", "cento e venti": the connector only
      // when a number word that continues the number follows.
      if (k + 1 < toks.size() && is_number_connector(toks[k].folded) && toks[k + 1].kind == TokKind::kWord) {
        if (auto nw = number_word(toks[k + 1].folded); nw && nw->kind == NumberWord::kNum) {
          NumberAcc trial = acc;
          if (trial.add(*nw)) {
            acc = trial;
            last = k + 1;
            k += 2;
            continue;
          }
        }
      }
      break;
    }
    return last;
  }

  template <typename ToRaw, typename RawText>
  void find_quantities(const std::string& t, const std::vector<Token>& toks, Extraction& ex, const ToRaw& to_raw,
                       const RawText& raw_text) const {
    size_t n = toks.size();
    // Resource index of each token a resource covers, for binding.
    std::vector<int> res_at(n, -1);
    for (size_t r = 0; r < ex.resources.size(); ++r) {
      for (size_t k = 0; k < n; ++k) {
        Span sp = to_raw(toks[k].start, toks[k].end);
        if (sp.start >= ex.resources[r].span.start && sp.start < ex.resources[r].span.end) {
          if (res_at[k] < 0) res_at[k] = static_cast<int>(r);
        }
      }
    }
    // Token index of each resource's last token, for counts written after the resource.
    std::vector<int> res_end(n, -1);
    for (size_t k = 0; k < n; ++k) {
      if (res_at[k] >= 0 && (k + 1 == n || res_at[k + 1] != res_at[k])) res_end[k] = res_at[k];
    }
    auto currency_of = [&](size_t k) -> std::string_view {
      if (k >= n) return {};
      auto it = currency_words().find(toks[k].folded);
      return it == currency_words().end() ? std::string_view{} : it->second;
    };
    // The index after "20,000-litre" / "20 kV" when toks[k] starts a capacity; k if not.
    auto capacity_end = [&](size_t k) {
      if (k >= n || toks[k].kind != TokKind::kNumber) return k;
      size_t u = k + 1;
      if (u < n && toks[u].folded == "-" && toks[u].start == toks[k].end) ++u;
      return u < n && is_capacity_unit(toks[u].folded) ? u + 1 : k;
    };
    size_t i = 0;
    size_t taken_until = 0;  // tokens before this belong to an amount already read
    while (i < n) {
      const Token& tok = toks[i];
      if (tok.consumed || tok.hashtag || tok.mention) { ++i; continue; }
      double value = 0.0;
      bool vague = false;
      bool is_num = false;
      std::string currency;
      std::string unit;
      size_t first = i;
      size_t last = i;
      std::string_view w = tok.folded;
      std::optional<NumberWord> word_number;  // set when the number starts with a number word
      // Leading currency glued: "P5k", "Q5", "Rs10", "$" handled as punct token before.
      size_t lead = 0;
      while (lead < w.size() && !is_digit(w[lead])) ++lead;
      if (tok.kind == TokKind::kNumber) {
        is_num = parse_digits(w, value);
      } else if (lead > 0 && lead <= 3 && lead < w.size() && tok.kind == TokKind::kWord) {
        std::string_view pre = w.substr(0, lead);
        if (pre == "p" || pre == "q" || pre == "rs" || pre == "php" || pre == "r") {
          std::string_view rest = w.substr(lead);
          size_t d = 0;
          while (d < rest.size() && (is_digit(rest[d]) || rest[d] == ',' || rest[d] == '.')) ++d;
          if (d > 0 && parse_digits(rest.substr(0, d), value)) {
            std::string_view suf = rest.substr(d);
            if (suf.empty() || suf == "k" || suf == "m") {
              if (suf == "k") value *= 1000;
              if (suf == "m") value *= 1e6;
              is_num = true;
              currency = pre == "p" || pre == "php" ? "PHP" : pre == "q" ? "GTQ" : pre == "r" ? "ZAR" : "INR";
            }
          }
        }
      } else if (const std::string zeros = o_as_zero(w);
                 !zeros.empty() && tok.kind == TokKind::kWord && t.substr(tok.start, tok.end - tok.start).find('O') != std::string::npos) {
        is_num = parse_digits(zeros, value);  // capital O only: "2lo" stays a word
      } else if (lead == 0 && tok.kind == TokKind::kWord && !w.empty() && is_digit(w[0])) {
        // "10k", "5lakh", "40g", "10kg", "2lo" (not a number: a Kreyol spelling of dlo).
        size_t d = 0;
        while (d < w.size() && (is_digit(w[d]) || w[d] == ',' || w[d] == '.')) ++d;
        std::string_view suf = w.substr(d);
        if (parse_digits(w.substr(0, d), value)) {
          if (suf == "k") { value *= 1000; is_num = true; }
          else if (suf == "lakh" || suf == "lac") { value *= 1e5; is_num = true; }
          else if (suf == "cr" || suf == "crore") { value *= 1e7; is_num = true; }
          else if (suf == "g" || suf == "htg") { is_num = true; currency = "HTG"; }
          else if (unit_words().count(suf)) { is_num = true; unit = std::string(suf); }
          else if ((suf == "m" || suf == "mn" || suf == "bn") && i > 0 && !currency_of(i - 1).empty()) {
            value *= suf == "bn" ? 1e9 : 1e6;  // "$2m", "Rs 5bn": only after a currency
            is_num = true;
          }
        }
      } else if (auto nw = number_word(w); nw) {
        word_number = nw;
        std::string_view prev = i > 0 ? std::string_view(toks[i - 1].folded) : std::string_view();
        bool article = prev == "a" || prev == "an" || prev == "one" || prev == "un" || prev == "une" || prev == "um" ||
                       prev == "una" || prev == "uma" || prev == "ek" || prev == "isang" || prev == "se";
        bool some = is_vague_prefix(prev);
        if (nw->kind == NumberWord::kVague) {
          value = nw->value;
          vague = true;
          is_num = true;
        } else if (nw->kind == NumberWord::kNum || nw->standalone || article || some) {
          is_num = true;
          vague = some && nw->kind == NumberWord::kMult;
        }
      }
      if (!is_num) { ++i; continue; }
      // Number words and multipliers after the first token: "two hundred and fifty",
      // "doscientos cincuenta", "3 millones", "1.2 million", "10 lakh", "a few hundred".
      if (!word_number || word_number->kind != NumberWord::kVague) {
        NumberAcc acc;
        if (word_number) acc.add(*word_number); else acc.start_digits(value);
        last = number_tail(toks, i, acc);
        value = acc.value();
      }
      const bool multiplied = last > i;  // a multiplier word follows the first token
      // Range: "50-100", "50 - 100", "50 to 100", "de 50 a 100", "between 50 and 100",
      // "entre 50 y 100", "50-100 thousand".
      double high = value;
      if (tok.kind == TokKind::kNumber && last + 2 < n && toks[last + 2].kind == TokKind::kNumber) {
        std::string_view sep = toks[last + 1].folded;
        std::string_view before = first > 0 ? std::string_view(toks[first - 1].folded) : std::string_view();
        bool between = before == "between" || before == "entre" || before == "tra" || before == "fra";
        bool dash = sep == "-" || sep == "\xE2\x80\x93" || sep == "\xE2\x80\x94";
        bool word = sep == "to" || sep == "a" || sep == "ate" ||
                    (between && (sep == "and" || sep == "y" || sep == "et" || sep == "e"));
        double h = 0.0;
        if ((dash || word) && parse_digits(toks[last + 2].folded, h) && h > 0.0) {
          NumberAcc acc;
          acc.start_digits(h);
          size_t high_last = number_tail(toks, last + 2, acc);
          double scaled = acc.value();
          // "50-100 thousand": a multiplier after the upper end scales both ends.
          if (high_last > last + 2 && last == i) value *= scaled / h;
          if (scaled > value) {
            high = scaled;
            last = high_last;
          }
        }
      }
      // Currency before ("$ 1 million", "Rs 10 lakh", "US$") or after ("3 millones de euros").
      // A currency word already read as the previous amount's ("6O DOLA kat") is not reused.
      if (currency.empty() && first > 0 && first - 1 >= taken_until) {
        auto c = currency_of(first - 1);
        if (!c.empty() && (toks[first - 1].kind == TokKind::kPunct || toks[first - 1].folded != "g")) {
          currency = std::string(c);
          --first;
          if (first > 0 && toks[first - 1].folded == "us") --first;
        }
      }
      if (currency.empty()) {
        size_t k = last + 1;
        bool of = false;
        if (k < n && (toks[k].folded == "de" || toks[k].folded == "of") && k + 1 < n && !currency_of(k + 1).empty()) {
          ++k;
          of = true;
        }
        if (k < n && toks[k].kind == TokKind::kPunct && of) {
          currency = std::string(currency_of(k));  // "thousands of $"
          last = k;
        } else if (k < n && toks[k].kind != TokKind::kPunct) {
          auto c = currency_of(k);
          if (!c.empty() && toks[k].folded != "g") {
            currency = std::string(c);
            last = k;
          }
        } else if (k < n && (toks[k].folded == "$" || toks[k].folded == "\xE2\x82\xAC") && toks[k].start == toks[last].end) {
          currency = std::string(currency_of(k));
          last = k;
        }
      }
      size_t next = last + 1;
      bool money = !currency.empty();
      // Context that makes a bare number not a count of goods.
      bool reject = false;
      if (!money) {
        const std::string& prev = first > 0 ? toks[first - 1].folded : std::string();
        bool glued_before = first > 0 && toks[first - 1].end == toks[first].start;  // "10:30", "12/01"
        // "Guatemala 50 toneladas": a unit after the number makes it a count, not an address.
        bool unit_next = !unit.empty() || (last + 1 < n && unit_words().count(toks[last + 1].folded) > 0);
        // "Text DONATE to 19 Relief", "invia un SMS al 45500": SMS short codes.
        bool short_code = false;
        if (first > 0 && (prev == "to" || prev == "al" || prev == "au" || prev == "ao" || prev == "a")) {
          for (size_t k = first - 1; k-- > 0 && k + 6 > first;) {
            const std::string& f = toks[k].folded;
            if (f == "text" || f == "txt" || f == "sms" || f == "texting" || f == "envia" || f == "invia" || f == "envoyez")
              short_code = true;
          }
        }
        if (short_code) reject = true;
        // "Il-76", "C-130", "Mi-17": a model designation, not a count.
        if (first >= 2 && prev == "-" && toks[first - 1].start == toks[first - 2].end &&
            toks[first - 1].end == toks[first].start && toks[first - 2].kind == TokKind::kWord &&
            toks[first - 2].upper_initial && toks[first - 2].folded.size() <= 3) {
          reject = true;
        }
        // "eight 20,000-litre bladders", "20 x 3,000 litre tanks": after a count, a number
        // with a capacity unit describes each item.
        if (capacity_end(first) > first && first > 0) {
          size_t p = first - 1;
          if (p > 0 && toks[p].folded == "x") --p;
          if (toks[p].kind == TokKind::kNumber || number_word(toks[p].folded)) reject = true;
        }
        // "About 1 million", "Over 500": a capitalised approximator is no name before a number.
        const bool approximator = is_stopword(prev) || prev == "around" || prev == "nearly" || prev == "almost" ||
                                  prev == "approximately" || prev == "approx" || prev == "up";
        if (first > 0 && (is_address_word(prev) || prev == "#" || ((prev == "/" || prev == ":") && glued_before) ||
                          (!unit_next && !approximator && toks[first - 1].kind == TokKind::kWord && toks[first - 1].upper_initial &&
                           !toks[first - 1].all_upper && !lex_.numbers.count(prev) &&
                           toks[first - 1].end + 1 == toks[first].start && !res_at_is(res_at, first - 1))))
          reject = true;
        if (next < n) {
          const std::string& nx = toks[next].folded;
          if (is_non_goods_unit(nx) || nx == "%" || nx == "/" || nx == ":" || (nx == "." && next + 1 < n && toks[next + 1].kind == TokKind::kNumber && toks[next + 1].start == toks[next].end))
            reject = true;
        }
        if (tok.kind == TokKind::kNumber && w.size() == 4 && value >= 1900 && value <= 2100 && high == value) reject = true;
        // Long plain digit runs ("0532771546", "12345678") are identifiers or phones, not counts.
        bool plain = w.find_first_of(",.") == std::string_view::npos;
        if (tok.kind == TokKind::kNumber && plain && (w.size() >= 8 || (w.size() >= 6 && w[0] == '0'))) reject = true;
      }
      if (reject) { i = last + 1; continue; }
      // Bind: money to an adjacent cash resource; counts to the resource they precede.
      int bound = -1;
      if (money) {
        for (size_t k = last + 1; k < std::min(n, last + 4) && bound < 0; ++k) {
          if (res_at[k] >= 0 && ex.resources[static_cast<size_t>(res_at[k])].cls == ResourceClass::kCash) bound = res_at[k];
          if (toks[k].folded == "." || toks[k].folded == ",") break;
        }
        for (size_t k = first; k-- > 0 && k + 4 > first && bound < 0;) {
          if (res_at[k] >= 0 && ex.resources[static_cast<size_t>(res_at[k])].cls == ResourceClass::kCash) bound = res_at[k];
        }
      } else {
        size_t free_words = 0;
        bool generic = false;
        for (size_t k = last + 1; k < std::min(n, last + 5); ++k) {
          if (res_at[k] >= 0) { bound = res_at[k]; break; }
          if (const size_t ce = capacity_end(k); ce > k) {
            k = ce - 1;  // "eight 20,000-litre water bladders": the count skips the capacity
            continue;
          }
          const Token& g = toks[k];
          if (g.kind == TokKind::kPunct && g.folded != "-") break;
          if (g.kind == TokKind::kNumber) break;
          if (is_generic_goods(g.folded)) { generic = true; break; }
          if (unit.empty() && unit_words().count(g.folded)) unit = g.folded;
          if (is_count_filler(g.folded) || g.folded == "-") continue;
          // Number words bind only through fillers ("due to food shortage" counts nothing).
          if (++free_words > (tok.kind == TokKind::kNumber ? 1u : 0u)) break;
        }
        if (bound >= 0 && ex.resources[static_cast<size_t>(bound)].quantity >= 0) bound = -1;
        // "tents: 500", "blankets - 200", "water (1000 litres)": a count right after the
        // resource it counts, when nothing follows it.
        if (bound < 0 && !generic && first > 0 && tok.kind == TokKind::kNumber) {
          size_t k = first - 1;
          if (k > 0 && (toks[k].folded == ":" || toks[k].folded == "-" || toks[k].folded == "(" || toks[k].folded == "=" ||
                        toks[k].folded == "x")) --k;
          if (res_end[k] >= 0 && ex.resources[static_cast<size_t>(res_end[k])].quantity < 0) bound = res_end[k];
        }
        // Kept unbound: goods named generically ("3.5 MT in supplies", "200 relief items") and
        // amounts in millions written with a multiplier word ("20 milioni per la Sardegna"),
        // which in crisis posts count money or goods. A bare measure ("300 tonnes of
        // groundwater") is not kept: it often measures damage, not goods.
        bool millions = value >= 1e6 && multiplied && toks[i].kind == TokKind::kNumber;
        if (bound < 0 && !generic && !millions) { i = last + 1; continue; }  // counts nothing we know
      }
      Quantity q;
      q.span = to_raw(toks[first].start, toks[last].end);
      q.text = raw_text(q.span);
      q.low = value;
      q.high = high;
      q.vague = vague;
      q.money = money;
      q.currency = currency;
      q.unit = unit;
      q.amount = (vague ? "~" : "") + format_amount(value) + (high > value ? "-" + format_amount(high) : "");
      q.resource = bound;
      if (bound >= 0) ex.resources[static_cast<size_t>(bound)].quantity = static_cast<int>(ex.quantities.size());
      ex.quantities.push_back(std::move(q));
      taken_until = last + 1;
      i = last + 1;
    }
  }

  static bool res_at_is(const std::vector<int>& res_at, size_t k) { return res_at[k] >= 0; }

  // How many tokens from toks[i] (at most `cap`) a lexicon phrase may cover: the key grows
  // while it is a proper prefix of some entry (stemmed keys for resources, folded for orgs).
  static size_t phrase_reach(const std::vector<Token>& toks, size_t i, size_t cap,
                             const std::unordered_set<std::string>& prefixes, bool stemmed) {
    if (cap == 0) return 0;
    size_t len = 1;
    std::string key = stemmed ? toks[i].stemmed : toks[i].folded;
    while (len < cap && prefixes.count(key)) {
      key += ' ';
      key += stemmed ? toks[i + len].stemmed : toks[i + len].folded;
      ++len;
    }
    return len;
  }

  // toks[k, k + len) folded and joined by spaces: the organisation lexicon's key.
  static std::string folded_phrase(const std::vector<Token>& toks, size_t k, size_t len) {
    std::string key;
    for (size_t j = k; j < k + len; ++j) {
      if (!key.empty()) key += ' ';
      key += toks[j].folded;
    }
    return key;
  }

  // Length in tokens of the longest cue or body phrase at toks[k] ending by `end` ("Armed
  // Forces", "army"); 0 when none.
  size_t cue_length(const std::vector<Token>& toks, size_t k, size_t end) const {
    for (size_t len = phrase_reach(toks, k, std::min(lex_.max_org_tokens, end - k), lex_.org_prefixes, false); len >= 1; --len) {
      auto it = lex_.orgs.find(folded_phrase(toks, k, len));
      if (it != lex_.orgs.end() && it->second != OrgKind::kOrg) return len;
    }
    return 0;
  }

  // End of the capitalised name run that starts at toks[i] (i itself when none): adjacent
  // capitalised words, with "of", "for", "and", "de", "del", "&" between them.
  static size_t capitalised_run_end(const std::vector<Token>& toks, size_t i) {
    size_t n = toks.size();
    auto cap = [&](size_t k) {
      const Token& x = toks[k];
      return x.kind == TokKind::kWord && x.upper_initial && !x.consumed && !x.mention && !x.hashtag;
    };
    if (i >= n || !cap(i) || (i > 0 && toks[i].start > toks[i - 1].end + 1)) return i;
    size_t e = i + 1;
    while (e < n) {
      if (cap(e) && toks[e].start <= toks[e - 1].end + 1) { ++e; continue; }
      if (e + 1 < n && is_name_connector(toks[e].folded) && cap(e + 1)) { e += 2; continue; }
      break;
    }
    return e;
  }

  static bool is_name_connector(std::string_view w) {
    return w == "of" || w == "for" || w == "and" || w == "de" || w == "del" || w == "&";
  }

  // Index after a thanks cue that starts at toks[i] ("thank", "thanks to", "gracias a",
  // "merci à", "grazie a", "obrigado a", "salamat sa"); i when none.
  static size_t thanks_cue_end(const std::vector<Token>& toks, size_t i) {
    const std::string& w = toks[i].folded;
    size_t n = toks.size();
    auto next_is = [&](std::initializer_list<std::string_view> words) {
      if (i + 1 >= n) return false;
      for (auto x : words) if (toks[i + 1].folded == x) return true;
      return false;
    };
    if (w == "thank" || w == "thanks") return next_is({"to"}) ? i + 2 : i + 1;
    if (w == "gracias" || w == "grazie" || w == "merci" || w == "obrigado" || w == "obrigada" || w == "agradecemos")
      return next_is({"a", "ao", "aos", "al"}) ? i + 2 : i;
    if (w == "salamat") return next_is({"sa"}) ? i + 2 : i;
    return i;
  }

  // Words a thanks cue often governs that name no giver ("Thank God", "Thanks You").
  static bool is_thanked_non_name(std::string_view w) {
    return w == "you" || w == "u" || w == "god" || w == "all" || w == "everyone" || w == "everybody" || w == "lord" ||
           w == "jesus" || w == "dios" || w == "dio" || w == "dieu" || w == "deus" || w == "heaven" || w == "goodness";
  }

  // "RT", "MT", "R", "cc", "ht", "h/t" right before toks[k + 1] (the "@"), and a credit "via":
  // one after punctuation ("(via @x", "| via @x", "/via @x") or one that ends the text ("…
  // IFRC via @x #tag http…"), not "donate via @RedCrossNepal and …".
  static bool is_attribution_marker(const std::vector<Token>& toks, size_t k) {
    const std::string& w = toks[k].folded;
    if (w == "rt" || w == "mt" || w == "r" || w == "cc" || w == "ht") return true;
    if (w == "t" && k >= 2 && toks[k - 1].folded == "/" && toks[k - 2].folded == "h") return true;
    if (w != "via") return false;
    if (k == 0 || toks[k - 1].kind == TokKind::kPunct) return true;
    for (size_t j = k + 3; j < toks.size(); ++j) {
      const Token& x = toks[j];
      if (x.kind == TokKind::kWord && !x.hashtag && !x.mention && !x.consumed) return false;
    }
    return true;
  }

  static bool is_of_word(std::string_view w) {
    return w == "of" || w == "de" || w == "del" || w == "di" || w == "du" || w == "do" || w == "da";
  }

  static bool is_article(std::string_view w) {
    return w == "the" || w == "a" || w == "an" || w == "el" || w == "la" || w == "los" || w == "las" || w == "le" ||
           w == "les" || w == "il" || w == "lo" || w == "gli";
  }

  // Capitals, or capitals and a plural "s" ("WHO", "NGOs").
  static bool is_acronym(std::string_view raw) {
    if (raw.size() >= 3 && raw.back() == 's') raw.remove_suffix(1);
    if (raw.empty()) return false;
    for (char c : raw) if (!(c >= 'A' && c <= 'Z')) return false;
    return true;
  }

  template <typename ToRaw, typename RawText>
  void find_sources(const std::string& t, const std::vector<Token>& toks, Extraction& ex, const ToRaw& to_raw,
                    const RawText& raw_text) const {
    size_t n = toks.size();
    auto add = [&](Span sp, bool mention) {
      std::string text = raw_text(sp);
      std::string key = fold(text);
      for (const auto& s : ex.sources) if (fold(s.text) == key) return;
      Source s;
      s.text = std::move(text);
      s.span = sp;
      s.mention = mention;
      ex.sources.push_back(std::move(s));
    };
    // Mentions, except the leading addressees ("@a @b text", "RT @x:", "Cc: @y").
    bool leading = true;
    for (size_t i = 0; i < n; ++i) {
      const Token& tok = toks[i];
      bool is_at = tok.kind == TokKind::kPunct && tok.folded == "@";
      if (leading) {
        // ".@x" is Twitter's way to name someone in the body without replying to them.
        bool dot_mention = tok.mention && i >= 2 && toks[i - 2].folded == "." && toks[i - 2].end == toks[i - 1].start;
        if (!dot_mention && (is_at || tok.mention || tok.folded == "rt" || tok.folded == "cc" || tok.folded == ":" ||
                             tok.folded == "." || tok.folded == "\xE2\x80\x9C" || tok.folded == "\""))
          continue;
        leading = false;
      }
      if (!tok.mention || tok.kind == TokKind::kPunct || tok.consumed) continue;
      if (i + 1 < n && toks[i + 1].folded == ":" ) continue;  // RT attribution
      // Attributions anywhere ("RT @x", "MT @x", "via @x", "h/t @x", "cc @x") credit where a
      // text came from, like the leading "RT @x:", and name no giver.
      if (i >= 2 && toks[i - 2].kind == TokKind::kWord && is_attribution_marker(toks, i - 2)) continue;
      // A mention next to another mention is one of a tag list: addressees, wherever they stand.
      bool mention_before = i >= 2 && toks[i - 2].mention && toks[i - 2].end + 2 >= toks[i - 1].start;
      bool mention_after = i + 2 < n && toks[i + 1].folded == "@" && toks[i + 2].mention && tok.end + 2 >= toks[i + 1].start;
      if (mention_before || mention_after) continue;
      add(to_raw(tok.start - 1, tok.end), true);
    }
    // Shouting posts: capitalisation carries no signal, only known organisations count.
    size_t words = 0;
    size_t upper = 0;
    for (const auto& tok : toks) {
      if (tok.kind != TokKind::kWord) continue;
      ++words;
      if (tok.all_upper) ++upper;
    }
    bool shouting = words >= 4 && upper * 10 >= words * 6;
    std::vector<bool> used(n, false);
    // Known organisations and acronyms (multi-token phrases, hashtags like #CruzRoja).
    for (size_t i = 0; i < n; ++i) {
      if (toks[i].kind != TokKind::kWord || toks[i].consumed || toks[i].mention) continue;
      size_t longest = phrase_reach(toks, i, std::min(lex_.max_org_tokens, n - i), lex_.org_prefixes, false);
      for (size_t len = longest; len >= 1; --len) {
        std::string key = folded_phrase(toks, i, len);
        // A possessive names the organisation too ("WFP's page").
        std::string_view last_raw(t.data() + toks[i + len - 1].start, toks[i + len - 1].end - toks[i + len - 1].start);
        bool possessive = key.ends_with("'s");
        if (possessive) {
          key.resize(key.size() - 2);
          last_raw.remove_suffix(2);
        }
        auto it = lex_.orgs.find(key);
        if (it == lex_.orgs.end() || it->second != OrgKind::kOrg) continue;
        // Short acronyms must be written in capitals ("UN", "WHO", plural "NGOs"), not "un"/"who".
        if (len == 1 && key.size() <= 4 && !is_acronym(last_raw) && !toks[i].hashtag) break;
        // Extend over the capitalised run around a known organisation ("Nepal Red Cross").
        size_t s = i;
        size_t e = i + len;
        if (!shouting) {
          while (s > 0 && toks[s - 1].kind == TokKind::kWord && toks[s - 1].upper_initial && !toks[s - 1].consumed &&
                 !toks[s - 1].mention && !toks[s - 1].hashtag && toks[s - 1].end + 1 == toks[s].start && s + 3 > i) --s;
        }
        // ... and over a capitalised run after it that holds a cue ("UN High Commissioner for
        // Refugees", "Red Cross Society").
        if (!shouting && !possessive) {
          size_t run_end = capitalised_run_end(toks, e);
          if (run_end > e) {
            bool cue = false;
            for (size_t k = e; k < run_end; ++k) cue = cue || cue_length(toks, k, run_end) > 0;
            if (cue) e = run_end;
          }
        }
        for (size_t k = s; k < e; ++k) used[k] = true;
        add(to_raw(toks[s].start, toks[e - 1].end - (possessive ? 2 : 0)), false);
        i = e - 1;
        break;
      }
    }
    if (shouting) return;
    // Names thanked are givers ("thank Marius Kloppers and BHP Billiton for their donation",
    // "gracias a Cruz Roja"): the capitalised runs right after a thanks cue, split at "and".
    for (size_t i = 0; i + 1 < n; ++i) {
      size_t k = thanks_cue_end(toks, i);
      if (k == i) continue;
      while (k < n) {
        size_t e = k;
        while (e < n && toks[e].kind == TokKind::kWord && toks[e].upper_initial && !toks[e].consumed && !toks[e].mention &&
               !toks[e].hashtag && !used[e] && (e == k || toks[e].start == toks[e - 1].end + 1))
          ++e;
        if (e == k || is_thanked_non_name(toks[k].folded)) break;
        for (size_t j = k; j < e; ++j) used[j] = true;
        add(to_raw(toks[k].start, toks[e - 1].end), false);
        if (e + 1 < n && (toks[e].folded == "and" || toks[e].folded == "&" || toks[e].folded == "y" || toks[e].folded == "e" ||
                          toks[e].folded == "et")) {
          k = e + 1;
          continue;
        }
        break;
      }
    }
    // Capitalised runs with an organisation cue ("Billy Graham Rapid Response Team").
    size_t i = 0;
    while (i < n) {
      auto cap = [&](size_t k) {
        const Token& x = toks[k];
        return x.kind == TokKind::kWord && x.upper_initial && !x.consumed && !x.mention && !x.hashtag && !used[k];
      };
      if (!cap(i)) {
        // A lower-case body or cue before "of" and a capitalised name: "the government of the
        // ROK", "ministry of Health".
        bool of_follows = false;  // cheap test first: most words have no "of" right after them
        for (size_t k = i + 1; k < n && k <= i + lex_.max_org_tokens && !of_follows; ++k) of_follows = is_of_word(toks[k].folded);
        if (size_t len = of_follows && toks[i].kind == TokKind::kWord && !toks[i].consumed && !used[i]
                             ? cue_length(toks, i, std::min(n, i + lex_.max_org_tokens))
                             : 0;
            len > 0 && i + len + 1 < n && is_of_word(toks[i + len].folded)) {
          size_t name = i + len + 1;
          if (name + 1 < n && is_article(toks[name].folded) && !cap(name)) ++name;
          size_t name_end = capitalised_run_end(toks, name);
          if (name_end > name) {
            for (size_t k = i; k < name_end; ++k) used[k] = true;
            add(to_raw(toks[i].start, toks[name_end - 1].end), false);
            i = name_end;
            continue;
          }
        }
        ++i;
        continue;
      }
      size_t e = i + 1;
      while (e < n) {
        if (cap(e) && toks[e].start <= toks[e - 1].end + 1) { ++e; continue; }
        // Connectors inside names: "Department of Disaster", "Care and Share".
        if (e + 1 < n && is_name_connector(toks[e].folded) && cap(e + 1)) { e += 2; continue; }
        break;
      }
      // A lower-case cue right after the run belongs to the name ("The Indonesian government",
      // "House members", "French army").
      size_t name_end = e;
      if (e < n && toks[e].kind == TokKind::kWord && !toks[e].upper_initial && !toks[e].consumed && !toks[e].hashtag &&
          !toks[e].mention && toks[e].start == toks[e - 1].end + 1) {
        if (size_t len = cue_length(toks, e, e + std::min<size_t>(lex_.max_org_tokens, n - e)); len > 0) name_end = e + len;
      }
      // An article that opens the sentence is not part of the name ("The Indonesian government").
      size_t name_start = i;
      if (name_end - name_start > 1 && is_article(toks[name_start].folded)) ++name_start;
      bool cue = false;
      bool other_word = false;
      for (size_t k = name_start; k < name_end;) {
        if (size_t len = cue_length(toks, k, name_end); len > 0) {
          cue = true;
          // A cue alone is an organisation only when it names a body ("Army", "Government"), not
          // "Relief" or "Team".
          if (lex_.orgs.at(folded_phrase(toks, k, len)) == OrgKind::kBody && name_end - name_start == len) other_word = true;
          k += len;
        } else {
          other_word = true;
          ++k;
        }
      }
      // Two or more shouted words make a run shouted text, not a name ("PHILIPPINES EARTHQUAKE
      // RELIEF Donations", "CRISIS MANAGEMENT TEAM AS A GUIDE").
      size_t shouted = 0;
      for (size_t k = name_start; k < name_end; ++k) shouted += toks[k].all_upper && toks[k].end - toks[k].start >= 4;
      // A named appeal is a fund-raising campaign, not who gives ("Bushfire Relief Appeal").
      bool appeal = toks[name_end - 1].folded == "appeal" || toks[name_end - 1].folded == "appello";
      // Sentence-initial single words ("Army helicopters") count only with a cue.
      if (cue && other_word && !appeal && shouted < 2 && !(name_end - name_start == 1 && toks[name_start].folded.size() < 3))
        add(to_raw(toks[name_start].start, toks[name_end - 1].end), false);
      i = std::max(e, name_end);
    }
    (void)t;
    std::sort(ex.sources.begin(), ex.sources.end(), [](const Source& a, const Source& b) { return a.span.start < b.span.start; });
  }

  Lexicon lex_;
  std::unique_ptr<embed::Encoder> encoder_;
  std::vector<float> protos_;
  float threshold_;
  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::optional<std::pair<ResourceClass, float>>> cache_;
};

}  // namespace

Result<std::unique_ptr<Extractor>> Extractor::create(const ExtractorOptions& options) {
  Lexicon lex;
  std::string dir = options.data_dir.empty() ? resource_path("data/extract") : options.data_dir;
  if (auto status = detail::load_lexicon(dir, lex); !status) return tl::unexpected(status.error());
  std::unique_ptr<embed::Encoder> encoder;
  std::vector<float> protos;
  if (!options.encoder.empty()) {
    embed::EncoderOptions eopts;
    eopts.models_dir = options.models_dir;
    auto made = embed::make_encoder(options.encoder, eopts);
    if (!made) return tl::unexpected(made.error());
    encoder = std::move(*made);
    std::vector<std::string_view> phrases;
    for (const auto& p : kPrototypes) phrases.push_back(p.phrase);
    protos.resize(phrases.size() * encoder->dim());
    if (auto status = encoder->encode(phrases, protos, 1); !status) return tl::unexpected(status.error());
  }
  return std::unique_ptr<Extractor>(
      new LexiconExtractor(std::move(lex), std::move(encoder), std::move(protos), options.similarity_threshold));
}

}  // namespace crema::extract
