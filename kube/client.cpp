#include "kube/client.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fmt/format.h>

#include "kube/error_text.h"
#include "kube/errors.h"

namespace cpa::kube {
namespace {

void AppendQuery(std::string& path, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  path += path.find('?') == std::string::npos ? '?' : '&';
  path += key;
  path += '=';
  path += UrlEncode(value);
}

Result<int32_t> Int32Member(const JsonValue& object, std::string_view key, bool required) {
  const JsonValue* v = FindMember(object, key);
  if (v == nullptr || v->IsNull()) {
    if (required) return MakeErrorF(ErrorCode::kUnavailable, "missing {}", key);
    return 0;  // omitempty: an absent replicas field is 0
  }
  if (!v->IsInt()) return MakeErrorF(ErrorCode::kUnavailable, "{} is not an int32", key);
  return v->GetInt();
}

// A namespaced object needs a namespace: an empty one would address every namespace.
Status RequireNamespace(const ResourceInfo& info, std::string_view ns) {
  if (info.namespaced && ns.empty()) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "{} are namespaced: a namespace is required",
                      info.GroupResource());
  }
  return OkStatus();
}

}  // namespace

Result<Scale> ParseScale(const JsonValue& scale) {
  if (!scale.IsObject() || StringMember(scale, "kind") != "Scale") {
    return MakeError(ErrorCode::kUnavailable, "response is not a Scale object");
  }
  Scale out;
  static const JsonValue kEmpty(rapidjson::kObjectType);
  const JsonValue* spec = FindMember(scale, "spec");
  const JsonValue* status = FindMember(scale, "status");
  auto replicas = Int32Member(spec != nullptr ? *spec : kEmpty, "replicas", false);
  if (!replicas) return std::unexpected(replicas.error().WithContext("Scale spec"));
  out.replicas = *replicas;
  auto status_replicas = Int32Member(status != nullptr ? *status : kEmpty, "replicas", false);
  if (!status_replicas) return std::unexpected(status_replicas.error().WithContext("Scale status"));
  out.status_replicas = *status_replicas;
  if (status != nullptr) out.selector = StringMember(*status, "selector");
  out.resource_version = MetadataString(scale, "resourceVersion");
  return out;
}

std::string_view PatchContentType(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
  }
  return "application/merge-patch+json";
}

Client::Client(std::unique_ptr<Transport> transport)
    : transport_(std::move(transport)), discovery_(transport_.get()) {}

Result<std::unique_ptr<Client>> Client::Create(const ConnectionConfig& config) {
  auto transport = Transport::Create(config);
  if (!transport) return std::unexpected(transport.error());
  return std::unique_ptr<Client>(new Client(std::move(*transport)));
}

Result<std::unique_ptr<Client>> Client::FromLoadOptions(const LoadOptions& options) {
  auto config = LoadConnectionConfig(options);
  if (!config) return std::unexpected(config.error());
  return Create(*config);
}

Result<JsonDocument> Client::RequestJson(std::string_view method, std::string path,
                                         std::string_view body, std::string_view content_type) {
  HttpRequest request;
  request.method = std::string(method);
  request.path = std::move(path);
  request.body = std::string(body);
  request.content_type = std::string(content_type);
  if (request.content_type.empty() && !request.body.empty()) {
    request.content_type = "application/json";
  }
  auto response = transport_->Send(request);
  if (!response) return std::unexpected(response.error());
  if (response->status < 200 || response->status >= 300) {
    Error error = ApiError(response->status, response->body);
    if (response->status == 401) {
      error.message +=
          fmt::format(" (the API server did not accept the {}; check it is valid and not expired)",
                      DescribeCredentials(config()));
    } else if (response->status == 403) {
      error.message += fmt::format(
          " (authenticated with the {}; docs/kubernetes.md lists the RBAC "
          "rules each feature needs)",
          DescribeCredentials(config()));
    }
    return std::unexpected(std::move(error));
  }
  auto doc = ParseJson(response->body);
  if (!doc) {
    return MakeErrorF(ErrorCode::kUnavailable, "{} {}: malformed JSON response ({})", method,
                      request.path, doc.error().message);
  }
  return doc;
}

Result<ResourceInfo> Client::Resolve(std::string_view api_version, std::string_view kind) {
  if (api_version.empty() || kind.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "apiVersion and kind are required");
  }
  return discovery_.ResolveKind(api_version, kind);
}

Result<ResourceInfo> Client::ResolveObject(const JsonValue& object) {
  return Resolve(StringMember(object, "apiVersion"), StringMember(object, "kind"));
}

Result<Scale> Client::GetScale(const ObjectRef& target, std::string_view ns) {
  auto info = Resolve(target.api_version, target.kind);
  if (!info) return std::unexpected(info.error());
  CPA_RETURN_IF_ERROR(RequireNamespace(*info, ns));
  auto doc = RequestJson("GET", ResourcePath(*info, ns, target.name, "scale"));
  if (!doc) return std::unexpected(doc.error());
  return ParseScale(*doc);
}

Result<Scale> Client::PatchScaleReplicas(const ObjectRef& target, std::string_view ns,
                                         int32_t replicas) {
  return PatchScaleReplicas(target, ns, replicas, ScalePatch::kMerge);
}

Result<Scale> Client::PatchScaleReplicas(const ObjectRef& target, std::string_view ns,
                                         int32_t replicas, ScalePatch format) {
  if (replicas < 0) return MakeErrorF(ErrorCode::kInvalidArgument, "replicas {} < 0", replicas);
  auto info = Resolve(target.api_version, target.kind);
  if (!info) return std::unexpected(info.error());
  CPA_RETURN_IF_ERROR(RequireNamespace(*info, ns));
  std::string body;
  std::string_view content_type;
  if (format == ScalePatch::kMerge) {
    body = fmt::format(R"({{"spec":{{"replicas":{}}}}})", replicas);
    content_type = PatchContentType(PatchType::kMerge);
  } else {
    // "add" rather than "replace": a Scale with 0 replicas omits spec.replicas (omitempty), and
    // "replace" of an absent member fails.
    body = fmt::format(R"([{{"op":"add","path":"/spec/replicas","value":{}}}])", replicas);
    content_type = PatchContentType(PatchType::kJson);
  }
  auto doc =
      RequestJson("PATCH", ResourcePath(*info, ns, target.name, "scale"), body, content_type);
  if (!doc) return std::unexpected(doc.error());
  return ParseScale(*doc);
}

Result<JsonDocument> Client::GetObject(const ObjectRef& ref, std::string_view ns) {
  return Get(ref.api_version, ref.kind, ns, ref.name);
}

Result<JsonDocument> Client::ListPods(std::string_view ns, std::string_view selector) {
  std::string path =
      ns.empty() ? "/api/v1/pods" : fmt::format("/api/v1/namespaces/{}/pods", UrlEncode(ns));
  AppendQuery(path, "labelSelector", selector);
  return RequestJson("GET", std::move(path));
}

Result<JsonDocument> Client::GetPodMetrics(std::string_view ns, std::string_view selector) {
  std::string path =
      ns.empty() ? "/apis/metrics.k8s.io/v1beta1/pods"
                 : fmt::format("/apis/metrics.k8s.io/v1beta1/namespaces/{}/pods", UrlEncode(ns));
  AppendQuery(path, "labelSelector", selector);
  return RequestJson("GET", std::move(path));
}

Result<JsonDocument> Client::GetObjectMetric(std::string_view ns, const ObjectRef& described,
                                             std::string_view metric,
                                             std::string_view metric_selector) {
  std::string path;
  if (described.kind == "Namespace" && GroupVersion::Parse(described.api_version).group.empty()) {
    // The Namespace object itself has its own path; as the HPA does, the metric is read for the
    // autoscaler's namespace (the described name cannot escape it).
    path = fmt::format("/apis/custom.metrics.k8s.io/v1beta2/namespaces/{}/metrics/{}",
                       UrlEncode(ns), UrlEncode(metric));
  } else {
    auto info = Resolve(described.api_version, described.kind);
    if (!info) return std::unexpected(info.error());
    path = info->namespaced
               ? fmt::format("/apis/custom.metrics.k8s.io/v1beta2/namespaces/{}/{}/{}/{}",
                             UrlEncode(ns), info->GroupResource(), UrlEncode(described.name),
                             UrlEncode(metric))
               : fmt::format("/apis/custom.metrics.k8s.io/v1beta2/{}/{}/{}", info->GroupResource(),
                             UrlEncode(described.name), UrlEncode(metric));
  }
  AppendQuery(path, "metricLabelSelector", metric_selector);
  return RequestJson("GET", std::move(path));
}

Result<JsonDocument> Client::GetPodsMetric(std::string_view ns, std::string_view metric,
                                           std::string_view selector,
                                           std::string_view metric_selector) {
  std::string path = fmt::format("/apis/custom.metrics.k8s.io/v1beta2/namespaces/{}/pods/*/{}",
                                 UrlEncode(ns), UrlEncode(metric));
  AppendQuery(path, "labelSelector", selector);
  AppendQuery(path, "metricLabelSelector", metric_selector);
  return RequestJson("GET", std::move(path));
}

Result<JsonDocument> Client::GetExternalMetric(std::string_view ns, std::string_view metric,
                                               std::string_view metric_selector) {
  std::string path = fmt::format("/apis/external.metrics.k8s.io/v1beta1/namespaces/{}/{}",
                                 UrlEncode(ns), UrlEncode(metric));
  AppendQuery(path, "labelSelector", metric_selector);
  return RequestJson("GET", std::move(path));
}

Result<JsonDocument> Client::Create(std::string_view ns, const JsonValue& object) {
  auto info = ResolveObject(object);
  if (!info) return std::unexpected(info.error());
  std::string effective(ns);
  if (effective.empty()) effective = MetadataString(object, "namespace");
  CPA_RETURN_IF_ERROR(RequireNamespace(*info, effective));
  return RequestJson("POST", ResourcePath(*info, effective), ToJson(object));
}

Result<JsonDocument> Client::Get(std::string_view api_version, std::string_view kind,
                                 std::string_view ns, std::string_view name) {
  auto info = Resolve(api_version, kind);
  if (!info) return std::unexpected(info.error());
  if (name.empty()) return MakeError(ErrorCode::kInvalidArgument, "name is required");
  CPA_RETURN_IF_ERROR(RequireNamespace(*info, ns));
  return RequestJson("GET", ResourcePath(*info, ns, name));
}

Result<JsonDocument> Client::Update(std::string_view ns, const JsonValue& object) {
  auto info = ResolveObject(object);
  if (!info) return std::unexpected(info.error());
  std::string name = MetadataString(object, "name");
  if (name.empty()) return MakeError(ErrorCode::kInvalidArgument, "metadata.name is required");
  CPA_RETURN_IF_ERROR(RequireNamespace(*info, ns));
  return RequestJson("PUT", ResourcePath(*info, ns, name), ToJson(object));
}

Result<JsonDocument> Client::UpdateStatus(std::string_view ns, const JsonValue& object) {
  auto info = ResolveObject(object);
  if (!info) return std::unexpected(info.error());
  std::string name = MetadataString(object, "name");
  if (name.empty()) return MakeError(ErrorCode::kInvalidArgument, "metadata.name is required");
  CPA_RETURN_IF_ERROR(RequireNamespace(*info, ns));
  return RequestJson("PUT", ResourcePath(*info, ns, name, "status"), ToJson(object));
}

Result<JsonDocument> Client::Patch(std::string_view api_version, std::string_view kind,
                                   std::string_view ns, std::string_view name, PatchType type,
                                   std::string_view patch, std::string_view subresource) {
  auto info = Resolve(api_version, kind);
  if (!info) return std::unexpected(info.error());
  if (name.empty()) return MakeError(ErrorCode::kInvalidArgument, "name is required");
  CPA_RETURN_IF_ERROR(RequireNamespace(*info, ns));
  return RequestJson("PATCH", ResourcePath(*info, ns, name, subresource), patch,
                     PatchContentType(type));
}

Result<JsonDocument> Client::Delete(std::string_view api_version, std::string_view kind,
                                    std::string_view ns, std::string_view name,
                                    std::string_view propagation_policy) {
  auto info = Resolve(api_version, kind);
  if (!info) return std::unexpected(info.error());
  if (name.empty()) return MakeError(ErrorCode::kInvalidArgument, "name is required");
  CPA_RETURN_IF_ERROR(RequireNamespace(*info, ns));
  std::string body =
      propagation_policy.empty()
          ? std::string()
          : fmt::format(R"({{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"{}"}})",
                        propagation_policy);
  return RequestJson("DELETE", ResourcePath(*info, ns, name), body);
}

Result<JsonDocument> Client::List(std::string_view api_version, std::string_view kind,
                                  std::string_view ns, const ListOptions& options) {
  auto info = Resolve(api_version, kind);
  if (!info) return std::unexpected(info.error());
  std::string path = ResourcePath(*info, ns);
  AppendQuery(path, "labelSelector", options.label_selector);
  AppendQuery(path, "fieldSelector", options.field_selector);
  AppendQuery(path, "resourceVersion", options.resource_version);
  if (options.limit > 0) AppendQuery(path, "limit", std::to_string(options.limit));
  AppendQuery(path, "continue", options.continue_token);
  return RequestJson("GET", std::move(path));
}

Result<std::string> Client::Watch(std::string_view api_version, std::string_view kind,
                                  std::string_view ns, const WatchOptions& options,
                                  const std::function<bool(WatchEvent&&)>& on_event,
                                  std::stop_token stop) {
  auto info = Resolve(api_version, kind);
  if (!info) return std::unexpected(info.error());
  std::string path = ResourcePath(*info, ns);
  AppendQuery(path, "watch", "1");
  AppendQuery(path, "resourceVersion", options.resource_version);
  AppendQuery(path, "labelSelector", options.label_selector);
  AppendQuery(path, "fieldSelector", options.field_selector);
  if (options.allow_bookmarks) AppendQuery(path, "allowWatchBookmarks", "true");
  if (options.timeout_seconds > 0) {
    AppendQuery(path, "timeoutSeconds", std::to_string(options.timeout_seconds));
  }
  HttpRequest request;
  request.path = std::move(path);
  // The read timeout bounds silence on the stream: the server's own timeout plus a margin, or
  // an hour when the server decides.
  request.timeout =
      std::chrono::seconds(options.timeout_seconds > 0 ? options.timeout_seconds + 30 : 3600);

  std::string last_rv = options.resource_version;
  std::string pending;
  std::optional<Error> stream_error;
  bool stopped = false;
  auto handle_line = [&](std::string_view line) -> bool {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) return true;
    auto doc = ParseJson(line);
    if (!doc || !doc->IsObject()) {
      stream_error = Error{ErrorCode::kUnavailable, "watch: malformed event in stream"};
      return false;
    }
    std::string type = StringMember(*doc, "type");
    JsonValue* object = nullptr;
    if (auto it = doc->FindMember("object"); it != doc->MemberEnd()) object = &it->value;
    if (object == nullptr || !object->IsObject()) {
      stream_error = Error{ErrorCode::kUnavailable, "watch: event without an object"};
      return false;
    }
    if (type == "ERROR") {
      stream_error = WatchStatusError(*object);
      return false;
    }
    WatchEvent event;
    if (type == "ADDED") {
      event.type = WatchEventType::kAdded;
    } else if (type == "MODIFIED") {
      event.type = WatchEventType::kModified;
    } else if (type == "DELETED") {
      event.type = WatchEventType::kDeleted;
    } else if (type == "BOOKMARK") {
      event.type = WatchEventType::kBookmark;
    } else {
      stream_error =
          Error{ErrorCode::kUnavailable, fmt::format("watch: unknown event type \"{}\"", type)};
      return false;
    }
    event.resource_version = MetadataString(*object, "resourceVersion");
    event.object.CopyFrom(*object, event.object.GetAllocator());
    if (!event.resource_version.empty()) last_rv = event.resource_version;
    if (!on_event(std::move(event))) {
      stopped = true;
      return false;
    }
    return true;
  };
  auto on_chunk = [&](std::string_view chunk) -> bool {
    pending.append(chunk);
    size_t start = 0;
    while (true) {
      size_t newline = pending.find('\n', start);
      if (newline == std::string::npos) break;
      if (!handle_line(std::string_view(pending).substr(start, newline - start))) return false;
      start = newline + 1;
    }
    pending.erase(0, start);
    if (pending.size() > (64u << 20)) {
      stream_error = Error{ErrorCode::kUnavailable, "watch: event larger than 64 MiB"};
      return false;
    }
    return true;
  };
  std::string error_body;
  auto status = transport_->Stream(request, on_chunk, &error_body, stop);
  if (!status) return std::unexpected(status.error());
  if (*status != 0 && (*status < 200 || *status >= 300)) {
    return std::unexpected(ApiError(*status, error_body));
  }
  if (stream_error) return std::unexpected(*stream_error);
  if (!stopped && !stop.stop_requested() && !pending.empty()) {
    // The stream ended on a partial line: a last event without its newline.
    if (!handle_line(pending) && stream_error) return std::unexpected(*stream_error);
  }
  return last_rv;
}

Result<JsonDocument> Client::RecordEvent(std::string_view ns, const ObjectRef& regarding,
                                         std::string_view regarding_uid, std::string_view type,
                                         std::string_view reason, std::string_view action,
                                         std::string_view note,
                                         std::string_view reporting_controller,
                                         std::string_view reporting_instance,
                                         std::string_view event_time) {
  JsonDocument event(rapidjson::kObjectType);
  auto& a = event.GetAllocator();
  event.AddMember("apiVersion", "events.k8s.io/v1", a);
  event.AddMember("kind", "Event", a);
  JsonValue metadata(rapidjson::kObjectType);
  // generateName must itself be a valid name prefix: "web-" not "web." (the API rejects a
  // trailing dot, see tests/data/kube/event-create-response.json).
  metadata.AddMember("generateName", JsonString(fmt::format("{}-", regarding.name), a), a);
  metadata.AddMember("namespace", JsonString(ns, a), a);
  event.AddMember("metadata", metadata, a);
  event.AddMember("eventTime", JsonString(event_time, a), a);
  event.AddMember("reportingController", JsonString(reporting_controller, a), a);
  event.AddMember("reportingInstance", JsonString(reporting_instance, a), a);
  event.AddMember("action", JsonString(action, a), a);
  event.AddMember("reason", JsonString(reason, a), a);
  event.AddMember("type", JsonString(type, a), a);
  event.AddMember("note", JsonString(note.substr(0, 1024), a), a);
  JsonValue ref(rapidjson::kObjectType);
  ref.AddMember("apiVersion", JsonString(regarding.api_version, a), a);
  ref.AddMember("kind", JsonString(regarding.kind, a), a);
  ref.AddMember("name", JsonString(regarding.name, a), a);
  ref.AddMember("namespace", JsonString(ns, a), a);
  if (!regarding_uid.empty()) ref.AddMember("uid", JsonString(regarding_uid, a), a);
  event.AddMember("regarding", ref, a);
  return Create(ns, event);
}

}  // namespace cpa::kube
