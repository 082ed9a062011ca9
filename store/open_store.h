// OpenStore: the store an autoscaler runs with, never failing.
//
// Opens the configured file; when that fails (unreadable, corrupt, not a cpa store, newer schema,
// read-only directory) it logs the reason and returns an in-memory store with the same retention,
// so the autoscaler keeps running. The file is never deleted or rewritten.
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
