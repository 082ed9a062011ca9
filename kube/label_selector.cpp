#include "kube/label_selector.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

namespace cpa::kube {
namespace {

bool IsValueChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}
bool IsKeyChar(char c) { return IsValueChar(c) || c == '/'; }

Status ValidateKey(std::string_view key) {
  if (key.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty label key");
  std::string_view name = key;
  if (size_t slash = key.find('/'); slash != std::string_view::npos) {
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (prefix.empty() || prefix.size() > 253 || name.find('/') != std::string_view::npos) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "invalid label key \"{}\"", key);
    }
  }
  if (name.empty() || name.size() > 63 || !std::isalnum(static_cast<unsigned char>(name.front())) ||
      !std::isalnum(static_cast<unsigned char>(name.back()))) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "invalid label key \"{}\"", key);
  }
  return OkStatus();
}

Status ValidateValue(std::string_view value) {
  if (value.empty()) return OkStatus();
  if (value.size() > 63 || !std::isalnum(static_cast<unsigned char>(value.front())) ||
      !std::isalnum(static_cast<unsigned char>(value.back())) ||
      !std::all_of(value.begin(), value.end(), IsValueChar)) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "invalid label value \"{}\"", value);
  }
  return OkStatus();
}

bool ParseInt(std::string_view s, long long* out) {
  if (s.empty()) return false;
  std::string copy(s);
  char* end = nullptr;
  *out = std::strtoll(copy.c_str(), &end, 10);
  return end != nullptr && *end == '\0';
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= text_.size();
  }
  bool Consume(std::string_view token) {
    SkipSpace();
    if (text_.substr(pos_, token.size()) == token) {
      pos_ += token.size();
      return true;
    }
    return false;
  }
  // A word made of key characters (possibly empty).
  std::string_view Word() {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() && IsKeyChar(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  // "in"/"notin" only as whole words.
  bool ConsumeKeyword(std::string_view word) {
    SkipSpace();
    size_t save = pos_;
    if (Word() == word) return true;
    pos_ = save;
    return false;
  }
  size_t pos() const { return pos_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

bool LabelSelector::Requirement::Matches(const std::map<std::string, std::string>& labels) const {
  auto it = labels.find(key);
  const bool has = it != labels.end();
  auto contains = [&](const std::string& v) {
    return std::binary_search(values.begin(), values.end(), v);
  };
  switch (op) {
    case Op::kEquals:
    case Op::kDoubleEquals:
    case Op::kIn:
      return has && contains(it->second);
    case Op::kNotEquals:
    case Op::kNotIn:
      return !has || !contains(it->second);
    case Op::kExists:
      return has;
    case Op::kDoesNotExist:
      return !has;
    case Op::kGt:
    case Op::kLt: {
      long long label = 0, bound = 0;
      if (!has || values.size() != 1 || !ParseInt(it->second, &label) ||
          !ParseInt(values[0], &bound)) {
        return false;
      }
      return op == Op::kGt ? label > bound : label < bound;
    }
  }
  return false;
}

std::string LabelSelector::Requirement::ToString() const {
  auto joined = [&] { return fmt::format("{}", fmt::join(values, ",")); };
  const std::string first = values.empty() ? "" : values[0];
  switch (op) {
    case Op::kEquals:
      return fmt::format("{}={}", key, first);
    case Op::kDoubleEquals:
      return fmt::format("{}=={}", key, first);
    case Op::kNotEquals:
      return fmt::format("{}!={}", key, first);
    case Op::kIn:
      return fmt::format("{} in ({})", key, joined());
    case Op::kNotIn:
      return fmt::format("{} notin ({})", key, joined());
    case Op::kExists:
      return key;
    case Op::kDoesNotExist:
      return "!" + key;
    case Op::kGt:
      return fmt::format("{}>{}", key, first);
    case Op::kLt:
      return fmt::format("{}<{}", key, first);
  }
  return key;
}

void LabelSelector::Add(Requirement requirement) {
  std::sort(requirement.values.begin(), requirement.values.end());
  requirement.values.erase(std::unique(requirement.values.begin(), requirement.values.end()),
                           requirement.values.end());
  auto pos =
      std::upper_bound(requirements_.begin(), requirements_.end(), requirement.key,
                       [](const std::string& key, const Requirement& r) { return key < r.key; });
  requirements_.insert(pos, std::move(requirement));
}

Result<LabelSelector> LabelSelector::Parse(std::string_view text) {
  LabelSelector selector;
  Lexer lex(text);
  if (lex.AtEnd()) return selector;
  auto fail = [&](std::string_view what) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "label selector \"{}\": {} at offset {}", text,
                      what, lex.pos());
  };
  while (true) {
    Requirement r;
    if (lex.Consume("!")) {
      r.key = std::string(lex.Word());
      r.op = Op::kDoesNotExist;
      if (auto s = ValidateKey(r.key); !s) return fail(s.error().message);
    } else {
      r.key = std::string(lex.Word());
      if (auto s = ValidateKey(r.key); !s) return fail(s.error().message);
      if (lex.AtEnd()) {
        r.op = Op::kExists;
        selector.Add(std::move(r));
        break;
      }
      if (lex.Consume(",")) {
        r.op = Op::kExists;
        selector.Add(std::move(r));
        if (lex.AtEnd()) return fail("trailing comma");
        continue;
      }
      if (lex.Consume("==")) {
        r.op = Op::kDoubleEquals;
      } else if (lex.Consume("!=")) {
        r.op = Op::kNotEquals;
      } else if (lex.Consume("=")) {
        r.op = Op::kEquals;
      } else if (lex.Consume(">")) {
        r.op = Op::kGt;
      } else if (lex.Consume("<")) {
        r.op = Op::kLt;
      } else if (lex.ConsumeKeyword("notin")) {
        r.op = Op::kNotIn;
      } else if (lex.ConsumeKeyword("in")) {
        r.op = Op::kIn;
      } else {
        return fail("expected an operator");
      }
      if (r.op == Op::kIn || r.op == Op::kNotIn) {
        if (!lex.Consume("(")) return fail("expected '('");
        if (lex.Consume(")")) return fail("for 'in', 'notin' operators, values set can't be empty");
        while (true) {
          std::string_view v = lex.Word();
          if (auto s = ValidateValue(v); !s) return fail(s.error().message);
          r.values.emplace_back(v);
          if (lex.Consume(")")) break;
          if (!lex.Consume(",")) return fail("expected ',' or ')'");
        }
      } else {
        std::string_view v = lex.Word();
        if (auto s = ValidateValue(v); !s) return fail(s.error().message);
        long long ignored = 0;
        if ((r.op == Op::kGt || r.op == Op::kLt) && !ParseInt(v, &ignored)) {
          return fail("expected an integer");
        }
        r.values.emplace_back(v);
      }
    }
    selector.Add(std::move(r));
    if (lex.AtEnd()) break;
    if (!lex.Consume(",")) return fail("expected ','");
    if (lex.AtEnd()) return fail("trailing comma");
  }
  return selector;
}

Result<LabelSelector> LabelSelector::FromJson(const JsonValue& json) {
  LabelSelector selector;
  if (json.IsNull()) return selector;
  if (!json.IsObject()) return MakeError(ErrorCode::kInvalidArgument, "selector is not an object");
  if (const JsonValue* labels = FindMember(json, "matchLabels"); labels && labels->IsObject()) {
    for (const auto& m : labels->GetObject()) {
      if (!m.value.IsString()) {
        return MakeError(ErrorCode::kInvalidArgument, "matchLabels values must be strings");
      }
      Requirement r{m.name.GetString(), Op::kEquals, {m.value.GetString()}};
      CPA_RETURN_IF_ERROR(ValidateKey(r.key));
      CPA_RETURN_IF_ERROR(ValidateValue(r.values[0]));
      selector.Add(std::move(r));
    }
  }
  if (const JsonValue* exprs = FindMember(json, "matchExpressions"); exprs && exprs->IsArray()) {
    for (const auto& e : exprs->GetArray()) {
      const JsonValue* key = FindMember(e, "key");
      const JsonValue* op = FindMember(e, "operator");
      if (key == nullptr || !key->IsString() || op == nullptr || !op->IsString()) {
        return MakeError(ErrorCode::kInvalidArgument, "matchExpressions need key and operator");
      }
      Requirement r;
      r.key = key->GetString();
      CPA_RETURN_IF_ERROR(ValidateKey(r.key));
      std::string_view o = op->GetString();
      if (const JsonValue* values = FindMember(e, "values"); values && values->IsArray()) {
        for (const auto& v : values->GetArray()) {
          if (v.IsString()) r.values.emplace_back(v.GetString());
        }
      }
      if (o == "In" || o == "NotIn") {
        r.op = o == "In" ? Op::kIn : Op::kNotIn;
        if (r.values.empty()) {
          return MakeErrorF(ErrorCode::kInvalidArgument, "operator {} needs values", o);
        }
      } else if (o == "Exists" || o == "DoesNotExist") {
        r.op = o == "Exists" ? Op::kExists : Op::kDoesNotExist;
        if (!r.values.empty()) {
          return MakeErrorF(ErrorCode::kInvalidArgument, "operator {} takes no values", o);
        }
      } else {
        return MakeErrorF(ErrorCode::kInvalidArgument, "unknown selector operator \"{}\"", o);
      }
      selector.Add(std::move(r));
    }
  }
  return selector;
}

LabelSelector LabelSelector::FromLabels(const std::map<std::string, std::string>& labels) {
  LabelSelector selector;
  for (const auto& [k, v] : labels) selector.Add(Requirement{k, Op::kEquals, {v}});
  return selector;
}

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const Requirement& r) { return r.Matches(labels); });
}

bool LabelSelector::Matches(const JsonValue* labels) const {
  if (requirements_.empty()) return true;
  return Matches(LabelsOf(labels));
}

std::string LabelSelector::ToString() const {
  std::string out;
  for (const auto& r : requirements_) {
    if (!out.empty()) out += ',';
    out += r.ToString();
  }
  return out;
}

std::map<std::string, std::string> LabelsOf(const JsonValue* labels) {
  std::map<std::string, std::string> out;
  if (labels == nullptr || !labels->IsObject()) return out;
  for (const auto& m : labels->GetObject()) {
    if (m.value.IsString()) out.emplace(m.name.GetString(), m.value.GetString());
  }
  return out;
}

}  // namespace cpa::kube
