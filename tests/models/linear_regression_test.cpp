#include "models/linear_regression.h"

#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace cpa::models {
namespace {

TEST(LinearRegression, ExactLineIsRecovered) {
  const std::vector<double> t = {1.7e9, 1.7e9 + 15, 1.7e9 + 30, 1.7e9 + 45};
  std::vector<double> v;
  for (double x : t) v.push_back(3.0 + 0.25 * (x - 1.7e9));
  auto p = PredictLinear(t, v, 1.7e9 + 105);
  ASSERT_TRUE(p.has_value());
  EXPECT_NEAR(*p, 3.0 + 0.25 * 105, 1e-9);
}

TEST(LinearRegression, UsesOnlyTheLastHistorySizePoints) {
  const std::vector<double> t = {0, 1, 2, 3, 4};
  const std::vector<double> v = {100, -50, 2, 4, 6};
  auto line = FitLine(t, v, 3);
  ASSERT_TRUE(line.has_value());
  EXPECT_DOUBLE_EQ(line->slope, 2.0);
  EXPECT_DOUBLE_EQ(line->At(5), 8.0);
}

TEST(LinearRegression, OnePointReturnsThatPoint) {
  const std::vector<double> t = {10.0};
  const std::vector<double> v = {7.5};
  EXPECT_DOUBLE_EQ(*PredictLinear(t, v, 1000.0), 7.5);
}

TEST(LinearRegression, IdenticalTimestampsGiveTheMean) {
  const std::vector<double> t = {5.0, 5.0, 5.0};
  const std::vector<double> v = {1.0, 2.0, 6.0};
  auto line = FitLine(t, v);
  ASSERT_TRUE(line.has_value());
  EXPECT_DOUBLE_EQ(line->slope, 0.0);
  EXPECT_DOUBLE_EQ(line->At(60.0), 3.0);
}

TEST(LinearRegression, RejectsBadInput) {
  const std::vector<double> empty;
  EXPECT_EQ(FitLine(empty, empty).error().code, ErrorCode::kInvalidArgument);
  const std::vector<double> t = {1.0, 2.0};
  const std::vector<double> v = {1.0};
  EXPECT_EQ(FitLine(t, v).error().code, ErrorCode::kInvalidArgument);
  const std::vector<double> nan = {1.0, std::numeric_limits<double>::quiet_NaN()};
  EXPECT_EQ(FitLine(t, nan).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(FitLine(t, t, -1).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(PredictLinear(t, t, std::numeric_limits<double>::infinity()).error().code,
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace cpa::models
