// The state of the fake cluster: objects per resource type with the API server's write
// semantics, the watch event log, and the controllers a real cluster runs (workload -> pods,
// ownerReference garbage collection).
//
// Semantics (from the Kubernetes API reference): every write bumps a global resourceVersion;
// an update or patch carrying a stale metadata.resourceVersion fails with 409 Conflict; a no-op
// write changes nothing; metadata.generation (for workload kinds and custom resources) bumps on
// spec changes only; the main resource ignores status when a status subresource exists and the
// status subresource ignores everything but status; uid and creationTimestamp are set on create;
// an object with finalizers is only marked (deletionTimestamp) until they are removed; deleting
// an owner deletes dependents whose owners are all gone (Background/Foreground) or strips the
// reference (Orphan). Failures are ApiFailure values rendered as `Status` bodies.
// Thread-safe: one mutex guards everything; watchers wait on a condition variable.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/json.h"
#include "kube/fake/resource_registry.h"
#include "kube/label_selector.h"

namespace cpa::kube::fake {

struct ApiFailure {
  int code = 500;
  std::string reason;  // NotFound, AlreadyExists, Conflict, Invalid, BadRequest, Gone, ...
  std::string message;
  std::string name;  // details
  std::string group;
  std::string kind;
  struct Cause {
    std::string reason, message, field;
  };
  std::vector<Cause> causes;
  std::string ToStatusJson() const;
};

template <typename T>
using FakeResult = std::expected<T, ApiFailure>;

struct StoredObject {
  std::shared_ptr<const JsonDocument> doc;
  std::shared_ptr<const std::string> json;       // with kind/apiVersion
  std::shared_ptr<const std::string> item_json;  // as a list item (built-ins omit kind/apiVersion)
  int64_t rv = 0;
};

struct StoreOptions {
  bool simulate_controllers = true;  // Deployment -> ReplicaSet -> Pods, StatefulSet/RC -> Pods
  bool pods_start_ready = true;      // controller-made pods are Running and Ready at once
  size_t watch_history = 10000;      // events kept for watches; older versions answer 410
  uint64_t seed = 1;                 // uids, generated names
};

struct WatchRecord {
  int64_t rv = 0;
  std::string storage_key;
  std::string ns;
  std::string type;  // ADDED, MODIFIED, DELETED
  std::shared_ptr<const std::string> json;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> old_labels;  // for MODIFIED
  std::string name;
};

class ObjectStore {
 public:
  ObjectStore(Clock* clock, StoreOptions options);

  // Registry lookups for routing (copies: a CRD may be removed meanwhile).
  std::optional<ResourceType> FindType(const std::string& group, const std::string& version,
                                       const std::string& resource);
  std::optional<ResourceType> FindKind(const std::string& api_version, const std::string& kind);
  std::optional<std::string> ResourceListJson(const std::string& group, const std::string& version);
  std::string ApiGroupListJson(bool with_metrics);

  FakeResult<StoredObject> Create(const ResourceType& type, const std::string& ns,
                                  JsonDocument object);
  // Create for seeding a cluster state: keeps the object's uid, creationTimestamp and status.
  FakeResult<StoredObject> CreateSeed(const ResourceType& type, const std::string& ns,
                                      JsonDocument object);
  FakeResult<StoredObject> Get(const ResourceType& type, const std::string& ns,
                               const std::string& name);
  // PUT of the object (status_only: PUT of .../status).
  FakeResult<StoredObject> Update(const ResourceType& type, const std::string& ns,
                                  const std::string& name, JsonDocument object, bool status_only);
  // content_type: application/{merge-patch,json-patch,strategic-merge-patch}+json.
  FakeResult<StoredObject> Patch(const ResourceType& type, const std::string& ns,
                                 const std::string& name, const std::string& content_type,
                                 const std::string& body, bool status_only);
  // Returns the response body (the object when it is kept or a Status of Success).
  FakeResult<std::string> Delete(const ResourceType& type, const std::string& ns,
                                 const std::string& name, const std::string& propagation);
  FakeResult<std::string> List(const ResourceType& type, const std::string& ns,
                               const std::string& label_selector, const std::string& field_selector,
                               int64_t limit, const std::string& continue_token);

  // The scale subresource: the Scale JSON, and updates of spec.replicas through it.
  FakeResult<std::string> GetScale(const ResourceType& type, const std::string& ns,
                                   const std::string& name);
  FakeResult<std::string> WriteScale(const ResourceType& type, const std::string& ns,
                                     const std::string& name, const std::string& content_type,
                                     const std::string& body, bool is_patch);

  // Watch support. Parse `from` ("" / "0" = current state first). Returns false (and sets
  // `compacted`) when `from` is older than the retained history.
  struct WatchCursor {
    int64_t next_rv = 0;  // deliver events with rv >= next_rv
    bool compacted = false;
    int64_t oldest = 0;
  };
  // Snapshot for a watch starting at "" or "0": ADDED events for every object, in name order.
  std::vector<WatchRecord> Snapshot(const ResourceType& type, const std::string& ns,
                                    int64_t* current_rv);
  // Events after `after_rv` for the type (and namespace, if not empty); waits up to `wait` for one.
  // Sets *too_old when `after_rv` fell out of the history.
  std::vector<WatchRecord> EventsAfter(const ResourceType& type, const std::string& ns,
                                       int64_t after_rv, std::chrono::milliseconds wait,
                                       bool* too_old, int64_t* oldest);
  // Forgets the event history (later watches from older versions get 410 Gone).
  void Compact();
  int64_t CurrentResourceVersion();
  // Wakes every waiting watcher (server shutdown).
  void WakeAll();

  // Test and simulation access without HTTP.
  FakeResult<StoredObject> GetByKind(const std::string& api_version, const std::string& kind,
                                     const std::string& ns, const std::string& name);
  std::vector<std::shared_ptr<const JsonDocument>> ListByKind(const std::string& api_version,
                                                              const std::string& kind,
                                                              const std::string& ns);
  // Runs `mutate` on a copy of the object and writes it as a full update (status included).
  FakeResult<StoredObject> Mutate(const std::string& api_version, const std::string& kind,
                                  const std::string& ns, const std::string& name,
                                  const std::function<void(JsonValue&, JsonAllocator&)>& mutate);

 private:
  using ObjectMap = std::map<std::string, StoredObject>;  // "ns/name" -> object

  // All *Locked functions expect mu_ held.
  FakeResult<StoredObject> CreateLocked(const ResourceType& type, const std::string& ns,
                                        JsonDocument object);
  FakeResult<StoredObject> UpdateLocked(const ResourceType& type, const std::string& ns,
                                        const std::string& name, JsonDocument object,
                                        bool status_only, bool internal);
  FakeResult<std::string> DeleteLocked(const ResourceType& type, const std::string& ns,
                                       const std::string& name, const std::string& propagation);
  void RemoveLocked(const ResourceType& type, const std::string& key, const StoredObject& old);
  StoredObject Commit(const ResourceType& type, const std::string& key, JsonDocument doc,
                      const std::string& event_type, const StoredObject* old);
  const StoredObject* FindLocked(const ResourceType& type, const std::string& ns,
                                 const std::string& name);
  FakeResult<std::string> ScaleJsonLocked(const ResourceType& type, const StoredObject& object);
  const ResourceType* TypeForStorageKey(const std::string& storage_key);

  // Controllers (controllers.cpp).
  void RunControllersLocked();
  void SyncDeploymentLocked(const ResourceType& type, const StoredObject& deployment);
  void SyncPodOwnerLocked(const ResourceType& type, const StoredObject& owner);
  void CollectGarbageLocked(const std::string& owner_uid, const std::string& propagation);
  JsonDocument NewPodLocked(const JsonValue& owner, const ResourceType& owner_type,
                            const JsonValue& template_value, const std::string& name,
                            const std::string& ns, int ordinal);

  std::string NewUid();
  std::string RandomSuffix(size_t length);
  std::string Now() const;

  Clock* clock_;
  StoreOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  ResourceRegistry registry_;
  std::map<std::string, ObjectMap> objects_;  // storage key -> objects
  int64_t rv_ = 100;
  std::deque<WatchRecord> history_;
  int64_t compacted_rv_ = 0;  // events with rv <= this are gone
  std::mt19937_64 rng_;
  bool in_controllers_ = false;
  bool seeding_ = false;
};

// Serializes a JSON value compactly.
std::string Serialize(const JsonValue& value);

}  // namespace cpa::kube::fake
