// Leader election over a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it.
//
// TryAcquireOrRenewLease() makes one attempt: create the Lease if it does not exist; renew it if
// `identity` holds it; take it over (leaseTransitions + 1) if the holder's renewTime is older
// than leaseDurationSeconds; otherwise report the current holder. Every write carries the
// resourceVersion that was read, so of two candidates racing for an expired lease exactly one
// wins (the other sees kConflict, reported as not leader). Callers retry every few seconds and
// stop acting as leader when a renewal has not succeeded within the lease duration.
// Stateless and thread-safe; times come from the caller (an injected Clock).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/error.h"
#include "common/rfc3339.h"
#include "kube/client.h"

namespace cpa::kube {

struct LeaseState {
  bool leader = false;      // `identity` holds the lease after this attempt
  std::string holder;       // spec.holderIdentity after this attempt
  int32_t transitions = 0;  // spec.leaseTransitions
  TimePoint renew_time;     // spec.renewTime
};

Result<LeaseState> TryAcquireOrRenewLease(Client& client, std::string_view ns,
                                          std::string_view name, std::string_view identity,
                                          std::chrono::seconds lease_duration, TimePoint now);

// Kubernetes MicroTime: "2026-11-28T18:00:00.000000Z".
inline std::string FormatMicroTime(TimePoint t) {
  return FormatRfc3339(t, Rfc3339Precision::kMicros);
}

}  // namespace cpa::kube
