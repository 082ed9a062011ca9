#include "kube/resource.h"

#include <cctype>

#include <fmt/format.h>

namespace cpa::kube {
namespace {

bool LooksLikeVersion(std::string_view s) {
  // v1, v2beta1, v1alpha3
  if (s.size() < 2 || s[0] != 'v' || !std::isdigit(static_cast<unsigned char>(s[1]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

GroupVersion GroupVersion::Parse(std::string_view api_version) {
  size_t slash = api_version.find('/');
  if (slash == std::string_view::npos) {
    if (LooksLikeVersion(api_version)) return {"", std::string(api_version)};
    return {std::string(api_version), ""};
  }
  return {std::string(api_version.substr(0, slash)), std::string(api_version.substr(slash + 1))};
}

std::string GroupVersion::ToString() const {
  return group.empty() ? version : fmt::format("{}/{}", group, version);
}

std::string GroupVersion::PathPrefix() const {
  return group.empty() ? fmt::format("/api/{}", version)
                       : fmt::format("/apis/{}/{}", group, version);
}

std::string ResourceInfo::GroupResource() const {
  return group.empty() ? resource : fmt::format("{}.{}", resource, group);
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string ResourcePath(const ResourceInfo& info, std::string_view ns, std::string_view name,
                         std::string_view subresource) {
  std::string path = GroupVersion{info.group, info.version}.PathPrefix();
  if (info.namespaced && !ns.empty()) {
    path += "/namespaces/";
    path += UrlEncode(ns);
  }
  path += '/';
  path += info.resource;
  if (!name.empty()) {
    path += '/';
    path += UrlEncode(name);
    if (!subresource.empty()) {
      path += '/';
      path += subresource;
    }
  }
  return path;
}

}  // namespace cpa::kube
