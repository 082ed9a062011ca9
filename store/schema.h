// The store's on-disk schema: the current version, how an empty file is initialised and how an
// older file is upgraded (one migration per version step, each in the caller's transaction).
//
// The version is SQLite's `PRAGMA user_version`; `PRAGMA application_id` marks the file as a cpa
// store so that another application's database is refused rather than written to.
// Functions here run on one connection from one thread (the store's writer).
#pragma once

#include <cstdint>

#include "common/error.h"
#include "store/sqlite_db.h"

namespace cpa::store {

inline constexpr int64_t kSchemaVersion = 2;
inline constexpr int64_t kApplicationId = 0x43504153;  // "CPAS"

// Registers the SQL functions migrations use: cpa_number(text) -> REAL or NULL (ParseNumber),
// cpa_extra_text(text) -> NULL when the text is exactly FormatNumber of its number, else text.
Status RegisterStoreFunctions(Db& db);

// Creates the current schema (version 0 = empty file) or upgrades from `from_version` to
// kSchemaVersion. Must run inside a write transaction; sets user_version and application_id.
Status MigrateSchema(Db& db, int64_t from_version);

}  // namespace cpa::store
