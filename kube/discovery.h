// API discovery: kind -> resource (plural) through /api, /apis and /apis/<group>/<version>.
//
// Plurals are never guessed ("logstash" -> "logstashes" comes from the server). Each group
// version's resource list is fetched once and cached; a kind missing from a cached list causes
// one refresh (a CRD may have been installed since), and Invalidate() clears everything.
// An apiVersion without a version ("argoproj.io") resolves to the group's preferred version
// through /apis. Thread-safe: concurrent callers share the cache (guarded by a mutex; fetches
// happen outside the lock). The Transport must outlive the Discovery.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "kube/resource.h"
#include "kube/transport.h"

namespace cpa::kube {

// Parses an APIResourceList document (GET /api/v1, /apis/<g>/<v>) into top-level resources with
// their scale/status flags. Subresources ("deployments/scale") are folded into their parent.
Result<std::vector<ResourceInfo>> ParseApiResourceList(const JsonValue& list);

class Discovery {
 public:
  explicit Discovery(Transport* transport) : transport_(transport) {}

  // The resource for `kind` in `api_version` ("apps/v1", "v1", "example.com/v1",
  // "argoproj.io"). kNotFound when the group version or kind does not exist.
  Result<ResourceInfo> ResolveKind(std::string_view api_version, std::string_view kind);
  // The resource by its plural (or singular / short) name, e.g. ("apps/v1", "deployments").
  Result<ResourceInfo> ResolveResource(std::string_view api_version, std::string_view resource);
  // Every resource of a group version.
  Result<std::vector<ResourceInfo>> Resources(std::string_view api_version);
  // The preferred version of a group (from /apis; "v1" for the core group).
  Result<std::string> PreferredVersion(std::string_view group);

  void Invalidate();

 private:
  Result<std::vector<ResourceInfo>> Fetch(const GroupVersion& gv);
  Result<GroupVersion> Complete(std::string_view api_version);
  template <typename Match>
  Result<ResourceInfo> Find(std::string_view api_version, std::string_view what, Match match);

  Transport* transport_;
  std::mutex mu_;
  std::map<std::string, std::vector<ResourceInfo>> by_group_version_;
  std::map<std::string, std::string> preferred_versions_;
};

}  // namespace cpa::kube
