// src/store/schema.h: the store's tables, and how open() creates or checks them.
// docs/store.md describes every table and column; keep the two in step.
#pragma once

#include <cstdint>

#include "crema/common/result.h"
#include "sqlite.h"

namespace crema::store {

// PRAGMA application_id of every crema store: "CRMA" in ASCII.
inline constexpr int32_t kApplicationId = 0x43524D41;

// On a new (empty) file: creates the schema in one transaction. On an existing file:
// checks it is a crema store of a version this build can use (migrating older ones).
// Then sets the per-connection pragmas (WAL, synchronous=FULL, foreign keys, cache).
// Returns the schema version. Errors: kCorrupt (not a database, or not a crema store),
// kUnsupported (made by a newer crema), kIoError (cannot read or lock the file).
Result<int> prepare_schema(sqlite::Database& db);

}  // namespace crema::store
