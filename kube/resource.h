// Naming of API resources: group/version parsing, the REST path of a resource, URL encoding.
//
// A ResourceInfo is what discovery says about one resource (plural name, kind, scope,
// subresources). ResourcePath() builds the canonical REST path for it, e.g.
//   /api/v1/namespaces/ns/pods                     (core group, collection)
//   /apis/apps/v1/namespaces/ns/deployments/web/scale
//   /apis/example.com/v1/logstashes                (cluster-wide list of a namespaced CRD)
// Pure value types and functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace cpa::kube {

struct GroupVersion {
  std::string group;  // "" for the core group
  std::string version;
  // "apps/v1" -> {apps, v1}; "v1" -> {"", v1}. A value without '/' other than a version-looking
  // string ("argoproj.io") is a group with an empty version.
  static GroupVersion Parse(std::string_view api_version);
  std::string ToString() const;  // "apps/v1" or "v1"
  // "/api/v1" or "/apis/apps/v1"
  std::string PathPrefix() const;
};

struct ResourceInfo {
  std::string group;
  std::string version;
  std::string resource;  // plural, lower-case: "deployments", "logstashes"
  std::string kind;      // "Deployment"
  bool namespaced = true;
  bool has_scale = false;   // a "<resource>/scale" subresource exists
  bool has_status = false;  // a "<resource>/status" subresource exists

  std::string ApiVersion() const { return GroupVersion{group, version}.ToString(); }
  // "deployments.apps", or "pods" for the core group (the form used in messages and in the
  // custom metrics API).
  std::string GroupResource() const;
};

// Percent-encodes everything except RFC 3986 unreserved characters.
std::string UrlEncode(std::string_view text);

// The REST path of a collection (name empty) or object, optionally of a subresource.
// `ns` is ignored for cluster-scoped resources; empty `ns` for a namespaced resource means all
// namespaces.
std::string ResourcePath(const ResourceInfo& info, std::string_view ns, std::string_view name = {},
                         std::string_view subresource = {});

}  // namespace cpa::kube
