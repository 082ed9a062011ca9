#include "store/options.h"

#include <fmt/format.h>

namespace cpa::store {

std::vector<OptionError> StoreOptions::Validate() const {
  std::vector<OptionError> errors;
  if (path.find('\0') != std::string::npos) {
    errors.push_back({"path", "must not contain a NUL character"});
  }
  if (!path.empty() && path.back() == '/') {
    errors.push_back({"path", fmt::format("\"{}\" names a directory; give a file path", path)});
  }
  if (read_only && path.empty()) {
    errors.push_back({"path", "read-only access needs a database file"});
  }
  if (max_age.count() < 0) {
    errors.push_back(
        {"retention.maxAge",
         fmt::format("must be 0 (keep forever) or positive, got {} ms", max_age.count())});
  } else if (max_age.count() > 0 && max_age < std::chrono::seconds(1)) {
    errors.push_back(
        {"retention.maxAge", fmt::format("must be at least 1s, got {} ms", max_age.count())});
  }
  if (max_points_per_series < 0) {
    errors.push_back(
        {"retention.maxPointsPerSeries",
         fmt::format("must be 0 (no limit) or positive, got {}", max_points_per_series)});
  }
  if (retention_chunk < 1) {
    errors.push_back(
        {"retention.chunk", fmt::format("must be at least 1, got {}", retention_chunk)});
  }
  if (busy_timeout.count() < 0) {
    errors.push_back(
        {"busyTimeout", fmt::format("must not be negative, got {} ms", busy_timeout.count())});
  }
  return errors;
}

}  // namespace cpa::store
