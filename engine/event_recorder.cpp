#include "engine/event_recorder.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/log.h"
#include "common/rfc3339.h"

namespace cpa::engine {

template <typename V>
V& EventCorrelator::Lru<V>::Touch(const std::string& key, size_t max_keys) {
  auto it = map.find(key);
  if (it != map.end()) {
    order.splice(order.begin(), order, it->second.second);
    return it->second.first;
  }
  order.push_front(key);
  auto& slot = map[key];
  slot.second = order.begin();
  if (map.size() > max_keys) {
    map.erase(order.back());
    order.pop_back();
  }
  return map[key].first;
}

EventCorrelator::Outcome EventCorrelator::Correlate(const std::string& object_key,
                                                    const TargetEvent& event, TimePoint now) {
  std::lock_guard lock(mu_);
  Outcome out;
  // Spam filter: a token bucket per object.
  const bool fresh_bucket = !buckets_.map.contains(object_key);
  Bucket& bucket = buckets_.Touch(object_key, options_.max_keys);
  if (fresh_bucket) {
    bucket.tokens = options_.spam_burst;
    bucket.last = now;
  }
  const double refill = std::chrono::duration<double>(now - bucket.last).count() /
                        std::chrono::duration<double>(options_.spam_refill).count();
  if (refill > 0) {
    bucket.tokens = std::min<double>(options_.spam_burst, bucket.tokens + refill);
    bucket.last = now;
  }
  if (bucket.tokens < 1.0) {
    out.drop = true;
    return out;
  }
  bucket.tokens -= 1.0;
  // Aggregation of similar events (same object, type and reason; any message).
  const std::string similar_key =
      fmt::format("{}\x1f{}\x1f{}", object_key, event.type, event.reason);
  Similar& similar = similar_.Touch(similar_key, options_.max_keys);
  if (similar.messages.empty() || now - similar.window_start > options_.similar_window) {
    similar.messages.clear();
    similar.window_start = now;
  }
  similar.messages[event.message] = true;
  out.message = event.message;
  out.dedup_key = fmt::format("{}\x1f{}", similar_key, event.message);
  if (static_cast<int>(similar.messages.size()) >= options_.max_similar) {
    out.message = "(combined from similar events): " + event.message;
    out.dedup_key = similar_key;  // every further similar event updates the combined one
  }
  int& count = counts_.Touch(out.dedup_key, options_.max_keys);
  out.count = ++count;
  return out;
}

EventRecorder::EventRecorder(kube::Client& client, Clock& clock, EventRecorderOptions options)
    : client_(client),
      clock_(clock),
      options_(std::move(options)),
      correlator_(options_.correlator) {}

std::string EventRecorder::TargetUid(const config::ScaleTargetRef& target,
                                     const std::string& name_space) {
  const std::string key =
      fmt::format("{}/{}/{}/{}", target.api_version, target.kind, name_space, target.name);
  {
    std::lock_guard lock(mu_);
    if (auto it = uids_.find(key); it != uids_.end()) return it->second;
  }
  auto object = client_.Get(target.api_version, target.kind, name_space, target.name);
  if (!object) return "";
  const JsonValue* meta = FindMember(*object, "metadata");
  std::string uid = meta != nullptr ? StringMember(*meta, "uid") : "";
  std::lock_guard lock(mu_);
  uids_[key] = uid;
  return uid;
}

void EventRecorder::Emit(const config::ScaleTargetRef& target, const std::string& name_space,
                         const TargetEvent& event) {
  const std::string object_key =
      fmt::format("{}/{}/{}/{}", target.api_version, target.kind, name_space, target.name);
  const TimePoint now = clock_.Now();
  // The spam filter's refill and the aggregation window measure durations: on the monotonic
  // clock, so that setting the system time back does not stop the refill (and drop every event
  // until the wall clock catches up) nor stretch the window.
  const TimePoint elapsed(
      std::chrono::duration_cast<Duration>(clock_.Monotonic().time_since_epoch()));
  const auto outcome = correlator_.Correlate(object_key, event, elapsed);
  if (outcome.drop) {
    std::lock_guard lock(mu_);
    ++dropped_;
    log::V(1, "event {} on {} dropped by the spam filter: {}", event.reason, object_key,
           event.message);
    return;
  }
  std::string existing;
  if (outcome.count > 1) {
    std::lock_guard lock(mu_);
    if (auto it = event_names_.find(outcome.dedup_key); it != event_names_.end()) {
      existing = it->second;
    }
  }
  if (!existing.empty()) {
    const std::string patch =
        fmt::format(R"({{"series":{{"count":{},"lastObservedTime":"{}"}}}})", outcome.count,
                    FormatRfc3339(now, Rfc3339Precision::kMicros));
    auto patched = client_.Patch("events.k8s.io/v1", "Event", name_space, existing,
                                 kube::PatchType::kMerge, patch);
    if (patched) {
      std::lock_guard lock(mu_);
      ++patched_;
      return;
    }
    log::V(1, "event {}/{}: patch failed ({}); creating a new one", name_space, existing,
           patched.error().message);
  }
  const kube::ObjectRef regarding{target.api_version, target.kind, target.name};
  auto created =
      client_.RecordEvent(name_space, regarding, TargetUid(target, name_space), event.type,
                          event.reason, "Autoscale", outcome.message, options_.reporting_controller,
                          options_.reporting_instance.empty() ? "cpa" : options_.reporting_instance,
                          FormatRfc3339(now, Rfc3339Precision::kMicros));
  if (!created) {
    bool repeated = false;
    {
      std::lock_guard lock(mu_);
      repeated = created.error().message == last_error_;
      last_error_ = created.error().message;
    }
    if (repeated) {
      log::V(1, "could not record event {} on {}: {}", event.reason, object_key,
             created.error().message);
    } else {
      log::Warning("could not record event {} on {}: {}", event.reason, object_key,
                   created.error().message);
    }
    return;
  }
  const JsonValue* meta = FindMember(*created, "metadata");
  std::lock_guard lock(mu_);
  last_error_.clear();
  ++created_;
  if (event_names_.size() >= options_.correlator.max_keys) event_names_.clear();
  if (meta != nullptr) event_names_[outcome.dedup_key] = StringMember(*meta, "name");
}

int EventRecorder::created() const {
  std::lock_guard lock(mu_);
  return created_;
}
int EventRecorder::patched() const {
  std::lock_guard lock(mu_);
  return patched_;
}
int EventRecorder::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

}  // namespace cpa::engine
