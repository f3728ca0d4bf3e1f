// src/store/sqlite.h: thin RAII wrappers over the SQLite C API (private to the store).
//
// Every SQLite failure becomes an Error whose message names the database file, what the
// store was doing, the SQL involved and sqlite3_errmsg(). Statements are prepared once and
// cached per connection; a ScopedStatement resets its statement when it goes out of scope,
// so no statement keeps a read transaction open by accident.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "crema/common/result.h"

namespace crema::store::sqlite {

// Maps an SQLite result code (primary or extended) onto our error codes.
ErrorCode error_code_for(int rc);

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::string path);
  Statement(Statement&&) = default;
  Statement& operator=(Statement&&) = default;

  // Binding, 1-based. Text and blobs are bound without copying (SQLITE_STATIC): the bytes
  // must stay alive and unchanged until the statement is stepped to completion or reset.
  // A binding failure is remembered and reported by the next step()/run().
  void bind(int index, int64_t value);
  void bind(int index, double value);
  void bind(int index, std::string_view value);
  void bind_blob(int index, std::span<const std::byte> bytes);
  void bind_null(int index);

  // One step: true when a row is ready, false when done.
  Result<bool> step();
  // Steps to completion, for statements that return no rows.
  Status run();
  // Back to the start, bindings cleared. Never fails in a way that matters here: a step
  // error was already reported by step().
  void reset();

  bool column_is_null(int col) const;
  int64_t column_int64(int col) const;
  double column_double(int col) const;
  // Valid until the next step()/reset().
  std::string_view column_text(int col) const;
  std::span<const std::byte> column_blob(int col) const;

  Error error(int rc, std::string_view what) const;

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
  };
  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  std::string path_;
  int bind_rc_ = SQLITE_OK;
};

// A cached statement on loan; resets it when destroyed.
class ScopedStatement {
 public:
  explicit ScopedStatement(Statement* stmt) : stmt_(stmt) {}
  ScopedStatement(ScopedStatement&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  ScopedStatement& operator=(ScopedStatement&&) = delete;
  ~ScopedStatement() {
    if (stmt_ != nullptr) stmt_->reset();
  }
  Statement* operator->() const { return stmt_; }
  Statement& operator*() const { return *stmt_; }

 private:
  Statement* stmt_;
};

// One connection. Not thread-safe (opened with SQLITE_OPEN_NOMUTEX): one thread at a time.
class Database {
 public:
  // Opens (creating if missing) a read-write connection. Does not read the file yet: a
  // file that is not a database is only detected by the first query.
  static Result<Database> open(const std::string& path);

  Database(Database&&) = default;
  Database& operator=(Database&&) = default;
  ~Database();

  // Runs one or more statements that return no rows we need.
  Status exec(const char* sql, std::string_view what);
  // A fresh statement (not cached), for one-off queries.
  Result<Statement> prepare(std::string_view sql, std::string_view what);
  // The cached statement for `sql`, prepared on first use and reset when the loan ends.
  Result<ScopedStatement> cached(std::string_view sql, std::string_view what);

  Error error(int rc, std::string_view what) const;
  sqlite3* handle() const { return db_.get(); }
  const std::string& path() const { return path_; }
  int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_.get()); }
  int64_t changes() const { return sqlite3_changes64(db_.get()); }
  bool in_transaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  Database(sqlite3* db, std::string path);

  std::unique_ptr<sqlite3, Closer> db_;
  std::string path_;
  // Declared after db_ so statements are finalized before the connection closes.
  std::unordered_map<std::string, std::unique_ptr<Statement>, StringHash, std::equal_to<>> cache_;
};

// BEGIN … COMMIT; rolls back when destroyed uncommitted.
class Transaction {
 public:
  // immediate: take the write lock now (BEGIN IMMEDIATE), so a write transaction never
  // fails half-way with SQLITE_BUSY on lock upgrade.
  static Result<Transaction> begin(Database& db, bool immediate);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

}  // namespace crema::store::sqlite
