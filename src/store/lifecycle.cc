// Schema v2 store operations: live batches, the request lifecycle, the event log and API
// keys.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>

#include "crema/common/json_writer.h"
#include "store_impl.h"

namespace crema::store {
namespace {

constexpr size_t kKeyIdBytes = 8;
constexpr size_t kSecretBytes = 24;
constexpr size_t kSaltBytes = 16;
constexpr std::string_view kTokenPrefix = "crema_";

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t or_now(int64_t at_ms) { return at_ms != 0 ? at_ms : now_ms(); }

std::string hex(std::span<const unsigned char> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<std::vector<unsigned char>> random_bytes(size_t n) {
  std::vector<unsigned char> out(n);
  if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
    return make_error(ErrorCode::kInternal, "store: the system random generator failed (OpenSSL RAND_bytes)");
  }
  return out;
}

// SHA-256(salt || secret).
Result<std::array<unsigned char, 32>> salted_hash(std::span<const std::byte> salt, std::string_view secret) {
  std::array<unsigned char, 32> digest{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int len = 0;
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, salt.data(), salt.size()) == 1 &&
                  EVP_DigestUpdate(ctx, secret.data(), secret.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest.data(), &len) == 1 && len == digest.size();
  EVP_MD_CTX_free(ctx);
  if (!ok) return make_error(ErrorCode::kInternal, "store: SHA-256 failed (OpenSSL)");
  return digest;
}

std::string status_payload(const std::string& request_id, RequestStatus from, RequestStatus to,
                           std::string_view reason, std::string_view offer_id, int64_t at_ms) {
  JsonWriter w;
  w.begin_object();
  w.key("request_id").value(request_id);
  w.key("from").value(request_status_name(from));
  w.key("to").value(request_status_name(to));
  w.key("reason").value(reason);
  if (!offer_id.empty()) w.key("offer_id").value(offer_id);
  w.key("at_ms").value(at_ms);
  w.end_object();
  return w.take();
}

ApiKeyInfo read_key(const sqlite::Statement& s) {
  ApiKeyInfo info;
  info.id = s.column_int64(0);
  info.name = std::string(s.column_text(1));
  info.role = parse_role(s.column_text(2)).value_or(Role::kViewer);
  info.created_at_ms = s.column_int64(3);
  if (!s.column_is_null(4)) info.revoked_at_ms = s.column_int64(4);
  return info;
}

}  // namespace

// --- events ---

Result<int64_t> SqliteStore::append_event(EventType type, std::string_view payload_json, int64_t at_ms) {
  if (payload_json.empty() || payload_json.front() != '{') {
    return tl::unexpected(invalid("event payload must be a JSON object"));
  }
  auto stmt = db_.cached("INSERT INTO events (type, payload, at_ms) VALUES (?1, ?2, ?3)", "preparing the event insert");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, event_type_name(type));
  (*stmt)->bind(2, payload_json);
  (*stmt)->bind(3, at_ms);
  if (auto status = (*stmt)->run(); !status) {
    Error e = status.error();
    e.message += " (appending a " + std::string(event_type_name(type)) + " event; its payload must be a JSON object)";
    return tl::unexpected(e);
  }
  return db_.last_insert_rowid();
}

Result<Event> SqliteStore::change_status(const std::string& request_id, RequestStatus from, RequestStatus to,
                                         std::string_view reason, std::string_view offer_id, int64_t at_ms) {
  auto stmt = db_.cached("UPDATE posts SET status = ?1, status_changed_at_ms = ?2 WHERE id = ?3",
                         "preparing the status update");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, request_status_name(to));
  (*stmt)->bind(2, at_ms);
  (*stmt)->bind(3, std::string_view(request_id));
  if (auto status = (*stmt)->run(); !status) return tl::unexpected(status.error());
  Event event;
  event.type = EventType::kStatusChange;
  event.payload_json = status_payload(request_id, from, to, reason, offer_id, at_ms);
  event.at_ms = at_ms;
  auto id = append_event(event.type, event.payload_json, at_ms);
  if (!id) return tl::unexpected(id.error());
  event.id = *id;
  return event;
}

Result<std::vector<Event>> SqliteStore::events_since(int64_t after_id, size_t limit) {
  auto stmt = db_.cached("SELECT id, type, payload, at_ms FROM events WHERE id > ?1 ORDER BY id LIMIT ?2",
                         "preparing events_since");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, after_id);
  (*stmt)->bind(2, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  std::vector<Event> out;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    Event& e = out.emplace_back();
    e.id = (*stmt)->column_int64(0);
    e.type = parse_event_type((*stmt)->column_text(1)).value_or(EventType::kStatusChange);
    e.payload_json = std::string((*stmt)->column_text(2));
    e.at_ms = (*stmt)->column_int64(3);
  }
  return out;
}

Result<int64_t> SqliteStore::last_event_id() {
  // AUTOINCREMENT keeps the high-water mark in sqlite_sequence even if rows are deleted.
  auto stmt = db_.cached("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)",
                         "preparing last_event_id");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = (*stmt)->step();
  if (!row) return tl::unexpected(row.error());
  return *row ? (*stmt)->column_int64(0) : 0;
}

// --- live batches ---

Result<Store::LiveBatchResult> SqliteStore::write_live_batch(int64_t run_id, const LiveBatch& batch) {
  if (auto status = validate_batch(batch.posts, batch.rejects); !status) return tl::unexpected(status.error());
  for (const RequestTopN& list : batch.top_n) {
    if (list.request_id.empty()) return tl::unexpected(invalid("write_live_batch: a top-n list has no request id"));
    for (size_t i = 0; i < list.matches.size(); ++i) {
      const StoredMatch& m = list.matches[i];
      if (m.offer_id.empty() || m.rank != static_cast<int>(i + 1)) {
        return tl::unexpected(invalid("write_live_batch: top-n of request '" + list.request_id +
                                      "' must list offers with ranks 1, 2, …"));
      }
      if (!std::isfinite(m.score) || !std::isfinite(m.s_text) || !std::isfinite(m.w_time) || !std::isfinite(m.w_loc) ||
          !std::isfinite(m.km)) {
        return tl::unexpected(invalid("write_live_batch: match of request '" + list.request_id + "' has a non-finite score"));
      }
    }
  }
  for (const NewEvent& e : batch.events) {
    if (e.payload_json.empty() || e.payload_json.front() != '{') {
      return tl::unexpected(invalid("write_live_batch: an event payload is not a JSON object"));
    }
  }
  const int64_t at = or_now(batch.at_ms);

  auto txn = sqlite::Transaction::begin(db_, /*immediate=*/true);
  if (!txn) return tl::unexpected(txn.error());
  LiveBatchResult result;
  auto counts = insert_batch(run_id, batch.posts, batch.rejects, "write_live_batch");
  if (!counts) return tl::unexpected(counts.error());
  result.counts = *counts;

  for (const RequestTopN& list : batch.top_n) {
    {
      auto known = db_.cached("SELECT 1 FROM posts WHERE id = ?1", "preparing write_live_batch");
      if (!known) return tl::unexpected(known.error());
      (*known)->bind(1, std::string_view(list.request_id));
      auto row = (*known)->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) return tl::unexpected(invalid("write_live_batch: top-n for unknown request '" + list.request_id + "'"));
    }
    auto del = db_.cached("DELETE FROM matches WHERE request_id = ?1", "preparing write_live_batch");
    if (!del) return tl::unexpected(del.error());
    (*del)->bind(1, std::string_view(list.request_id));
    if (auto status = (*del)->run(); !status) return tl::unexpected(status.error());
    for (const StoredMatch& m : list.matches) {
      if (auto status = insert_match(list.request_id, m, run_id); !status) return tl::unexpected(status.error());
    }
  }

  for (const NewEvent& e : batch.events) {
    auto id = append_event(e.type, e.payload_json, e.at_ms != 0 ? e.at_ms : at);
    if (!id) return tl::unexpected(id.error());
    result.event_ids.push_back(*id);
  }

  for (const std::string& id : batch.expired_requests) {
    auto state = request_state(id);
    if (!state) return tl::unexpected(state.error());
    if (!*state) continue;
    const RequestStatus from = (*state)->status;
    if (from != RequestStatus::kOpen && from != RequestStatus::kPartlyServed) continue;
    auto event = change_status(id, from, RequestStatus::kExpired, "expired", "", at);
    if (!event) return tl::unexpected(event.error());
    result.status_events.push_back(std::move(*event));
  }

  if (auto status = txn->commit(); !status) return tl::unexpected(status.error());
  return result;
}

Result<std::vector<MatchRow>> SqliteStore::load_live_posts(int64_t since_ms) {
  auto stmt = db_.cached(R"sql(
SELECT p.id, p.created_at_ms, p.geo_lat, p.geo_lon, e.dim, e.vector, p.geo_radius_km, p.resources, p.seq,
       p.label, p.status
FROM posts p JOIN embeddings e ON e.post_seq = p.seq
WHERE p.duplicate_of IS NULL AND p.label IN ('request', 'offer', 'request_and_offer') AND p.created_at_ms >= ?1
ORDER BY p.seq)sql",
                         "preparing load_live_posts");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, since_ms);
  std::vector<MatchRow> rows;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    MatchRow& r = rows.emplace_back();
    const sqlite::Statement& s = **stmt;
    r.id = std::string(s.column_text(0));
    r.created_at_ms = s.column_int64(1);
    if (!s.column_is_null(2) && !s.column_is_null(3)) r.geo = GeoPoint{s.column_double(2), s.column_double(3)};
    const int64_t dim = s.column_int64(4);
    const auto bytes = s.column_blob(5);
    if (dim < 1 || bytes.size() != static_cast<size_t>(dim) * sizeof(float)) {
      return make_error(ErrorCode::kCorrupt, "store " + db_.path() + ": embedding of post '" + r.id + "' has dim " +
                                                 std::to_string(dim) + " but " + std::to_string(bytes.size()) + " bytes");
    }
    r.embedding.resize(static_cast<size_t>(dim));
    std::memcpy(r.embedding.data(), bytes.data(), bytes.size());
    if (auto status = read_match_extras(s, 6, r); !status) return tl::unexpected(status.error());
  }
  return rows;
}

Result<std::vector<StoredMatch>> SqliteStore::load_live_matches(int64_t since_ms) {
  auto stmt = db_.cached(R"sql(
SELECT m.request_id, m.rank, m.offer_id, m.score, m.s_text, m.w_time, m.w_loc, m.km, o.seq
FROM matches m JOIN posts r ON r.id = m.request_id JOIN posts o ON o.id = m.offer_id
WHERE r.created_at_ms >= ?1
ORDER BY r.seq, m.rank)sql",
                         "preparing load_live_matches");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, since_ms);
  std::vector<StoredMatch> out;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    const sqlite::Statement& s = **stmt;
    StoredMatch& m = out.emplace_back();
    m.request_id = std::string(s.column_text(0));
    m.rank = static_cast<int>(s.column_int64(1));
    m.offer_id = std::string(s.column_text(2));
    m.score = static_cast<float>(s.column_double(3));
    m.s_text = static_cast<float>(s.column_double(4));
    m.w_time = static_cast<float>(s.column_double(5));
    m.w_loc = static_cast<float>(s.column_double(6));
    m.km = s.column_is_null(7) ? -1.0 : s.column_double(7);
    m.offer_seq = s.column_int64(8);
  }
  return out;
}

Result<PostBounds> SqliteStore::post_bounds() {
  auto stmt = db_.cached("SELECT coalesce(max(created_at_ms), 0), coalesce(max(seq), 0) FROM posts",
                         "preparing post_bounds");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = (*stmt)->step();
  if (!row) return tl::unexpected(row.error());
  PostBounds b;
  if (*row) {
    b.newest_created_at_ms = (*stmt)->column_int64(0);
    b.max_seq = (*stmt)->column_int64(1);
  }
  return b;
}

// --- request lifecycle ---

Result<std::optional<Store::RequestState>> SqliteStore::request_state(const std::string& id) {
  auto stmt = db_.cached("SELECT status, status_changed_at_ms FROM posts WHERE id = ?1 AND status IS NOT NULL",
                         "preparing request_state");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, std::string_view(id));
  auto row = (*stmt)->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<RequestState>();
  RequestState state;
  const auto status = parse_request_status((*stmt)->column_text(0));
  if (!status) {
    return make_error(ErrorCode::kCorrupt, "store " + db_.path() + ": request '" + id + "' has an unknown status");
  }
  state.status = *status;
  state.changed_at_ms = (*stmt)->column_is_null(1) ? 0 : (*stmt)->column_int64(1);
  return std::optional<RequestState>(state);
}

Result<DecisionOutcome> SqliteStore::record_decision(const DecisionInput& input) {
  const std::string decision(decision_name(input.decision));
  if (input.actor.role == Role::kViewer) {
    return tl::unexpected(invalid("record_decision: a viewer may not decide (request '" + input.request_id + "')"));
  }
  if (input.offer_id.empty() && input.decision != Decision::kReject) {
    return tl::unexpected(invalid("record_decision: '" + decision + "' needs an offer (request '" + input.request_id + "')"));
  }
  if (input.offer_id == input.request_id) {
    return tl::unexpected(invalid("record_decision: a post cannot serve itself ('" + input.request_id + "')"));
  }
  const int64_t at = or_now(input.at_ms);

  auto txn = sqlite::Transaction::begin(db_, /*immediate=*/true);
  if (!txn) return tl::unexpected(txn.error());
  auto state = request_state(input.request_id);
  if (!state) return tl::unexpected(state.error());
  if (!*state) {
    return make_error(ErrorCode::kNotFound, "store " + db_.path() + ": no request post '" + input.request_id + "'");
  }
  if (!input.offer_id.empty()) {
    auto offer = db_.cached(
        "SELECT 1 FROM posts WHERE id = ?1 AND label IN ('offer', 'request_and_offer') AND duplicate_of IS NULL",
        "preparing record_decision");
    if (!offer) return tl::unexpected(offer.error());
    (*offer)->bind(1, std::string_view(input.offer_id));
    auto row = (*offer)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return make_error(ErrorCode::kNotFound, "store " + db_.path() + ": no offer post '" + input.offer_id + "'");
  }
  std::string key_name;
  if (input.actor.key_id != 0) {
    auto key = db_.cached("SELECT name FROM api_keys WHERE id = ?1", "preparing record_decision");
    if (!key) return tl::unexpected(key.error());
    (*key)->bind(1, input.actor.key_id);
    auto row = (*key)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return make_error(ErrorCode::kNotFound, "store " + db_.path() + ": no API key " + std::to_string(input.actor.key_id));
    key_name = std::string((*key)->column_text(0));
  }

  DecisionOutcome outcome;
  {
    auto ins = db_.cached(R"sql(
INSERT INTO decisions (request_id, offer_id, decision, note, key_id, key_name, role, at_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))sql",
                          "preparing the decision insert");
    if (!ins) return tl::unexpected(ins.error());
    sqlite::Statement& s = **ins;
    s.bind(1, std::string_view(input.request_id));
    if (!input.offer_id.empty()) s.bind(2, std::string_view(input.offer_id));
    s.bind(3, std::string_view(decision));
    s.bind(4, std::string_view(input.note));
    if (input.actor.key_id != 0) {
      s.bind(5, input.actor.key_id);
      s.bind(6, std::string_view(key_name));
    }
    s.bind(7, role_name(input.actor.role));
    s.bind(8, at);
    if (auto status = s.run(); !status) return tl::unexpected(status.error());
    outcome.decision_id = db_.last_insert_rowid();
  }

  const RequestStatus before = (*state)->status;
  RequestStatus after = before;
  switch (input.decision) {
    case Decision::kConfirm:
      if (before == RequestStatus::kOpen || before == RequestStatus::kPartlyServed) {
        // Served once every resource the request names is among the resources of the
        // offers whose latest decision is confirm or fulfilled.
        auto stmt = db_.cached(R"sql(
SELECT (SELECT count(*) FROM json_each(r.resources)) AS wanted,
       (SELECT count(DISTINCT w.value) FROM json_each(r.resources) w
        WHERE w.value IN (SELECT j.value FROM decisions d JOIN posts o ON o.id = d.offer_id, json_each(o.resources) j
                          WHERE d.request_id = r.id AND d.decision IN ('confirm', 'fulfilled')
                            AND d.id = (SELECT max(d2.id) FROM decisions d2
                                        WHERE d2.request_id = d.request_id AND d2.offer_id = d.offer_id))) AS covered
FROM posts r WHERE r.id = ?1)sql",
                               "preparing the coverage query");
        if (!stmt) return tl::unexpected(stmt.error());
        (*stmt)->bind(1, std::string_view(input.request_id));
        auto row = (*stmt)->step();
        if (!row) return tl::unexpected(row.error());
        const int64_t wanted = *row ? (*stmt)->column_int64(0) : 0;
        const int64_t covered = *row ? (*stmt)->column_int64(1) : 0;
        after = (wanted > 0 && covered >= wanted) ? RequestStatus::kServed : RequestStatus::kPartlyServed;
      }
      break;
    case Decision::kFulfilled:
      if (before != RequestStatus::kRejected) after = RequestStatus::kServed;
      break;
    case Decision::kReject:
      if (input.offer_id.empty() && before != RequestStatus::kServed) after = RequestStatus::kRejected;
      break;
  }
  outcome.before = before;
  outcome.after = after;
  if (after != before) {
    auto event = change_status(input.request_id, before, after, decision, input.offer_id, at);
    if (!event) return tl::unexpected(event.error());
    outcome.event_id = event->id;
  }
  if (auto status = txn->commit(); !status) return tl::unexpected(status.error());
  return outcome;
}

Result<std::vector<Event>> SqliteStore::expire_requests(int64_t cutoff_ms, int64_t at_ms) {
  const int64_t at = or_now(at_ms);
  auto txn = sqlite::Transaction::begin(db_, /*immediate=*/true);
  if (!txn) return tl::unexpected(txn.error());
  std::vector<std::pair<std::string, RequestStatus>> due;
  {
    auto stmt = db_.cached(R"sql(
SELECT id, status FROM posts WHERE status IN ('open', 'partly_served') AND created_at_ms < ?1 ORDER BY seq)sql",
                           "preparing expire_requests");
    if (!stmt) return tl::unexpected(stmt.error());
    (*stmt)->bind(1, cutoff_ms);
    for (;;) {
      auto row = (*stmt)->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      due.emplace_back(std::string((*stmt)->column_text(0)),
                       parse_request_status((*stmt)->column_text(1)).value_or(RequestStatus::kOpen));
    }
  }
  std::vector<Event> events;
  for (const auto& [id, from] : due) {
    auto event = change_status(id, from, RequestStatus::kExpired, "expired", "", at);
    if (!event) return tl::unexpected(event.error());
    events.push_back(std::move(*event));
  }
  if (auto status = txn->commit(); !status) return tl::unexpected(status.error());
  return events;
}

// --- API keys ---

Result<NewApiKey> SqliteStore::add_api_key(const std::string& name, Role role) {
  if (name.empty()) return tl::unexpected(invalid("add_api_key: the key needs a name"));
  auto key_id = random_bytes(kKeyIdBytes);
  if (!key_id) return tl::unexpected(key_id.error());
  auto secret = random_bytes(kSecretBytes);
  if (!secret) return tl::unexpected(secret.error());
  auto salt = random_bytes(kSaltBytes);
  if (!salt) return tl::unexpected(salt.error());
  const std::string key_hex = hex(*key_id);
  const std::string secret_hex = hex(*secret);
  auto digest = salted_hash(std::as_bytes(std::span(*salt)), secret_hex);
  if (!digest) return tl::unexpected(digest.error());

  NewApiKey out;
  out.info.name = name;
  out.info.role = role;
  out.info.created_at_ms = now_ms();
  out.token = std::string(kTokenPrefix) + key_hex + "_" + secret_hex;
  auto stmt = db_.cached(R"sql(
INSERT INTO api_keys (key_id, name, role, salt, hash, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6))sql",
                         "preparing add_api_key");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, std::string_view(key_hex));
  (*stmt)->bind(2, std::string_view(name));
  (*stmt)->bind(3, role_name(role));
  (*stmt)->bind_blob(4, std::as_bytes(std::span(*salt)));
  (*stmt)->bind_blob(5, std::as_bytes(std::span(*digest)));
  (*stmt)->bind(6, out.info.created_at_ms);
  if (auto status = (*stmt)->run(); !status) return tl::unexpected(status.error());
  out.info.id = db_.last_insert_rowid();
  return out;
}

Result<std::optional<ApiKeyInfo>> SqliteStore::verify_api_key(std::string_view token) {
  const size_t expected = kTokenPrefix.size() + 2 * kKeyIdBytes + 1 + 2 * kSecretBytes;
  if (token.size() != expected || !token.starts_with(kTokenPrefix) || token[kTokenPrefix.size() + 2 * kKeyIdBytes] != '_') {
    return std::optional<ApiKeyInfo>();
  }
  const std::string_view key_hex = token.substr(kTokenPrefix.size(), 2 * kKeyIdBytes);
  const std::string_view secret_hex = token.substr(kTokenPrefix.size() + 2 * kKeyIdBytes + 1);
  if (!is_lower_hex(key_hex) || !is_lower_hex(secret_hex)) return std::optional<ApiKeyInfo>();
  auto stmt = db_.cached(
      "SELECT id, name, role, created_at_ms, revoked_at_ms, salt, hash FROM api_keys WHERE key_id = ?1",
      "preparing verify_api_key");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, key_hex);
  auto row = (*stmt)->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<ApiKeyInfo>();
  ApiKeyInfo info = read_key(**stmt);
  const auto stored = (*stmt)->column_blob(6);
  auto digest = salted_hash((*stmt)->column_blob(5), secret_hex);
  if (!digest) return tl::unexpected(digest.error());
  const bool match = stored.size() == digest->size() && CRYPTO_memcmp(stored.data(), digest->data(), digest->size()) == 0;
  if (!match || info.revoked_at_ms) return std::optional<ApiKeyInfo>();
  return std::optional<ApiKeyInfo>(std::move(info));
}

Status SqliteStore::revoke_api_key(int64_t id) {
  {
    auto stmt = db_.cached("UPDATE api_keys SET revoked_at_ms = ?1 WHERE id = ?2 AND revoked_at_ms IS NULL",
                           "preparing revoke_api_key");
    if (!stmt) return tl::unexpected(stmt.error());
    (*stmt)->bind(1, now_ms());
    (*stmt)->bind(2, id);
    if (auto status = (*stmt)->run(); !status) return status;
    if (db_.changes() == 1) return {};
  }
  auto stmt = db_.cached("SELECT 1 FROM api_keys WHERE id = ?1", "preparing revoke_api_key");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, id);
  auto row = (*stmt)->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return make_error(ErrorCode::kNotFound, "store " + db_.path() + ": no API key " + std::to_string(id));
  return {};
}

Result<std::vector<ApiKeyInfo>> SqliteStore::list_api_keys() {
  auto stmt = db_.cached("SELECT id, name, role, created_at_ms, revoked_at_ms FROM api_keys ORDER BY id",
                         "preparing list_api_keys");
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<ApiKeyInfo> out;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_key(**stmt));
  }
  return out;
}

}  // namespace crema::store
