// Data-driven config cases: tests/data/configs/valid/* must load without errors;
// tests/data/configs/invalid/*.yaml declare the errors (and warnings) they must produce in
// "# expect-error: <path>: <message prefix>" comment lines.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/config/config_loader.h"

namespace cpa::config {
namespace {

namespace fs = std::filesystem;

fs::path DataDir() {
  const char* src = std::getenv("CPA_SOURCE_DIR");
  return fs::path(src != nullptr ? src : ".") / "tests/data/configs";
}

std::vector<std::string> Files(const std::string& sub) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(DataDir() / sub)) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

LoadOptions NoEnv() {
  LoadOptions o;
  o.env = [](std::string_view) { return std::nullopt; };
  o.require_target = false;
  return o;
}

std::string Name(const testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class ConfigValidFile : public testing::TestWithParam<std::string> {};

TEST_P(ConfigValidFile, LoadsWithoutErrors) {
  LoadOptions o = NoEnv();
  o.path = GetParam();
  auto r = LoadConfig(o);
  ASSERT_TRUE(r) << (r ? "" : r.error().errors.front().ToString());
  // The effective config, printed and read back, loads to the same effective config.
  std::string printed = ToYaml(ConfigToJson(r->config));
  auto again = LoadConfigFromText(printed, "printed.yaml", NoEnv());
  ASSERT_TRUE(again) << printed;
  EXPECT_EQ(ToJson(ConfigToJson(again->config)), ToJson(ConfigToJson(r->config)));
}

INSTANTIATE_TEST_SUITE_P(Data, ConfigValidFile, testing::ValuesIn(Files("valid")), Name);

class ConfigInvalidFile : public testing::TestWithParam<std::string> {};

TEST_P(ConfigInvalidFile, ReportsEveryExpectedError) {
  std::string text = Read(GetParam());
  std::vector<std::string> expected_errors;
  std::vector<std::string> expected_warnings;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# expect-error: ")) expected_errors.push_back(line.substr(16));
    if (line.starts_with("# expect-warning: ")) expected_warnings.push_back(line.substr(18));
  }
  ASSERT_FALSE(expected_errors.empty()) << "an invalid case must declare its errors";
  LoadOptions o = NoEnv();
  o.path = GetParam();
  auto r = LoadConfig(o);
  ASSERT_FALSE(r) << "loaded but should not have";
  auto contains = [](const std::vector<ConfigIssue>& issues, const std::string& want) {
    for (const auto& i : issues) {
      if (i.ToString().find(want) != std::string::npos) return true;
    }
    return false;
  };
  std::string all;
  for (const auto& e : r.error().errors) all += "\n  " + e.ToString();
  for (const auto& want : expected_errors) {
    EXPECT_TRUE(contains(r.error().errors, want)) << "missing error: " << want << "\ngot:" << all;
  }
  EXPECT_EQ(r.error().errors.size(), expected_errors.size()) << "got:" << all;
  for (const auto& want : expected_warnings) {
    EXPECT_TRUE(contains(r.error().warnings, want)) << "missing warning: " << want;
  }
}

INSTANTIATE_TEST_SUITE_P(Data, ConfigInvalidFile, testing::ValuesIn(Files("invalid")), Name);

}  // namespace
}  // namespace cpa::config
