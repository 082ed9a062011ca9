#include "api/api_server.h"

#include <charconv>
#include <filesystem>
#include <set>

#include <httplib.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "api/http_server.h"
#include "api/request_params.h"
#include "api/routes.h"
#include "api/token_file.h"
#include "common/log.h"

namespace cpa::api {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::string_view kJson = "application/json";

void SendJson(httplib::Response& res, int status, std::string body) {
  res.status = status;
  res.set_content(std::move(body), std::string(kJson).c_str());
}

void SendError(httplib::Response& res, int status, std::string_view message,
               std::string_view stage = {}) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("message");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.Key("code");
  w.Int(status);
  if (!stage.empty()) {
    w.Key("stage");
    w.String(stage.data(), static_cast<rapidjson::SizeType>(stage.size()));
  }
  w.EndObject();
  SendJson(res, status, buf.GetString());
}

void String(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

int StatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kUnavailable:
    case ErrorCode::kDeadlineExceeded:
      return 503;
    default:
      return 500;
  }
}

std::string_view StatusText(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 413:
      return "Payload Too Large: the request body exceeds the limit";
    case 414:
      return "URI Too Long";
    case 416:
      return "Range Not Satisfiable";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return status >= 500 ? "Internal Server Error" : "Request failed";
  }
}

size_t HeaderBytes(const httplib::Request& req) {
  size_t total = 0;
  for (const auto& [k, v] : req.headers) total += k.size() + v.size() + 4;  // ": " and CRLF
  return total;
}

// dry_run as the original parsed it: absent or empty is false, else Go's ParseBool.
Result<bool> DryRun(const httplib::Request& req) {
  std::string value = req.get_param_value("dry_run");
  if (value.empty()) return false;
  auto b = ParseGoBool(value);
  if (!b) {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "Invalid format for 'dry_run' query parameter; '{}' is not a valid boolean "
                      "value",
                      value);
  }
  return *b;
}

}  // namespace

bool Readiness::Ready() const {
  for (const auto& c : checks) {
    if (!c.ok) return false;
  }
  return true;
}

std::string_view HistoryKindName(HistoryKind kind) {
  switch (kind) {
    case HistoryKind::kMetrics:
      return "metrics";
    case HistoryKind::kEvaluations:
      return "evaluations";
    case HistoryKind::kDecisions:
      return "decisions";
  }
  return "metrics";
}

// Request handling; one instance per server, shared by its worker threads (read-only apart from
// the token file, which locks).
struct ApiServer::Impl {
  ApiServer& server;
  std::unique_ptr<TokenFile> token;

  void Dispatch(const httplib::Request& req, httplib::Response& res) {
    auto started = std::chrono::steady_clock::now();
    RouteMatch m = MatchRoute(req.path);
    Handle(m, req, res);
    std::string_view route = m.route == Route::kNone ? "unmatched" : m.name;
    server.metrics_.ObserveApiRequestDuration(route, std::chrono::steady_clock::now() - started);
    server.metrics_.CountApiRequest(route, res.status == -1 ? 200 : res.status);
    log::V(2, "api: {} {} -> {}", req.method, req.path, res.status == -1 ? 200 : res.status);
  }

  void Handle(const RouteMatch& m, const httplib::Request& req, httplib::Response& res) {
    if (HeaderBytes(req) > server.limits_.max_header_bytes) {
      return SendError(
          res, 431,
          fmt::format("request headers exceed {} bytes", server.limits_.max_header_bytes));
    }
    if (m.route == Route::kNone) {
      return SendError(res, 404, fmt::format("Resource '{}' not found", req.path));
    }
    if (req.method == "OPTIONS") {
      res.status = 204;
      res.set_header("Allow", AllowHeader(m.route));
      return;
    }
    auto allowed = AllowedMethods(m.route);
    if (std::find(allowed.begin(), allowed.end(), req.method) == allowed.end()) {
      res.set_header("Allow", AllowHeader(m.route));
      return SendError(
          res, 405, fmt::format("Method '{}' not allowed on resource '{}'", req.method, req.path));
    }
    switch (m.route) {
      case Route::kHealthz:
        return SendJson(res, 200, R"({"status":"ok"})");
      case Route::kReadyz:
        return Ready(res);
      case Route::kPrometheus:
        res.status = 200;
        res.set_content(server.metrics_.Exposition(),
                        std::string(prometheus::kContentType).c_str());
        return;
      default:
        break;
    }
    // Everything under /api/v1 needs the token when one is configured.
    if (token) {
      if (auto ok = token->Check(req.get_header_value("Authorization")); !ok) {
        res.set_header("WWW-Authenticate", R"(Bearer realm="cpa")");
        return SendError(res, 401, ok.error().message);
      }
    }
    if (m.route == Route::kList) return List(res);
    engine::Autoscaler* a = Resolve(m, res);
    if (a == nullptr) return;
    switch (m.route) {
      case Route::kAutoscaler:
        return Describe(*a, res);
      case Route::kMetrics:
        return Metrics(*a, req, res);
      case Route::kEvaluation:
        return Evaluation(*a, req, res);
      case Route::kHistory:
        return History(*a, req, res);
      default:
        return SendError(res, 500, "unhandled route");
    }
  }

  std::string KnownIds() const {
    std::string out;
    for (const auto* a : server.autoscalers_) {
      if (!out.empty()) out += ", ";
      out += a->id();
    }
    return out.empty() ? "none" : out;
  }

  // The autoscaler a request is about, or nullptr after sending the error.
  engine::Autoscaler* Resolve(const RouteMatch& m, httplib::Response& res) {
    if (m.scoped) {
      for (auto* a : server.autoscalers_) {
        if (a->id() == m.autoscaler_id) return a;
      }
      SendError(res, 404,
                fmt::format("autoscaler '{}' not found; known: {}", m.autoscaler_id, KnownIds()));
      return nullptr;
    }
    if (server.autoscalers_.size() == 1) return server.autoscalers_.front();
    SendError(res, 400,
              fmt::format("this process serves {} autoscalers; name one with "
                          "/api/v1/autoscalers/{{namespace}}/{{name}}/... (known: {})",
                          server.autoscalers_.size(), KnownIds()));
    return nullptr;
  }

  void Ready(httplib::Response& res) {
    Readiness readiness;
    if (server.readiness_) {
      readiness = server.readiness_();
    } else {
      readiness.checks.push_back({"config", true, "loaded"});
    }
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("status");
    w.String(readiness.Ready() ? "ready" : "not ready");
    w.Key("checks");
    w.StartArray();
    for (const auto& c : readiness.checks) {
      w.StartObject();
      w.Key("name");
      String(w, c.name);
      w.Key("ok");
      w.Bool(c.ok);
      w.Key("message");
      String(w, c.message);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    SendJson(res, readiness.Ready() ? 200 : 503, buf.GetString());
  }

  void WriteAutoscaler(JsonWriter& w, const engine::Autoscaler& a) {
    const auto& c = a.config();
    w.StartObject();
    w.Key("id");
    String(w, a.id());
    w.Key("namespace");
    String(w, c.namespace_);
    w.Key("name");
    String(w, c.scale_target_ref ? c.scale_target_ref->name : "");
    if (c.scale_target_ref) {
      w.Key("scaleTargetRef");
      w.StartObject();
      w.Key("apiVersion");
      String(w, c.scale_target_ref->api_version);
      w.Key("kind");
      String(w, c.scale_target_ref->kind);
      w.Key("name");
      String(w, c.scale_target_ref->name);
      w.EndObject();
    }
    w.Key("minReplicas");
    w.Int(c.min_replicas);
    w.Key("maxReplicas");
    w.Int(c.max_replicas);
    w.Key("interval");
    w.Int64(c.interval_ms);
    w.Key("runMode");
    String(w, config::RunModeName(c.run_mode));
    w.Key("mode");  // "observe": decisions are recorded, nothing is scaled
    String(w, a.observe() ? "observe" : "live");
    if (auto last = server.metrics_.last_run(a.id())) {
      w.Key("lastRun");
      w.StartObject();
      w.Key("runType");
      String(w, engine::RunTypeName(last->run_type));
      w.Key("finished");
      String(w, FormatRfc3339(last->finished));
      w.Key("ok");
      w.Bool(last->ok);
      if (!last->ok) {
        w.Key("error");
        String(w, last->error);
      }
      w.EndObject();
    }
    w.EndObject();
  }

  void List(httplib::Response& res) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartArray();
    for (const auto* a : server.autoscalers_) WriteAutoscaler(w, *a);
    w.EndArray();
    SendJson(res, 200, buf.GetString());
  }

  void Describe(const engine::Autoscaler& a, httplib::Response& res) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    WriteAutoscaler(w, a);
    SendJson(res, 200, buf.GetString());
  }

  void Metrics(engine::Autoscaler& a, const httplib::Request& req, httplib::Response& res) {
    auto dry = DryRun(req);
    if (!dry) return SendError(res, 400, dry.error().message);
    auto type = *dry ? engine::RunType::kApiDryRun : engine::RunType::kApi;
    auto metrics = a.GatherMetrics(type, server.stop_runs_.get_token());
    if (!metrics) {
      return SendError(res, 500, metrics.error().ToString(), metrics.error().stage);
    }
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartArray();
    for (const auto& metric : *metrics) {
      w.StartObject();
      w.Key("resource");
      String(w, metric.resource);
      w.Key("value");
      String(w, metric.value);
      w.EndObject();
    }
    w.EndArray();
    SendJson(res, 200, buf.GetString());
  }

  void Evaluation(engine::Autoscaler& a, const httplib::Request& req, httplib::Response& res) {
    auto dry = DryRun(req);
    if (!dry) return SendError(res, 400, dry.error().message);
    auto type = *dry ? engine::RunType::kApiDryRun : engine::RunType::kApi;
    auto started = std::chrono::steady_clock::now();
    auto outcome = a.Run(type, server.stop_runs_.get_token());
    server.metrics_.RecordRun(a.id(), type, outcome, std::chrono::steady_clock::now() - started);
    if (!outcome) {
      return SendError(res, 500, outcome.error().ToString(), outcome.error().stage);
    }
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    const auto& d = outcome->decision;
    w.Key("targetReplicas");
    w.Int(d ? d->target_replicas : outcome->evaluation ? outcome->evaluation->target_replicas : 0);
    if (outcome->evaluation) {
      w.Key("evaluatedReplicas");
      w.Int(outcome->evaluation->target_replicas);
    }
    if (d) {
      w.Key("currentReplicas");
      w.Int(d->current_replicas);
      w.Key("scaled");
      w.Bool(d->applied);
      w.Key("disabled");
      w.Bool(d->disabled);
    }
    w.Key("dryRun");
    w.Bool(*dry);
    if (outcome->audit) {  // built-in evaluators: why (autoscalers/hpa/README.md)
      w.Key("audit");
      outcome->audit->Accept(w);
    }
    w.EndObject();
    SendJson(res, 200, buf.GetString());
  }

  void History(const engine::Autoscaler& a, const httplib::Request& req, httplib::Response& res) {
    if (!server.history_) {
      return SendError(res, 501, "history is not available: this process has no store");
    }
    HistoryQuery q;
    q.autoscaler_id = a.id();
    std::string kind = req.get_param_value("kind");
    if (kind.empty() || kind == "metrics") {
      q.kind = HistoryKind::kMetrics;
    } else if (kind == "evaluations") {
      q.kind = HistoryKind::kEvaluations;
    } else if (kind == "decisions") {
      q.kind = HistoryKind::kDecisions;
    } else {
      return SendError(
          res, 400,
          fmt::format("invalid 'kind' '{}': one of metrics, evaluations, decisions", kind));
    }
    for (auto [param, target] : {std::pair{"from", &q.from}, std::pair{"to", &q.to}}) {
      std::string value = req.get_param_value(param);
      if (value.empty()) continue;
      auto t = ParseTimeParam(value);
      if (!t) return SendError(res, 400, fmt::format("invalid '{}': {}", param, t.error().message));
      *target = *t;
    }
    if (q.from && q.to && *q.from > *q.to) {
      return SendError(res, 400, "'from' is after 'to'");
    }
    if (std::string limit = req.get_param_value("limit"); !limit.empty()) {
      size_t n = 0;
      auto [end, ec] = std::from_chars(limit.data(), limit.data() + limit.size(), n);
      if (ec != std::errc() || end != limit.data() + limit.size()) {
        return SendError(res, 400,
                         fmt::format("invalid 'limit' '{}': a non-negative integer", limit));
      }
      q.limit = n;
    }
    auto body = server.history_(q);
    if (!body) return SendError(res, StatusFor(body.error().code), body.error().message);
    SendJson(res, 200, std::move(*body));
  }
};

ApiServer::ApiServer(config::ApiConfig config, std::vector<engine::Autoscaler*> autoscalers,
                     MetricsRegistry& metrics, ApiServerLimits limits)
    : config_(std::move(config)),
      autoscalers_(std::move(autoscalers)),
      metrics_(metrics),
      limits_(limits) {}

ApiServer::~ApiServer() { Stop(); }

Status ApiServer::Start() {
  if (!config_.enabled) {
    log::Info("api: disabled (apiConfig.enabled: false); no port opened");
    return OkStatus();
  }
  if (server_) return MakeError(ErrorCode::kFailedPrecondition, "api: already started");
  std::set<std::string> ids;
  for (const auto* a : autoscalers_) {
    if (!ids.insert(a->id()).second) {
      return MakeErrorF(ErrorCode::kInvalidArgument,
                        "api: two autoscalers have the id '{}' (namespace/name)", a->id());
    }
  }
  HttpServerOptions options;
  options.host = config_.host;
  options.port = config_.port;
  if (config_.use_https) {
    for (const auto& [key, file] :
         {std::pair{"certFile", config_.cert_file}, std::pair{"keyFile", config_.key_file},
          std::pair{"clientCAFile", config_.client_ca_file}}) {
      std::error_code ec;
      if (!file.empty() && !std::filesystem::is_regular_file(file, ec)) {
        return MakeErrorF(ErrorCode::kInvalidArgument, "apiConfig.{}: {} is not a readable file",
                          key, file);
      }
    }
    if (config_.cert_file.empty() || config_.key_file.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "apiConfig.useHTTPS needs apiConfig.certFile and apiConfig.keyFile");
    }
    options.tls = true;
    options.cert_file = config_.cert_file;
    options.key_file = config_.key_file;
    options.client_ca_file = config_.client_ca_file;
  } else if (!config_.client_ca_file.empty()) {
    log::Warning("api: apiConfig.clientCAFile is ignored without useHTTPS");
  }
  options.max_body_bytes = limits_.max_body_bytes;
  options.max_header_bytes = limits_.max_header_bytes;
  options.worker_threads = limits_.worker_threads;
  options.max_queued_requests = limits_.max_queued_requests;
  options.max_connections = limits_.max_connections;
  options.request_read_timeout = limits_.read_timeout;
  options.write_timeout = limits_.write_timeout;
  options.keep_alive_timeout = limits_.keep_alive_timeout;
  options.keep_alive_max_requests = limits_.keep_alive_max_requests;

  impl_ = std::make_unique<Impl>(Impl{*this, nullptr});
  if (!config_.auth_token_file.empty()) {
    impl_->token = std::make_unique<TokenFile>(config_.auth_token_file);
  } else if (config_.host != "127.0.0.1" && config_.host != "localhost" && config_.host != "::1") {
    log::Warning("api: no apiConfig.authTokenFile: anyone who can reach {}:{} can trigger scaling",
                 config_.host, config_.port);
  }
  Impl* impl = impl_.get();
  MetricsRegistry& metrics = metrics_;
  auto server = std::make_unique<HttpServer>(
      options,
      [impl](const httplib::Request& req, httplib::Response& res) { impl->Dispatch(req, res); },
      // The probes never wait for a worker.
      [](const httplib::Request& req) {
        return req.method == "GET" && (req.path == "/healthz" || req.path == "/readyz");
      },
      // Errors found by the HTTP layer itself (413, 431, 400 on a malformed request, 408, 503).
      [&metrics](const httplib::Request& req, int status, std::string_view why,
                 httplib::Response& res) {
        SendError(res, status, why.empty() ? StatusText(status) : why);
        RouteMatch m = MatchRoute(req.path);
        metrics.CountApiRequest(m.route == Route::kNone ? "unmatched" : m.name, status);
        log::V(2, "api: {} {} -> {} ({})", req.method, req.path, status, why);
      });
  if (auto s = server->Start(); !s) {
    if (s.error().code == ErrorCode::kInvalidArgument) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "api: {}", s.error().message);
    }
    return MakeErrorF(ErrorCode::kUnavailable, "api: cannot listen on {}:{}: {}", config_.host,
                      config_.port, s.error().message);
  }
  stop_runs_ = std::stop_source();
  server_ = std::move(server);
  port_ = server_->port();
  log::Info("api: serving {} on {}:{}{}{}", config_.use_https ? "https" : "http", config_.host,
            port_.load(),
            config_.client_ca_file.empty() || !config_.use_https ? "" : " (mutual TLS)",
            impl_->token ? " (bearer token required for /api/v1)" : "");
  return OkStatus();
}

void ApiServer::Stop() {
  if (!server_) return;
  stop_runs_.request_stop();
  server_->Stop();
  port_ = 0;
  server_.reset();
  log::Info("api: stopped");
}

}  // namespace cpa::api
