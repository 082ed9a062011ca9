// Data-driven agreement with statsmodels 0.13.5 and numpy: one parameterized test runs every case
// under tests/data/models/ (written by scripts/models/generate_reference.py; no Python needed
// here). Where statsmodels 0.13.5 is wrong (issue #9538: forecasts at multiples of the season
// length; damped multiplicative trend forecasts), the files hold the textbook recursion's values
// instead, and each such case says so in its "notes".
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "models/fit.h"
#include "models/holt_winters.h"
#include "models/linear_regression.h"

namespace cpa::models {
namespace {

std::filesystem::path DataDir() {
  const char* root = std::getenv("CPA_SOURCE_DIR");
  return std::filesystem::path(root != nullptr ? root : ".") / "tests" / "data" / "models";
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(DataDir(), ec)) {
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

rapidjson::Document Load(const std::string& name) {
  std::ifstream in(DataDir() / (name + ".json"));
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(text.str().c_str());
  return doc;
}

std::vector<double> Doubles(const rapidjson::Value& array) {
  std::vector<double> out;
  for (const auto& v : array.GetArray()) out.push_back(v.GetDouble());
  return out;
}

// |actual - expected| <= tol * max(|expected|, floor).
void ExpectNear(const std::vector<double>& actual, const std::vector<double>& expected, double tol,
                double floor, const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(actual[i], expected[i], tol * std::max(std::abs(expected[i]), floor))
        << what << "[" << i << "]";
  }
}

HoltWintersOptions OptionsOf(const rapidjson::Value& c) {
  HoltWintersOptions o;
  o.trend = *ParseTrend(c["trend"].GetString());
  o.damped = c["damped"].GetBool();
  o.seasonal = *ParseSeasonal(c["seasonal"].GetString());
  o.season_length = c["season_length"].GetInt();
  o.initialization = *ParseInitialization(c["initialization"].GetString());
  return o;
}

class ReferenceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ReferenceTest, MatchesReference) {
  const rapidjson::Document c = Load(GetParam());
  ASSERT_FALSE(c.HasParseError()) << GetParam();
  const std::string kind = c["kind"].GetString();
  if (kind == "holt_winters") {
    HoltWintersOptions o = OptionsOf(c);
    o.params = {c["alpha"].GetDouble(), c["beta"].GetDouble(), c["gamma"].GetDouble(),
                c["phi"].GetDouble()};
    const std::vector<double> y = Doubles(c["y"]);
    if (o.initialization == Initialization::kKnown) {
      o.initial.level = c["initial_level"].GetDouble();
      o.initial.trend = c["initial_trend"].GetDouble();
      o.initial.seasonal = Doubles(c["initial_seasonal"]);
    }
    const int horizon = c["horizon"].GetInt();
    auto result = RunHoltWinters(o, y, horizon);
    ASSERT_TRUE(result.has_value()) << result.error().ToString();
    double scale = 0.0;
    for (double v : y) scale = std::max(scale, std::abs(v));
    EXPECT_NEAR(result->initial.level, c["initial_level"].GetDouble(), 1e-9 * scale);
    if (o.HasTrend()) {
      EXPECT_NEAR(result->initial.trend, c["initial_trend"].GetDouble(),
                  1e-9 * (o.trend == Trend::kAdditive ? scale : 1.0));
    }
    ExpectNear(result->initial.seasonal, Doubles(c["initial_seasonal"]), 1e-9,
               o.seasonal == Seasonal::kAdditive ? scale : 1.0, "initial seasonal");
    ExpectNear(result->fitted, Doubles(c["expected_fitted"]), 1e-9, 0.0, "fitted");
    EXPECT_NEAR(result->sse, c["expected_sse"].GetDouble(), 1e-9 * c["expected_sse"].GetDouble());
    ExpectNear(result->forecast, Doubles(c["expected_forecast"]), 1e-9, 0.0, "forecast");
  } else if (kind == "fit") {
    const HoltWintersOptions o = OptionsOf(c);
    const std::vector<double> y = Doubles(c["y"]);
    auto fit = FitHoltWinters(o, y);
    ASSERT_TRUE(fit.has_value()) << fit.error().ToString();
    const double reference = c["statsmodels_sse"].GetDouble();
    EXPECT_LE(fit->sse, reference * (1.0 + c["tolerance"].GetDouble()))
        << "statsmodels' optimized SSE " << reference << ", ours " << fit->sse;
  } else if (kind == "linear") {
    const std::vector<double> t = Doubles(c["times"]);
    const std::vector<double> v = Doubles(c["values"]);
    auto line = FitLine(t, v, c["history_size"].GetInt());
    ASSERT_TRUE(line.has_value()) << line.error().ToString();
    const double expected = c["expected"].GetDouble();
    EXPECT_NEAR(line->At(c["at"].GetDouble()), expected, 1e-9 * std::abs(expected));
    EXPECT_NEAR(line->slope, c["expected_slope"].GetDouble(),
                1e-9 * std::abs(c["expected_slope"].GetDouble()));
  } else {
    FAIL() << "unknown case kind " << kind;
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ReferenceTest, ::testing::ValuesIn(CaseNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(ModelsReference, AllCaseKindsArePresent) {
  const auto names = CaseNames();
  const auto count = [&](const std::string& prefix) {
    return std::count_if(names.begin(), names.end(),
                         [&](const std::string& n) { return n.rfind(prefix, 0) == 0; });
  };
  EXPECT_GE(count("hw_known_"), 10);
  EXPECT_GE(count("hw_heuristic_"), 8);
  EXPECT_GE(count("fit_"), 8);
  EXPECT_GE(count("linear_"), 3);
}

}  // namespace
}  // namespace cpa::models
