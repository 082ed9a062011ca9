#include "api/routes.h"

namespace cpa::api {

namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    parts.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return parts;
}

RouteMatch Fixed(Route route, std::string_view name) { return RouteMatch{route, name, false, {}}; }

}  // namespace

RouteMatch MatchRoute(std::string_view path) {
  if (path == "/healthz") return Fixed(Route::kHealthz, "/healthz");
  if (path == "/readyz") return Fixed(Route::kReadyz, "/readyz");
  if (path == "/metrics") return Fixed(Route::kPrometheus, "/metrics");
  if (path == "/api/v1/metrics") return Fixed(Route::kMetrics, "/api/v1/metrics");
  if (path == "/api/v1/evaluation") return Fixed(Route::kEvaluation, "/api/v1/evaluation");
  if (path == "/api/v1/history") return Fixed(Route::kHistory, "/api/v1/history");
  if (path == "/api/v1/autoscalers") return Fixed(Route::kList, "/api/v1/autoscalers");
  constexpr std::string_view kPrefix = "/api/v1/autoscalers/";
  if (!path.starts_with(kPrefix) || path.ends_with('/')) return {};
  auto parts = SplitPath(path.substr(kPrefix.size()));
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) return {};
  RouteMatch m;
  m.scoped = true;
  m.autoscaler_id = std::string(parts[0]) + "/" + std::string(parts[1]);
  if (parts.size() == 2) {
    m.route = Route::kAutoscaler;
    m.name = "/api/v1/autoscalers/{namespace}/{name}";
  } else if (parts[2] == "metrics") {
    m.route = Route::kMetrics;
    m.name = "/api/v1/autoscalers/{namespace}/{name}/metrics";
  } else if (parts[2] == "evaluation") {
    m.route = Route::kEvaluation;
    m.name = "/api/v1/autoscalers/{namespace}/{name}/evaluation";
  } else if (parts[2] == "history") {
    m.route = Route::kHistory;
    m.name = "/api/v1/autoscalers/{namespace}/{name}/history";
  } else {
    return {};
  }
  return m;
}

std::vector<std::string_view> AllowedMethods(Route route) {
  switch (route) {
    case Route::kMetrics:
      return {"GET"};
    case Route::kEvaluation:
      return {"POST"};
    default:
      return {"GET", "HEAD"};
  }
}

std::string AllowHeader(Route route) {
  std::string out;
  for (auto m : AllowedMethods(route)) {
    out += m;
    out += ", ";
  }
  return out + "OPTIONS";
}

}  // namespace cpa::api
