// crema/store/export.h: `crema export` — the store written out as files for people and
// other tools (JSONL, CSV, GeoJSON, HXL CSV; docs/export.md), with personal data masked.
//
// PII: contacts (phones, e-mails, URLs), user handles, @mentions, and the contacts and
// @mentions inside the free text are personal data. Every export masks them unless
// ExportOptions::unmask_pii: contacts take extract::mask_contact()'s form ("+97•••••••230",
// "r•••@example.org", "https://example.org/•••"), handles become "•••", @mentions "@•••".
// Text is masked span by span (PiiMasker), so a CSV of texts does not leak what the
// contacts column hides. The store itself keeps everything unmasked: it is the data.
//
// Threads: export_store() and PiiMasker::mask() may be called from any thread; a PiiMasker
// is immutable after create() and safe to share.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crema/common/post.h"
#include "crema/common/progress.h"
#include "crema/common/result.h"
#include "crema/extract/extractor.h"

namespace crema::store {

// --- masking ---

// One byte range of a text and what it becomes.
struct PiiSpan {
  uint32_t start = 0;  // [start, end) byte offsets into the text
  uint32_t end = 0;
  std::string replacement;
};

// text with every span replaced. Spans may come in any order. Overlapping or nested spans
// are merged into one covering all of them, replaced by the replacement of the span that
// starts first (the longest of those on a tie). Spans are clipped to the text and widened
// to whole UTF-8 characters, so a replacement never splits a multi-byte character; empty
// spans are ignored. Bytes outside the spans are copied unchanged.
std::string replace_spans(std::string_view text, std::vector<PiiSpan> spans);

// A masked user handle or author name: "" stays "", anything else becomes "•••".
std::string mask_handle(std::string_view handle);

// The form an extraction record's contact value takes when masked: the kind is read from
// the value (an "@" → e-mail, "+" or digits → phone, else URL), then extract::mask_contact.
std::string mask_contact_value(std::string_view value);

// What PiiMasker found in one text.
struct MaskedText {
  std::string text;                          // the text with the spans replaced
  std::vector<PiiSpan> spans;                // what was replaced, in text order, not merged
  std::vector<extract::Contact> contacts;    // the extractor's contacts in text order (unmasked, raw spans)
};

struct PiiMaskerOptions {
  std::string data_dir;  // the extractor's lexicons; empty = resource_path("data/extract")
};

// Finds the personal data in a post's text:
//   * contacts found by crema::extract (phones read with the post's region, e-mails, URLs),
//     replaced by mask_contact();
//   * @mentions ("@" after a non-word character, then [A-Za-z0-9_]+), replaced by "@•••";
//     the normaliser's placeholder "@USER" is left alone;
//   * as a backstop, phone-like digit runs the extractor did not accept (9–15 digits, or
//     7–15 after a "+", in groups joined by at most two of " -.()/"; dates and hours are
//     not part of a run), replaced in mask_contact()'s phone form, so a national number
//     in a post without a known country, or glued to a word, is masked too.
class PiiMasker {
 public:
  // Errors: those of extract::Extractor::create (a missing or malformed lexicon).
  static Result<PiiMasker> create(const PiiMaskerOptions& options = {});

  // Masks one raw text. region: ISO 3166-1 alpha-2 used to read national phone numbers
  // ("" = international numbers only). Never throws; any bytes are accepted.
  MaskedText mask(std::string_view text, std::string_view region) const;

  // Masks a text derived from the one `masked` came from (the normalised text): every
  // replaced substring of the original (with whitespace runs read as one space) is
  // replaced wherever it occurs, then @mentions and the digit backstop are applied.
  std::string mask_derived(std::string_view derived, const MaskedText& masked, std::string_view original) const;

 private:
  explicit PiiMasker(std::shared_ptr<const extract::Extractor> extractor) : extractor_(std::move(extractor)) {}
  std::shared_ptr<const extract::Extractor> extractor_;
};

// --- exports ---

// What to export. posts: every post; requests / offers: original (not near-duplicate)
// posts labelled request / offer or request_and_offer, with their lifecycle status;
// matches: the match table; extractions: the stored extraction records.
enum class ExportKind : uint8_t { kPosts, kRequests, kOffers, kMatches, kExtractions };
enum class ExportFormat : uint8_t { kJsonl, kCsv, kGeoJson, kHxl };

// "posts", "requests", "offers", "matches", "extractions".
std::string_view export_kind_name(ExportKind kind);
std::optional<ExportKind> parse_export_kind(std::string_view name);
// "jsonl", "csv", "geojson", "hxl".
std::string_view export_format_name(ExportFormat format);
std::optional<ExportFormat> parse_export_format(std::string_view name);
// Which pairs exist: posts/requests/offers in all four formats, matches in jsonl and csv,
// extractions in jsonl and csv.
bool export_supported(ExportKind kind, ExportFormat format);
// "posts.jsonl", "posts.csv", "posts.geojson", "posts.hxl.csv", …
std::string export_file_name(ExportKind kind, ExportFormat format);

// The columns of posts/requests/offers in JSONL and CSV.
enum class PostLayout : uint8_t {
  kFull,  // crema export: kRun's columns, then status, resolved geo and contacts
  kRun,   // exactly the posts.jsonl / posts.csv of `crema run` (docs/store.md)
};

struct ExportOptions {
  std::string db_path;   // an existing crema store (kNotFound when the file is missing)
  std::string out_dir;   // created if missing; files are named by export_file_name()
  std::vector<ExportKind> kinds{ExportKind::kPosts, ExportKind::kMatches};
  std::vector<ExportFormat> formats{ExportFormat::kJsonl, ExportFormat::kCsv};
  // Filters (posts, requests, offers, extractions by the post; matches by the request's
  // time; the label filter does not apply to matches).
  std::optional<Label> label;
  std::optional<int64_t> since_ms;  // created_at_ms >= since_ms
  std::optional<int64_t> until_ms;  // created_at_ms < until_ms
  bool unmask_pii = false;          // write personal data in full
  PostLayout layout = PostLayout::kFull;
  int threads = 0;                  // masking threads; 0 = all cores
  PiiMaskerOptions masker;
  ProgressFn progress;              // ("export <kind>", rows done, rows total)
};

struct ExportedFile {
  ExportKind kind = ExportKind::kPosts;
  ExportFormat format = ExportFormat::kJsonl;
  std::string path;
  uint64_t rows = 0;  // records written (lines, features, CSV rows without the header rows)
};

struct ExportSummary {
  std::string db_path, out_dir;
  std::vector<ExportedFile> files;
  std::vector<std::string> skipped;  // "matches.geojson": requested pairs that do not exist
  bool masked = true;
  uint64_t masked_spans = 0;          // text spans replaced (contacts, mentions, backstop)
  double seconds = 0;

  std::string to_json() const;
  std::string to_table() const;  // one line per file, for people
};

// Writes every supported (kind, format) pair of options.kinds × options.formats from one
// read snapshot of the store. Streams: memory stays bounded by a few thousand rows
// whatever the store's size. Each file appears complete or not at all (temp file, fsync,
// rename). Errors: kNotFound for a missing db; the store's open errors (kCorrupt for a file
// that is not a crema store, kUnsupported for a newer one); kInvalidArgument when no
// requested pair exists or since >= until; kIoError naming the file for write failures.
Result<ExportSummary> export_store(const ExportOptions& options);

}  // namespace crema::store
