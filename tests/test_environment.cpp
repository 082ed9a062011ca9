// Linked into every test binary (cpa_add_test): sets CPA_SOURCE_DIR and CPA_BINARY_DIR to the
// tree the test was built in, unless the environment already names them, before any test runs.
// (Passing both through ctest's ENVIRONMENT property lost the second one: the property list is
// split at the semicolon, so a sanitizer tree's tests ran the Release `cpa`.)
#include <cstdlib>

namespace {

const bool kEnvironmentSet = [] {
  setenv("CPA_SOURCE_DIR", CPA_TEST_SOURCE_DIR, /*overwrite=*/0);
  setenv("CPA_BINARY_DIR", CPA_TEST_BINARY_DIR, /*overwrite=*/0);
  return true;
}();

}  // namespace
