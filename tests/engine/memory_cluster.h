// A Cluster for engine unit tests: one target with a replica count and pods, in memory.
// (Integration tests use the real client against kube/fake over HTTP.)
#pragma once

#include <mutex>

#include "engine/cluster.h"

namespace cpa::engine {

class MemoryCluster final : public Cluster {
 public:
  explicit MemoryCluster(int replicas, int pods = -1) : replicas_(replicas) {
    SetPods(pods < 0 ? replicas : pods);
  }
  Result<TargetState> GetTarget(const config::ScaleTargetRef& ref, const std::string&) override {
    std::lock_guard lock(mu_);
    ++gets_;
    if (fail_get_) return MakeError(ErrorCode::kUnavailable, "api server down");
    TargetState t;
    auto obj = std::make_shared<JsonDocument>();
    obj->Parse(fmt::format(R"({{"kind":"{}","metadata":{{"name":"{}"}},"spec":{{"replicas":{}}}}})",
                           ref.kind, ref.name, replicas_)
                   .c_str());
    t.object = obj;
    t.current_replicas = replicas_;
    t.selector = "app=web";
    t.pods = pods_;
    return t;
  }
  Status Scale(const config::ScaleTargetRef&, const std::string&, int replicas) override {
    std::lock_guard lock(mu_);
    ++scales_;
    replicas_ = replicas;
    return OkStatus();
  }
  void SetPods(int n) {
    std::lock_guard lock(mu_);
    pods_.clear();
    for (int i = n - 1; i >= 0; --i) {  // unsorted on purpose
      auto pod = std::make_shared<JsonDocument>();
      pod->Parse(fmt::format(R"({{"kind":"Pod","metadata":{{"name":"web-{}"}}}})", i).c_str());
      pods_.push_back(pod);
    }
    SortPods(pods_);
  }
  int replicas() {
    std::lock_guard lock(mu_);
    return replicas_;
  }
  int scales() {
    std::lock_guard lock(mu_);
    return scales_;
  }
  void set_replicas(int r) {
    std::lock_guard lock(mu_);
    replicas_ = r;
  }
  void set_fail_get(bool f) {
    std::lock_guard lock(mu_);
    fail_get_ = f;
  }

 private:
  std::mutex mu_;
  int replicas_;
  int scales_ = 0;
  int gets_ = 0;
  bool fail_get_ = false;
  std::vector<std::shared_ptr<const JsonDocument>> pods_;
};

}  // namespace cpa::engine
