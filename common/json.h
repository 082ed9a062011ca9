// JSON and YAML documents as one DOM (RapidJSON).
//
// YAML is read into the same RapidJSON DOM as JSON (plain scalars typed by the YAML 1.2 core
// schema; quoted scalars stay strings), so config and fixtures are handled by one code path.
// Every function is pure and thread-safe; parse errors are values naming line/offset.
//
// Parsing is bounded (ParseLimits): nesting depth for JSON and YAML; for YAML also the input size,
// the number of values and string bytes after alias expansion (a self-referencing alias or a
// "billion laughs" document is an error, not a crash or an out-of-memory). A key that appears twice
// in one object is an error naming the key, in JSON and YAML alike.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "common/error.h"

namespace cpa {

using JsonValue = rapidjson::Value;
using JsonDocument = rapidjson::Document;
using JsonAllocator = rapidjson::Document::AllocatorType;

struct ParseLimits {
  // Objects and arrays nested deeper than this are an error (JSON and YAML).
  int max_depth = 256;
  // YAML only (JSON cannot expand: its size is bounded by the caller's read limit).
  std::size_t max_yaml_bytes = 16u << 20;   // input text
  std::size_t max_yaml_values = 1'000'000;  // scalars, keys and containers, aliases expanded
  std::size_t max_yaml_expanded_bytes = 64u << 20;  // string bytes, aliases expanded
};

// Parses exactly one JSON value; trailing non-space text is an error, as is a duplicate key.
Result<JsonDocument> ParseJson(std::string_view text, const ParseLimits& limits = {});
// Parses one YAML document (or JSON, which is YAML) into a JSON DOM. A number beyond the range of
// a double (`1e400`) is an error quoting its text.
Result<JsonDocument> ParseYaml(std::string_view text, const ParseLimits& limits = {});

std::string ToJson(const JsonValue& value, bool pretty = false);
// Block-style YAML; strings that would read back as another type are quoted.
std::string ToYaml(const JsonValue& value);

// Deep merge: for objects, every member of `from` is merged into `into` (objects recursively,
// anything else replaces). When either side is not an object, `into` becomes a copy of `from`.
void MergeJson(JsonValue& into, const JsonValue& from, JsonAllocator& allocator);

// "object", "array", "string", "number", "boolean", "null"
std::string_view JsonTypeName(const JsonValue& value);

// Convenience for building documents.
inline JsonValue JsonString(std::string_view s, JsonAllocator& a) {
  return JsonValue(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}
// Member lookup that never asserts: nullptr when `object` is not an object or lacks `key`.
const JsonValue* FindMember(const JsonValue& object, std::string_view key);
// The string member `key` of `object`; "" when absent or not a string.
std::string StringMember(const JsonValue& object, std::string_view key);
// metadata.<key> of a Kubernetes object ("name", "namespace", "uid", ...); "" when absent.
std::string MetadataString(const JsonValue& object, std::string_view key);

}  // namespace cpa
