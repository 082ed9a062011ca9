#include "common/json.h"

#include <cmath>
#include <optional>
#include <regex>

#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <yaml-cpp/yaml.h>

namespace cpa {
namespace {

bool IsNullScalar(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

std::optional<bool> BoolScalar(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

const std::regex& IntPattern() {
  static const std::regex re("[-+]?[0-9]+");
  return re;
}
const std::regex& FloatPattern() {
  static const std::regex re("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  return re;
}

void ScalarToJson(const YAML::Node& node, JsonValue& out, JsonAllocator& a) {
  const std::string& s = node.Scalar();
  const std::string& tag = node.Tag();
  // "!" marks a quoted (non-plain) scalar; explicit !!str also means string.
  if (tag == "!" || tag == "tag:yaml.org,2002:str") {
    out.SetString(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
    return;
  }
  if (IsNullScalar(s)) {
    out.SetNull();
    return;
  }
  if (auto b = BoolScalar(s)) {
    out.SetBool(*b);
    return;
  }
  if (std::regex_match(s, IntPattern())) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno == 0 && end != nullptr && *end == '\0') {
      out.SetInt64(v);
      return;
    }
  }
  if (std::regex_match(s, FloatPattern())) {
    out.SetDouble(std::strtod(s.c_str(), nullptr));
    return;
  }
  out.SetString(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

void YamlToJson(const YAML::Node& node, JsonValue& out, JsonAllocator& a) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out.SetNull();
      return;
    case YAML::NodeType::Scalar:
      ScalarToJson(node, out, a);
      return;
    case YAML::NodeType::Sequence:
      out.SetArray();
      for (const auto& item : node) {
        JsonValue v;
        YamlToJson(item, v, a);
        out.PushBack(v, a);
      }
      return;
    case YAML::NodeType::Map:
      out.SetObject();
      for (const auto& kv : node) {
        std::string key = kv.first.Scalar();
        JsonValue v;
        YamlToJson(kv.second, v, a);
        if (auto it = out.FindMember(key.c_str()); it != out.MemberEnd()) {
          it->value = v;  // later duplicate wins, as in most YAML loaders
        } else {
          out.AddMember(JsonString(key, a), v, a);
        }
      }
      return;
  }
}

bool NeedsQuotes(std::string_view s) {
  if (s.empty()) return true;
  std::string str(s);
  if (IsNullScalar(str) || BoolScalar(str) || std::regex_match(str, IntPattern()) ||
      std::regex_match(str, FloatPattern())) {
    return true;
  }
  static const std::string kSpecialStart = "!&*-?:,[]{}#|>@`\"'% ";
  if (kSpecialStart.find(s.front()) != std::string::npos || s.back() == ' ') return true;
  for (char c : s) {
    if (c == '\n' || c == '\t' || c == '"' || c == '\\') return true;
  }
  return s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos ||
         s == "yes" || s == "no" || s == "on" || s == "off" || s == "y" || s == "n";
}

void EmitYaml(const JsonValue& v, YAML::Emitter& out) {
  if (v.IsObject()) {
    out << YAML::BeginMap;
    for (const auto& m : v.GetObject()) {
      out << YAML::Key << std::string(m.name.GetString(), m.name.GetStringLength());
      out << YAML::Value;
      EmitYaml(m.value, out);
    }
    out << YAML::EndMap;
  } else if (v.IsArray()) {
    out << YAML::BeginSeq;
    for (const auto& item : v.GetArray()) EmitYaml(item, out);
    out << YAML::EndSeq;
  } else if (v.IsString()) {
    std::string s(v.GetString(), v.GetStringLength());
    if (NeedsQuotes(s)) out << YAML::DoubleQuoted;
    out << s;
  } else if (v.IsBool()) {
    out << (v.GetBool() ? "true" : "false");
  } else if (v.IsInt64()) {
    out << v.GetInt64();
  } else if (v.IsUint64()) {
    out << v.GetUint64();
  } else if (v.IsNumber()) {
    out << ToJson(v);
  } else {
    out << YAML::Null;
  }
}

}  // namespace

Result<JsonDocument> ParseJson(std::string_view text) {
  JsonDocument doc;
  // The default flags reject trailing non-space text after the root value.
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "invalid JSON at offset {}: {}",
                      doc.GetErrorOffset(), rapidjson::GetParseError_En(doc.GetParseError()));
  }
  return doc;
}

Result<JsonDocument> ParseYaml(std::string_view text) {
  JsonDocument doc;
  try {
    YAML::Node node = YAML::Load(std::string(text));
    YamlToJson(node, doc, doc.GetAllocator());
  } catch (const YAML::Exception& e) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "invalid YAML at line {}, column {}: {}",
                      e.mark.line + 1, e.mark.column + 1, e.msg);
  }
  return doc;
}

std::string ToJson(const JsonValue& value, bool pretty) {
  rapidjson::StringBuffer buffer;
  if (pretty) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
    writer.SetIndent(' ', 2);
    value.Accept(writer);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    value.Accept(writer);
  }
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string ToYaml(const JsonValue& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  EmitYaml(value, out);
  std::string s = out.c_str();
  if (s.empty() || s.back() != '\n') s += '\n';
  return s;
}

void MergeJson(JsonValue& into, const JsonValue& from, JsonAllocator& allocator) {
  if (!into.IsObject() || !from.IsObject()) {
    into.CopyFrom(from, allocator);
    return;
  }
  for (const auto& m : from.GetObject()) {
    auto it = into.FindMember(m.name);
    if (it == into.MemberEnd()) {
      JsonValue key(m.name, allocator);
      JsonValue value(m.value, allocator);
      into.AddMember(key, value, allocator);
    } else {
      MergeJson(it->value, m.value, allocator);
    }
  }
}

std::string_view JsonTypeName(const JsonValue& value) {
  if (value.IsObject()) return "object";
  if (value.IsArray()) return "array";
  if (value.IsString()) return "string";
  if (value.IsNumber()) return "number";
  if (value.IsBool()) return "boolean";
  return "null";
}

const JsonValue* FindMember(const JsonValue& object, std::string_view key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(
      JsonValue(rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size()))));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string StringMember(const JsonValue& object, std::string_view key) {
  const JsonValue* v = FindMember(object, key);
  return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : "";
}

std::string MetadataString(const JsonValue& object, std::string_view key) {
  const JsonValue* metadata = FindMember(object, "metadata");
  return metadata != nullptr ? StringMember(*metadata, key) : "";
}

}  // namespace cpa
