#include "schema.h"

#include <array>
#include <span>
#include <string>
#include <string_view>

#include "crema/store/store.h"

namespace crema::store {
namespace {

// Version 1. Columns are described in docs/store.md. Changing anything here means a new
// kSchemaVersion and a migration below; never edit a released version in place.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE runs (
  id             INTEGER PRIMARY KEY,
  started_at_ms  INTEGER NOT NULL,
  finished_at_ms INTEGER,
  command_line   TEXT NOT NULL,
  inputs         TEXT NOT NULL CHECK (json_valid(inputs)),
  config         TEXT NOT NULL CHECK (json_valid(config)),
  summary        TEXT CHECK (summary IS NULL OR json_valid(summary))
);
CREATE TABLE checkpoints (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  input  TEXT NOT NULL,
  offset INTEGER NOT NULL,
  line   INTEGER NOT NULL,
  PRIMARY KEY (run_id, input)
) WITHOUT ROWID;
CREATE TABLE posts (
  seq                 INTEGER PRIMARY KEY,
  id                  TEXT NOT NULL UNIQUE,
  created_at_ms       INTEGER NOT NULL,
  text                TEXT NOT NULL,
  normalized          TEXT NOT NULL,
  lang_given          TEXT,
  lang                TEXT NOT NULL,
  lat                 REAL,
  lon                 REAL,
  place               TEXT,
  user                TEXT,
  kind_given          TEXT,
  duplicate_of        TEXT,
  prefilter_pass      INTEGER,
  prefilter_rules     TEXT NOT NULL,
  label               TEXT NOT NULL,
  p_request           REAL NOT NULL,
  p_offer             REAL NOT NULL,
  p_request_and_offer REAL NOT NULL,
  p_irrelevant        REAL NOT NULL,
  label_from_input    INTEGER NOT NULL,
  resources           TEXT NOT NULL,
  source_file         TEXT,
  source_line         INTEGER,
  run_id              INTEGER NOT NULL REFERENCES runs(id)
);
CREATE INDEX posts_label ON posts(label);
CREATE INDEX posts_created_at ON posts(created_at_ms);
CREATE INDEX posts_duplicate_of ON posts(duplicate_of) WHERE duplicate_of IS NOT NULL;
CREATE TABLE embeddings (
  post_seq INTEGER PRIMARY KEY REFERENCES posts(seq),
  dim      INTEGER NOT NULL,
  vector   BLOB NOT NULL
);
CREATE TABLE rejects (
  seq     INTEGER PRIMARY KEY,
  run_id  INTEGER NOT NULL REFERENCES runs(id),
  input   TEXT NOT NULL,
  line    INTEGER NOT NULL,
  post_id TEXT,
  reason  TEXT NOT NULL,
  excerpt TEXT NOT NULL,
  UNIQUE (input, line, reason)
);
CREATE TABLE matches (
  request_id TEXT NOT NULL,
  rank       INTEGER NOT NULL CHECK (rank >= 1),
  offer_id   TEXT NOT NULL,
  score      REAL NOT NULL,
  s_text     REAL NOT NULL,
  w_time     REAL NOT NULL,
  w_loc      REAL NOT NULL,
  km         REAL,
  run_id     INTEGER NOT NULL REFERENCES runs(id),
  PRIMARY KEY (request_id, rank)
) WITHOUT ROWID;
CREATE INDEX matches_offer ON matches(offer_id);
)sql";

// Version 1 -> 2: resolved locations, extraction, the request lifecycle (status,
// decisions), the event log and API keys. A new store runs kSchemaV1 then this, so new and
// migrated stores are the same schema. Existing rows are backfilled: a geotagged post's
// resolution is its geotag; request posts (not duplicates) start open at their created_at.
constexpr const char* kMigrateV1ToV2 = R"sql(
ALTER TABLE posts ADD COLUMN user_location TEXT;
ALTER TABLE posts ADD COLUMN geo_lat REAL;
ALTER TABLE posts ADD COLUMN geo_lon REAL;
ALTER TABLE posts ADD COLUMN geo_source TEXT NOT NULL DEFAULT 'none'
  CHECK (geo_source IN ('none', 'geotag', 'place', 'toponym', 'user'));
ALTER TABLE posts ADD COLUMN geo_confidence REAL;
ALTER TABLE posts ADD COLUMN geo_radius_km REAL;
ALTER TABLE posts ADD COLUMN country TEXT;
ALTER TABLE posts ADD COLUMN admin1 TEXT;
ALTER TABLE posts ADD COLUMN city TEXT;
ALTER TABLE posts ADD COLUMN geonameid INTEGER;
ALTER TABLE posts ADD COLUMN extraction_json TEXT CHECK (extraction_json IS NULL OR json_valid(extraction_json));
ALTER TABLE posts ADD COLUMN status TEXT
  CHECK (status IS NULL OR status IN ('open', 'partly_served', 'served', 'expired', 'rejected'));
ALTER TABLE posts ADD COLUMN status_changed_at_ms INTEGER;
UPDATE posts SET geo_lat = lat, geo_lon = lon, geo_source = 'geotag', geo_confidence = 1.0, geo_radius_km = 0.0
  WHERE lat IS NOT NULL AND lon IS NOT NULL;
UPDATE posts SET status = 'open', status_changed_at_ms = created_at_ms
  WHERE label IN ('request', 'request_and_offer') AND duplicate_of IS NULL;
CREATE INDEX posts_status ON posts(status, created_at_ms) WHERE status IS NOT NULL;
CREATE INDEX posts_country ON posts(country) WHERE country IS NOT NULL;
CREATE TABLE api_keys (
  id            INTEGER PRIMARY KEY,
  key_id        TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('viewer', 'dispatcher', 'admin')),
  salt          BLOB NOT NULL,
  hash          BLOB NOT NULL,
  created_at_ms INTEGER NOT NULL,
  revoked_at_ms INTEGER
);
CREATE TABLE decisions (
  id         INTEGER PRIMARY KEY,
  request_id TEXT NOT NULL REFERENCES posts(id),
  offer_id   TEXT REFERENCES posts(id),
  decision   TEXT NOT NULL CHECK (decision IN ('confirm', 'reject', 'fulfilled')),
  note       TEXT NOT NULL,
  key_id     INTEGER REFERENCES api_keys(id),
  key_name   TEXT,
  role       TEXT NOT NULL CHECK (role IN ('viewer', 'dispatcher', 'admin')),
  at_ms      INTEGER NOT NULL
);
CREATE INDEX decisions_request ON decisions(request_id);
CREATE TABLE events (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  type    TEXT NOT NULL CHECK (type IN ('new_request', 'new_match', 'status_change')),
  payload TEXT NOT NULL CHECK (json_valid(payload) AND json_type(payload) = 'object'),
  at_ms   INTEGER NOT NULL
);
)sql";

// Version 2 -> 3: list pages (newest first, per label, without duplicates) read a covering
// index instead of sorting every post of the label; it also serves every lookup that
// posts_label did.
constexpr const char* kMigrateV2ToV3 = R"sql(
CREATE INDEX posts_label_time ON posts(label, created_at_ms, seq, duplicate_of);
DROP INDEX posts_label;
)sql";

// Migration v -> v + 1 is kMigrations[v - 1]; a new store runs kSchemaV1 and then all of
// them, so new and migrated stores are the same schema.
constexpr std::array<const char*, kSchemaVersion - 1> kMigrations = {kMigrateV1ToV2, kMigrateV2ToV3};

constexpr std::array<std::string_view, 3> kV1Tables = {"runs", "posts", "matches"};
constexpr std::array<std::string_view, 9> kTables = {"runs",    "checkpoints", "posts",     "embeddings", "rejects",
                                                     "matches", "api_keys",    "decisions", "events"};

struct Header {
  int64_t application_id = 0;
  int64_t user_version = 0;
  int64_t objects = 0;  // rows of sqlite_schema
};

Result<int64_t> query_int(sqlite::Database& db, const char* sql, std::string_view what) {
  auto stmt = db.prepare(sql, what);
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return make_error(ErrorCode::kInternal, "store " + db.path() + ": " + std::string(what) + ": no row");
  return stmt->column_int64(0);
}

Result<Header> read_header(sqlite::Database& db) {
  Header header;
  // The first read of the file: this is where "not a database" shows up.
  auto app = query_int(db, "PRAGMA application_id", "reading the file header");
  if (!app) {
    if (app.error().code == ErrorCode::kCorrupt) {
      // The SQLite error already names the file; say what it means for the user.
      return make_error(ErrorCode::kCorrupt, app.error().message + " (not a crema store: not an SQLite database, "
                                                                   "or a damaged one)");
    }
    return tl::unexpected(app.error());
  }
  header.application_id = *app;
  auto version = query_int(db, "PRAGMA user_version", "reading the schema version");
  if (!version) return tl::unexpected(version.error());
  header.user_version = *version;
  auto objects = query_int(db, "SELECT count(*) FROM sqlite_schema", "listing tables");
  if (!objects) return tl::unexpected(objects.error());
  header.objects = *objects;
  return header;
}

bool is_blank(const Header& header) {
  return header.application_id == 0 && header.user_version == 0 && header.objects == 0;
}

Status create_schema(sqlite::Database& db) {
  auto txn = sqlite::Transaction::begin(db, /*immediate=*/true);
  if (!txn) return tl::unexpected(txn.error());
  // Another process may have created the store while we waited for the write lock.
  auto header = read_header(db);
  if (!header) return tl::unexpected(header.error());
  if (!is_blank(*header)) return txn->commit();
  if (auto status = db.exec(kSchemaV1, "creating the schema"); !status) return status;
  for (size_t m = 0; m < kMigrations.size(); ++m) {
    const std::string what = "creating the schema (version " + std::to_string(m + 2) + ")";
    if (auto status = db.exec(kMigrations[m], what); !status) return status;
  }
  // Both pragmas write the file header inside this transaction: a store either has its
  // whole schema and its stamp, or neither.
  const std::string stamp = "PRAGMA application_id = " + std::to_string(kApplicationId) +
                            "; PRAGMA user_version = " + std::to_string(kSchemaVersion) + ";";
  if (auto status = db.exec(stamp.c_str(), "stamping the schema version"); !status) return status;
  return txn->commit();
}

// Migrates a store from version `from` to `from + 1` in place, in one transaction (all or
// nothing).
Status migrate_step(sqlite::Database& db, int from, const char* sql) {
  auto txn = sqlite::Transaction::begin(db, /*immediate=*/true);
  if (!txn) return tl::unexpected(txn.error());
  // Another process may have migrated it while we waited for the write lock.
  auto version = query_int(db, "PRAGMA user_version", "reading the schema version");
  if (!version) return tl::unexpected(version.error());
  if (*version != from) return txn->commit();
  const std::string what =
      "migrating the store from schema version " + std::to_string(from) + " to " + std::to_string(from + 1);
  if (auto status = db.exec(sql, what.c_str()); !status) return status;
  const std::string stamp = "PRAGMA user_version = " + std::to_string(from + 1);
  if (auto status = db.exec(stamp.c_str(), "stamping the schema version"); !status) return status;
  return txn->commit();
}

Status check_tables(sqlite::Database& db, std::span<const std::string_view> tables) {
  for (std::string_view table : tables) {
    auto stmt = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", "listing tables");
    if (!stmt) return tl::unexpected(stmt.error());
    stmt->bind(1, table);
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) {
      return make_error(ErrorCode::kCorrupt,
                        "store " + db.path() + ": damaged crema store: table '" + std::string(table) + "' is missing");
    }
  }
  return {};
}

Status set_connection_pragmas(sqlite::Database& db) {
  // WAL: readers never block the writer and a commit is one append to the log.
  auto mode = db.prepare("PRAGMA journal_mode = WAL", "switching to WAL");
  if (!mode) return tl::unexpected(mode.error());
  auto row = mode->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row || mode->column_text(0) != "wal") {
    return make_error(ErrorCode::kUnsupported,
                      "store " + db.path() + ": the file system does not support SQLite's WAL mode (journal mode is '" +
                          std::string(*row ? mode->column_text(0) : "") + "'); put the store on a local disk");
  }
  // synchronous=FULL fsyncs the WAL at every commit, so a batch that write_batch reported
  // as committed survives kill -9 and power loss (NORMAL would only survive the former).
  // foreign_keys is per connection and off by default. cache_size < 0 is in KiB.
  return db.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768;",
                 "setting connection options");
}

}  // namespace

Result<int> prepare_schema(sqlite::Database& db) {
  auto header = read_header(db);
  if (!header) return tl::unexpected(header.error());
  if (is_blank(*header)) {
    // 8 KiB pages (SQLite's default is 4 KiB): a post row with its ~1 KB of text and vector
    // spans fewer pages, and each commit writes half as many WAL frames; measured ~1.5x
    // faster batches (bench/store_bench.cc). Must precede WAL, which fixes the page size.
    if (auto status = db.exec("PRAGMA page_size = 8192", "setting the page size"); !status) {
      return tl::unexpected(status.error());
    }
    // WAL must be chosen outside a transaction; on a blank file it costs nothing.
    if (auto status = set_connection_pragmas(db); !status) return tl::unexpected(status.error());
    if (auto status = create_schema(db); !status) return tl::unexpected(status.error());
    header = read_header(db);
    if (!header) return tl::unexpected(header.error());
  }
  if (header->application_id != kApplicationId) {
    return make_error(ErrorCode::kCorrupt, "store " + db.path() +
                                               ": not a crema store (an SQLite database of another application, "
                                               "application_id " +
                                               std::to_string(header->application_id) + ")");
  }
  if (header->user_version > kSchemaVersion) {
    return make_error(ErrorCode::kUnsupported, "store " + db.path() + ": schema version " +
                                                   std::to_string(header->user_version) +
                                                   " was made by a newer crema; this build reads up to version " +
                                                   std::to_string(kSchemaVersion));
  }
  // Version 1 is the first; a store older than it cannot exist (the stamp is written in
  // the same transaction as the schema). Migrations from version v to v+1 go here.
  if (header->user_version < 1) {
    return make_error(ErrorCode::kCorrupt, "store " + db.path() + ": damaged crema store: schema version " +
                                               std::to_string(header->user_version));
  }
  const bool migrate = header->user_version < kSchemaVersion;
  if (migrate) {
    if (header->user_version == 1) {
      if (auto status = check_tables(db, kV1Tables); !status) return tl::unexpected(status.error());
    }
    // WAL must be chosen outside the migrations' transactions.
    if (auto status = set_connection_pragmas(db); !status) return tl::unexpected(status.error());
    for (int from = static_cast<int>(header->user_version); from < kSchemaVersion; ++from) {
      if (auto status = migrate_step(db, from, kMigrations[static_cast<size_t>(from - 1)]); !status) {
        return tl::unexpected(status.error());
      }
    }
    header->user_version = kSchemaVersion;
  }
  if (auto status = check_tables(db, kTables); !status) return tl::unexpected(status.error());
  if (!migrate) {
    if (auto status = set_connection_pragmas(db); !status) return tl::unexpected(status.error());
  }
  return static_cast<int>(header->user_version);
}

}  // namespace crema::store
