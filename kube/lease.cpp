#include "kube/lease.h"

#include <cstdio>
#include <ctime>

namespace cpa::kube {
namespace {

JsonDocument LeaseObject(std::string_view ns, std::string_view name, std::string_view identity,
                         std::chrono::seconds duration, TimePoint acquire, TimePoint renew,
                         int32_t transitions, std::string_view resource_version) {
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("apiVersion", "coordination.k8s.io/v1", a);
  doc.AddMember("kind", "Lease", a);
  JsonValue meta(rapidjson::kObjectType);
  meta.AddMember("name", JsonString(name, a), a);
  meta.AddMember("namespace", JsonString(ns, a), a);
  if (!resource_version.empty()) {
    meta.AddMember("resourceVersion", JsonString(resource_version, a), a);
  }
  doc.AddMember("metadata", meta, a);
  JsonValue spec(rapidjson::kObjectType);
  spec.AddMember("holderIdentity", JsonString(identity, a), a);
  spec.AddMember("leaseDurationSeconds", static_cast<int>(duration.count()), a);
  spec.AddMember("acquireTime", JsonString(FormatMicroTime(acquire), a), a);
  spec.AddMember("renewTime", JsonString(FormatMicroTime(renew), a), a);
  spec.AddMember("leaseTransitions", transitions, a);
  doc.AddMember("spec", spec, a);
  return doc;
}

LeaseState StateOf(const JsonValue& lease, std::string_view identity) {
  LeaseState state;
  const JsonValue* spec = FindMember(lease, "spec");
  if (spec == nullptr) return state;
  state.holder = StringMember(*spec, "holderIdentity");
  state.leader = !state.holder.empty() && state.holder == identity;
  if (const JsonValue* t = FindMember(*spec, "leaseTransitions"); t != nullptr && t->IsInt()) {
    state.transitions = t->GetInt();
  }
  if (auto renew = ParseRfc3339(StringMember(*spec, "renewTime"))) state.renew_time = *renew;
  return state;
}

}  // namespace

Result<LeaseState> TryAcquireOrRenewLease(Client& client, std::string_view ns,
                                          std::string_view name, std::string_view identity,
                                          std::chrono::seconds lease_duration, TimePoint now) {
  auto current = client.Get("coordination.k8s.io/v1", "Lease", ns, name);
  if (!current) {
    if (current.error().code != ErrorCode::kNotFound) return std::unexpected(current.error());
    auto created =
        client.Create(ns, LeaseObject(ns, name, identity, lease_duration, now, now, 0, ""));
    if (!created) {
      if (created.error().code == ErrorCode::kAlreadyExists) {
        return LeaseState{false, "", 0, {}};  // another candidate was faster
      }
      return std::unexpected(created.error());
    }
    return StateOf(*created, identity);
  }
  LeaseState state = StateOf(*current, identity);
  const JsonValue* spec = FindMember(*current, "spec");
  std::chrono::seconds duration = lease_duration;
  if (spec != nullptr) {
    if (const JsonValue* d = FindMember(*spec, "leaseDurationSeconds"); d && d->IsInt()) {
      duration = std::chrono::seconds(d->GetInt());
    }
  }
  const bool expired = state.holder.empty() || state.renew_time + duration < now;
  if (!state.leader && !expired) return state;
  TimePoint acquire = now;
  int32_t transitions = state.transitions;
  if (state.leader) {
    if (spec != nullptr) {
      if (auto t = ParseRfc3339(StringMember(*spec, "acquireTime"))) acquire = *t;
    }
  } else {
    ++transitions;
  }
  const JsonValue* meta = FindMember(*current, "metadata");
  std::string rv = meta != nullptr ? StringMember(*meta, "resourceVersion") : "";
  auto updated = client.Update(
      ns, LeaseObject(ns, name, identity, lease_duration, acquire, now, transitions, rv));
  if (!updated) {
    if (updated.error().code == ErrorCode::kConflict) {
      state.leader = false;
      return state;
    }
    return std::unexpected(updated.error());
  }
  return StateOf(*updated, identity);
}

}  // namespace cpa::kube
