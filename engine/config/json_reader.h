// Typed, path-aware reading of one JSON/YAML object into option structs.
//
// Each getter leaves the output untouched (its default) when the key is absent, records an error
// naming the full key path when the value has the wrong type or range, and marks the key as known.
// Finish() warns about every key that no getter asked for (typos such as `intervall`).
// Not thread-safe; lives for the parse of one object.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "engine/config/config_issues.h"

namespace cpa::config {

class JsonReader {
 public:
  // `object` may be any value; a non-object records "must be an object".
  JsonReader(const JsonValue& object, std::string path, ConfigIssues& issues);

  bool Valid() const { return object_ != nullptr; }
  const std::string& path() const { return path_; }
  std::string PathOf(std::string_view key) const;
  bool Has(std::string_view key) const;
  // Marks the key known and returns its value (nullptr when absent or null).
  const JsonValue* Get(std::string_view key);
  void Required(std::string_view key);

  void String(std::string_view key, std::string& out);
  void Int(std::string_view key, int64_t& out);
  void Int(std::string_view key, int& out);
  void Double(std::string_view key, double& out);
  void Bool(std::string_view key, bool& out);
  void StringList(std::string_view key, std::vector<std::string>& out);
  void IntList(std::string_view key, std::vector<int>& out);
  void StringMap(std::string_view key, std::map<std::string, std::string>& out);
  void OptionalString(std::string_view key, std::optional<std::string>& out);
  // Marks keys as known without reading them (handled elsewhere).
  void Known(std::initializer_list<std::string_view> keys);

  // Warns about unknown keys. Call once after all getters.
  void Finish();

  ConfigIssues& issues() { return issues_; }

 private:
  const JsonValue* object_ = nullptr;
  std::string path_;
  ConfigIssues& issues_;
  std::set<std::string, std::less<>> known_;
};

// Reads an integer from a JSON number: integral doubles (1.0) are accepted, fractions are not.
std::optional<int64_t> AsInteger(const JsonValue& v);
// Short rendering of a value for messages: "string \"abc\"", "number 1.5", "object".
std::string Describe(const JsonValue& v);

}  // namespace cpa::config
