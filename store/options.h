// StoreOptions: where the store lives and how much it keeps.
//
// Defaults are in the struct; Validate() lists every problem, each naming the field by its config
// key under the `store` section (`path`, `retention.maxAge`, ...; see docs/store.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace cpa::store {

struct OptionError {
  std::string field;  // config key under `store`, e.g. "retention.maxAge"
  std::string message;
};

struct StoreOptions {
  // Database file. Empty: SQLite in memory (history is lost when the process ends).
  std::string path;
  // Rows older than this, relative to the newest run recorded for the same autoscaler, are
  // removed. 0 = keep forever.
  std::chrono::milliseconds max_age = std::chrono::hours(24 * 30);
  // Newest rows kept per series (each metric series, and evaluations and decisions of each
  // autoscaler). 0 = no limit.
  int64_t max_points_per_series = 0;
  // At most this many expired rows per series are deleted after each batch, so a large backlog
  // (say after lowering maxAge) drains over several runs instead of stalling one.
  int64_t retention_chunk = 512;
  // How long a write waits for another process holding the file's write lock.
  std::chrono::milliseconds busy_timeout = std::chrono::seconds(5);
  // Open an existing file for reading only: no creation, no migration, no retention.
  bool read_only = false;

  // Empty when the options are usable.
  std::vector<OptionError> Validate() const;
};

}  // namespace cpa::store
