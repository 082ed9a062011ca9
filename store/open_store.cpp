#include "store/open_store.h"

#include <utility>

#include "common/log.h"
#include "store/sqlite_store.h"

namespace cpa::store {

OpenedStore OpenStore(const StoreOptions& options) {
  auto opened = OpenSqliteStore(options);
  if (opened) return OpenedStore{std::move(*opened), std::nullopt};
  Error reason = opened.error();
  StoreOptions memory = options;
  memory.path.clear();
  memory.read_only = false;
  auto fallback = OpenSqliteStore(memory);
  if (!fallback) {
    // Only possible if SQLite cannot allocate an in-memory database; retry with defaults.
    fallback = OpenSqliteStore(StoreOptions{});
  }
  log::Error("{}; history is kept in memory only until the store file is fixed", reason.ToString());
  return OpenedStore{std::move(*fallback), std::move(reason)};
}

}  // namespace cpa::store
