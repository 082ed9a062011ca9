#include "engine/config/json_reader.h"

#include <cmath>
#include <limits>

#include "common/suggest.h"

namespace cpa::config {

JsonReader::JsonReader(const JsonValue& object, std::string path, ConfigIssues& issues)
    : path_(std::move(path)), issues_(issues) {
  if (object.IsObject()) {
    object_ = &object;
  } else {
    issues_.Error(path_, fmt::format("must be an object, got {}", Describe(object)));
  }
}

std::string JsonReader::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

bool JsonReader::Has(std::string_view key) const {
  if (object_ == nullptr) return false;
  const JsonValue* v = FindMember(*object_, key);
  return v != nullptr && !v->IsNull();
}

const JsonValue* JsonReader::Get(std::string_view key) {
  known_.emplace(key);
  if (object_ == nullptr) return nullptr;
  const JsonValue* v = FindMember(*object_, key);
  if (v == nullptr || v->IsNull()) return nullptr;
  return v;
}

void JsonReader::Required(std::string_view key) {
  if (object_ != nullptr && !Has(key)) issues_.Error(PathOf(key), "is required");
}

void JsonReader::String(std::string_view key, std::string& out) {
  const JsonValue* v = Get(key);
  if (v == nullptr) return;
  if (!v->IsString()) {
    issues_.Error(PathOf(key), fmt::format("must be a string, got {}", Describe(*v)));
    return;
  }
  out.assign(v->GetString(), v->GetStringLength());
}

void JsonReader::OptionalString(std::string_view key, std::optional<std::string>& out) {
  if (!Has(key)) {
    Get(key);
    return;
  }
  std::string s;
  String(key, s);
  out = s;
}

void JsonReader::Int(std::string_view key, int64_t& out) {
  const JsonValue* v = Get(key);
  if (v == nullptr) return;
  auto i = AsInteger(*v);
  if (!i) {
    issues_.Error(PathOf(key), fmt::format("must be an integer, got {}", Describe(*v)));
    return;
  }
  out = *i;
}

void JsonReader::Int(std::string_view key, int& out) {
  int64_t wide = out;
  const JsonValue* v = Get(key);
  if (v == nullptr) return;
  Int(key, wide);
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max()) {
    issues_.Error(PathOf(key), fmt::format("is out of range: {}", wide));
    return;
  }
  out = static_cast<int>(wide);
}

void JsonReader::Double(std::string_view key, double& out) {
  const JsonValue* v = Get(key);
  if (v == nullptr) return;
  if (!v->IsNumber()) {
    issues_.Error(PathOf(key), fmt::format("must be a number, got {}", Describe(*v)));
    return;
  }
  out = v->GetDouble();
}

void JsonReader::Bool(std::string_view key, bool& out) {
  const JsonValue* v = Get(key);
  if (v == nullptr) return;
  if (!v->IsBool()) {
    issues_.Error(PathOf(key), fmt::format("must be true or false, got {}", Describe(*v)));
    return;
  }
  out = v->GetBool();
}

void JsonReader::StringList(std::string_view key, std::vector<std::string>& out) {
  const JsonValue* v = Get(key);
  if (v == nullptr) return;
  if (!v->IsArray()) {
    issues_.Error(PathOf(key), fmt::format("must be a list of strings, got {}", Describe(*v)));
    return;
  }
  std::vector<std::string> items;
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const JsonValue& item = (*v)[i];
    if (!item.IsString()) {
      issues_.Error(fmt::format("{}[{}]", PathOf(key), i),
                    fmt::format("must be a string, got {}", Describe(item)));
      continue;
    }
    items.emplace_back(item.GetString(), item.GetStringLength());
  }
  out = std::move(items);
}

void JsonReader::IntList(std::string_view key, std::vector<int>& out) {
  const JsonValue* v = Get(key);
  if (v == nullptr) return;
  if (!v->IsArray()) {
    issues_.Error(PathOf(key), fmt::format("must be a list of integers, got {}", Describe(*v)));
    return;
  }
  std::vector<int> items;
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    auto n = AsInteger((*v)[i]);
    if (!n || *n < std::numeric_limits<int>::min() || *n > std::numeric_limits<int>::max()) {
      issues_.Error(fmt::format("{}[{}]", PathOf(key), i),
                    fmt::format("must be an integer, got {}", Describe((*v)[i])));
      continue;
    }
    items.push_back(static_cast<int>(*n));
  }
  out = std::move(items);
}

void JsonReader::StringMap(std::string_view key, std::map<std::string, std::string>& out) {
  const JsonValue* v = Get(key);
  if (v == nullptr) return;
  if (!v->IsObject()) {
    issues_.Error(PathOf(key), fmt::format("must be an object of strings, got {}", Describe(*v)));
    return;
  }
  std::map<std::string, std::string> items;
  for (const auto& m : v->GetObject()) {
    std::string name(m.name.GetString(), m.name.GetStringLength());
    if (!m.value.IsString()) {
      issues_.Error(fmt::format("{}.{}", PathOf(key), name),
                    fmt::format("must be a string, got {}", Describe(m.value)));
      continue;
    }
    items[name] = std::string(m.value.GetString(), m.value.GetStringLength());
  }
  out = std::move(items);
}

void JsonReader::Known(std::initializer_list<std::string_view> keys) {
  for (auto k : keys) known_.emplace(k);
}

void JsonReader::Finish() {
  if (object_ == nullptr) return;
  std::vector<std::string_view> known(known_.begin(), known_.end());
  for (const auto& m : object_->GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (known_.find(name) == known_.end()) {
      auto match = ClosestMatch(name, known);
      issues_.Warning(PathOf(name),
                      match ? fmt::format("unknown key (ignored); did you mean \"{}\"?", *match)
                            : std::string("unknown key (ignored); check its spelling"));
    }
  }
}

std::optional<int64_t> AsInteger(const JsonValue& v) {
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsUint64()) return std::nullopt;  // beyond int64
  if (v.IsDouble()) {
    double d = v.GetDouble();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9e15) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}

std::string Describe(const JsonValue& v) {
  if (v.IsString()) {
    std::string s(v.GetString(), v.GetStringLength());
    if (s.size() > 40) s = s.substr(0, 40) + "...";
    return fmt::format("string \"{}\"", s);
  }
  if (v.IsNumber() || v.IsBool()) return fmt::format("{} {}", JsonTypeName(v), ToJson(v));
  return std::string(JsonTypeName(v));
}

}  // namespace cpa::config
