#include "store/options.h"

#include <gtest/gtest.h>

#include "store/sqlite_store.h"

namespace cpa::store {
namespace {

TEST(StoreOptionsTest, DefaultsAreValid) { EXPECT_TRUE(StoreOptions{}.Validate().empty()); }

TEST(StoreOptionsTest, EveryErrorNamesItsField) {
  StoreOptions options;
  options.path = "/data/";
  options.max_age = std::chrono::milliseconds(-1);
  options.max_points_per_series = -5;
  options.retention_chunk = 0;
  options.busy_timeout = std::chrono::milliseconds(-1);
  auto errors = options.Validate();
  std::vector<std::string> fields;
  for (const auto& e : errors) fields.push_back(e.field);
  EXPECT_EQ(fields,
            (std::vector<std::string>{"path", "retention.maxAge", "retention.maxPointsPerSeries",
                                      "retention.chunk", "busyTimeout"}));
}

TEST(StoreOptionsTest, SubSecondMaxAgeAndReadOnlyMemoryAreRejected) {
  StoreOptions options;
  options.max_age = std::chrono::milliseconds(10);
  options.read_only = true;
  auto errors = options.Validate();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].field, "path");
  EXPECT_EQ(errors[1].field, "retention.maxAge");
}

TEST(StoreOptionsTest, OpenRefusesInvalidOptionsNamingTheKey) {
  StoreOptions options;
  options.max_points_per_series = -1;
  auto store = OpenSqliteStore(options);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(store.error().message.find("store.retention.maxPointsPerSeries"), std::string::npos)
      << store.error().message;
}

}  // namespace
}  // namespace cpa::store
