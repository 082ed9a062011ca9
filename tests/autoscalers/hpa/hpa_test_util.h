// Shared helpers of the hpa tests: data paths, JSON subset matching, registration.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "autoscalers/hpa/hpa_evaluator.h"
#include "common/json.h"
#include "engine/config/method_types.h"

namespace cpa::hpa::testing_util {

inline std::string SourceDir() {
  const char* src = std::getenv("CPA_SOURCE_DIR");
  return src != nullptr ? src : ".";
}
inline std::filesystem::path CasesDir() {
  return std::filesystem::path(SourceDir()) / "tests/data/hpa";
}
inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
// Registers `hpa` once per process (the cli/ composition root does this in `cpa`).
inline void EnsureHpaRegistered() {
  if (config::FindMethodType("hpa") == nullptr) (void)RegisterHpaMethodType();
}

// Every member of `expected` must be in `actual` with the same value (objects recursively; arrays
// element by element with the same length). Returns the mismatches, one per line.
inline std::string SubsetMismatches(const JsonValue& expected, const JsonValue& actual,
                                    const std::string& path = "") {
  std::string out;
  if (expected.IsObject()) {
    if (!actual.IsObject())
      return fmt::format("{}: expected an object, got {}\n", path, ToJson(actual));
    for (const auto& m : expected.GetObject()) {
      std::string key(m.name.GetString(), m.name.GetStringLength());
      const JsonValue* a = FindMember(actual, key);
      if (a == nullptr) {
        out += fmt::format("{}.{}: missing\n", path, key);
        continue;
      }
      out += SubsetMismatches(m.value, *a, path + "." + key);
    }
    return out;
  }
  if (expected.IsArray()) {
    if (!actual.IsArray() || actual.Size() != expected.Size()) {
      return fmt::format("{}: expected {} items, got {}\n", path, expected.Size(), ToJson(actual));
    }
    for (rapidjson::SizeType i = 0; i < expected.Size(); ++i) {
      out += SubsetMismatches(expected[i], actual[i], fmt::format("{}[{}]", path, i));
    }
    return out;
  }
  if (expected.IsNumber() && actual.IsNumber()) {
    if (expected.GetDouble() != actual.GetDouble()) {
      out += fmt::format("{}: expected {}, got {}\n", path, ToJson(expected), ToJson(actual));
    }
    return out;
  }
  if (expected != actual) {
    out += fmt::format("{}: expected {}, got {}\n", path, ToJson(expected), ToJson(actual));
  }
  return out;
}

}  // namespace cpa::hpa::testing_util
