#include "experiments/live_cluster.h"

#include <cmath>

#include <fmt/format.h>

namespace cpa::experiments {
namespace {

void ReplaceMember(JsonValue& object, const char* key, JsonValue value, JsonAllocator& a) {
  if (object.HasMember(key)) object.RemoveMember(key);
  object.AddMember(JsonValue(key, a), value, a);
}

}  // namespace

LiveCluster::LiveCluster(SimulationOptions simulation, kube::fake::FakeApiServerOptions server)
    : server_options_(std::move(server)),
      clock_(simulation.start),
      sim_(std::move(simulation)),
      api_(sim_) {
  server_options_.clock = &clock_;
  server_options_.store.simulate_controllers = false;  // the simulation owns the pods
  server_ = std::make_unique<kube::fake::FakeApiServer>(server_options_);
}

LiveCluster::~LiveCluster() { Stop(); }

Status LiveCluster::Start() {
  CPA_RETURN_IF_ERROR(server_->Start());
  auto created = server_->CreateObject(api_.DeploymentJson());
  if (!created) return std::unexpected(created.error().WithContext("create Deployment"));
  CPA_RETURN_IF_ERROR(MirrorPods());
  MirrorMetrics();
  return OkStatus();
}

void LiveCluster::Stop() {
  if (server_) server_->Stop();
}

Status LiveCluster::Step(double t) {
  auto deployment = server_->GetObject("apps/v1", "Deployment", kNamespace, kDeployment);
  if (!deployment) return std::unexpected(deployment.error().WithContext("get Deployment"));
  const JsonValue* spec = FindMember(*deployment, "spec");
  const JsonValue* replicas = spec != nullptr ? FindMember(*spec, "replicas") : nullptr;
  if (replicas != nullptr && replicas->IsInt() && replicas->GetInt() != sim_.replicas()) {
    sim_.SetReplicas(std::max(0, replicas->GetInt()));
  }
  sim_.AdvanceTo(t);
  clock_.Set(sim_.WallTime(sim_.now()));
  CPA_RETURN_IF_ERROR(MirrorPods());
  MirrorMetrics();
  const int pods = static_cast<int>(sim_.Pods().size());
  const int ready = sim_.ReadyPods();
  return server_->MutateObject("apps/v1", "Deployment", kNamespace, kDeployment,
                               [&](JsonValue& d, JsonAllocator& a) {
                                 JsonValue status(rapidjson::kObjectType);
                                 status.AddMember("replicas", pods, a);
                                 status.AddMember("readyReplicas", ready, a);
                                 status.AddMember("availableReplicas", ready, a);
                                 status.AddMember("updatedReplicas", pods, a);
                                 ReplaceMember(d, "status", std::move(status), a);
                               });
}

Status LiveCluster::MirrorPods() {
  std::map<std::string, bool> now;
  for (const auto& pod : sim_.Pods()) {
    now[pod.name] = pod.ready;
    auto it = mirrored_.find(pod.name);
    if (it != mirrored_.end() && it->second == pod.ready) continue;
    JsonDocument json = api_.PodJson(pod);
    if (it == mirrored_.end()) {
      auto created = server_->CreateObject(json);
      if (!created) return std::unexpected(created.error().WithContext("create pod " + pod.name));
    }
    CPA_RETURN_IF_ERROR(server_->MutateObject(
        "v1", "Pod", kNamespace, pod.name, [&](JsonValue& p, JsonAllocator& a) {
          ReplaceMember(p, "status", JsonValue(json["status"], a), a);
        }));
  }
  for (const auto& [name, ready] : mirrored_) {
    if (!now.contains(name)) {
      (void)server_->DeleteObject("v1", "Pod", kNamespace, name);
      server_->ClearPodMetrics(kNamespace, name);
    }
  }
  mirrored_ = std::move(now);
  return OkStatus();
}

void LiveCluster::MirrorMetrics() {
  const auto& metrics = sim_.PodMetrics();
  const double scrape = metrics.empty() ? -1 : metrics.front().timestamp_s;
  if (scrape == last_scrape_s_) return;
  last_scrape_s_ = scrape;
  std::map<std::string, bool> reported;
  for (const auto& m : metrics) {
    if (!mirrored_.contains(m.name)) continue;
    reported[m.name] = true;
    server_->SetPodMetrics(
        kNamespace, m.name,
        {{"app", fmt::format("{}n", static_cast<int64_t>(std::llround(m.cpu_cores * 1e9))),
          "12Mi"}},
        fmt::format("{}s", static_cast<int>(sim_.options().cluster.reported_window_s)));
  }
  for (const auto& [name, ready] : mirrored_) {
    if (!reported.contains(name)) server_->ClearPodMetrics(kNamespace, name);
  }
}

std::string LiveCluster::Kubeconfig() const {
  return fmt::format(
      "apiVersion: v1\nkind: Config\ncurrent-context: cpa-sim\nclusters:\n- name: cpa-sim\n  "
      "cluster:\n    server: {}\ncontexts:\n- name: cpa-sim\n  context:\n    cluster: cpa-sim\n "
      "   user: cpa-sim\n    namespace: default\nusers:\n- name: cpa-sim\n  user:\n    token: "
      "\"{}\"\n",
      server_->url(), server_options_.token.empty() ? "unused" : server_options_.token);
}

}  // namespace cpa::experiments
