#include "kube/fake/fake_api_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <httplib.h>

#include "kube/label_selector.h"

namespace cpa::kube::fake {
namespace {

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  std::string_view rest = path;
  if (size_t q = rest.find('?'); q != std::string_view::npos) rest = rest.substr(0, q);
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    if (!seg.empty()) out.emplace_back(seg);
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return out;
}

void SendJson(httplib::Response& res, int status, std::string body) {
  res.status = status;
  res.body = std::move(body);  // set_content would copy a LIST of a megabyte
  res.set_header("Content-Type", "application/json");
}

void SendFailure(httplib::Response& res, const ApiFailure& failure) {
  SendJson(res, failure.code, failure.ToStatusJson());
}

ApiFailure NotFoundResource() {
  ApiFailure f;
  f.code = 404;
  f.reason = "NotFound";
  f.message = "the server could not find the requested resource";
  return f;
}

ApiFailure BadRequest(std::string message) {
  ApiFailure f;
  f.code = 400;
  f.reason = "BadRequest";
  f.message = std::move(message);
  return f;
}

ApiFailure MethodNotAllowed() {
  ApiFailure f;
  f.code = 405;
  f.reason = "MethodNotAllowed";
  f.message = "the server does not allow this method on the requested resource";
  return f;
}

std::string LabelsJson(const std::map<std::string, std::string>& labels) {
  JsonDocument doc(rapidjson::kObjectType);
  for (const auto& [k, v] : labels) {
    doc.AddMember(JsonString(k, doc.GetAllocator()), JsonString(v, doc.GetAllocator()),
                  doc.GetAllocator());
  }
  return Serialize(doc);
}

std::string Quote(std::string_view s) {
  JsonDocument doc;
  doc.SetString(s.data(), static_cast<rapidjson::SizeType>(s.size()), doc.GetAllocator());
  return Serialize(doc);
}

bool ParseInt64(const std::string& s, int64_t* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end == nullptr || *end != '\0') return false;
  *out = v;
  return true;
}

}  // namespace

// The HTTP side: routing, auth, watch streams and the metrics APIs.
class FakeApiServerRoutes {
 public:
  explicit FakeApiServerRoutes(FakeApiServer* s) : s_(s) {}
  void Handle(const httplib::Request& req, httplib::Response& res);

 private:
  void Serve(const httplib::Request& req, httplib::Response& res);
  void ApplyFault(const FakeApiServer::Fault& fault, const httplib::Request& req,
                  httplib::Response& res);
  static void CloseConnection(const httplib::Request& req);
  void HandleResource(const httplib::Request& req, httplib::Response& res, const std::string& group,
                      const std::string& version, const std::vector<std::string>& rest);
  void HandleWatch(const httplib::Request& req, httplib::Response& res, const ResourceType& type,
                   const std::string& ns);
  void HandlePodMetrics(const httplib::Request& req, httplib::Response& res,
                        const std::vector<std::string>& rest);
  void HandleCustomMetrics(const httplib::Request& req, httplib::Response& res,
                           const std::string& version, const std::vector<std::string>& rest);
  void HandleExternalMetrics(const httplib::Request& req, httplib::Response& res,
                             const std::vector<std::string>& rest);
  FakeApiServer* s_;
};

void FakeApiServerRoutes::Handle(const httplib::Request& req, httplib::Response& res) {
  s_->requests_.fetch_add(1);
  {
    std::lock_guard lock(s_->mu_);
    ++s_->requests_by_method_[req.method];
    ++s_->requests_by_path_[{req.method, req.path}];
  }
  if (!s_->options_.token.empty()) {
    if (req.get_header_value("Authorization") != "Bearer " + s_->options_.token) {
      SendJson(
          res, 401,
          R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})");
      return;
    }
  }
  auto fault = s_->TakeFault(req.method, req.path,
                             [&](const std::string& name) { return req.has_param(name); });
  if (!fault) return Serve(req, res);
  s_->faults_served_.fetch_add(1);
  using Kind = FakeApiServer::Fault::Kind;
  if (fault->kind == Kind::kDelay) {
    // Interruptible, so Stop() is not held up by a long delay.
    const auto until = std::chrono::steady_clock::now() + fault->delay;
    while (!s_->stopping_.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return Serve(req, res);
  }
  if (fault->after_effect || fault->kind == Kind::kTruncate || fault->kind == Kind::kTrickle) {
    Serve(req, res);
  }
  ApplyFault(*fault, req, res);
}

void FakeApiServerRoutes::ApplyFault(const FakeApiServer::Fault& fault, const httplib::Request& req,
                                     httplib::Response& res) {
  using Kind = FakeApiServer::Fault::Kind;
  if (fault.kind == Kind::kTruncate && !res.body.empty()) {
    // Content-Length announces the whole body; the provider sends a prefix and fails, which
    // makes the server close the connection.
    auto body = std::make_shared<std::string>(std::move(res.body));
    const size_t keep = std::min(fault.truncate_to, body->size() - 1);
    res.body.clear();
    std::string content_type = res.get_header_value("Content-Type");
    res.headers.erase("Content-Type");
    res.set_content_provider(body->size(), content_type.empty() ? "application/json" : content_type,
                             [body, keep](size_t offset, size_t, httplib::DataSink& sink) {
                               if (offset < keep) sink.write(body->data() + offset, keep - offset);
                               return false;
                             });
    return;
  }
  if (fault.kind == Kind::kTrickle && !res.body.empty()) {
    auto body = std::make_shared<std::string>(std::move(res.body));
    res.body.clear();
    std::string content_type = res.get_header_value("Content-Type");
    res.headers.erase("Content-Type");
    FakeApiServer* server = s_;
    const size_t step = std::max<size_t>(1, fault.trickle_bytes);
    const auto delay = fault.delay;
    res.set_content_provider(
        body->size(), content_type.empty() ? "application/json" : content_type,
        [body, step, delay, server](size_t offset, size_t, httplib::DataSink& sink) {
          const auto until = std::chrono::steady_clock::now() + delay;
          while (std::chrono::steady_clock::now() < until) {
            if (server->stopping_.load()) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
          }
          return sink.write(body->data() + offset, std::min(step, body->size() - offset));
        });
    return;
  }
  if (fault.kind == Kind::kReset || fault.kind == Kind::kTruncate ||
      fault.kind == Kind::kTrickle) {  // (an empty body: reset)
    CloseConnection(req);
    res.status = 500;
    res.body.clear();
    return;
  }
  res.headers.clear();
  res.status = fault.status;
  res.set_content(fault.body, fault.content_type.c_str());
  for (const auto& [name, value] : fault.headers) res.set_header(name.c_str(), value);
}

// The server side of this request's connection: the socket whose local and peer ports are the
// request's. Shutting it down makes the client read EOF before any reply; httplib's own write of
// the response afterwards fails quietly and it closes the socket as usual.
void FakeApiServerRoutes::CloseConnection(const httplib::Request& req) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    int fd = -1;
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc()) continue;
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_storage local{}, peer{};
    socklen_t local_len = sizeof(local), peer_len = sizeof(peer);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0 ||
        getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) {
      continue;
    }
    auto port_of = [](const sockaddr_storage& a) {
      if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
      if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
      return uint16_t{0};
    };
    if (port_of(local) != req.local_port || port_of(peer) != req.remote_port) continue;
    linger no_linger{1, 0};  // the close httplib does later sends RST
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &no_linger, sizeof(no_linger));
    shutdown(fd, SHUT_RDWR);
    return;
  }
}

void FakeApiServerRoutes::Serve(const httplib::Request& req, httplib::Response& res) {
  if (req.path.find("//") != std::string::npos) return SendFailure(res, NotFoundResource());
  const std::vector<std::string> segs = SplitPath(req.path);
  if (segs.empty()) return SendFailure(res, NotFoundResource());
  if (segs[0] == "api") {
    if (segs.size() == 1)
      return SendJson(
          res, 200,
          R"({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:6443"}]})");
    if (segs.size() == 2) {
      auto list = s_->store_->ResourceListJson("", segs[1]);
      return list ? SendJson(res, 200, *list) : SendFailure(res, NotFoundResource());
    }
    return HandleResource(req, res, "", segs[1], {segs.begin() + 2, segs.end()});
  }
  if (segs[0] == "apis") {
    if (segs.size() == 1) {
      return SendJson(res, 200, s_->store_->ApiGroupListJson(s_->options_.serve_metrics_apis));
    }
    if (segs.size() == 2) return SendFailure(res, NotFoundResource());
    const std::string& group = segs[1];
    const std::string& version = segs[2];
    std::vector<std::string> rest(segs.begin() + 3, segs.end());
    if (s_->options_.serve_metrics_apis && !rest.empty()) {
      if (group == "metrics.k8s.io" && version == "v1beta1") {
        return HandlePodMetrics(req, res, rest);
      }
      if (group == "custom.metrics.k8s.io" && (version == "v1beta2" || version == "v1beta1")) {
        return HandleCustomMetrics(req, res, version, rest);
      }
      if (group == "external.metrics.k8s.io" && version == "v1beta1") {
        return HandleExternalMetrics(req, res, rest);
      }
    }
    if (rest.empty()) {
      bool metrics = group == "metrics.k8s.io" || group == "custom.metrics.k8s.io" ||
                     group == "external.metrics.k8s.io";
      auto list = (!metrics || s_->options_.serve_metrics_apis)
                      ? s_->store_->ResourceListJson(group, version)
                      : std::nullopt;
      return list ? SendJson(res, 200, *list) : SendFailure(res, NotFoundResource());
    }
    return HandleResource(req, res, group, version, rest);
  }
  SendFailure(res, NotFoundResource());
}

void FakeApiServerRoutes::HandleResource(const httplib::Request& req, httplib::Response& res,
                                         const std::string& group, const std::string& version,
                                         const std::vector<std::string>& rest) {
  std::string ns, resource, name, sub;
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    ns = rest[1];
    resource = rest[2];
    if (rest.size() > 3) name = rest[3];
    if (rest.size() > 4) sub = rest[4];
    if (rest.size() > 5) return SendFailure(res, NotFoundResource());
  } else {
    resource = rest[0];
    if (rest.size() > 1) name = rest[1];
    if (rest.size() > 2) sub = rest[2];
    if (rest.size() > 3) return SendFailure(res, NotFoundResource());
  }
  const std::optional<ResourceType> found = s_->store_->FindType(group, version, resource);
  if (!found) return SendFailure(res, NotFoundResource());
  const ResourceType& type = *found;
  if (!type.namespaced) {
    if (!ns.empty()) return SendFailure(res, NotFoundResource());
  } else if (!name.empty() && ns.empty()) {
    return SendFailure(res, NotFoundResource());
  }
  if (!sub.empty() && !(sub == "status" && type.has_status) &&
      !(sub == "scale" && type.scale != ScaleMode::kNone)) {
    return SendFailure(res, NotFoundResource());
  }
  ObjectStore& store = *s_->store_;
  auto reply = [&](const FakeResult<StoredObject>& r, int ok_status) {
    if (!r) return SendFailure(res, r.error());
    SendJson(res, ok_status, *r->json);
  };
  auto reply_text = [&](FakeResult<std::string> r, int ok_status) {
    if (!r) return SendFailure(res, r.error());
    SendJson(res, ok_status, std::move(*r));
  };
  const std::string& method = req.method;
  if (method == "GET") {
    if (name.empty()) {
      std::string watch = req.get_param_value("watch");
      if (watch == "1" || watch == "true") return HandleWatch(req, res, type, ns);
      int64_t limit = 0;
      if (req.has_param("limit") && !ParseInt64(req.get_param_value("limit"), &limit)) {
        return SendFailure(res, BadRequest("invalid limit"));
      }
      return reply_text(
          store.List(type, ns, req.get_param_value("labelSelector"),
                     req.get_param_value("fieldSelector"), limit, req.get_param_value("continue")),
          200);
    }
    if (sub == "scale") return reply_text(store.GetScale(type, ns, name), 200);
    return reply(store.Get(type, ns, name), 200);
  }
  auto body = ParseJson(req.body.empty() ? std::string_view("{}") : std::string_view(req.body));
  if (method == "POST") {
    if (!name.empty()) return SendFailure(res, MethodNotAllowed());
    if (!body) {
      return SendFailure(res,
                         BadRequest("error decoding the request body: " + body.error().message));
    }
    return reply(store.Create(type, ns, std::move(*body)), 201);
  }
  if (name.empty()) return SendFailure(res, MethodNotAllowed());
  if (method == "PUT") {
    if (sub == "scale")
      return reply_text(store.WriteScale(type, ns, name, "", req.body, false), 200);
    if (!body) {
      return SendFailure(res,
                         BadRequest("error decoding the request body: " + body.error().message));
    }
    return reply(store.Update(type, ns, name, std::move(*body), sub == "status"), 200);
  }
  if (method == "PATCH") {
    const std::string content_type = req.get_header_value("Content-Type");
    if (sub == "scale") {
      return reply_text(store.WriteScale(type, ns, name, content_type, req.body, true), 200);
    }
    return reply(store.Patch(type, ns, name, content_type, req.body, sub == "status"), 200);
  }
  if (method == "DELETE") {
    std::string propagation = req.get_param_value("propagationPolicy");
    if (body && body->IsObject()) {
      if (auto p = StringMember(*body, "propagationPolicy"); !p.empty()) propagation = p;
      if (const JsonValue* orphan = FindMember(*body, "orphanDependents");
          orphan != nullptr && orphan->IsBool() && orphan->GetBool()) {
        propagation = "Orphan";
      }
    }
    if (!propagation.empty() && propagation != "Background" && propagation != "Foreground" &&
        propagation != "Orphan") {
      ApiFailure f;
      f.code = 422;
      f.reason = "Invalid";
      f.message = fmt::format("propagationPolicy: Unsupported value: \"{}\"", propagation);
      return SendFailure(res, f);
    }
    return reply_text(store.Delete(type, ns, name, propagation), 200);
  }
  SendFailure(res, MethodNotAllowed());
}

void FakeApiServerRoutes::HandleWatch(const httplib::Request& req, httplib::Response& res,
                                      const ResourceType& type, const std::string& ns) {
  auto selector = LabelSelector::Parse(req.get_param_value("labelSelector"));
  if (!selector) {
    return SendFailure(res, BadRequest("unable to parse requirement: " + selector.error().message));
  }
  struct WatchState {
    ResourceType type;
    std::string ns;
    LabelSelector selector;
    std::string from;
    int64_t after_rv = 0;
    bool started = false;
    bool bookmarks = false;
    std::chrono::steady_clock::time_point deadline;
    std::chrono::steady_clock::time_point last_write;
    int64_t epoch = 0;
  };
  auto state = std::make_shared<WatchState>();
  state->type = type;
  state->ns = ns;
  state->selector = std::move(*selector);
  state->from = req.get_param_value("resourceVersion");
  state->epoch = s_->watch_epoch_.load();
  std::string bookmarks = req.get_param_value("allowWatchBookmarks");
  state->bookmarks = bookmarks == "true" || bookmarks == "1";
  int64_t timeout_seconds = 1800;
  if (req.has_param("timeoutSeconds")) {
    (void)ParseInt64(req.get_param_value("timeoutSeconds"), &timeout_seconds);
  }
  state->deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  state->last_write = std::chrono::steady_clock::now();
  if (!state->from.empty() && state->from != "0") {
    if (!ParseInt64(state->from, &state->after_rv)) {
      return SendFailure(res, BadRequest(fmt::format("invalid resource version: {}", state->from)));
    }
  }
  FakeApiServer* server = s_;
  res.status = 200;
  res.set_chunked_content_provider(
      "application/json", [server, state](size_t, httplib::DataSink& sink) -> bool {
        auto write_line = [&](const std::string& line) {
          return sink.write(line.data(), line.size());
        };
        auto event_line = [](const std::string& type, const std::string& object_json) {
          std::string line;
          line.reserve(object_json.size() + 32);
          line += R"({"type":")";
          line += type;
          line += R"(","object":)";
          line += object_json;
          line += "}\n";
          return line;
        };
        if (server->stopping_.load() || server->watch_epoch_.load() != state->epoch) {
          sink.done();
          return true;
        }
        if (!state->started) {
          state->started = true;
          if (state->from.empty() || state->from == "0") {
            int64_t current = 0;
            for (const auto& r : server->store_->Snapshot(state->type, state->ns, &current)) {
              if (!state->selector.Matches(r.labels)) continue;
              if (!write_line(event_line("ADDED", *r.json))) return false;
            }
            state->after_rv = current;
          }
        }
        bool too_old = false;
        int64_t oldest = 0;
        auto events = server->store_->EventsAfter(state->type, state->ns, state->after_rv,
                                                  server->options_.watch_poll, &too_old, &oldest);
        if (too_old) {
          write_line(event_line(
              "ERROR",
              fmt::format(
                  R"j({{"kind":"Status","apiVersion":"v1","metadata":{{}},"status":"Failure","message":"too old resource version: {} ({})","reason":"Expired","code":410}})j",
                  state->after_rv, oldest + 1)));
          sink.done();
          return true;
        }
        for (const auto& e : events) {
          state->after_rv = e.rv;
          std::string type = e.type;
          if (!state->selector.Empty()) {
            bool now = state->selector.Matches(e.labels);
            bool before = e.type == "MODIFIED" ? state->selector.Matches(e.old_labels) : now;
            if (!now && !before) continue;
            if (e.type == "MODIFIED" && now != before) type = now ? "ADDED" : "DELETED";
          }
          if (!write_line(event_line(type, *e.json))) return false;
          state->last_write = std::chrono::steady_clock::now();
        }
        // An idle stream sends a blank line now and then (JSON decoders skip whitespace) so a
        // client that went away is noticed and its thread freed.
        if (std::chrono::steady_clock::now() - state->last_write > std::chrono::seconds(1)) {
          if (!write_line("\n")) return false;
          state->last_write = std::chrono::steady_clock::now();
        }
        if (std::chrono::steady_clock::now() >= state->deadline) {
          if (state->bookmarks) {
            write_line(event_line(
                "BOOKMARK",
                fmt::format(
                    R"({{"kind":"{}","apiVersion":"{}","metadata":{{"resourceVersion":"{}"}}}})",
                    state->type.kind, state->type.ApiVersion(), state->after_rv)));
          }
          sink.done();
        }
        return true;
      });
}

void FakeApiServerRoutes::HandlePodMetrics(const httplib::Request& req, httplib::Response& res,
                                           const std::vector<std::string>& rest) {
  if (req.method != "GET") return SendFailure(res, MethodNotAllowed());
  std::string ns, name;
  if (rest.size() >= 3 && rest[0] == "namespaces" && rest[2] == "pods") {
    ns = rest[1];
    if (rest.size() == 4) name = rest[3];
    if (rest.size() > 4) return SendFailure(res, NotFoundResource());
  } else if (!(rest.size() == 1 && rest[0] == "pods")) {
    return SendFailure(res, NotFoundResource());
  }
  auto selector = LabelSelector::Parse(req.get_param_value("labelSelector"));
  if (!selector) {
    return SendFailure(res, BadRequest(selector.error().message));
  }
  const std::string now = FormatRfc3339(s_->clock_->Now());
  auto item_json = [&](const JsonValue& pod, const FakeApiServer::PodMetrics& m) {
    const JsonValue* meta = FindMember(pod, "metadata");
    std::string out = fmt::format(
        R"({{"metadata":{{"name":{},"namespace":{},"creationTimestamp":{},"labels":{}}},"timestamp":{},"window":{},"containers":[)",
        Quote(MetadataString(pod, "name")), Quote(MetadataString(pod, "namespace")), Quote(now),
        LabelsJson(LabelsOf(meta != nullptr ? FindMember(*meta, "labels") : nullptr)), Quote(now),
        Quote(m.window));
    for (size_t i = 0; i < m.containers.size(); ++i) {
      if (i > 0) out += ',';
      out += fmt::format(R"({{"name":{},"usage":{{"cpu":{},"memory":{}}}}})",
                         Quote(m.containers[i].name), Quote(m.containers[i].cpu),
                         Quote(m.containers[i].memory));
    }
    out += "]}";
    return out;
  };
  auto pods = s_->store_->ListByKind("v1", "Pod", ns);
  std::lock_guard lock(s_->mu_);
  if (!name.empty()) {
    for (const auto& pod : pods) {
      if (MetadataString(*pod, "name") != name) continue;
      auto it = s_->pod_metrics_.find(ns + "/" + name);
      if (it == s_->pod_metrics_.end()) break;
      return SendJson(res, 200,
                      R"({"kind":"PodMetrics","apiVersion":"metrics.k8s.io/v1beta1",)" +
                          item_json(*pod, it->second).substr(1));
    }
    ApiFailure f;
    f.code = 404;
    f.reason = "NotFound";
    f.message = fmt::format("podmetrics.metrics.k8s.io \"{}/{}\" not found", ns, name);
    f.name = name;
    f.group = "metrics.k8s.io";
    f.kind = "pods";
    return SendFailure(res, f);
  }
  std::string items;
  for (const auto& pod : pods) {
    const JsonValue* meta = FindMember(*pod, "metadata");
    if (!selector->Matches(meta != nullptr ? FindMember(*meta, "labels") : nullptr)) continue;
    auto it = s_->pod_metrics_.find(MetadataString(*pod, "namespace") + "/" +
                                    MetadataString(*pod, "name"));
    if (it == s_->pod_metrics_.end()) continue;
    if (!items.empty()) items += ',';
    items += item_json(*pod, it->second);
  }
  SendJson(
      res, 200,
      R"({"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1","metadata":{},"items":[)" +
          items + "]}");
}

void FakeApiServerRoutes::HandleCustomMetrics(const httplib::Request& req, httplib::Response& res,
                                              const std::string& version,
                                              const std::vector<std::string>& rest) {
  if (req.method != "GET") return SendFailure(res, MethodNotAllowed());
  // namespaces/<ns>/<resource>/<name>/<metric>; namespaces/<ns>/metrics/<metric> (a metric of
  // the Namespace object itself); <resource>/<name>/<metric> (a cluster-scoped object).
  std::string ns, resource, name, metric;
  if (rest.size() == 5 && rest[0] == "namespaces") {
    ns = rest[1];
    resource = rest[2];
    name = rest[3];
    metric = rest[4];
  } else if (rest.size() == 4 && rest[0] == "namespaces" && rest[2] == "metrics") {
    ns = rest[1];
    resource = "namespaces";
    name = rest[1];
    metric = rest[3];
  } else if (rest.size() == 3) {
    resource = rest[0];
    name = rest[1];
    metric = rest[2];
  } else {
    return SendFailure(res, NotFoundResource());
  }
  auto selector = LabelSelector::Parse(req.get_param_value("labelSelector"));
  auto metric_selector = LabelSelector::Parse(req.get_param_value("metricLabelSelector"));
  if (!selector || !metric_selector) {
    return SendFailure(res, BadRequest("invalid selector"));
  }
  const std::string now = FormatRfc3339(s_->clock_->Now());
  auto item = [&](const std::string& kind, const std::string& api_version,
                  const std::string& object_name, const std::string& value) {
    if (version == "v1beta1") {
      return fmt::format(
          R"({{"describedObject":{{"kind":{},"namespace":{},"name":{},"apiVersion":{}}},"metricName":{},"timestamp":{},"value":{},"selector":null}})",
          Quote(kind), Quote(ns), Quote(object_name), Quote(api_version), Quote(metric), Quote(now),
          Quote(value));
    }
    return fmt::format(
        R"({{"describedObject":{{"kind":{},"namespace":{},"name":{},"apiVersion":{}}},"metric":{{"name":{},"selector":null}},"timestamp":{},"value":{}}})",
        Quote(kind), Quote(ns), Quote(object_name), Quote(api_version), Quote(metric), Quote(now),
        Quote(value));
  };
  std::string items;
  bool any = false;
  if (resource == "pods" && name == "*") {
    auto pods = s_->store_->ListByKind("v1", "Pod", ns);
    std::lock_guard lock(s_->mu_);
    for (const auto& pod : pods) {
      const JsonValue* meta = FindMember(*pod, "metadata");
      if (!selector->Matches(meta != nullptr ? FindMember(*meta, "labels") : nullptr)) continue;
      const std::string pod_name = MetadataString(*pod, "name");
      for (const auto& series : s_->custom_metrics_) {
        if (series.ns != ns || series.described_group_resource != "pods" ||
            series.described_name != pod_name || series.metric != metric ||
            !metric_selector->Matches(series.labels)) {
          continue;
        }
        if (any) items += ',';
        items += item("Pod", "/v1", pod_name, series.value);
        any = true;
      }
    }
  } else {
    // "deployments.apps" -> kind from the registry.
    std::string kind = resource;
    std::string api_version;
    size_t dot = resource.find('.');
    std::string plural = resource.substr(0, dot);
    std::string group = dot == std::string::npos ? "" : resource.substr(dot + 1);
    for (const char* v : {"v1", "v1beta1", "v1alpha1", "v2"}) {
      if (auto t = s_->store_->FindType(group, v, plural)) {
        kind = t->kind;
        api_version = group.empty() ? std::string("/") + v : group + "/" + v;
        break;
      }
    }
    std::lock_guard lock(s_->mu_);
    for (const auto& series : s_->custom_metrics_) {
      if (series.ns != ns || series.described_group_resource != resource ||
          series.described_name != name || series.metric != metric ||
          !metric_selector->Matches(series.labels)) {
        continue;
      }
      if (any) items += ',';
      items += item(kind, api_version, name, series.value);
      any = true;
    }
  }
  if (!any) {
    ApiFailure f;
    f.code = 404;
    f.reason = "NotFound";
    f.message = fmt::format("the server could not find the metric {} for {}", metric,
                            name == "*" ? resource : resource + " " + name);
    return SendFailure(res, f);
  }
  SendJson(
      res, 200,
      fmt::format(
          R"({{"kind":"MetricValueList","apiVersion":"custom.metrics.k8s.io/{}","metadata":{{}},"items":[{}]}})",
          version, items));
}

void FakeApiServerRoutes::HandleExternalMetrics(const httplib::Request& req, httplib::Response& res,
                                                const std::vector<std::string>& rest) {
  if (req.method != "GET") return SendFailure(res, MethodNotAllowed());
  if (rest.size() != 3 || rest[0] != "namespaces") return SendFailure(res, NotFoundResource());
  const std::string& ns = rest[1];
  const std::string& metric = rest[2];
  auto selector = LabelSelector::Parse(req.get_param_value("labelSelector"));
  if (!selector) {
    return SendFailure(res, BadRequest(selector.error().message));
  }
  const std::string now = FormatRfc3339(s_->clock_->Now());
  std::string items;
  bool known = false;
  std::lock_guard lock(s_->mu_);
  for (const auto& series : s_->external_metrics_) {
    if (series.ns != ns || series.metric != metric) continue;
    known = true;
    if (!selector->Matches(series.labels)) continue;
    if (!items.empty()) items += ',';
    items += fmt::format(R"({{"metricName":{},"metricLabels":{},"timestamp":{},"value":{}}})",
                         Quote(metric), LabelsJson(series.labels), Quote(now), Quote(series.value));
  }
  if (!known) {
    ApiFailure f;
    f.code = 404;
    f.reason = "NotFound";
    f.message = fmt::format("the server could not find the external metric {}", metric);
    return SendFailure(res, f);
  }
  SendJson(
      res, 200,
      R"({"kind":"ExternalMetricValueList","apiVersion":"external.metrics.k8s.io/v1beta1","metadata":{},"items":[)" +
          items + "]}");
}

FakeApiServer::FakeApiServer(FakeApiServerOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &SystemClock::Instance()),
      store_(std::make_unique<ObjectStore>(clock_, options_.store)) {}

FakeApiServer::~FakeApiServer() { Stop(); }

std::string FakeApiServer::url() const {
  return fmt::format("{}://{}:{}", options_.tls_cert_file.empty() ? "http" : "https", options_.host,
                     port_);
}

Status FakeApiServer::LoadSeed() {
  if (options_.seed_file.empty()) return OkStatus();
  std::ifstream in(options_.seed_file, std::ios::binary);
  if (!in)
    return MakeErrorF(ErrorCode::kInvalidArgument, "cannot read seed {}", options_.seed_file);
  std::ostringstream text;
  text << in.rdbuf();
  auto doc = ParseYaml(text.str());
  if (!doc) return std::unexpected(doc.error().WithContext("seed " + options_.seed_file));
  const JsonValue* items = doc->IsArray() ? &*doc : FindMember(*doc, "items");
  std::vector<const JsonValue*> objects;
  if (items != nullptr && items->IsArray()) {
    for (const auto& item : items->GetArray()) objects.push_back(&item);
  } else if (doc->IsObject()) {
    objects.push_back(&*doc);
  }
  // CRDs first, so the custom resources of the seed find their types.
  std::stable_partition(objects.begin(), objects.end(), [](const JsonValue* o) {
    return StringMember(*o, "kind") == "CustomResourceDefinition";
  });
  for (const JsonValue* object : objects) {
    const auto type =
        store_->FindKind(StringMember(*object, "apiVersion"), StringMember(*object, "kind"));
    if (!type) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "seed {}: unknown kind {} {}",
                        options_.seed_file, StringMember(*object, "apiVersion"),
                        StringMember(*object, "kind"));
    }
    JsonDocument copy;
    copy.CopyFrom(*object, copy.GetAllocator());
    if (JsonValue* meta =
            copy.IsObject() && copy.HasMember("metadata") ? &copy["metadata"] : nullptr;
        meta != nullptr && meta->IsObject()) {
      meta->RemoveMember("resourceVersion");
      meta->RemoveMember("managedFields");
    }
    std::string ns = MetadataString(copy, "namespace");
    if (ns.empty() && type->namespaced) ns = "default";
    auto created = store_->CreateSeed(*type, ns, std::move(copy));
    if (!created) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "seed {}: {}", options_.seed_file,
                        created.error().message);
    }
  }
  return OkStatus();
}

Status FakeApiServer::Start() {
  if (server_) return MakeError(ErrorCode::kFailedPrecondition, "already started");
  CPA_RETURN_IF_ERROR(LoadSeed());
  if (!options_.tls_cert_file.empty()) {
    auto ssl = std::make_unique<httplib::SSLServer>(
        options_.tls_cert_file.c_str(), options_.tls_key_file.c_str(),
        options_.client_ca_file.empty() ? nullptr : options_.client_ca_file.c_str());
    if (!ssl->is_valid()) {
      return MakeError(ErrorCode::kInvalidArgument, "cannot load the TLS certificate or key");
    }
    server_ = std::move(ssl);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  const int threads = options_.threads;
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_keep_alive_max_count(100000);
  server_->set_tcp_nodelay(true);      // as Go servers do: no Nagle delay on small responses
  server_->set_keep_alive_timeout(2);  // Stop() waits this long for idle connections
  server_->set_payload_max_length(64u << 20);
  auto routes = std::make_shared<FakeApiServerRoutes>(this);
  auto handler = [routes](const httplib::Request& req, httplib::Response& res) {
    routes->Handle(req, res);
  };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Put(".*", handler);
  server_->Patch(".*", handler);
  server_->Delete(".*", handler);
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host.c_str());
  } else {
    port_ = server_->bind_to_port(options_.host.c_str(), options_.port) ? options_.port : -1;
  }
  if (port_ <= 0) {
    server_.reset();
    return MakeErrorF(ErrorCode::kUnavailable, "cannot bind {}:{}", options_.host, options_.port);
  }
  stopping_ = false;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return OkStatus();
}

void FakeApiServer::Stop() {
  if (!server_) return;
  stopping_ = true;
  store_->WakeAll();
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

Result<JsonDocument> FakeApiServer::CreateObject(std::string_view json_or_yaml) {
  auto doc = ParseYaml(json_or_yaml);
  if (!doc) return std::unexpected(doc.error());
  return CreateObject(*doc);
}

Result<JsonDocument> FakeApiServer::CreateObject(const JsonValue& object) {
  const auto type =
      store_->FindKind(StringMember(object, "apiVersion"), StringMember(object, "kind"));
  if (!type) {
    return MakeErrorF(ErrorCode::kNotFound, "unknown kind {} {}",
                      StringMember(object, "apiVersion"), StringMember(object, "kind"));
  }
  JsonDocument copy;
  copy.CopyFrom(object, copy.GetAllocator());
  std::string ns = MetadataString(copy, "namespace");
  if (ns.empty() && type->namespaced) ns = "default";
  auto created = store_->Create(*type, ns, std::move(copy));
  if (!created) {
    return std::unexpected(Error{ErrorCode::kInvalidArgument, created.error().message});
  }
  JsonDocument out;
  out.CopyFrom(*created->doc, out.GetAllocator());
  return out;
}

Result<JsonDocument> FakeApiServer::GetObject(std::string_view api_version, std::string_view kind,
                                              std::string_view ns, std::string_view name) {
  auto found = store_->GetByKind(std::string(api_version), std::string(kind), std::string(ns),
                                 std::string(name));
  if (!found) return std::unexpected(Error{ErrorCode::kNotFound, found.error().message});
  JsonDocument out;
  out.CopyFrom(*found->doc, out.GetAllocator());
  return out;
}

std::vector<JsonDocument> FakeApiServer::ListObjects(std::string_view api_version,
                                                     std::string_view kind, std::string_view ns) {
  std::vector<JsonDocument> out;
  for (const auto& doc :
       store_->ListByKind(std::string(api_version), std::string(kind), std::string(ns))) {
    JsonDocument copy;
    copy.CopyFrom(*doc, copy.GetAllocator());
    out.push_back(std::move(copy));
  }
  return out;
}

Status FakeApiServer::DeleteObject(std::string_view api_version, std::string_view kind,
                                   std::string_view ns, std::string_view name) {
  const auto type = store_->FindKind(std::string(api_version), std::string(kind));
  if (!type) return MakeErrorF(ErrorCode::kNotFound, "unknown kind {}", kind);
  auto deleted = store_->Delete(*type, std::string(ns), std::string(name), "Background");
  if (!deleted) return MakeError(ErrorCode::kNotFound, deleted.error().message);
  return OkStatus();
}

Result<JsonDocument> FakeApiServer::AddPod(std::string_view ns, std::string_view name,
                                           const std::map<std::string, std::string>& labels,
                                           bool ready) {
  std::string pod = fmt::format(
      R"({{"apiVersion":"v1","kind":"Pod","metadata":{{"name":{},"namespace":{},"labels":{}}},"spec":{{"containers":[{{"name":"app","image":"registry.example/app:1"}}],"nodeName":"fake-node"}}}})",
      Quote(name), Quote(ns), LabelsJson(labels));
  auto created = CreateObject(std::string_view(pod));
  if (!created) return created;
  CPA_RETURN_IF_ERROR(SetPodStatus(ns, name, "Running", ready));
  return GetObject("v1", "Pod", ns, name);
}

Status FakeApiServer::SetPodStatus(std::string_view ns, std::string_view name,
                                   std::string_view phase, bool ready) {
  const std::string now = FormatRfc3339(clock_->Now());
  return MutateObject("v1", "Pod", ns, name, [&](JsonValue& pod, JsonAllocator& a) {
    // Keep what the kubelet keeps: startTime, and a condition's lastTransitionTime while its
    // status does not change (the HPA reads both).
    std::string start_time = now;
    std::map<std::string, std::pair<std::string, std::string>> previous;  // type -> status, time
    if (const JsonValue* old = FindMember(pod, "status")) {
      if (auto t = StringMember(*old, "startTime"); !t.empty()) start_time = t;
      if (const JsonValue* cs = FindMember(*old, "conditions"); cs != nullptr && cs->IsArray()) {
        for (const auto& c : cs->GetArray()) {
          previous[StringMember(c, "type")] = {StringMember(c, "status"),
                                               StringMember(c, "lastTransitionTime")};
        }
      }
    }
    JsonValue status(rapidjson::kObjectType);
    status.AddMember("phase", JsonString(phase, a), a);
    JsonValue conditions(rapidjson::kArrayType);
    for (const char* type : {"Initialized", "Ready", "ContainersReady", "PodScheduled"}) {
      bool is_ready_kind =
          std::string_view(type) == "Ready" || std::string_view(type) == "ContainersReady";
      const char* value = !is_ready_kind || ready ? "True" : "False";
      std::string transition = now;
      if (auto it = previous.find(type);
          it != previous.end() && it->second.first == value && !it->second.second.empty()) {
        transition = it->second.second;
      }
      JsonValue c(rapidjson::kObjectType);
      c.AddMember("type", JsonValue(type, a), a);
      c.AddMember("status", JsonValue(value, a), a);
      c.AddMember("lastProbeTime", JsonValue(rapidjson::kNullType), a);
      c.AddMember("lastTransitionTime", JsonString(transition, a), a);
      conditions.PushBack(c, a);
    }
    status.AddMember("conditions", conditions, a);
    status.AddMember("startTime", JsonString(start_time, a), a);
    status.AddMember("qosClass", "BestEffort", a);
    if (pod.HasMember("status")) pod.RemoveMember("status");
    pod.AddMember("status", status, a);
  });
}

Status FakeApiServer::MutateObject(std::string_view api_version, std::string_view kind,
                                   std::string_view ns, std::string_view name,
                                   const std::function<void(JsonValue&, JsonAllocator&)>& mutate) {
  auto result = store_->Mutate(std::string(api_version), std::string(kind), std::string(ns),
                               std::string(name), mutate);
  if (!result) {
    return MakeError(
        result.error().code == 404 ? ErrorCode::kNotFound : ErrorCode::kInvalidArgument,
        result.error().message);
  }
  return OkStatus();
}

void FakeApiServer::SetPodMetrics(std::string_view ns, std::string_view pod,
                                  std::vector<ContainerUsage> containers, std::string_view window) {
  std::lock_guard lock(mu_);
  pod_metrics_[fmt::format("{}/{}", ns, pod)] =
      PodMetrics{std::move(containers), std::string(window)};
}

void FakeApiServer::ClearPodMetrics(std::string_view ns, std::string_view pod) {
  std::lock_guard lock(mu_);
  pod_metrics_.erase(fmt::format("{}/{}", ns, pod));
}

void FakeApiServer::SetObjectMetric(std::string_view ns, std::string_view group_resource,
                                    std::string_view name, std::string_view metric,
                                    std::string_view value,
                                    const std::map<std::string, std::string>& metric_labels) {
  std::lock_guard lock(mu_);
  for (auto& s : custom_metrics_) {
    if (s.ns == ns && s.described_group_resource == group_resource && s.described_name == name &&
        s.metric == metric && s.labels == metric_labels) {
      s.value = std::string(value);
      return;
    }
  }
  custom_metrics_.push_back({std::string(ns), std::string(group_resource), std::string(name),
                             std::string(metric), std::string(value), metric_labels});
}

void FakeApiServer::SetPodCustomMetric(std::string_view ns, std::string_view pod,
                                       std::string_view metric, std::string_view value,
                                       const std::map<std::string, std::string>& metric_labels) {
  SetObjectMetric(ns, "pods", pod, metric, value, metric_labels);
}

void FakeApiServer::SetExternalMetric(std::string_view ns, std::string_view metric,
                                      const std::map<std::string, std::string>& metric_labels,
                                      std::string_view value) {
  std::lock_guard lock(mu_);
  for (auto& s : external_metrics_) {
    if (s.ns == ns && s.metric == metric && s.labels == metric_labels) {
      s.value = std::string(value);
      return;
    }
  }
  external_metrics_.push_back(
      {std::string(ns), "", "", std::string(metric), std::string(value), metric_labels});
}

void FakeApiServer::ClearMetrics() {
  std::lock_guard lock(mu_);
  pod_metrics_.clear();
  custom_metrics_.clear();
  external_metrics_.clear();
}

void FakeApiServer::InjectFault(Fault fault) {
  std::lock_guard lock(mu_);
  faults_.push_back(std::move(fault));
}

void FakeApiServer::InjectResponse(std::string_view method, std::string_view path_prefix,
                                   int status, std::string body, int times,
                                   std::string content_type) {
  Fault fault;
  fault.method = std::string(method);
  fault.path = std::string(path_prefix);
  fault.status = status;
  fault.body = std::move(body);
  fault.content_type = std::move(content_type);
  fault.times = times;
  InjectFault(std::move(fault));
}

int64_t FakeApiServer::RequestCount(std::string_view method) const {
  std::lock_guard lock(mu_);
  auto it = requests_by_method_.find(method);
  return it == requests_by_method_.end() ? 0 : it->second;
}

int64_t FakeApiServer::RequestCount(std::string_view method, std::string_view path_prefix) const {
  std::lock_guard lock(mu_);
  int64_t n = 0;
  for (const auto& [key, count] : requests_by_path_) {
    if ((method == "*" || key.first == method) && key.second.starts_with(path_prefix)) n += count;
  }
  return n;
}

int64_t FakeApiServer::WriteCount() const {
  return RequestCount("POST") + RequestCount("PUT") + RequestCount("PATCH") +
         RequestCount("DELETE");
}

void FakeApiServer::EndWatches() {
  watch_epoch_.fetch_add(1);
  store_->WakeAll();
}

void FakeApiServer::ClearInjectedResponses() {
  std::lock_guard lock(mu_);
  faults_.clear();
}

std::optional<FakeApiServer::Fault> FakeApiServer::TakeFault(
    const std::string& method, const std::string& path,
    const std::function<bool(const std::string&)>& has_param) {
  std::lock_guard lock(mu_);
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->method != "*" && it->method != method) continue;
    if (it->exact ? path != it->path : !path.starts_with(it->path)) continue;
    if (!it->with_param.empty() && !has_param(it->with_param)) continue;
    if (!it->without_param.empty() && has_param(it->without_param)) continue;
    Fault out = *it;
    if (it->times > 0 && --it->times == 0) faults_.erase(it);
    return out;
  }
  return std::nullopt;
}

}  // namespace cpa::kube::fake
