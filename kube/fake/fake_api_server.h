// An in-memory Kubernetes API server over real HTTP(S), for tests and the simulated cluster.
//
// It serves discovery (/api, /apis, /apis/<g>/<v>), CRUD + status + scale subresources, LIST
// (label/field selectors, paging) and WATCH (chunked JSON lines; ERROR 410 for a compacted
// resourceVersion) of the built-in kinds cpa uses and of any CRD created through it, plus the
// metrics APIs (metrics.k8s.io, custom.metrics.k8s.io, external.metrics.k8s.io) whose values
// the owner sets through this class. Semantics: see object_store.h. Optional bearer-token auth
// (401 on a wrong token) and TLS with optional client-certificate verification (mTLS).
// Fault injection for tests (InjectFault): an error status with any body and headers, a
// connection closed without a reply, a delayed answer, a truncated body, each before or after
// the request takes effect, on the requests a method, path and query parameter select.
//
// Lifetime: Start() binds 127.0.0.1 on an ephemeral port and serves on a background thread;
// Stop() (or the destructor) ends open watches and joins it. All methods are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"
#include "kube/fake/object_store.h"

namespace httplib {
class Server;
}

namespace cpa::kube::fake {

struct FakeApiServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = ephemeral
  // TLS: server certificate and key (PEM files). Empty = plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  // When set (with TLS), clients must present a certificate signed by this CA.
  std::string client_ca_file;
  // When set, every request needs "Authorization: Bearer <token>"; otherwise 401.
  std::string token;
  // Objects to create at start: a JSON/YAML list, or a List object with `items`.
  std::string seed_file;
  bool serve_metrics_apis = true;
  StoreOptions store;
  Clock* clock = nullptr;  // nullptr = SystemClock
  int threads = 32;        // request threads (each open watch holds one)
  // Poll period of watch streams (also bounds how long Stop() waits for them).
  std::chrono::milliseconds watch_poll{100};
};

// Container usage for metrics.k8s.io (quantities as strings: "250m", "64Mi").
struct ContainerUsage {
  std::string name;
  std::string cpu;
  std::string memory;
};

class FakeApiServer {
 public:
  explicit FakeApiServer(FakeApiServerOptions options = {});
  ~FakeApiServer();
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  // Loads the seed file, binds and starts serving. kInvalidArgument for a bad seed or TLS
  // files, kUnavailable when the address cannot be bound.
  Status Start();
  void Stop();
  int port() const { return port_; }
  // "http://127.0.0.1:<port>" or "https://..."
  std::string url() const;

  // --- objects (no HTTP, same semantics) -------------------------------------------------------
  // Creates an object (apiVersion/kind name the type); returns the stored object.
  Result<JsonDocument> CreateObject(std::string_view json_or_yaml);
  Result<JsonDocument> CreateObject(const JsonValue& object);
  Result<JsonDocument> GetObject(std::string_view api_version, std::string_view kind,
                                 std::string_view ns, std::string_view name);
  std::vector<JsonDocument> ListObjects(std::string_view api_version, std::string_view kind,
                                        std::string_view ns);
  Status DeleteObject(std::string_view api_version, std::string_view kind, std::string_view ns,
                      std::string_view name);
  // Adds a Running, Ready pod with `labels` (and one container "app").
  Result<JsonDocument> AddPod(std::string_view ns, std::string_view name,
                              const std::map<std::string, std::string>& labels, bool ready = true);
  // Sets a pod's readiness (the Ready condition) and phase.
  Status SetPodStatus(std::string_view ns, std::string_view name, std::string_view phase,
                      bool ready);
  // Edits an object in place (full update, status included), as a controller would.
  Status MutateObject(std::string_view api_version, std::string_view kind, std::string_view ns,
                      std::string_view name,
                      const std::function<void(JsonValue&, JsonAllocator&)>& mutate);
  ObjectStore& store() { return *store_; }

  // --- metrics APIs ------------------------------------------------------------------------------
  void SetPodMetrics(std::string_view ns, std::string_view pod,
                     std::vector<ContainerUsage> containers, std::string_view window = "30s");
  void ClearPodMetrics(std::string_view ns, std::string_view pod);
  // custom.metrics.k8s.io: a metric of one object (group_resource "deployments.apps", "services").
  void SetObjectMetric(std::string_view ns, std::string_view group_resource, std::string_view name,
                       std::string_view metric, std::string_view value,
                       const std::map<std::string, std::string>& metric_labels = {});
  // custom.metrics.k8s.io: a metric of one pod.
  void SetPodCustomMetric(std::string_view ns, std::string_view pod, std::string_view metric,
                          std::string_view value,
                          const std::map<std::string, std::string>& metric_labels = {});
  // external.metrics.k8s.io: one series of an external metric.
  void SetExternalMetric(std::string_view ns, std::string_view metric,
                         const std::map<std::string, std::string>& metric_labels,
                         std::string_view value);
  void ClearMetrics();

  // --- fault injection (tests) -----------------------------------------------------------------
  // What a matching request gets instead of its real answer (or, with `after_effect`, after the
  // request was served for real). Faults are tried in the order injected; the first that matches
  // is used and counts one of its `times`.
  struct Fault {
    enum class Kind {
      kStatus,    // `status` with `body` and `headers` (e.g. {"Retry-After", "3"})
      kReset,     // the connection is closed without a reply (the client reads EOF)
      kDelay,     // the real answer after `delay` (a client with a shorter deadline gives up)
      kTruncate,  // the real answer's status and headers, its Content-Length, and only the first
                  // `truncate_to` bytes of its body; then the connection is closed. The request
                  // is always served (a write takes effect): it is the real answer cut short
      kTrickle,   // the real answer (served for real), its body sent `trickle_bytes` at a time
                  // every `delay`: each read is quick, only a total deadline ends the call
    };
    Kind kind = Kind::kStatus;
    std::string method = "*";   // "GET", "POST", ... or "*"
    std::string path;           // a prefix of the request path (without the query)
    bool exact = false;         // the request path must equal `path`
    std::string with_param;     // when set, only requests carrying this query parameter ("watch")
    std::string without_param;  // when set, only requests without it
    int status = 500;
    std::string body;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::milliseconds delay{0};
    size_t truncate_to = 16;
    size_t trickle_bytes = 1;
    // kStatus, kReset: serve the request for real first (a write takes effect), then answer with
    // the fault, so the client cannot tell whether its write landed.
    bool after_effect = false;
    int times = 1;  // < 0: until cleared
  };
  void InjectFault(Fault fault);
  // The next `times` requests whose method matches (or "*") and whose path starts with
  // `path_prefix` get `status` with `body` instead of the real answer (times < 0: forever).
  void InjectResponse(std::string_view method, std::string_view path_prefix, int status,
                      std::string body, int times = 1,
                      std::string content_type = "application/json");
  // Removes every fault (InjectFault and InjectResponse alike).
  void ClearInjectedResponses();
  // Ends every open watch stream now, as an API server restart does; clients watch again (into
  // whatever faults are injected).
  void EndWatches();
  // Requests a fault was applied to so far.
  int64_t FaultsServed() const { return faults_served_.load(); }
  // Requests served so far (all methods), for tests that assert on traffic.
  int64_t RequestCount() const { return requests_.load(); }
  // Requests served so far with this HTTP method ("GET", "POST", "PUT", "PATCH", "DELETE").
  int64_t RequestCount(std::string_view method) const;
  // Requests served so far whose method matches (or "*") and whose path starts with
  // `path_prefix` (faulted ones included).
  int64_t RequestCount(std::string_view method, std::string_view path_prefix) const;
  // Writes (POST, PUT, PATCH, DELETE) served so far, injected failures included.
  int64_t WriteCount() const;

 private:
  struct MetricSeries {
    std::string ns, described_group_resource, described_name, metric, value;
    std::map<std::string, std::string> labels;
  };
  struct PodMetrics {
    std::vector<ContainerUsage> containers;
    std::string window;
  };

  Status LoadSeed();
  void InstallRoutes();
  std::optional<Fault> TakeFault(const std::string& method, const std::string& path,
                                 const std::function<bool(const std::string&)>& has_param);

  FakeApiServerOptions options_;
  Clock* clock_;
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> faults_served_{0};
  std::atomic<int64_t> watch_epoch_{0};  // EndWatches() ends streams started before a bump

  mutable std::mutex mu_;  // guards the members below
  std::vector<Fault> faults_;
  std::map<std::string, int64_t, std::less<>> requests_by_method_;
  std::map<std::pair<std::string, std::string>, int64_t> requests_by_path_;  // method, path
  std::map<std::string, PodMetrics> pod_metrics_;                            // "ns/pod"
  std::vector<MetricSeries> custom_metrics_;
  std::vector<MetricSeries> external_metrics_;

  friend class FakeApiServerRoutes;
};

}  // namespace cpa::kube::fake
