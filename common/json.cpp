#include "common/json.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <regex>
#include <sstream>
#include <unordered_set>
#include <vector>

#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>
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

// A scalar error carries no mark; the builder adds it.
struct ScalarOutOfRange {};

void ScalarToJson(const std::string& s, const std::string& tag, JsonValue& out, JsonAllocator& a) {
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
    double d = std::strtod(s.c_str(), nullptr);
    if (!std::isfinite(d)) throw ScalarOutOfRange{};
    out.SetDouble(d);
    return;
  }
  out.SetString(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

// Thrown from the event handler to stop the parse; caught in ParseYaml.
struct YamlBoundError {
  YAML::Mark mark;
  std::string message;
};

// Builds the DOM from yaml-cpp's parse events, so that the limits apply while parsing: the depth
// before yaml-cpp recurses further, alias expansion before anything is copied. Aliases are expanded
// from a copy of the finished anchored value; an alias to an anchor that is still open is the
// self-reference `a: &a [*a]`.
class YamlDomBuilder : public YAML::EventHandler {
 public:
  YamlDomBuilder(JsonDocument& doc, const ParseLimits& limits) : doc_(doc), limits_(limits) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (ExpectingKey()) {
      AddKey(mark, "");
      return;
    }
    Count(mark, 1, 0);
    Emit(mark, JsonValue(), anchor, 1, 0);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (anchor >= anchors_.size() || !anchors_[anchor].done) {
      throw YamlBoundError{mark, "an alias refers to the node that contains it (recursive alias)"};
    }
    const Anchored& target = anchors_[anchor];
    if (ExpectingKey()) {
      if (!target.value.IsString()) {
        throw YamlBoundError{mark, "a mapping key must be a scalar"};
      }
      AddKey(mark, std::string(target.value.GetString(), target.value.GetStringLength()));
      return;
    }
    Count(mark, target.values, target.bytes);  // before copying anything
    JsonValue copy(target.value, doc_.GetAllocator());
    Emit(mark, std::move(copy), YAML::NullAnchor, target.values, target.bytes);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (ExpectingKey()) {
      if (anchor != YAML::NullAnchor)
        Anchor(anchor, JsonString(value, doc_.GetAllocator()), 1, value.size());
      AddKey(mark, value);
      return;
    }
    Count(mark, 1, value.size());
    JsonValue v;
    try {
      ScalarToJson(value, tag, v, doc_.GetAllocator());
    } catch (const ScalarOutOfRange&) {
      throw YamlBoundError{mark, fmt::format("the number {} is out of range", value)};
    }
    Emit(mark, std::move(v), anchor, 1, value.size());
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor, false);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor, true);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    JsonValue value;
    bool is_map = false;
    bool has_key = false;
    std::string key;
    std::unordered_set<std::string> keys;
    YAML::anchor_t anchor = YAML::NullAnchor;
    YAML::Mark mark;
    std::size_t values_at_start = 0;
    std::size_t bytes_at_start = 0;
  };
  struct Anchored {
    bool done = false;
    JsonValue value;
    std::size_t values = 0;
    std::size_t bytes = 0;
  };

  bool ExpectingKey() const {
    return !stack_.empty() && stack_.back().is_map && !stack_.back().has_key;
  }

  void Count(const YAML::Mark& mark, std::size_t values, std::size_t bytes) {
    values_ += values;
    bytes_ += bytes;
    if (values_ > limits_.max_yaml_values) {
      throw YamlBoundError{mark, fmt::format("the document has more than {} values (aliases "
                                             "expanded)",
                                             limits_.max_yaml_values)};
    }
    if (bytes_ > limits_.max_yaml_expanded_bytes) {
      throw YamlBoundError{mark, fmt::format("the document has more than {} bytes of text (aliases "
                                             "expanded)",
                                             limits_.max_yaml_expanded_bytes)};
    }
  }

  void AddKey(const YAML::Mark& mark, std::string key) {
    Count(mark, 1, key.size());
    Frame& top = stack_.back();
    if (!top.keys.insert(key).second) {
      throw YamlBoundError{mark, fmt::format("duplicate key \"{}\"", key)};
    }
    top.key = std::move(key);
    top.has_key = true;
  }

  void Open(const YAML::Mark& mark, YAML::anchor_t anchor, bool is_map) {
    if (ExpectingKey()) throw YamlBoundError{mark, "a mapping key must be a scalar"};
    if (static_cast<int>(stack_.size()) >= limits_.max_depth) {
      throw YamlBoundError{mark, fmt::format("nested deeper than {} levels", limits_.max_depth)};
    }
    Count(mark, 1, 0);
    if (anchor != YAML::NullAnchor) {
      if (anchors_.size() <= anchor) anchors_.resize(anchor + 1);
      anchors_[anchor].done = false;
    }
    Frame f;
    f.value = is_map ? JsonValue(rapidjson::kObjectType) : JsonValue(rapidjson::kArrayType);
    f.is_map = is_map;
    f.anchor = anchor;
    f.mark = mark;
    f.values_at_start = values_;
    f.bytes_at_start = bytes_;
    stack_.push_back(std::move(f));
  }

  void Close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    Emit(f.mark, std::move(f.value), f.anchor, values_ - f.values_at_start + 1,
         bytes_ - f.bytes_at_start);
  }

  void Anchor(YAML::anchor_t anchor, const JsonValue& value, std::size_t values,
              std::size_t bytes) {
    if (anchors_.size() <= anchor) anchors_.resize(anchor + 1);
    Anchored& slot = anchors_[anchor];
    slot.value.CopyFrom(value, doc_.GetAllocator());
    slot.values = values;
    slot.bytes = bytes;
    slot.done = true;
  }

  void Emit(const YAML::Mark&, JsonValue value, YAML::anchor_t anchor, std::size_t values,
            std::size_t bytes) {
    if (anchor != YAML::NullAnchor) Anchor(anchor, value, values, bytes);
    auto& a = doc_.GetAllocator();
    if (stack_.empty()) {
      if (!root_set_) static_cast<JsonValue&>(doc_) = std::move(value);
      root_set_ = true;
      return;
    }
    Frame& top = stack_.back();
    if (top.is_map) {
      top.value.AddMember(JsonString(top.key, a), value, a);
      top.has_key = false;
    } else {
      top.value.PushBack(value, a);
    }
  }

  JsonDocument& doc_;
  const ParseLimits& limits_;
  std::vector<Frame> stack_;
  std::vector<Anchored> anchors_;
  std::size_t values_ = 0;
  std::size_t bytes_ = 0;
  bool root_set_ = false;
};

// The offset at which objects/arrays nest deeper than `max_depth`, or npos. A linear scan that
// runs before RapidJSON's recursive parser, so no input can exhaust the stack.
std::size_t ExcessNestingOffset(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

// The first key that appears twice in one object, searched depth-first (depth is bounded).
const JsonValue* FindDuplicateKey(const JsonValue& v) {
  if (v.IsArray()) {
    for (const auto& item : v.GetArray()) {
      if (const JsonValue* d = FindDuplicateKey(item)) return d;
    }
    return nullptr;
  }
  if (!v.IsObject()) return nullptr;
  const auto n = v.MemberCount();
  if (n > 1 && n <= 8) {
    for (auto i = v.MemberBegin(); i != v.MemberEnd(); ++i) {
      for (auto j = i + 1; j != v.MemberEnd(); ++j) {
        if (i->name == j->name) return &j->name;
      }
    }
  } else if (n > 8) {
    std::unordered_set<std::string_view> seen;
    seen.reserve(n);
    for (const auto& m : v.GetObject()) {
      if (!seen.emplace(m.name.GetString(), m.name.GetStringLength()).second) return &m.name;
    }
  }
  for (const auto& m : v.GetObject()) {
    if (const JsonValue* d = FindDuplicateKey(m.value)) return d;
  }
  return nullptr;
}

bool HasNonFiniteNumber(const JsonValue& v) {
  if (v.IsArray()) {
    for (const auto& item : v.GetArray()) {
      if (HasNonFiniteNumber(item)) return true;
    }
  } else if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      if (HasNonFiniteNumber(m.value)) return true;
    }
  } else if (v.IsDouble()) {
    return !std::isfinite(v.GetDouble());
  }
  return false;
}

// The offset of the first number token in (valid) JSON `text` beyond the range of a double, or
// npos. RapidJSON 1.1 checks the exponent alone, so `9999919e305` parses as infinity (found by
// fuzzing); strtod gives the correct answer.
std::size_t OutOfRangeNumberOffset(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {  // skip the string, escapes included
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
      continue;
    }
    if (c != '-' && (c < '0' || c > '9')) continue;
    std::size_t end = i;
    while (end < text.size() &&
           std::string_view("+-.eE0123456789").find(text[end]) != std::string_view::npos) {
      ++end;
    }
    const std::string token(text.substr(i, end - i));
    if (!std::isfinite(std::strtod(token.c_str(), nullptr))) return i;
    i = end - 1;
  }
  return std::string_view::npos;
}

// Up to 24 characters of `text` from `offset`, quoted for an error message.
std::string Near(std::string_view text, std::size_t offset) {
  if (offset >= text.size()) return "at the end of the input";
  std::string_view s = text.substr(offset, 24);
  std::string out = "near \"";
  for (char c : s) {
    if (c == '\n' || c == '\r') break;
    out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
  }
  if (offset + s.size() < text.size()) out += "...";
  return out + "\"";
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

Result<JsonDocument> ParseJson(std::string_view text, const ParseLimits& limits) {
  JsonDocument doc;
  if (auto at = ExcessNestingOffset(text, limits.max_depth); at != std::string_view::npos) {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "invalid JSON at offset {}: nested deeper than {} levels", at,
                      limits.max_depth);
  }
  // RapidJSON stops at a NUL byte as at the end of the input, so `3\0junk` would parse as 3
  // (found by fuzzing): a NUL outside a string is trailing garbage, and inside one it must be
  // escaped (\u0000) anyway.
  if (auto nul = text.find('\0'); nul != std::string_view::npos) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "invalid JSON at offset {}: a NUL byte", nul);
  }
  // The default flags reject trailing non-space text after the root value.
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "invalid JSON at offset {} ({}): {}",
                      doc.GetErrorOffset(), Near(text, doc.GetErrorOffset()),
                      rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (const JsonValue* key = FindDuplicateKey(doc)) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "invalid JSON: duplicate key \"{}\"",
                      std::string_view(key->GetString(), key->GetStringLength()));
  }
  if (HasNonFiniteNumber(doc)) {
    const std::size_t at = OutOfRangeNumberOffset(text);
    return MakeErrorF(ErrorCode::kInvalidArgument, "invalid JSON at offset {} ({}): {}",
                      at == std::string_view::npos ? 0 : at,
                      at == std::string_view::npos ? std::string("a number") : Near(text, at),
                      rapidjson::GetParseError_En(rapidjson::kParseErrorNumberTooBig));
  }
  return doc;
}

Result<JsonDocument> ParseYaml(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_yaml_bytes) {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "invalid YAML: {} bytes, more than the {} allowed", text.size(),
                      limits.max_yaml_bytes);
  }
  JsonDocument doc;
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    YamlDomBuilder builder(doc, limits);
    parser.HandleNextDocument(builder);  // the first document, as YAML::Load
  } catch (const YamlBoundError& e) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "invalid YAML at line {}, column {}: {}",
                      e.mark.line + 1, e.mark.column + 1, e.message);
  } catch (const YAML::DeepRecursion& e) {  // yaml-cpp's own guard (500), "bad file"
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "invalid YAML at line {}, column {}: nested deeper than {} levels",
                      e.mark.line + 1, e.mark.column + 1, e.depth());
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
