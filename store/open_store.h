// OpenStore: a store that is always there, for simulations and benchmarks.
//
// Opens the configured file; when that fails (unreadable, corrupt, not a cpa store, newer schema,
// read-only directory) it logs the reason and returns an in-memory store with the same retention.
// The file is never deleted or rewritten. `cpa run` does not use it: it refuses to start on a
// store file it cannot open (OpenSqliteStore), because running on in memory would drop the
// history stabilization reads (docs/store.md).
#pragma once

#include <memory>
#include <optional>

#include "common/error.h"
#include "store/options.h"
#include "store/store.h"

namespace cpa::store {

struct OpenedStore {
  std::unique_ptr<Store> store;  // never null
  // Set when the configured file could not be used and `store` is the in-memory fallback.
  std::optional<Error> fallback_reason;
};

OpenedStore OpenStore(const StoreOptions& options);

}  // namespace cpa::store
