// JSON and YAML documents as one DOM (RapidJSON).
//
// YAML is read into the same RapidJSON DOM as JSON (plain scalars typed by the YAML 1.2 core
// schema; quoted scalars stay strings), so config and fixtures are handled by one code path.
// Every function is pure and thread-safe; parse errors are values naming line/offset.
#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "common/error.h"

namespace cpa {

using JsonValue = rapidjson::Value;
using JsonDocument = rapidjson::Document;
using JsonAllocator = rapidjson::Document::AllocatorType;

// Parses exactly one JSON value; trailing non-space text is an error.
Result<JsonDocument> ParseJson(std::string_view text);
// Parses one YAML document (or JSON, which is YAML) into a JSON DOM.
Result<JsonDocument> ParseYaml(std::string_view text);

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
