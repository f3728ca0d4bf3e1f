// The streaming post pass behind every posts/requests/offers/extractions export: read a
// chunk of rows from one SELECT, mask the chunk in parallel, hand each row to every
// output's sink. Memory: one chunk of rows plus each output's 1 MiB write buffer.
#include <simdjson.h>

#include <algorithm>
#include <memory>

#include "crema/common/json_writer.h"
#include "crema/common/parallel.h"
#include "crema/common/time.h"
#include "export_internal.h"

namespace crema::store::detail {
namespace {

constexpr size_t kChunkRows = 1024;
constexpr std::string_view kMaskedMention = "@\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2";  // "@•••"

struct ExtractedResource {
  std::string text, cls, quantity, unit;
};
struct ExtractedQuantity {
  std::string amount, resource, unit, currency;
};

struct PostRow {
  std::string id;
  int64_t created_at_ms = 0;
  std::string lang, label;
  double probs[kNumLabels] = {};
  std::string resources_json, resources_joined;
  std::optional<std::string> duplicate_of, place, user, status;
  bool located = false;  // the post's own coordinates
  double lat = 0, lon = 0;
  std::string text, normalized;
  std::string geo_source;  // "none" when not placed
  bool placed = false;     // a resolved point
  double geo_lat = 0, geo_lon = 0, geo_confidence = 0, geo_radius_km = 0;
  std::string country, admin1, city;
  int64_t geonameid = 0;
  bool has_extraction = false;
  std::string extraction_json;  // masked unless unmask_pii

  // Filled by prepare().
  std::vector<std::string> contacts;             // the masker's contacts, display form
  std::vector<ExtractedResource> resources;      // from extraction_json
  std::vector<ExtractedQuantity> quantities;
  std::vector<std::string> locations, sources, extraction_contacts;
  uint64_t masked_spans = 0;
  std::optional<Error> error;
};

// Columns 0-27 of the post pass; the order read_row() relies on.
constexpr const char* kPostColumns = R"sql(
SELECT id, created_at_ms, lang, label, p_request, p_offer, p_request_and_offer, p_irrelevant,
       json(resources), (SELECT group_concat(value, ';') FROM json_each(posts.resources)),
       duplicate_of, lat, lon, place, user, text, normalized,
       status, geo_source, geo_lat, geo_lon, geo_confidence, geo_radius_km, country, admin1, city, geonameid,
       extraction_json
FROM posts)sql";

std::optional<std::string> optional_text(const sqlite::Statement& s, int col) {
  if (s.column_is_null(col)) return std::nullopt;
  return std::string(s.column_text(col));
}

void read_row(const sqlite::Statement& s, PostRow& r) {
  r = PostRow{};
  r.id = s.column_text(0);
  r.created_at_ms = s.column_int64(1);
  r.lang = s.column_text(2);
  r.label = s.column_text(3);
  for (int k = 0; k < kNumLabels; ++k) r.probs[k] = s.column_double(4 + k);
  r.resources_json = s.column_is_null(8) ? std::string("[]") : std::string(s.column_text(8));
  r.resources_joined = s.column_text(9);
  r.duplicate_of = optional_text(s, 10);
  r.located = !s.column_is_null(11) && !s.column_is_null(12);
  r.lat = s.column_double(11);
  r.lon = s.column_double(12);
  r.place = optional_text(s, 13);
  r.user = optional_text(s, 14);
  r.text = s.column_text(15);
  r.normalized = s.column_text(16);
  r.status = optional_text(s, 17);
  r.geo_source = s.column_is_null(18) ? std::string("none") : std::string(s.column_text(18));
  r.placed = r.geo_source != "none" && !s.column_is_null(19) && !s.column_is_null(20);
  r.geo_lat = s.column_double(19);
  r.geo_lon = s.column_double(20);
  r.geo_confidence = s.column_double(21);
  r.geo_radius_km = s.column_double(22);
  r.country = s.column_text(23);
  r.admin1 = s.column_text(24);
  r.city = s.column_text(25);
  r.geonameid = s.column_int64(26);
  r.has_extraction = !s.column_is_null(27);
  r.extraction_json = s.column_text(27);
}

std::string_view string_or_empty(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get(v) != simdjson::SUCCESS) return {};
  return v;
}

std::string mask_source(std::string_view s, bool mask) {
  if (mask && s.starts_with('@')) return std::string(kMaskedMention);
  return std::string(s);
}

// The stored record re-serialised with contacts and @mention sources masked. Doubles are
// written in shortest round-trip form so coordinates keep their precision.
void write_masked(JsonWriter& w, simdjson::dom::element v) {
  switch (v.type()) {
    case simdjson::dom::element_type::OBJECT:
      w.begin_object();
      for (auto [key, child] : simdjson::dom::object(v)) {
        w.key(key);
        if ((key == "contacts" || key == "sources") && child.is_array()) {
          w.begin_array();
          for (auto item : simdjson::dom::array(child)) {
            std::string_view s;
            if (item.get(s) != simdjson::SUCCESS) {
              write_masked(w, item);
            } else {
              w.value(key == "contacts" ? mask_contact_value(s) : mask_source(s, true));
            }
          }
          w.end_array();
        } else {
          write_masked(w, child);
        }
      }
      w.end_object();
      break;
    case simdjson::dom::element_type::ARRAY:
      w.begin_array();
      for (auto child : simdjson::dom::array(v)) write_masked(w, child);
      w.end_array();
      break;
    case simdjson::dom::element_type::STRING:
      w.value(std::string_view(v));
      break;
    case simdjson::dom::element_type::INT64:
      w.value(int64_t(v));
      break;
    case simdjson::dom::element_type::UINT64:
      w.value(uint64_t(v));
      break;
    case simdjson::dom::element_type::DOUBLE:
      w.raw(coordinate_text(double(v)));
      break;
    case simdjson::dom::element_type::BOOL:
      w.value(bool(v));
      break;
    case simdjson::dom::element_type::NULL_VALUE:
      w.null();
      break;
  }
}

void read_extraction(simdjson::dom::parser& parser, PostRow& r, bool mask) {
  simdjson::dom::element doc;
  if (parser.parse(r.extraction_json).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    r.error = Error{ErrorCode::kCorrupt, "post " + r.id + ": its stored extraction record is not a JSON object"};
    return;
  }
  simdjson::dom::array items;
  if (doc["quantities"].get(items) == simdjson::SUCCESS) {
    for (auto q : items) {
      r.quantities.push_back({std::string(string_or_empty(q, "amount")), std::string(string_or_empty(q, "resource")),
                              std::string(string_or_empty(q, "unit")), std::string(string_or_empty(q, "currency"))});
    }
  }
  if (doc["resources"].get(items) == simdjson::SUCCESS) {
    for (auto e : items) {
      ExtractedResource res{std::string(string_or_empty(e, "text")), std::string(string_or_empty(e, "class")),
                            std::string(string_or_empty(e, "quantity")), {}};
      for (const auto& q : r.quantities) {
        if (!res.quantity.empty() && q.resource == res.text && q.amount == res.quantity) res.unit = q.unit;
      }
      r.resources.push_back(std::move(res));
    }
  }
  if (doc["locations"].get(items) == simdjson::SUCCESS) {
    for (auto e : items) {
      std::string_view name = string_or_empty(e, "name");
      r.locations.emplace_back(name.empty() ? string_or_empty(e, "text") : name);
    }
  }
  if (doc["sources"].get(items) == simdjson::SUCCESS) {
    for (auto e : items) {
      std::string_view s;
      if (e.get(s) == simdjson::SUCCESS) r.sources.push_back(mask_source(s, mask));
    }
  }
  if (doc["contacts"].get(items) == simdjson::SUCCESS) {
    for (auto e : items) {
      std::string_view s;
      if (e.get(s) == simdjson::SUCCESS) r.extraction_contacts.push_back(mask ? mask_contact_value(s) : std::string(s));
    }
  }
  if (mask) {
    JsonWriter w;
    write_masked(w, doc);
    r.extraction_json = w.take();
  }
}

// --- sinks: one per output file ---

class Sink {
 public:
  virtual ~Sink() = default;
  virtual std::string header() const { return {}; }
  // Appends the row's records to out; returns how many.
  virtual uint64_t row(const PostRow& r, std::string& out) = 0;
  virtual std::string footer() const { return {}; }
};

void geo_object(JsonWriter& w, const PostRow& r) {
  if (!r.placed) {
    w.null();
    return;
  }
  w.begin_object().key("source").value(r.geo_source);
  w.key("lat").raw(coordinate_text(r.geo_lat)).key("lon").raw(coordinate_text(r.geo_lon));
  w.key("confidence").value(r.geo_confidence).key("radius_km").value(r.geo_radius_km);
  for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"country", &r.country},
                                   {"admin1", &r.admin1},
                                   {"city", &r.city}}) {
    w.key(key);
    if (value->empty()) {
      w.null();
    } else {
      w.value(*value);
    }
  }
  w.key("geonameid");
  if (r.geonameid == 0) {
    w.null();
  } else {
    w.value(r.geonameid);
  }
  w.end_object();
}

void optional_value(JsonWriter& w, const std::optional<std::string>& v) {
  if (v) {
    w.value(*v);
  } else {
    w.null();
  }
}

std::string joined(const std::vector<std::string>& items, std::string_view sep = ";") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.append(sep);
    out.append(item);
  }
  return out;
}

class PostJsonlSink final : public Sink {
 public:
  explicit PostJsonlSink(PostLayout layout) : layout_(layout) {}
  uint64_t row(const PostRow& r, std::string& out) override {
    JsonWriter w;
    w.begin_object();
    w.key("id").value(r.id);
    w.key("created_at").value(format_timestamp(r.created_at_ms));
    w.key("lang").value(r.lang);
    w.key("label").value(r.label);
    w.key("probs").begin_object();
    for (int k = 0; k < kNumLabels; ++k) w.key(label_name(static_cast<Label>(k))).value(r.probs[k]);
    w.end_object();
    w.key("resources").raw(r.resources_json);
    w.key("duplicate_of");
    optional_value(w, r.duplicate_of);
    w.key("lat");
    r.located ? w.raw(coordinate_text(r.lat)) : w.null();
    w.key("lon");
    r.located ? w.raw(coordinate_text(r.lon)) : w.null();
    w.key("place");
    optional_value(w, r.place);
    w.key("user");
    optional_value(w, r.user);
    w.key("text").value(r.text);
    w.key("normalized").value(r.normalized);
    if (layout_ == PostLayout::kFull) {
      w.key("status");
      optional_value(w, r.status);
      w.key("geo");
      geo_object(w, r);
      w.key("contacts").begin_array();
      for (const auto& c : r.contacts) w.value(c);
      w.end_array();
    }
    w.end_object();
    out.append(w.str());
    out.push_back('\n');
    return 1;
  }

 private:
  PostLayout layout_;
};

class PostCsvSink final : public Sink {
 public:
  explicit PostCsvSink(PostLayout layout) : layout_(layout) {}
  std::string header() const override {
    std::vector<std::string> names = {"id",         "created_at",   "lang", "label",  "p_request",
                                      "p_offer",    "p_request_and_offer",  "p_irrelevant",
                                      "resources",  "duplicate_of", "lat",  "lon",    "place",
                                      "user",       "text",         "normalized"};
    if (layout_ == PostLayout::kFull) {
      for (const char* n : {"status", "geo_source", "geo_lat", "geo_lon", "geo_confidence", "geo_radius_km",
                            "country", "admin1", "city", "geonameid", "contacts"})
        names.emplace_back(n);
    }
    std::string out;
    append_csv_row(out, names);
    return out;
  }
  uint64_t row(const PostRow& r, std::string& out) override {
    std::vector<std::string> f = {r.id,
                                  format_timestamp(r.created_at_ms),
                                  r.lang,
                                  r.label,
                                  score_text(r.probs[0]),
                                  score_text(r.probs[1]),
                                  score_text(r.probs[2]),
                                  score_text(r.probs[3]),
                                  r.resources_joined,
                                  r.duplicate_of.value_or(""),
                                  r.located ? coordinate_text(r.lat) : std::string(),
                                  r.located ? coordinate_text(r.lon) : std::string(),
                                  r.place.value_or(""),
                                  r.user.value_or(""),
                                  r.text,
                                  r.normalized};
    if (layout_ == PostLayout::kFull) {
      f.push_back(r.status.value_or(""));
      f.push_back(r.geo_source);
      f.push_back(r.placed ? coordinate_text(r.geo_lat) : std::string());
      f.push_back(r.placed ? coordinate_text(r.geo_lon) : std::string());
      f.push_back(r.placed ? score_text(r.geo_confidence) : std::string());
      f.push_back(r.placed ? score_text(r.geo_radius_km) : std::string());
      f.push_back(r.country);
      f.push_back(r.admin1);
      f.push_back(r.city);
      f.push_back(r.geonameid == 0 ? std::string() : std::to_string(r.geonameid));
      f.push_back(joined(r.contacts));
    }
    append_csv_row(out, f);
    return 1;
  }

 private:
  PostLayout layout_;
};

// A FeatureCollection of the placed posts, one feature per line.
class GeoJsonSink final : public Sink {
 public:
  std::string header() const override { return "{\"type\":\"FeatureCollection\",\"features\":[\n"; }
  uint64_t row(const PostRow& r, std::string& out) override {
    if (!r.placed) return 0;
    JsonWriter w;
    w.begin_object().key("type").value("Feature").key("id").value(r.id);
    w.key("geometry").begin_object().key("type").value("Point").key("coordinates").begin_array();
    w.raw(coordinate_text(r.geo_lon)).raw(coordinate_text(r.geo_lat)).end_array().end_object();
    w.key("properties").begin_object();
    w.key("id").value(r.id).key("created_at").value(format_timestamp(r.created_at_ms));
    w.key("label").value(r.label).key("lang").value(r.lang);
    w.key("status");
    optional_value(w, r.status);
    w.key("resources").raw(r.resources_json);
    w.key("quantities").begin_array();
    for (const auto& q : r.quantities) {
      w.begin_object().key("amount").value(q.amount).key("resource");
      q.resource.empty() ? w.null() : w.value(q.resource);
      if (!q.unit.empty()) w.key("unit").value(q.unit);
      if (!q.currency.empty()) w.key("currency").value(q.currency);
      w.end_object();
    }
    w.end_array();
    w.key("geo_source").value(r.geo_source).key("confidence").value(r.geo_confidence);
    w.key("radius_km").value(r.geo_radius_km);
    for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"country", &r.country},
                                     {"admin1", &r.admin1},
                                     {"city", &r.city}}) {
      w.key(key);
      value->empty() ? w.null() : w.value(*value);
    }
    w.key("geonameid");
    r.geonameid == 0 ? w.null() : w.value(r.geonameid);
    w.key("place");
    optional_value(w, r.place);
    w.key("user");
    optional_value(w, r.user);
    w.key("contacts").begin_array();
    for (const auto& c : r.contacts) w.value(c);
    w.end_array();
    w.key("text").value(r.text);
    w.end_object().end_object();
    if (!first_) out.append(",\n");
    first_ = false;
    out.append(w.str());
    return 1;
  }
  std::string footer() const override { return "\n]}\n"; }

 private:
  bool first_ = true;
};

// The OCHA sector of a crema resource name ("medical" -> "health"); "" when none.
std::string sector_of_crema_resource(std::string_view name) {
  for (int k = 0; k < extract::kNumResourceClasses; ++k) {
    const auto cls = static_cast<extract::ResourceClass>(k);
    if (extract::crema_resource_name(cls) == name) return std::string(extract::class_name(extract::ocha_class(cls)));
  }
  return {};
}

std::string sector_of_class(std::string_view name) {
  const auto cls = extract::parse_class(name);
  return cls ? std::string(extract::class_name(extract::ocha_class(*cls))) : std::string();
}

// HXL CSV: a header row, a hashtag row, then one row per resource of a post (a post
// without resources has one row).
class HxlSink final : public Sink {
 public:
  std::string header() const override {
    std::string out;
    append_csv_row(out, {"post_id", "date", "label", "status", "location", "admin1", "country", "lat", "lon",
                         "geo_source", "radius_km", "sector", "item_type", "item", "quantity", "unit", "contact",
                         "text"});
    append_csv_row(out, {"#meta+id", "#date+reported", "#meta+label", "#status", "#loc+name", "#adm1+name",
                         "#country+code", "#geo+lat", "#geo+lon", "#meta+geo_source", "#geo+radius_km", "#sector",
                         "#item+type", "#item+name", "#value", "#item+unit", "#contact", "#description"});
    return out;
  }
  uint64_t row(const PostRow& r, std::string& out) override {
    const std::string location = !r.city.empty() ? r.city : !r.admin1.empty() ? r.admin1 : r.place.value_or("");
    const std::string contact = joined(r.contacts, "; ");
    auto write = [&](const std::string& sector, const std::string& item_type, const std::string& item,
                     const std::string& quantity, const std::string& unit) {
      append_csv_row(out, {r.id, format_timestamp(r.created_at_ms), r.label, r.status.value_or(""), location,
                           r.admin1, r.country, r.placed ? coordinate_text(r.geo_lat) : std::string(),
                           r.placed ? coordinate_text(r.geo_lon) : std::string(), r.geo_source,
                           r.placed ? score_text(r.geo_radius_km) : std::string(), sector, item_type, item, quantity,
                           unit, contact, r.text});
    };
    if (!r.resources.empty()) {
      for (const auto& res : r.resources) write(sector_of_class(res.cls), res.cls, res.text, res.quantity, res.unit);
      return r.resources.size();
    }
    std::vector<std::string> types;
    for (size_t start = 0; start < r.resources_joined.size();) {
      size_t end = r.resources_joined.find(';', start);
      if (end == std::string::npos) end = r.resources_joined.size();
      if (end > start) types.push_back(r.resources_joined.substr(start, end - start));
      start = end + 1;
    }
    if (types.empty()) {
      write({}, {}, {}, {}, {});
      return 1;
    }
    for (const auto& t : types) write(sector_of_crema_resource(t), t, {}, {}, {});
    return types.size();
  }
};

class ExtractionJsonlSink final : public Sink {
 public:
  uint64_t row(const PostRow& r, std::string& out) override {
    out.append(r.extraction_json);
    out.push_back('\n');
    return 1;
  }
};

class ExtractionCsvSink final : public Sink {
 public:
  std::string header() const override {
    std::string out;
    append_csv_row(out, {"id", "created_at", "label", "resources", "classes", "quantities", "locations", "sources",
                         "contacts", "geo_source", "geo_lat", "geo_lon", "geo_confidence", "geo_radius_km", "country",
                         "admin1", "city", "geonameid"});
    return out;
  }
  uint64_t row(const PostRow& r, std::string& out) override {
    std::vector<std::string> texts, classes, quantities;
    for (const auto& res : r.resources) {
      texts.push_back(res.text);
      if (std::find(classes.begin(), classes.end(), res.cls) == classes.end()) classes.push_back(res.cls);
    }
    for (const auto& q : r.quantities) quantities.push_back(q.resource.empty() ? q.amount : q.amount + " " + q.resource);
    append_csv_row(out, {r.id, format_timestamp(r.created_at_ms), r.label, joined(texts), joined(classes),
                         joined(quantities), joined(r.locations), joined(r.sources), joined(r.extraction_contacts),
                         r.geo_source, r.placed ? coordinate_text(r.geo_lat) : std::string(),
                         r.placed ? coordinate_text(r.geo_lon) : std::string(),
                         r.placed ? score_text(r.geo_confidence) : std::string(),
                         r.placed ? score_text(r.geo_radius_km) : std::string(), r.country, r.admin1, r.city,
                         r.geonameid == 0 ? std::string() : std::to_string(r.geonameid)});
    return 1;
  }
};

std::unique_ptr<Sink> make_sink(ExportKind kind, ExportFormat format, PostLayout layout) {
  if (kind == ExportKind::kExtractions) {
    if (format == ExportFormat::kJsonl) return std::make_unique<ExtractionJsonlSink>();
    return std::make_unique<ExtractionCsvSink>();
  }
  switch (format) {
    case ExportFormat::kJsonl: return std::make_unique<PostJsonlSink>(layout);
    case ExportFormat::kCsv: return std::make_unique<PostCsvSink>(layout);
    case ExportFormat::kGeoJson: return std::make_unique<GeoJsonSink>();
    case ExportFormat::kHxl: return std::make_unique<HxlSink>();
  }
  return std::make_unique<PostJsonlSink>(layout);
}

std::string where_clause(const PostQuery& q) {
  std::string where = " WHERE 1";
  switch (q.kind) {
    case ExportKind::kRequests:
      where += " AND label IN ('request', 'request_and_offer') AND duplicate_of IS NULL";
      break;
    case ExportKind::kOffers:
      where += " AND label IN ('offer', 'request_and_offer') AND duplicate_of IS NULL";
      break;
    case ExportKind::kExtractions:
      where += " AND extraction_json IS NOT NULL";
      break;
    default:
      break;
  }
  if (q.label) where += " AND label = ?1";
  if (q.since_ms) where += " AND created_at_ms >= ?2";
  if (q.until_ms) where += " AND created_at_ms < ?3";
  return where;
}

void bind_query(sqlite::Statement& s, const PostQuery& q) {
  if (q.label) s.bind(1, label_name(*q.label));
  if (q.since_ms) s.bind(2, *q.since_ms);
  if (q.until_ms) s.bind(3, *q.until_ms);
}

}  // namespace

Result<PostPassResult> export_posts(sqlite::Database& db, const PostQuery& query,
                                    std::span<const std::pair<ExportFormat, std::string>> outputs,
                                    const PostPassSettings& settings) {
  const bool text_kind = query.kind != ExportKind::kExtractions;
  bool need_extraction = query.kind == ExportKind::kExtractions;
  // The contacts column (full layout, GeoJSON, HXL) needs the extractor even when unmasked.
  bool need_contacts = settings.layout == PostLayout::kFull;
  for (const auto& output : outputs) {
    if (output.first == ExportFormat::kGeoJson || output.first == ExportFormat::kHxl) need_extraction = need_contacts = true;
  }
  need_contacts = need_contacts && text_kind;
  const bool mask = !settings.unmask_pii;
  const bool run_masker = text_kind && (mask || need_contacts);
  if (run_masker && settings.masker == nullptr) {
    return make_error(ErrorCode::kInvalidArgument, "export: masking posts needs a PiiMasker");
  }

  const std::string where = where_clause(query);
  uint64_t total = 0;
  if (settings.progress) {
    auto count = db.prepare("SELECT count(*) FROM posts" + where, "counting posts to export");
    if (!count) return tl::unexpected(count.error());
    bind_query(*count, query);
    auto row = count->step();
    if (!row) return tl::unexpected(row.error());
    total = *row ? static_cast<uint64_t>(count->column_int64(0)) : 0;
  }
  auto stmt = db.prepare(std::string(kPostColumns) + where + " ORDER BY seq", "preparing the posts export");
  if (!stmt) return tl::unexpected(stmt.error());
  sqlite::Statement& s = *stmt;
  bind_query(s, query);

  std::vector<AtomicOutput> files;
  std::vector<std::unique_ptr<Sink>> sinks;
  PostPassResult result;
  for (const auto& [format, path] : outputs) {
    auto out = AtomicOutput::create(path);
    if (!out) return tl::unexpected(out.error());
    sinks.push_back(make_sink(query.kind, format, settings.layout));
    if (auto status = out->write(sinks.back()->header()); !status) return tl::unexpected(status.error());
    files.push_back(std::move(*out));
    result.rows.push_back(0);
  }

  const std::string stage = "export " + std::string(export_kind_name(query.kind));
  std::vector<PostRow> chunk(kChunkRows);
  std::string buffer;
  uint64_t done = 0;
  for (bool more = true; more;) {
    size_t n = 0;
    while (n < kChunkRows) {
      auto row = s.step();
      if (!row) return tl::unexpected(exporting(row.error(), files.empty() ? db.path() : files.front().path()));
      if (!*row) {
        more = false;
        break;
      }
      read_row(s, chunk[n++]);
    }
    parallel_for(n, settings.threads, [&](size_t begin, size_t end) {
      simdjson::dom::parser parser;
      for (size_t i = begin; i < end; ++i) {
        PostRow& r = chunk[i];
        if (run_masker) {
          MaskedText m = settings.masker->mask(r.text, r.country);
          for (const auto& c : m.contacts) r.contacts.push_back(mask ? extract::mask_contact(c) : c.value);
          if (mask) {
            r.normalized = settings.masker->mask_derived(r.normalized, m, r.text);
            r.text = std::move(m.text);
            if (r.user) r.user = mask_handle(*r.user);
            r.masked_spans = m.spans.size();
          }
        }
        if (r.has_extraction && need_extraction) read_extraction(parser, r, mask);
      }
    });
    for (size_t i = 0; i < n; ++i) {
      const PostRow& r = chunk[i];
      if (r.error) return tl::unexpected(*r.error);
      result.masked_spans += r.masked_spans;
      for (size_t k = 0; k < sinks.size(); ++k) {
        buffer.clear();
        result.rows[k] += sinks[k]->row(r, buffer);
        if (auto status = files[k].write(buffer); !status) return tl::unexpected(status.error());
      }
    }
    done += n;
    if (settings.progress) settings.progress(stage, done, total);
  }
  for (size_t k = 0; k < sinks.size(); ++k) {
    if (auto status = files[k].write(sinks[k]->footer()); !status) return tl::unexpected(status.error());
  }
  for (auto& f : files) {
    if (auto status = f.commit(); !status) return tl::unexpected(status.error());
  }
  return result;
}

}  // namespace crema::store::detail
