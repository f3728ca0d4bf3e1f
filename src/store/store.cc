#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>

#include "crema/common/json_writer.h"
#include "schema.h"
#include "store_impl.h"

namespace crema::store {
namespace {

// Embeddings are stored as little-endian float32; wider than this is not an embedding.
constexpr int64_t kMaxEmbeddingDim = 1 << 16;

constexpr const char* kInsertPost = R"sql(
INSERT INTO posts (id, created_at_ms, text, normalized, lang_given, lang, lat, lon, place, user,
                   kind_given, duplicate_of, prefilter_pass, prefilter_rules, label, p_request,
                   p_offer, p_request_and_offer, p_irrelevant, label_from_input, resources,
                   source_file, source_line, run_id, user_location, geo_lat, geo_lon, geo_source,
                   geo_confidence, geo_radius_km, country, admin1, city, geonameid, extraction_json,
                   status, status_changed_at_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
        ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37)
ON CONFLICT (id) DO NOTHING)sql";

constexpr const char* kInsertEmbedding = "INSERT INTO embeddings (post_seq, dim, vector) VALUES (?1, ?2, ?3)";

constexpr const char* kInsertReject = R"sql(
INSERT INTO rejects (run_id, input, line, post_id, reason, excerpt) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (input, line, reason) DO NOTHING)sql";

constexpr const char* kUpsertCheckpoint = R"sql(
INSERT INTO checkpoints (run_id, input, offset, line) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (run_id, input) DO UPDATE SET offset = excluded.offset, line = excluded.line)sql";

constexpr const char* kRunExists = "SELECT 1 FROM runs WHERE id = ?1";

constexpr const char* kSelectPost = R"sql(
SELECT p.id, p.created_at_ms, p.text, p.normalized, p.lang_given, p.lang, p.lat, p.lon, p.place,
       p.user, p.kind_given, p.duplicate_of, p.prefilter_pass, p.prefilter_rules, p.label,
       p.p_request, p.p_offer, p.p_request_and_offer, p.p_irrelevant, p.label_from_input,
       p.resources, p.source_file, p.source_line, e.dim, e.vector, p.user_location, p.geo_lat,
       p.geo_lon, p.geo_source, p.geo_confidence, p.geo_radius_km, p.country, p.admin1, p.city,
       p.geonameid, p.extraction_json
FROM posts p LEFT JOIN embeddings e ON e.post_seq = p.seq
WHERE p.id = ?1)sql";

constexpr const char* kJsonArrayValues = "SELECT value FROM json_each(?1)";

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Binds s, or NULL when it is empty (the columns where "none" is NULL).
void bind_text_or_null(sqlite::Statement& stmt, int index, std::string_view s) {
  if (s.empty()) {
    stmt.bind_null(index);
  } else {
    stmt.bind(index, s);
  }
}

bool fits_int64(uint64_t v) { return v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()); }

// float32 little-endian bytes of v, into scratch (a no-copy view on little-endian hosts).
std::span<const std::byte> vector_bytes(std::span<const float> v, std::vector<std::byte>& scratch) {
  if constexpr (std::endian::native == std::endian::little) {
    return std::as_bytes(v);
  } else {
    scratch.resize(v.size() * sizeof(float));
    for (size_t i = 0; i < v.size(); ++i) {
      const auto bits = std::bit_cast<uint32_t>(v[i]);
      for (size_t b = 0; b < 4; ++b) scratch[i * 4 + b] = static_cast<std::byte>((bits >> (8 * b)) & 0xffu);
    }
    return scratch;
  }
}

void decode_vector(std::span<const std::byte> bytes, std::vector<float>& out) {
  out.resize(bytes.size() / sizeof(float));
  if constexpr (std::endian::native == std::endian::little) {
    if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  } else {
    for (size_t i = 0; i < out.size(); ++i) {
      uint32_t bits = 0;
      for (size_t b = 0; b < 4; ++b) bits |= static_cast<uint32_t>(bytes[i * 4 + b]) << (8 * b);
      out[i] = std::bit_cast<float>(bits);
    }
  }
}

// Reads an embedding (dim, blob) from columns, checking its shape.
Status read_embedding(const sqlite::Statement& stmt, int dim_col, int blob_col, const std::string& post_id,
                      const std::string& path, std::vector<float>& out) {
  const int64_t dim = stmt.column_int64(dim_col);
  const auto bytes = stmt.column_blob(blob_col);
  if (dim < 1 || dim > kMaxEmbeddingDim || bytes.size() != static_cast<size_t>(dim) * sizeof(float)) {
    return make_error(ErrorCode::kCorrupt, "store " + path + ": embedding of post '" + post_id + "' has dim " +
                                               std::to_string(dim) + " but " + std::to_string(bytes.size()) +
                                               " bytes (want 4 per dimension)");
  }
  decode_vector(bytes, out);
  return {};
}

std::string label_sql_name(Label label) { return std::string(label_name(label)); }

// The location write_batch stores: the given resolution, or the geotag when none is given.
ResolvedLocation stored_location(const ProcessedPost& p) {
  return p.location.source == GeoSource::kNone ? geotag_location(p.post) : p.location;
}

Status check_location(const ProcessedPost& p) {
  const ResolvedLocation& loc = p.location;
  const std::string who = "post '" + p.post.id + "'";
  if (loc.source == GeoSource::kNone) {
    if (loc.point) return make_error(ErrorCode::kInvalidArgument, who + " has a resolved point but geo source none");
    return {};
  }
  if (!loc.point) return make_error(ErrorCode::kInvalidArgument, who + " has a geo source but no resolved point");
  if (!std::isfinite(loc.point->lat) || !std::isfinite(loc.point->lon) || std::fabs(loc.point->lat) > 90 ||
      std::fabs(loc.point->lon) > 180) {
    return make_error(ErrorCode::kInvalidArgument, who + " has a resolved point outside [-90, 90] x [-180, 180]");
  }
  if (!(loc.confidence >= 0 && loc.confidence <= 1)) {
    return make_error(ErrorCode::kInvalidArgument, who + " has a geo confidence outside [0, 1]");
  }
  if (!std::isfinite(loc.radius_km) || loc.radius_km < 0) {
    return make_error(ErrorCode::kInvalidArgument, who + " has a negative or non-finite geo radius");
  }
  return {};
}

Label parse_stored_label(std::string_view name) { return parse_label(name).value_or(Label::kUnknown); }

}  // namespace

bool is_request_post(const ProcessedPost& p) {
  return (p.label == Label::kRequest || p.label == Label::kRequestAndOffer) && !p.duplicate_of;
}

Status read_match_extras(const sqlite::Statement& s, int col, MatchRow& r) {
  r.radius_km = s.column_is_null(col) ? 0.0 : s.column_double(col);
  // resources: a JSON array of strings written by write_batch; parsed by hand to avoid a
  // json_each() round trip per row.
  r.resources.clear();
  const std::string_view json = s.column_text(col + 1);
  for (size_t i = 0; i < json.size(); ++i) {
    if (json[i] != '"') continue;
    const size_t end = json.find('"', i + 1);
    if (end == std::string_view::npos) break;
    r.resources.emplace_back(json.substr(i + 1, end - i - 1));
    i = end;
  }
  r.seq = s.column_int64(col + 2);
  r.label = parse_label(s.column_text(col + 3)).value_or(Label::kUnknown);
  if (!s.column_is_null(col + 4)) r.status = parse_request_status(s.column_text(col + 4));
  return {};
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path) {
  if (path.empty()) return make_error(ErrorCode::kInvalidArgument, "store: no database path given");
  auto db = sqlite::Database::open(path);
  if (!db) return tl::unexpected(db.error());
  // Wait up to 10 s for another process's write to finish instead of failing at once.
  sqlite3_busy_timeout(db->handle(), 10000);
  auto version = prepare_schema(*db);
  if (!version) return tl::unexpected(version.error());
  return std::unique_ptr<Store>(new SqliteStore(std::move(*db), *version));
}

Error SqliteStore::invalid(const std::string& what) const {
  return Error{ErrorCode::kInvalidArgument, "store " + db_.path() + ": " + what};
}

// --- runs ---

Result<int64_t> SqliteStore::begin_run(const RunInfo& info) {
  JsonWriter inputs;
  inputs.begin_array();
  for (const auto& input : info.inputs) inputs.value(input);
  inputs.end_array();
  const std::string config = info.config_json.empty() ? "{}" : info.config_json;
  auto stmt = db_.cached(
      "INSERT INTO runs (started_at_ms, command_line, inputs, config) VALUES (?1, ?2, ?3, ?4)",
      "preparing begin_run");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, now_ms());
  (*stmt)->bind(2, std::string_view(info.command_line));
  (*stmt)->bind(3, std::string_view(inputs.str()));
  (*stmt)->bind(4, std::string_view(config));
  if (auto status = (*stmt)->run(); !status) {
    Error e = status.error();
    e.message += " (recording a run; its config must be valid JSON)";
    return tl::unexpected(e);
  }
  return db_.last_insert_rowid();
}

Status SqliteStore::finish_run(int64_t run_id, const std::string& summary_json) {
  {
    auto stmt = db_.cached("UPDATE runs SET finished_at_ms = ?1, summary = ?2 WHERE id = ?3 AND finished_at_ms IS NULL",
                           "preparing finish_run");
    if (!stmt) return tl::unexpected(stmt.error());
    (*stmt)->bind(1, now_ms());
    if (summary_json.empty()) {
      (*stmt)->bind_null(2);
    } else {
      (*stmt)->bind(2, std::string_view(summary_json));
    }
    (*stmt)->bind(3, run_id);
    if (auto status = (*stmt)->run(); !status) {
      Error e = status.error();
      e.message += " (finishing run " + std::to_string(run_id) + "; its summary must be valid JSON)";
      return tl::unexpected(e);
    }
    if (db_.changes() == 1) return {};
  }
  auto exists = db_.cached(kRunExists, "preparing finish_run");
  if (!exists) return tl::unexpected(exists.error());
  (*exists)->bind(1, run_id);
  auto row = (*exists)->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) {
    return make_error(ErrorCode::kNotFound, "store " + db_.path() + ": no run " + std::to_string(run_id));
  }
  return tl::unexpected(invalid("run " + std::to_string(run_id) + " is already finished"));
}

Result<std::optional<int64_t>> SqliteStore::last_open_run() {
  auto stmt =
      db_.cached("SELECT id FROM runs WHERE finished_at_ms IS NULL ORDER BY id DESC LIMIT 1", "preparing last_open_run");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = (*stmt)->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<int64_t>();
  return std::optional<int64_t>((*stmt)->column_int64(0));
}

Result<std::vector<Checkpoint>> SqliteStore::checkpoints(int64_t run_id) {
  auto stmt = db_.cached("SELECT input, offset, line FROM checkpoints WHERE run_id = ?1 ORDER BY input",
                         "preparing checkpoints");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, run_id);
  std::vector<Checkpoint> out;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    Checkpoint cp;
    cp.input = std::string((*stmt)->column_text(0));
    const int64_t offset = (*stmt)->column_int64(1);
    const int64_t line = (*stmt)->column_int64(2);
    if (offset < 0 || line < 0) {
      return make_error(ErrorCode::kCorrupt,
                        "store " + db_.path() + ": negative checkpoint for run " + std::to_string(run_id) + ", input " +
                            cp.input);
    }
    cp.offset = static_cast<uint64_t>(offset);
    cp.line = static_cast<uint64_t>(line);
    out.push_back(std::move(cp));
  }
  return out;
}

// --- posts ---

Status SqliteStore::validate_batch(std::span<const ProcessedPost> posts, std::span<const Reject> rejects) const {
  for (const ProcessedPost& p : posts) {
    if (p.post.id.empty()) return tl::unexpected(invalid("write_batch: a post has an empty id"));
    for (float prob : p.probs) {
      if (!std::isfinite(prob)) return tl::unexpected(invalid("write_batch: post '" + p.post.id + "' has a non-finite probability"));
    }
    if (p.post.geo && (!std::isfinite(p.post.geo->lat) || !std::isfinite(p.post.geo->lon))) {
      return tl::unexpected(invalid("write_batch: post '" + p.post.id + "' has non-finite coordinates"));
    }
    if (static_cast<int64_t>(p.embedding.size()) > kMaxEmbeddingDim) {
      return tl::unexpected(invalid("write_batch: post '" + p.post.id + "' has a " + std::to_string(p.embedding.size()) +
                                    "-d embedding (at most " + std::to_string(kMaxEmbeddingDim) + ")"));
    }
    for (float x : p.embedding) {
      if (!std::isfinite(x)) return tl::unexpected(invalid("write_batch: post '" + p.post.id + "' has a non-finite embedding value"));
    }
    if (!fits_int64(p.post.source.line)) return tl::unexpected(invalid("write_batch: post '" + p.post.id + "' has an out-of-range line"));
    if (auto status = check_location(p); !status) return tl::unexpected(invalid("write_batch: " + status.error().message));
  }
  for (const Reject& r : rejects) {
    if (!fits_int64(r.line)) return tl::unexpected(invalid("write_batch: reject line out of range in " + r.input));
  }
  return {};
}

Result<BatchCounts> SqliteStore::insert_batch(int64_t run_id, std::span<const ProcessedPost> posts,
                                              std::span<const Reject> rejects, const char* what) {
  {
    auto exists = db_.cached(kRunExists, "preparing write_batch");
    if (!exists) return tl::unexpected(exists.error());
    (*exists)->bind(1, run_id);
    auto row = (*exists)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return tl::unexpected(invalid(std::string(what) + ": no run " + std::to_string(run_id) + " (call begin_run first)"));
  }

  auto insert_post = db_.cached(kInsertPost, "preparing the post insert");
  if (!insert_post) return tl::unexpected(insert_post.error());
  auto insert_embedding = db_.cached(kInsertEmbedding, "preparing the embedding insert");
  if (!insert_embedding) return tl::unexpected(insert_embedding.error());
  sqlite::Statement& ins = **insert_post;
  sqlite::Statement& emb = **insert_embedding;

  BatchCounts counts;
  JsonWriter rules_json, resources_json;
  std::vector<std::byte> scratch;
  for (const ProcessedPost& p : posts) {
    const Post& post = p.post;
    rules_json.clear();
    rules_json.begin_array();
    for (int rule : p.prefilter_rules) rules_json.value(rule);
    rules_json.end_array();
    resources_json.clear();
    resources_json.begin_array();
    for (const auto& r : p.resources) resources_json.value(r);
    resources_json.end_array();
    const std::string_view label = label_name(p.label);
    const std::string_view kind = label_name(post.kind);

    ins.reset();
    ins.bind(1, std::string_view(post.id));
    ins.bind(2, post.created_at_ms);
    ins.bind(3, std::string_view(post.text));
    ins.bind(4, std::string_view(p.normalized));
    bind_text_or_null(ins, 5, post.lang);
    ins.bind(6, std::string_view(p.detected_lang));
    if (post.geo) {
      ins.bind(7, post.geo->lat);
      ins.bind(8, post.geo->lon);
    }  // else both stay NULL (reset() cleared the bindings)
    bind_text_or_null(ins, 9, post.place);
    bind_text_or_null(ins, 10, post.user);
    if (post.kind != Label::kUnknown) ins.bind(11, kind);
    if (p.duplicate_of) ins.bind(12, std::string_view(*p.duplicate_of));
    if (p.prefilter_pass) ins.bind(13, static_cast<int64_t>(*p.prefilter_pass ? 1 : 0));
    ins.bind(14, std::string_view(rules_json.str()));
    ins.bind(15, label);
    for (int k = 0; k < kNumLabels; ++k) ins.bind(16 + k, static_cast<double>(p.probs[static_cast<size_t>(k)]));
    ins.bind(20, static_cast<int64_t>(p.label_from_input ? 1 : 0));
    ins.bind(21, std::string_view(resources_json.str()));
    bind_text_or_null(ins, 22, post.source.file);
    ins.bind(23, static_cast<int64_t>(post.source.line));
    ins.bind(24, run_id);
    bind_text_or_null(ins, 25, post.user_location);
    const ResolvedLocation loc = stored_location(p);
    if (loc.source != GeoSource::kNone) {
      ins.bind(26, loc.point->lat);
      ins.bind(27, loc.point->lon);
      ins.bind(29, loc.confidence);
      ins.bind(30, loc.radius_km);
    }
    ins.bind(28, geo_source_name(loc.source));
    bind_text_or_null(ins, 31, loc.country);
    bind_text_or_null(ins, 32, loc.admin1);
    bind_text_or_null(ins, 33, loc.city);
    if (loc.geonameid != 0) ins.bind(34, loc.geonameid);
    bind_text_or_null(ins, 35, p.extraction_json);
    if (is_request_post(p)) {
      ins.bind(36, request_status_name(RequestStatus::kOpen));
      ins.bind(37, post.created_at_ms);
    }
    if (auto status = ins.run(); !status) {
      Error e = status.error();
      e.message += " (storing post '" + post.id + "')";
      return tl::unexpected(e);
    }
    if (db_.changes() == 0) {
      ++counts.existing;
      continue;
    }
    ++counts.inserted;
    if (p.embedding.empty()) continue;
    emb.reset();
    emb.bind(1, db_.last_insert_rowid());
    emb.bind(2, static_cast<int64_t>(p.embedding.size()));
    emb.bind_blob(3, vector_bytes(p.embedding, scratch));
    if (auto status = emb.run(); !status) {
      Error e = status.error();
      e.message += " (storing the embedding of post '" + post.id + "')";
      return tl::unexpected(e);
    }
  }

  if (!rejects.empty()) {
    auto insert_reject = db_.cached(kInsertReject, "preparing the reject insert");
    if (!insert_reject) return tl::unexpected(insert_reject.error());
    for (const Reject& r : rejects) {
      sqlite::Statement& rej = **insert_reject;
      rej.reset();
      rej.bind(1, run_id);
      rej.bind(2, std::string_view(r.input));
      rej.bind(3, static_cast<int64_t>(r.line));
      bind_text_or_null(rej, 4, r.id);
      rej.bind(5, std::string_view(r.reason));
      rej.bind(6, std::string_view(r.excerpt));
      if (auto status = rej.run(); !status) {
        Error e = status.error();
        e.message += " (storing the reject of " + r.input + ":" + std::to_string(r.line) + ")";
        return tl::unexpected(e);
      }
    }
  }
  return counts;
}

Result<BatchCounts> SqliteStore::write_batch(int64_t run_id, std::span<const ProcessedPost> posts,
                                             std::span<const Reject> rejects, const Checkpoint& checkpoint) {
  // Validate everything first: a batch is stored whole or not at all.
  if (auto status = validate_batch(posts, rejects); !status) return tl::unexpected(status.error());
  if (!fits_int64(checkpoint.offset) || !fits_int64(checkpoint.line)) {
    return tl::unexpected(invalid("write_batch: checkpoint out of range for " + checkpoint.input));
  }
  auto txn = sqlite::Transaction::begin(db_, /*immediate=*/true);
  if (!txn) return tl::unexpected(txn.error());
  auto counts = insert_batch(run_id, posts, rejects, "write_batch");
  if (!counts) return tl::unexpected(counts.error());
  if (!checkpoint.input.empty()) {
    auto upsert = db_.cached(kUpsertCheckpoint, "preparing the checkpoint");
    if (!upsert) return tl::unexpected(upsert.error());
    (*upsert)->bind(1, run_id);
    (*upsert)->bind(2, std::string_view(checkpoint.input));
    (*upsert)->bind(3, static_cast<int64_t>(checkpoint.offset));
    (*upsert)->bind(4, static_cast<int64_t>(checkpoint.line));
    if (auto status = (*upsert)->run(); !status) return tl::unexpected(status.error());
  }

  if (auto status = txn->commit(); !status) return tl::unexpected(status.error());
  return counts;
}

Result<bool> SqliteStore::has_post(const std::string& id) {
  auto stmt = db_.cached("SELECT 1 FROM posts WHERE id = ?1", "preparing has_post");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, std::string_view(id));
  return (*stmt)->step();
}

Result<std::vector<bool>> SqliteStore::has_posts(std::span<const std::string> ids) {
  // One snapshot for the whole batch: a lone SELECT pays for opening a read transaction.
  auto txn = sqlite::Transaction::begin(db_, /*immediate=*/false);
  if (!txn) return tl::unexpected(txn.error());
  std::vector<bool> found(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    auto known = has_post(ids[i]);
    if (!known) return tl::unexpected(known.error());
    found[i] = *known;
  }
  return found;
}

Result<std::optional<ProcessedPost>> SqliteStore::get_post(const std::string& id) {
  auto txn = sqlite::Transaction::begin(db_, /*immediate=*/false);  // one snapshot for both queries
  if (!txn) return tl::unexpected(txn.error());
  std::string rules, resources;
  ProcessedPost p;
  {
    auto stmt = db_.cached(kSelectPost, "preparing get_post");
    if (!stmt) return tl::unexpected(stmt.error());
    sqlite::Statement& s = **stmt;
    s.bind(1, std::string_view(id));
    auto row = s.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return std::optional<ProcessedPost>();
    Post& post = p.post;
    post.id = std::string(s.column_text(0));
    post.created_at_ms = s.column_int64(1);
    post.text = std::string(s.column_text(2));
    p.normalized = std::string(s.column_text(3));
    post.lang = std::string(s.column_text(4));
    p.detected_lang = std::string(s.column_text(5));
    if (!s.column_is_null(6) && !s.column_is_null(7)) post.geo = GeoPoint{s.column_double(6), s.column_double(7)};
    post.place = std::string(s.column_text(8));
    post.user = std::string(s.column_text(9));
    post.kind = s.column_is_null(10) ? Label::kUnknown : parse_stored_label(s.column_text(10));
    if (!s.column_is_null(11)) p.duplicate_of = std::string(s.column_text(11));
    if (!s.column_is_null(12)) p.prefilter_pass = s.column_int64(12) != 0;
    rules = std::string(s.column_text(13));
    p.label = parse_stored_label(s.column_text(14));
    for (int k = 0; k < kNumLabels; ++k) p.probs[static_cast<size_t>(k)] = static_cast<float>(s.column_double(15 + k));
    p.label_from_input = s.column_int64(19) != 0;
    resources = std::string(s.column_text(20));
    post.source.file = std::string(s.column_text(21));
    post.source.line = static_cast<uint64_t>(std::max<int64_t>(0, s.column_int64(22)));
    if (!s.column_is_null(23)) {
      if (auto status = read_embedding(s, 23, 24, post.id, db_.path(), p.embedding); !status) {
        return tl::unexpected(status.error());
      }
    }
    post.user_location = std::string(s.column_text(25));
    ResolvedLocation& loc = p.location;
    loc.source = parse_geo_source(s.column_text(28)).value_or(GeoSource::kNone);
    if (loc.source != GeoSource::kNone && !s.column_is_null(26) && !s.column_is_null(27)) {
      loc.point = GeoPoint{s.column_double(26), s.column_double(27)};
      loc.confidence = s.column_double(29);
      loc.radius_km = s.column_double(30);
    } else {
      loc.source = GeoSource::kNone;
    }
    loc.country = std::string(s.column_text(31));
    loc.admin1 = std::string(s.column_text(32));
    loc.city = std::string(s.column_text(33));
    loc.geonameid = s.column_is_null(34) ? 0 : s.column_int64(34);
    p.extraction_json = std::string(s.column_text(35));
  }
  auto values = db_.cached(kJsonArrayValues, "preparing get_post");
  if (!values) return tl::unexpected(values.error());
  for (const std::string* json : {&rules, &resources}) {
    (*values)->reset();
    (*values)->bind(1, std::string_view(*json));
    for (;;) {
      auto row = (*values)->step();
      if (!row) {
        Error e = row.error();
        e.message += " (reading post '" + id + "')";
        return tl::unexpected(e);
      }
      if (!*row) break;
      if (json == &rules) {
        p.prefilter_rules.push_back(static_cast<int>((*values)->column_int64(0)));
      } else {
        p.resources.emplace_back((*values)->column_text(0));
      }
    }
  }
  if (auto status = txn->commit(); !status) return tl::unexpected(status.error());
  return std::optional<ProcessedPost>(std::move(p));
}

Status SqliteStore::for_each_original(const std::function<void(const std::string&, const std::string&)>& fn) {
  auto stmt = db_.cached("SELECT id, text FROM posts WHERE duplicate_of IS NULL ORDER BY seq",
                         "preparing for_each_original");
  if (!stmt) return tl::unexpected(stmt.error());
  std::string id, text;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return {};
    id.assign((*stmt)->column_text(0));
    text.assign((*stmt)->column_text(1));
    fn(id, text);
  }
}

Result<std::vector<MatchRow>> SqliteStore::load_for_matching(Label label) {
  auto stmt = db_.cached(R"sql(
SELECT p.id, p.created_at_ms, p.geo_lat, p.geo_lon, e.dim, e.vector, p.geo_radius_km, p.resources, p.seq,
       p.label, p.status
FROM posts p JOIN embeddings e ON e.post_seq = p.seq
WHERE p.duplicate_of IS NULL AND p.label IN (?1, ?2)
ORDER BY p.seq)sql",
                         "preparing load_for_matching");
  if (!stmt) return tl::unexpected(stmt.error());
  const std::string name = label_sql_name(label);
  // A post that both requests and offers is matched on both sides.
  const bool both = label == Label::kRequest || label == Label::kOffer;
  const std::string also = both ? label_sql_name(Label::kRequestAndOffer) : name;
  (*stmt)->bind(1, std::string_view(name));
  (*stmt)->bind(2, std::string_view(also));
  std::vector<MatchRow> rows;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    MatchRow& r = rows.emplace_back();
    r.id = std::string((*stmt)->column_text(0));
    r.created_at_ms = (*stmt)->column_int64(1);
    if (!(*stmt)->column_is_null(2) && !(*stmt)->column_is_null(3)) {
      r.geo = GeoPoint{(*stmt)->column_double(2), (*stmt)->column_double(3)};
    }
    if (auto status = read_embedding(**stmt, 4, 5, r.id, db_.path(), r.embedding); !status) {
      return tl::unexpected(status.error());
    }
    if (auto status = read_match_extras(**stmt, 6, r); !status) return tl::unexpected(status.error());
  }
  return rows;
}

Status SqliteStore::replace_matches(int64_t run_id, std::span<const StoredMatch> matches) {
  for (const StoredMatch& m : matches) {
    if (m.request_id.empty() || m.offer_id.empty()) {
      return tl::unexpected(invalid("replace_matches: a match has an empty request or offer id"));
    }
    if (m.rank < 1) {
      return tl::unexpected(invalid("replace_matches: match of request '" + m.request_id + "' has rank " +
                                    std::to_string(m.rank) + " (ranks start at 1)"));
    }
    if (!std::isfinite(m.score) || !std::isfinite(m.s_text) || !std::isfinite(m.w_time) || !std::isfinite(m.w_loc) ||
        !std::isfinite(m.km)) {
      return tl::unexpected(invalid("replace_matches: match of request '" + m.request_id + "' has a non-finite score"));
    }
  }
  auto txn = sqlite::Transaction::begin(db_, /*immediate=*/true);
  if (!txn) return tl::unexpected(txn.error());
  {
    auto exists = db_.cached(kRunExists, "preparing replace_matches");
    if (!exists) return tl::unexpected(exists.error());
    (*exists)->bind(1, run_id);
    auto row = (*exists)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return tl::unexpected(invalid("replace_matches: no run " + std::to_string(run_id)));
  }
  if (auto status = db_.exec("DELETE FROM matches", "clearing matches"); !status) return status;
  for (const StoredMatch& m : matches) {
    if (auto status = insert_match(m.request_id, m, run_id); !status) return status;
  }
  return txn->commit();
}

Status SqliteStore::insert_match(std::string_view request_id, const StoredMatch& m, int64_t run_id) {
  auto stmt = db_.cached(R"sql(
INSERT INTO matches (request_id, rank, offer_id, score, s_text, w_time, w_loc, km, run_id)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9))sql",
                         "preparing the match insert");
  if (!stmt) return tl::unexpected(stmt.error());
  sqlite::Statement& s = **stmt;
  s.reset();
  s.bind(1, request_id);
  s.bind(2, static_cast<int64_t>(m.rank));
  s.bind(3, std::string_view(m.offer_id));
  s.bind(4, static_cast<double>(m.score));
  s.bind(5, static_cast<double>(m.s_text));
  s.bind(6, static_cast<double>(m.w_time));
  s.bind(7, static_cast<double>(m.w_loc));
  if (m.km >= 0) s.bind(8, m.km);  // else NULL: a side has no coordinates
  s.bind(9, run_id);
  if (auto status = s.run(); !status) {
    Error e = status.error();
    e.message += " (storing match " + std::to_string(m.rank) + " of request '" + std::string(request_id) + "')";
    return tl::unexpected(e);
  }
  return {};
}

Result<Counts> SqliteStore::counts() {
  auto txn = sqlite::Transaction::begin(db_, /*immediate=*/false);  // one snapshot for all three
  if (!txn) return tl::unexpected(txn.error());
  Counts c;
  {
    auto stmt = db_.cached(R"sql(
SELECT count(*), count(duplicate_of),
       sum(label = 'request'), sum(label = 'offer'), sum(label = 'request_and_offer'),
       sum(label = 'irrelevant'), sum(prefilter_pass = 1), sum(prefilter_pass = 0)
FROM posts)sql",
                           "preparing counts");
    if (!stmt) return tl::unexpected(stmt.error());
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    auto at = [&](int col) { return static_cast<uint64_t>(std::max<int64_t>(0, (*stmt)->column_int64(col))); };
    c.posts = at(0);
    c.duplicates = at(1);
    c.requests = at(2);
    c.offers = at(3);
    c.request_and_offer = at(4);
    c.irrelevant = at(5);
    c.prefilter_kept = at(6);
    c.prefilter_dropped = at(7);
  }
  {
    auto stmt = db_.cached("SELECT count(*) FROM rejects", "preparing counts");
    if (!stmt) return tl::unexpected(stmt.error());
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    c.rejects = static_cast<uint64_t>((*stmt)->column_int64(0));
  }
  {
    auto stmt = db_.cached("SELECT count(*), count(DISTINCT request_id) FROM matches", "preparing counts");
    if (!stmt) return tl::unexpected(stmt.error());
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    c.matches = static_cast<uint64_t>((*stmt)->column_int64(0));
    c.matched_requests = static_cast<uint64_t>((*stmt)->column_int64(1));
  }
  if (auto status = txn->commit(); !status) return tl::unexpected(status.error());
  return c;
}

Status SqliteStore::check_integrity() {
  std::string problems;
  int found = 0;
  {
    auto stmt = db_.prepare("PRAGMA integrity_check(10)", "checking integrity");
    if (!stmt) return tl::unexpected(stmt.error());
    for (;;) {
      auto row = stmt->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      const std::string_view line = stmt->column_text(0);
      if (line == "ok") continue;
      problems += (found++ == 0 ? "" : "; ") + std::string(line);
    }
  }
  {
    auto stmt = db_.prepare("PRAGMA foreign_key_check", "checking foreign keys");
    if (!stmt) return tl::unexpected(stmt.error());
    for (;;) {
      auto row = stmt->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      if (found++ < 10) {
        problems += (found == 1 ? "" : "; ") + std::string("row ") + std::to_string(stmt->column_int64(1)) + " of " +
                    std::string(stmt->column_text(0)) + " refers to a missing " + std::string(stmt->column_text(2));
      }
    }
  }
  if (found > 0) {
    return make_error(ErrorCode::kCorrupt, "store " + db_.path() + ": integrity check failed: " + problems);
  }
  return {};
}

}  // namespace crema::store
