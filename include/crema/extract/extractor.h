// crema/extract/extractor.h: what a post asks for or offers, how much, who, and how to reach
// them (Dutt et al. §5.1, §5.3): resources with their class and quantity, quantities (counts
// and money), sources (organisations, persons, @mentions) and contacts (phones, e-mails,
// URLs). Locations and geo-resolution live in crema/geo/.
//
// Every span is a pair of byte offsets [start, end) into the RAW post text (mapped back
// through the offset map of crema/text/normalize.h), so callers can highlight or mask the
// original bytes.
//
// Resources are matched on word stems against a multilingual lexicon (data/extract/
// resources.tsv: en es fr pt it ht tl id hi/ur-romanised + Devanagari), with an optional
// semantic fallback for words outside the lexicon: a candidate word that is counted by a
// quantity or follows a need/offer cue is compared with per-class prototype phrases through
// a crema::embed::Encoder, and assigned the best class when the cosine reaches
// ExtractorOptions::similarity_threshold.
//
// Contacts are personal data: the library returns them unmasked; mask_contact() gives the
// form every CLI prints unless --unmask-pii.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crema/common/result.h"

namespace crema::extract {

// UN-OCHA resource classes (Dutt §5.1 after Purohit et al.), the sub-classes matching
// needs: water, blood, power, volunteers, clothing, and kOther for goods named generically
// ("relief supplies", "relief goods": the annotation guide's class `other`).
enum class ResourceClass : uint8_t {
  kFood = 0, kHealth, kShelter, kLogistics, kCash,
  kWater, kBlood, kPower, kVolunteers, kClothing, kOther,
};
inline constexpr int kNumResourceClasses = 11;

// "food", "health", "shelter", "logistics", "cash", "water", "blood", "power",
// "volunteers", "clothing", "other".
std::string_view class_name(ResourceClass cls);
std::optional<ResourceClass> parse_class(std::string_view name);
// The OCHA class a sub-class belongs to (water->food, blood->health, power->logistics,
// volunteers->logistics, clothing->shelter); a main class maps to itself.
ResourceClass ocha_class(ResourceClass cls);
// The matching crema resource name of crema/common/post.h kResourceNames
// (cash->"money", health->"medical", logistics->"transport", others the same name, so
// kOther is "other").
std::string_view crema_resource_name(ResourceClass cls);

// [start, end) byte offsets into the raw text.
struct Span {
  uint32_t start = 0;
  uint32_t end = 0;
};

struct Quantity {
  std::string text;     // the raw text of the amount, e.g. "two hundred", "50-100", "Rs 10 lakh"
  std::string amount;   // normalised: "200", "50-100", "1000000"; "~10" for vague ("dozens")
  double low = 0.0;     // numeric value (low end of a range)
  double high = 0.0;    // high end of a range; == low otherwise
  std::string unit;     // "kg", "litres", "units", "trucks", … ; empty if none
  std::string currency; // ISO 4217-ish ("USD", "INR", "EUR", …) when this is money
  bool money = false;   // a money amount: counts cash, never goods
  bool vague = false;   // "dozens", "a few hundred", "hundreds"
  Span span;
  int resource = -1;    // index into Extraction::resources of what it counts, -1 if none
};

struct Resource {
  std::string text;      // raw text of the resource word(s), e.g. "tents", "units of blood"
  std::string lemma;     // the lexicon entry (or candidate stem) that matched
  ResourceClass cls = ResourceClass::kFood;
  Span span;
  int quantity = -1;     // index into Extraction::quantities, -1 if none
  bool semantic = false; // found by encoder similarity, not the lexicon
  float score = 1.0f;    // 1 for lexicon hits, the cosine for semantic ones
};

struct Source {
  std::string text;    // "Nepal Red Cross", "@RedCrossNepal"
  Span span;
  bool mention = false;  // an @mention
};

enum class ContactKind : uint8_t { kPhone = 0, kEmail, kUrl };
std::string_view contact_kind_name(ContactKind kind);  // "phone", "email", "url"

struct Contact {
  ContactKind kind = ContactKind::kPhone;
  std::string text;   // raw text
  std::string value;  // phones: E.164 ("+9779841567230"); e-mails lower-cased; URLs as written
  Span span;
};

struct Extraction {
  std::vector<Resource> resources;    // in text order, one per mention
  std::vector<Quantity> quantities;   // in text order
  std::vector<Source> sources;        // in text order, de-duplicated by text
  std::vector<Contact> contacts;      // in text order, de-duplicated by value
};

struct ExtractorOptions {
  std::string data_dir;       // holds resources.tsv, numbers.tsv, org_cues.tsv; empty = resource_path("data/extract")
  // Encoder for the semantic fallback ("glove-sif", "tfidf", …); empty = no fallback.
  std::string encoder = "glove-sif";
  std::string models_dir;     // empty = resource_path("models")
  float similarity_threshold = 0.6f;  // cosine to a class prototype; chosen on the gold dev split (docs/extraction.md)
};

// Per-call context.
struct ExtractContext {
  // ISO 3166-1 alpha-2 region used to read national phone numbers ("NP", "IN"); empty =
  // only numbers written in international form (+CC…) are accepted.
  std::string region;
};

// The extractor. Immutable after create(); extract() is thread-safe and never throws.
class Extractor {
 public:
  virtual ~Extractor() = default;

  // Loads the lexicons from options.data_dir (kNotFound if a file is missing, kCorrupt with
  // file:line for a malformed row) and, if options.encoder is set, the encoder and the class
  // prototypes (encoder errors are passed through).
  static Result<std::unique_ptr<Extractor>> create(const ExtractorOptions& options = {});

  // Extracts from one raw post text (any bytes: invalid UTF-8 is tolerated). Linear in the
  // text length; posts longer than 64 KiB are cut at 64 KiB.
  virtual Extraction extract(std::string_view raw_text, const ExtractContext& context = {}) const = 0;

  // Number of lexicon entries, for logs.
  virtual size_t lexicon_size() const = 0;
};

// The masked form of a contact for display: phones keep the country code, the first two
// and last three digits ("+977-98•••••230"); e-mails keep the first letter and the domain
// ("r•••@example.org"); URLs keep the host ("https://example.org/•••").
std::string mask_contact(const Contact& contact);

}  // namespace crema::extract
