// The Kubernetes API client the rest of cpa uses.
//
// `kube::Api` is the seam the engine depends on (scale target, pods, metrics APIs); `Client` is
// its one real implementation, over a Transport (HTTPS, auth, pooled connections) and a Discovery
// cache (kind -> plural resource). Objects travel as RapidJSON documents exactly as the server
// sends them; small structs (Scale) carry what callers read. Every failure is a cpa::Error with
// the codes of kube/errors.h; a malformed or truncated response is kUnavailable, never a crash.
// Client is thread-safe: any number of threads may call any method concurrently. Watch() blocks
// its calling thread while the stream lasts.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/json.h"
#include "kube/config.h"
#include "kube/discovery.h"
#include "kube/resource.h"
#include "kube/transport.h"

namespace cpa::kube {

// A reference to an object by apiVersion/kind/name (a scaleTargetRef, an ownerReference).
struct ObjectRef {
  std::string api_version;  // "apps/v1", "argoproj.io/v1alpha1", "v1"
  std::string kind;         // "Deployment"
  std::string name;
};

// autoscaling/v1 Scale, as GET/PATCH .../scale return it.
struct Scale {
  int32_t replicas = 0;         // spec.replicas (desired)
  int32_t status_replicas = 0;  // status.replicas (observed)
  std::string selector;         // status.selector ("" when the resource publishes none)
  std::string resource_version;
};
Result<Scale> ParseScale(const JsonValue& scale);

enum class PatchType { kMerge, kJson, kStrategicMerge };
std::string_view PatchContentType(PatchType type);

enum class ScalePatch { kMerge, kJson };

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;  // "" = most recent (quorum read)
  int64_t limit = 0;             // 0 = no paging
  std::string continue_token;
};

struct WatchOptions {
  std::string resource_version;  // start after this version ("" = current state as ADDED events)
  std::string label_selector;
  std::string field_selector;
  bool allow_bookmarks = true;
  int timeout_seconds = 0;  // ask the server to end the stream after this long (0 = server default)
};

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark };

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  JsonDocument object;           // the object (for a bookmark: only metadata.resourceVersion)
  std::string resource_version;  // object.metadata.resourceVersion
};

// The engine-facing seam: what one autoscaler run needs from the cluster.
class Api {
 public:
  virtual ~Api() = default;
  // GET <target>/scale.
  virtual Result<Scale> GetScale(const ObjectRef& target, std::string_view ns) = 0;
  // PATCH <target>/scale with spec.replicas only (never a read-modify-write update).
  virtual Result<Scale> PatchScaleReplicas(const ObjectRef& target, std::string_view ns,
                                           int32_t replicas) = 0;
  // GET of any object, as the server returns it.
  virtual Result<JsonDocument> GetObject(const ObjectRef& ref, std::string_view ns) = 0;
  // GET /api/v1/namespaces/<ns>/pods?labelSelector=<selector> (a PodList).
  virtual Result<JsonDocument> ListPods(std::string_view ns, std::string_view selector) = 0;
  // metrics.k8s.io/v1beta1 PodMetricsList of the pods matching `selector`.
  virtual Result<JsonDocument> GetPodMetrics(std::string_view ns, std::string_view selector) = 0;
  // custom.metrics.k8s.io/v1beta2 MetricValueList for a metric describing one object.
  virtual Result<JsonDocument> GetObjectMetric(std::string_view ns, const ObjectRef& described,
                                               std::string_view metric,
                                               std::string_view metric_selector) = 0;
  // custom.metrics.k8s.io/v1beta2 MetricValueList for a metric of every pod matching `selector`.
  virtual Result<JsonDocument> GetPodsMetric(std::string_view ns, std::string_view metric,
                                             std::string_view selector,
                                             std::string_view metric_selector) = 0;
  // external.metrics.k8s.io/v1beta1 ExternalMetricValueList.
  virtual Result<JsonDocument> GetExternalMetric(std::string_view ns, std::string_view metric,
                                                 std::string_view metric_selector) = 0;
};

class Client final : public Api {
 public:
  // Connects lazily: creating a Client does no I/O beyond reading certificate files.
  static Result<std::unique_ptr<Client>> Create(const ConnectionConfig& config);
  // Resolves the configuration (kube/config.h) and creates a client.
  static Result<std::unique_ptr<Client>> FromLoadOptions(const LoadOptions& options);

  const ConnectionConfig& config() const { return transport_->config(); }
  // The context's namespace ("default" when none).
  const std::string& default_namespace() const { return transport_->config().namespace_; }
  Discovery& discovery() { return discovery_; }
  Transport& transport() { return *transport_; }

  // --- Api -----------------------------------------------------------------------------------
  Result<Scale> GetScale(const ObjectRef& target, std::string_view ns) override;
  Result<Scale> PatchScaleReplicas(const ObjectRef& target, std::string_view ns,
                                   int32_t replicas) override;
  Result<JsonDocument> GetObject(const ObjectRef& ref, std::string_view ns) override;
  Result<JsonDocument> ListPods(std::string_view ns, std::string_view selector) override;
  Result<JsonDocument> GetPodMetrics(std::string_view ns, std::string_view selector) override;
  Result<JsonDocument> GetObjectMetric(std::string_view ns, const ObjectRef& described,
                                       std::string_view metric,
                                       std::string_view metric_selector) override;
  Result<JsonDocument> GetPodsMetric(std::string_view ns, std::string_view metric,
                                     std::string_view selector,
                                     std::string_view metric_selector) override;
  Result<JsonDocument> GetExternalMetric(std::string_view ns, std::string_view metric,
                                         std::string_view metric_selector) override;

  // PATCH /scale choosing the patch format (both set only spec.replicas).
  Result<Scale> PatchScaleReplicas(const ObjectRef& target, std::string_view ns, int32_t replicas,
                                   ScalePatch format);

  // --- Generic object operations (kind resolved through discovery) ---------------------------
  // POST; the object's apiVersion/kind name the resource; `ns` empty = the object's
  // metadata.namespace. kAlreadyExists on a duplicate. Every namespaced operation below needs a
  // namespace (kInvalidArgument otherwise); List/Watch/ListPods with "" span all namespaces.
  Result<JsonDocument> Create(std::string_view ns, const JsonValue& object);
  Result<JsonDocument> Get(std::string_view api_version, std::string_view kind, std::string_view ns,
                           std::string_view name);
  // PUT of the whole object; metadata.resourceVersion makes it conditional (kConflict if stale).
  Result<JsonDocument> Update(std::string_view ns, const JsonValue& object);
  // PUT of the status subresource (spec changes in `object` are ignored by the server).
  Result<JsonDocument> UpdateStatus(std::string_view ns, const JsonValue& object);
  // PATCH of the object or of a subresource ("status", "scale").
  Result<JsonDocument> Patch(std::string_view api_version, std::string_view kind,
                             std::string_view ns, std::string_view name, PatchType type,
                             std::string_view patch, std::string_view subresource = {});
  // DELETE with a propagation policy ("Background", "Foreground", "Orphan"); returns the
  // server's answer (the object being deleted, or a Status).
  Result<JsonDocument> Delete(std::string_view api_version, std::string_view kind,
                              std::string_view ns, std::string_view name,
                              std::string_view propagation_policy = "Background");
  // LIST (a <Kind>List with metadata.resourceVersion and, when paging, metadata.continue).
  Result<JsonDocument> List(std::string_view api_version, std::string_view kind,
                            std::string_view ns, const ListOptions& options = {});
  // WATCH: streams events to `on_event` (return false to stop) until the server ends the stream,
  // `stop` is requested, or `on_event` stops it. Returns the last resourceVersion seen (resume
  // from it). An expired resourceVersion (HTTP 410, or an in-stream ERROR event with code 410)
  // is kGone: list again and watch from the list's resourceVersion.
  Result<std::string> Watch(std::string_view api_version, std::string_view kind,
                            std::string_view ns, const WatchOptions& options,
                            const std::function<bool(WatchEvent&&)>& on_event,
                            std::stop_token stop = {});

  // Records an events.k8s.io/v1 Event about `regarding` (type "Normal"/"Warning").
  Result<JsonDocument> RecordEvent(std::string_view ns, const ObjectRef& regarding,
                                   std::string_view regarding_uid, std::string_view type,
                                   std::string_view reason, std::string_view action,
                                   std::string_view note, std::string_view reporting_controller,
                                   std::string_view reporting_instance,
                                   std::string_view event_time);

  // --- Raw access ----------------------------------------------------------------------------
  // A request to `path`; a non-2xx status becomes an error, the body is parsed as JSON.
  Result<JsonDocument> RequestJson(std::string_view method, std::string path,
                                   std::string_view body = {}, std::string_view content_type = {});

 private:
  explicit Client(std::unique_ptr<Transport> transport);
  Result<ResourceInfo> Resolve(std::string_view api_version, std::string_view kind);
  Result<ResourceInfo> ResolveObject(const JsonValue& object);

  std::unique_ptr<Transport> transport_;
  Discovery discovery_;
};

}  // namespace cpa::kube
