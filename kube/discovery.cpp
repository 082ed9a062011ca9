#include "kube/discovery.h"

#include "kube/errors.h"

namespace cpa::kube {
namespace {

Result<JsonDocument> GetJson(Transport* transport, const std::string& path) {
  HttpRequest request;
  request.path = path;
  auto response = transport->Send(request);
  if (!response) return std::unexpected(response.error());
  if (response->status != 200) return std::unexpected(ApiError(response->status, response->body));
  auto doc = ParseJson(response->body);
  if (!doc)
    return std::unexpected(
        Error{ErrorCode::kUnavailable,
              fmt::format("GET {}: malformed response: {}", path, doc.error().message)});
  return doc;
}

}  // namespace

Result<std::vector<ResourceInfo>> ParseApiResourceList(const JsonValue& list) {
  GroupVersion gv = GroupVersion::Parse(StringMember(list, "groupVersion"));
  const JsonValue* resources = FindMember(list, "resources");
  if (resources == nullptr || !resources->IsArray() || gv.version.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "not an APIResourceList");
  }
  std::vector<ResourceInfo> out;
  for (const auto& r : resources->GetArray()) {
    std::string name = StringMember(r, "name");
    if (name.empty() || name.find('/') != std::string::npos) continue;
    ResourceInfo info;
    info.group = gv.group;
    info.version = gv.version;
    info.resource = name;
    info.kind = StringMember(r, "kind");
    const JsonValue* ns = FindMember(r, "namespaced");
    info.namespaced = ns != nullptr && ns->IsBool() && ns->GetBool();
    out.push_back(std::move(info));
  }
  for (const auto& r : resources->GetArray()) {
    std::string name = StringMember(r, "name");
    size_t slash = name.find('/');
    if (slash == std::string::npos) continue;
    std::string parent = name.substr(0, slash);
    std::string sub = name.substr(slash + 1);
    for (auto& info : out) {
      if (info.resource != parent) continue;
      if (sub == "scale") info.has_scale = true;
      if (sub == "status") info.has_status = true;
    }
  }
  return out;
}

Result<std::vector<ResourceInfo>> Discovery::Fetch(const GroupVersion& gv) {
  const std::string key = gv.ToString();
  {
    std::lock_guard lock(mu_);
    if (auto it = by_group_version_.find(key); it != by_group_version_.end()) return it->second;
  }
  auto doc = GetJson(transport_, gv.PathPrefix());
  if (!doc) {
    if (doc.error().code == ErrorCode::kNotFound) {
      return MakeErrorF(ErrorCode::kNotFound, "the server has no API group version {}", key);
    }
    return std::unexpected(doc.error());
  }
  auto resources = ParseApiResourceList(*doc);
  if (!resources) {
    return MakeErrorF(ErrorCode::kUnavailable, "discovery of {}: {}", key,
                      resources.error().message);
  }
  std::lock_guard lock(mu_);
  by_group_version_[key] = *resources;
  return resources;
}

Result<std::string> Discovery::PreferredVersion(std::string_view group) {
  if (group.empty()) return std::string("v1");
  {
    std::lock_guard lock(mu_);
    if (auto it = preferred_versions_.find(std::string(group)); it != preferred_versions_.end()) {
      return it->second;
    }
  }
  auto doc = GetJson(transport_, "/apis");
  if (!doc) return std::unexpected(doc.error());
  const JsonValue* groups = FindMember(*doc, "groups");
  if (groups == nullptr || !groups->IsArray()) {
    return MakeError(ErrorCode::kUnavailable, "GET /apis: not an APIGroupList");
  }
  std::lock_guard lock(mu_);
  for (const auto& g : groups->GetArray()) {
    std::string name = StringMember(g, "name");
    const JsonValue* preferred = FindMember(g, "preferredVersion");
    std::string version = preferred != nullptr ? StringMember(*preferred, "version") : "";
    if (version.empty()) {
      const JsonValue* versions = FindMember(g, "versions");
      if (versions != nullptr && versions->IsArray() && !versions->Empty()) {
        version = StringMember((*versions)[0], "version");
      }
    }
    if (!name.empty() && !version.empty()) preferred_versions_[name] = version;
  }
  if (auto it = preferred_versions_.find(std::string(group)); it != preferred_versions_.end()) {
    return it->second;
  }
  return MakeErrorF(ErrorCode::kNotFound, "the server has no API group {}", group);
}

Result<GroupVersion> Discovery::Complete(std::string_view api_version) {
  GroupVersion gv = GroupVersion::Parse(api_version);
  if (gv.version.empty()) {
    if (gv.group.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty apiVersion");
    auto version = PreferredVersion(gv.group);
    if (!version) return std::unexpected(version.error());
    gv.version = *version;
  }
  return gv;
}

template <typename Match>
Result<ResourceInfo> Discovery::Find(std::string_view api_version, std::string_view what,
                                     Match match) {
  auto gv = Complete(api_version);
  if (!gv) return std::unexpected(gv.error());
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto resources = Fetch(*gv);
    if (!resources) return std::unexpected(resources.error());
    for (const auto& info : *resources) {
      if (match(info)) return info;
    }
    if (attempt == 0) {
      std::lock_guard lock(mu_);
      by_group_version_.erase(gv->ToString());  // maybe installed since: refresh once
    }
  }
  return MakeErrorF(ErrorCode::kNotFound, "the server does not serve {} in {}", what,
                    gv->ToString());
}

Result<ResourceInfo> Discovery::ResolveKind(std::string_view api_version, std::string_view kind) {
  return Find(api_version, fmt::format("kind {}", kind),
              [&](const ResourceInfo& info) { return info.kind == kind; });
}

Result<ResourceInfo> Discovery::ResolveResource(std::string_view api_version,
                                                std::string_view resource) {
  return Find(api_version, fmt::format("resource {}", resource),
              [&](const ResourceInfo& info) { return info.resource == resource; });
}

Result<std::vector<ResourceInfo>> Discovery::Resources(std::string_view api_version) {
  auto gv = Complete(api_version);
  if (!gv) return std::unexpected(gv.error());
  return Fetch(*gv);
}

void Discovery::Invalidate() {
  std::lock_guard lock(mu_);
  by_group_version_.clear();
  preferred_versions_.clear();
}

}  // namespace cpa::kube
