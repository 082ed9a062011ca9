// The route table of the API (docs/api.md): which route a path is, the route template used as
// the `route` label of request metrics, and the methods each route takes. Pure functions over
// static data; thread-safe. Internal to api/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cpa::api {

enum class Route {
  kNone,
  kHealthz,
  kReadyz,
  kPrometheus,
  kList,
  kAutoscaler,
  kMetrics,
  kEvaluation,
  kHistory,
};

// What a request path names.
struct RouteMatch {
  Route route = Route::kNone;
  std::string_view name;  // the route template, the `route` label of request metrics
  bool scoped = false;    // the path names the autoscaler
  std::string autoscaler_id;
};

// The route a path names (Route::kNone when none). Paths are matched exactly (no trailing '/').
RouteMatch MatchRoute(std::string_view path);
// Methods a route answers besides OPTIONS; routes that run user logic offer no HEAD.
std::vector<std::string_view> AllowedMethods(Route route);
// The Allow header: the allowed methods and OPTIONS, e.g. "POST, OPTIONS".
std::string AllowHeader(Route route);

}  // namespace cpa::api
