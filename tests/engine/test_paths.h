// Paths of test data for engine tests.
#pragma once

#include <cstdlib>
#include <string>

namespace cpa::engine::testing_paths {

inline std::string SourceDir() {
  const char* src = std::getenv("CPA_SOURCE_DIR");
  return src != nullptr ? src : ".";
}
inline std::string Logic(const std::string& script) {
  return SourceDir() + "/tests/data/engine/logic/" + script;
}

}  // namespace cpa::engine::testing_paths
