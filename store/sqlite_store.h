// SqliteStore: the Store on SQLite, in a file or in memory.
//
// File mode: WAL journal, synchronous=NORMAL (a committed batch survives a crash of the process,
// kill -9 included; an OS crash may lose the last batches but never corrupts the file), one
// writer connection (batches serialized by a mutex) and one read connection, so queries never
// wait for a write in progress and see only committed batches. Opening runs schema migrations;
// a file that is not a cpa store, is corrupt, or has a newer schema than this binary knows is
// refused with an error and left untouched.
// Memory mode (empty path): the same schema and SQL in a private in-memory database, one
// connection for reads and writes. All methods are thread-safe.
#pragma once

#include <memory>

#include "common/error.h"
#include "store/options.h"
#include "store/store.h"

namespace cpa::store {

// Opens (creating when missing, unless options.read_only) the store at options.path, or an
// in-memory store when the path is empty. Invalid options are an kInvalidArgument error naming
// the field.
Result<std::unique_ptr<Store>> OpenSqliteStore(const StoreOptions& options);

}  // namespace cpa::store
