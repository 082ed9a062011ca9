// Inputs found by the fuzz targets (fuzz/), kept as regression tests.
#include <gtest/gtest.h>

#include "kube/lease.h"

namespace cpa::kube {
namespace {

// fuzz_kube_json: a metrics timestamp in year 4048 overflowed the conversion to nanoseconds.
TEST(KubeFuzzRegression, Rfc3339OutsideTheNanosecondRangeIsAnError) {
  auto r = ParseRfc3339("4048-01-01T00:00:00Z");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("out of range"), std::string::npos) << r.error().message;
  EXPECT_FALSE(ParseRfc3339("2024-13-01T00:00:00Z"));
  EXPECT_TRUE(ParseRfc3339("2261-12-31T23:59:59Z"));
  EXPECT_TRUE(ParseRfc3339("2024-01-01T00:00:00.5Z"));
}

}  // namespace
}  // namespace cpa::kube
