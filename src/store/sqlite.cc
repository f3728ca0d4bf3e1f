#include "sqlite.h"

#include <utility>

namespace crema::store::sqlite {
namespace {

// The first line of a statement, shortened, to say which SQL failed without flooding the
// message with a whole CREATE TABLE.
std::string sql_excerpt(const char* sql) {
  if (sql == nullptr) return {};
  std::string_view s(sql);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n')) s.remove_prefix(1);
  s = s.substr(0, s.find('\n'));
  constexpr size_t kMaxChars = 80;
  if (s.size() > kMaxChars) return std::string(s.substr(0, kMaxChars)) + "...";
  return std::string(s);
}

Error make_sqlite_error(sqlite3* db, int rc, const std::string& path, std::string_view what, const char* sql) {
  std::string message = "store " + path + ": " + std::string(what) + ": ";
  // sqlite3_errmsg describes the most recent failure on this connection, which is this one
  // for every call site (each checks rc straight away).
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (const std::string excerpt = sql_excerpt(sql); !excerpt.empty()) message += " [SQL: " + excerpt + "]";
  return Error{error_code_for(rc), std::move(message)};
}

}  // namespace

ErrorCode error_code_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
      return ErrorCode::kCorrupt;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_PROTOCOL:
    case SQLITE_AUTH:
      return ErrorCode::kIoError;
    case SQLITE_CONSTRAINT:
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
      return ErrorCode::kInvalidArgument;
    default:
      return ErrorCode::kInternal;
  }
}

// --- Statement ---

Statement::Statement(sqlite3* db, sqlite3_stmt* stmt, std::string path)
    : db_(db), stmt_(stmt), path_(std::move(path)) {}

void Statement::bind(int index, int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_.get(), index, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void Statement::bind(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_.get(), index, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void Statement::bind(int index, std::string_view value) {
  // A non-null pointer even for "" so the value is an empty string, not NULL.
  const char* data = value.empty() ? "" : value.data();
  const int rc = sqlite3_bind_text64(stmt_.get(), index, data, value.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void Statement::bind_blob(int index, std::span<const std::byte> bytes) {
  static constexpr std::byte kEmpty{};
  const void* data = bytes.empty() ? &kEmpty : bytes.data();
  const int rc = sqlite3_bind_blob64(stmt_.get(), index, data, bytes.size(), SQLITE_STATIC);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_.get(), index);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Result<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK) return tl::unexpected(error(bind_rc_, "binding a parameter"));
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return tl::unexpected(error(rc, "executing"));
}

Status Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return {};
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_rc_ = SQLITE_OK;
}

bool Statement::column_is_null(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }

int64_t Statement::column_int64(int col) const { return sqlite3_column_int64(stmt_.get(), col); }

double Statement::column_double(int col) const { return sqlite3_column_double(stmt_.get(), col); }

std::string_view Statement::column_text(int col) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), col));
  if (text == nullptr) return {};
  return {text, static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), col))};
}

std::span<const std::byte> Statement::column_blob(int col) const {
  const auto* data = static_cast<const std::byte*>(sqlite3_column_blob(stmt_.get(), col));
  if (data == nullptr) return {};
  return {data, static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), col))};
}

Error Statement::error(int rc, std::string_view what) const {
  return make_sqlite_error(db_, rc, path_, what, sqlite3_sql(stmt_.get()));
}

// --- Database ---

Database::Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

Database::~Database() = default;

Result<Database> Database::open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db(raw, path);  // owns raw even when open failed (sqlite3_close_v2 accepts it)
  if (rc != SQLITE_OK) return tl::unexpected(db.error(rc, "cannot open"));
  return db;
}

Status Database::exec(const char* sql, std::string_view what) {
  const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(make_sqlite_error(db_.get(), rc, path_, what, sql));
  return {};
}

Result<Statement> Database::prepare(std::string_view sql, std::string_view what) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                    &stmt, nullptr);
  Statement statement(db_.get(), stmt, path_);
  if (rc != SQLITE_OK) {
    return tl::unexpected(make_sqlite_error(db_.get(), rc, path_, what, std::string(sql).c_str()));
  }
  return statement;
}

Result<ScopedStatement> Database::cached(std::string_view sql, std::string_view what) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto stmt = prepare(sql, what);
    if (!stmt) return tl::unexpected(stmt.error());
    it = cache_.emplace(std::string(sql), std::make_unique<Statement>(std::move(*stmt))).first;
  }
  return ScopedStatement(it->second.get());
}

Error Database::error(int rc, std::string_view what) const {
  return make_sqlite_error(db_.get(), rc, path_, what, nullptr);
}

// --- Transaction ---

Result<Transaction> Transaction::begin(Database& db, bool immediate) {
  if (auto status = db.exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN", "starting a transaction"); !status) {
    return tl::unexpected(status.error());
  }
  return Transaction(&db);
}

Transaction::~Transaction() {
  // Some failures (I/O, full disk) already rolled the transaction back.
  if (db_ != nullptr && db_->in_transaction()) sqlite3_exec(db_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::commit() {
  Database* db = std::exchange(db_, nullptr);
  if (auto status = db->exec("COMMIT", "committing"); !status) {
    if (db->in_transaction()) sqlite3_exec(db->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    return status;
  }
  return {};
}

}  // namespace crema::store::sqlite
