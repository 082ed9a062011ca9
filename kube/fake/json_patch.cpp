#include "kube/fake/json_patch.h"

#include <string>
#include <vector>

namespace cpa::kube::fake {
namespace {

Result<std::vector<std::string>> SplitPointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer.front() != '/') {
    return MakeErrorF(ErrorCode::kInvalidArgument, "JSON pointer \"{}\" must start with /",
                      pointer);
  }
  size_t pos = 1;
  while (true) {
    size_t next = pointer.find('/', pos);
    std::string raw(
        pointer.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
    std::string token;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        token.push_back(raw[i + 1] == '0' ? '~' : '/');
        ++i;
      } else {
        token.push_back(raw[i]);
      }
    }
    tokens.push_back(std::move(token));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return tokens;
}

bool ParseIndex(const std::string& token, size_t size, bool allow_end, size_t* index) {
  if (allow_end && token == "-") {
    *index = size;
    return true;
  }
  if (token.empty() || (token.size() > 1 && token[0] == '0')) return false;
  size_t value = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<size_t>(c - '0');
    if (value > (1u << 30)) return false;
  }
  if (value > size || (!allow_end && value == size)) return false;
  *index = value;
  return true;
}

// Resolves all tokens but the last; returns the parent container.
Result<JsonValue*> Parent(JsonValue& root, const std::vector<std::string>& tokens) {
  JsonValue* current = &root;
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (current->IsObject()) {
      auto it = current->FindMember(JsonValue(rapidjson::StringRef(t.data(), t.size())));
      if (it == current->MemberEnd()) {
        return MakeErrorF(ErrorCode::kInvalidArgument, "path member \"{}\" does not exist", t);
      }
      current = &it->value;
    } else if (current->IsArray()) {
      size_t index = 0;
      if (!ParseIndex(t, current->Size(), false, &index)) {
        return MakeErrorF(ErrorCode::kInvalidArgument, "bad array index \"{}\"", t);
      }
      current = &(*current)[static_cast<rapidjson::SizeType>(index)];
    } else {
      return MakeErrorF(ErrorCode::kInvalidArgument, "path through a scalar at \"{}\"", t);
    }
  }
  return current;
}

Result<JsonValue*> Get(JsonValue& root, const std::vector<std::string>& tokens) {
  if (tokens.empty()) return &root;
  auto parent = Parent(root, tokens);
  if (!parent) return parent;
  const std::string& last = tokens.back();
  JsonValue* p = *parent;
  if (p->IsObject()) {
    auto it = p->FindMember(JsonValue(rapidjson::StringRef(last.data(), last.size())));
    if (it == p->MemberEnd()) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "member \"{}\" does not exist", last);
    }
    return &it->value;
  }
  if (p->IsArray()) {
    size_t index = 0;
    if (!ParseIndex(last, p->Size(), false, &index)) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "bad array index \"{}\"", last);
    }
    return &(*p)[static_cast<rapidjson::SizeType>(index)];
  }
  return MakeError(ErrorCode::kInvalidArgument, "path through a scalar");
}

Status Add(JsonValue& root, const std::vector<std::string>& tokens, JsonValue&& value,
           JsonAllocator& a) {
  if (tokens.empty()) {
    root = std::move(value);
    return OkStatus();
  }
  auto parent = Parent(root, tokens);
  if (!parent) return std::unexpected(parent.error());
  JsonValue* p = *parent;
  const std::string& last = tokens.back();
  if (p->IsObject()) {
    auto it = p->FindMember(JsonValue(rapidjson::StringRef(last.data(), last.size())));
    if (it != p->MemberEnd()) {
      it->value = std::move(value);
    } else {
      p->AddMember(JsonValue(last.data(), static_cast<rapidjson::SizeType>(last.size()), a),
                   std::move(value), a);
    }
    return OkStatus();
  }
  if (p->IsArray()) {
    size_t index = 0;
    if (!ParseIndex(last, p->Size(), true, &index)) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "bad array index \"{}\"", last);
    }
    p->PushBack(JsonValue(), a);
    for (size_t i = p->Size() - 1; i > index; --i) {
      (*p)[static_cast<rapidjson::SizeType>(i)] =
          std::move((*p)[static_cast<rapidjson::SizeType>(i - 1)]);
    }
    (*p)[static_cast<rapidjson::SizeType>(index)] = std::move(value);
    return OkStatus();
  }
  return MakeError(ErrorCode::kInvalidArgument, "add: parent is a scalar");
}

Result<JsonValue> Remove(JsonValue& root, const std::vector<std::string>& tokens) {
  if (tokens.empty()) return MakeError(ErrorCode::kInvalidArgument, "cannot remove the root");
  auto parent = Parent(root, tokens);
  if (!parent) return std::unexpected(parent.error());
  JsonValue* p = *parent;
  const std::string& last = tokens.back();
  if (p->IsObject()) {
    auto it = p->FindMember(JsonValue(rapidjson::StringRef(last.data(), last.size())));
    if (it == p->MemberEnd()) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "remove: member \"{}\" does not exist", last);
    }
    JsonValue out = std::move(it->value);
    p->EraseMember(it);
    return out;
  }
  if (p->IsArray()) {
    size_t index = 0;
    if (!ParseIndex(last, p->Size(), false, &index)) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "bad array index \"{}\"", last);
    }
    JsonValue out = std::move((*p)[static_cast<rapidjson::SizeType>(index)]);
    p->Erase(p->Begin() + index);
    return out;
  }
  return MakeError(ErrorCode::kInvalidArgument, "remove: parent is a scalar");
}

}  // namespace

void ApplyMergePatch(JsonValue& target, const JsonValue& patch, JsonAllocator& allocator) {
  if (!patch.IsObject()) {
    target.CopyFrom(patch, allocator);
    return;
  }
  if (!target.IsObject()) target.SetObject();
  for (const auto& m : patch.GetObject()) {
    auto it = target.FindMember(m.name);
    if (m.value.IsNull()) {
      if (it != target.MemberEnd()) target.EraseMember(it);
      continue;
    }
    if (it == target.MemberEnd()) {
      JsonValue name(m.name, allocator);
      JsonValue value(rapidjson::kNullType);
      if (m.value.IsObject()) {
        value.SetObject();
        ApplyMergePatch(value, m.value, allocator);  // drops nulls nested in the patch
      } else {
        value.CopyFrom(m.value, allocator);
      }
      target.AddMember(name, value, allocator);
    } else {
      ApplyMergePatch(it->value, m.value, allocator);
    }
  }
}

Status ApplyJsonPatch(JsonValue& target, const JsonValue& patch, JsonAllocator& a) {
  if (!patch.IsArray()) return MakeError(ErrorCode::kInvalidArgument, "JSON patch is not a list");
  for (const auto& op_value : patch.GetArray()) {
    const JsonValue* op = FindMember(op_value, "op");
    const JsonValue* path = FindMember(op_value, "path");
    if (op == nullptr || !op->IsString() || path == nullptr || !path->IsString()) {
      return MakeError(ErrorCode::kInvalidArgument, "JSON patch operation needs op and path");
    }
    auto tokens = SplitPointer(path->GetString());
    if (!tokens) return std::unexpected(tokens.error());
    std::string_view name = op->GetString();
    const JsonValue* value = FindMember(op_value, "value");
    if (name == "add" || name == "replace" || name == "test") {
      if (value == nullptr) {
        return MakeErrorF(ErrorCode::kInvalidArgument, "JSON patch {} needs a value", name);
      }
    }
    if (name == "add") {
      JsonValue copy(*value, a);
      CPA_RETURN_IF_ERROR(Add(target, *tokens, std::move(copy), a));
    } else if (name == "remove") {
      auto removed = Remove(target, *tokens);
      if (!removed) return std::unexpected(removed.error());
    } else if (name == "replace") {
      auto existing = Get(target, *tokens);
      if (!existing) return std::unexpected(existing.error());
      (*existing)->CopyFrom(*value, a);
    } else if (name == "test") {
      auto existing = Get(target, *tokens);
      if (!existing) return std::unexpected(existing.error());
      if (**existing != *value) {
        return MakeErrorF(ErrorCode::kFailedPrecondition, "JSON patch test failed at {}",
                          path->GetString());
      }
    } else if (name == "move" || name == "copy") {
      const JsonValue* from = FindMember(op_value, "from");
      if (from == nullptr || !from->IsString()) {
        return MakeErrorF(ErrorCode::kInvalidArgument, "JSON patch {} needs from", name);
      }
      auto from_tokens = SplitPointer(from->GetString());
      if (!from_tokens) return std::unexpected(from_tokens.error());
      JsonValue moved;
      if (name == "move") {
        auto removed = Remove(target, *from_tokens);
        if (!removed) return std::unexpected(removed.error());
        moved = std::move(*removed);
      } else {
        auto existing = Get(target, *from_tokens);
        if (!existing) return std::unexpected(existing.error());
        moved.CopyFrom(**existing, a);
      }
      CPA_RETURN_IF_ERROR(Add(target, *tokens, std::move(moved), a));
    } else {
      return MakeErrorF(ErrorCode::kInvalidArgument, "unknown JSON patch op \"{}\"", name);
    }
  }
  return OkStatus();
}

}  // namespace cpa::kube::fake
