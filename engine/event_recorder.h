// Delivers a run's Kubernetes Events (engine/stages/events.h) to the API server as
// events.k8s.io/v1 Events on the scale target, correlated as client-go's EventCorrelator does, so
// that a failing loop does not flood the API server:
//   - spam filter: a token bucket per target (burst 25, one token back every 5 minutes); an event
//     without a token is dropped;
//   - aggregation: when 10 or more events of one target, type and reason with different messages
//     arrive within 10 minutes, they become one event "(combined from similar events): <message>";
//   - deduplication: an event identical to one already sent (target, type, reason, message) is not
//     created again: the existing Event's series.count and series.lastObservedTime are patched.
// EventCorrelator is the pure decision (its times only need to be ordered; EventRecorder gives it
// the Clock's monotonic reading, the Events carry wall-clock times); EventRecorder applies it over
// a kube::Client. Both are thread-safe. Delivery errors are logged, never returned to the run: a
// warning for an error, the same error again at verbosity 1 until a delivery succeeds (an API
// server that is down is the run's error already; its events must not double the log).
#pragma once

#include <chrono>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "engine/stages/events.h"
#include "kube/client.h"

namespace cpa::engine {

struct EventCorrelatorOptions {
  int spam_burst = 25;                       // client-go's defaultSpamBurst
  std::chrono::seconds spam_refill{300};     // one token per 5 minutes (qps 1/300)
  int max_similar = 10;                      // defaultAggregateMaxEvents
  std::chrono::seconds similar_window{600};  // defaultAggregateIntervalInSeconds
  size_t max_keys = 4096;                    // LRU size of each cache
};

class EventCorrelator {
 public:
  explicit EventCorrelator(EventCorrelatorOptions options = {}) : options_(options) {}

  struct Outcome {
    bool drop = false;      // spam filter: no token left for this target
    std::string message;    // possibly "(combined from similar events): ..."
    std::string dedup_key;  // identical events share it
    int count = 1;          // how many times this dedup_key has been seen (1 = new)
  };
  // `object_key` identifies the target ("apps/v1/Deployment/ns/name").
  Outcome Correlate(const std::string& object_key, const TargetEvent& event, TimePoint now);

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint last;
  };
  struct Similar {
    std::map<std::string, bool> messages;  // distinct messages seen in the window
    TimePoint window_start;
  };
  template <typename V>
  struct Lru {
    std::list<std::string> order;  // most recent first
    std::unordered_map<std::string, std::pair<V, std::list<std::string>::iterator>> map;
    V& Touch(const std::string& key, size_t max_keys);
  };

  const EventCorrelatorOptions options_;
  std::mutex mu_;
  Lru<Bucket> buckets_;
  Lru<Similar> similar_;
  Lru<int> counts_;
};

struct EventRecorderOptions {
  std::string reporting_controller = "custompodautoscaler.com/cpa";
  std::string reporting_instance;  // e.g. the pod name ("" = "cpa")
  EventCorrelatorOptions correlator;
};

class EventRecorder final : public EventSink {
 public:
  EventRecorder(kube::Client& client, Clock& clock, EventRecorderOptions options = {});

  void Emit(const config::ScaleTargetRef& target, const std::string& name_space,
            const TargetEvent& event) override;

  // Events created and patched so far (tests, logs).
  int created() const;
  int patched() const;
  int dropped() const;

 private:
  std::string TargetUid(const config::ScaleTargetRef& target, const std::string& name_space);

  kube::Client& client_;
  Clock& clock_;
  const EventRecorderOptions options_;
  EventCorrelator correlator_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::string> event_names_;  // dedup key -> Event name
  std::unordered_map<std::string, std::string> uids_;         // object key -> target uid
  int created_ = 0, patched_ = 0, dropped_ = 0;
  std::string last_error_;  // the delivery error last logged as a warning
};

}  // namespace cpa::engine
