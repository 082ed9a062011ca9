#include "engine/kube_cluster.h"

namespace cpa::engine {
namespace {

kube::ObjectRef ToRef(const config::ScaleTargetRef& ref) {
  return kube::ObjectRef{ref.api_version, ref.kind, ref.name};
}

std::string Describe(const config::ScaleTargetRef& ref, const std::string& ns) {
  return fmt::format("{} {}/{}", ref.kind, ns, ref.name);
}

}  // namespace

Result<TargetState> KubeCluster::GetTarget(const config::ScaleTargetRef& ref,
                                           const std::string& name_space) {
  auto scale = api_.GetScale(ToRef(ref), name_space);
  if (!scale) {
    return std::unexpected(
        scale.error().WithContext(fmt::format("get scale of {}", Describe(ref, name_space))));
  }
  auto object = api_.GetObject(ToRef(ref), name_space);
  if (!object) {
    return std::unexpected(
        object.error().WithContext(fmt::format("get {}", Describe(ref, name_space))));
  }
  TargetState state;
  state.object = std::make_shared<const JsonDocument>(std::move(*object));
  state.current_replicas = scale->replicas;
  state.status_replicas = scale->status_replicas;
  state.selector = scale->selector;
  if (!state.selector.empty()) {
    auto pods = api_.ListPods(name_space, state.selector);
    if (!pods) {
      return std::unexpected(pods.error().WithContext(
          fmt::format("list pods of {} (selector {})", Describe(ref, name_space), state.selector)));
    }
    const JsonValue* items = FindMember(*pods, "items");
    if (items != nullptr && items->IsArray()) {
      for (const auto& item : items->GetArray()) {
        const JsonValue* metadata = FindMember(item, "metadata");
        if (metadata != nullptr && FindMember(*metadata, "deletionTimestamp") != nullptr) continue;
        auto pod = std::make_shared<JsonDocument>();
        pod->CopyFrom(item, pod->GetAllocator());
        state.pods.push_back(std::move(pod));
      }
    }
    SortPods(state.pods);
  }
  return state;
}

Status KubeCluster::Scale(const config::ScaleTargetRef& ref, const std::string& name_space,
                          int replicas) {
  auto result = api_.PatchScaleReplicas(ToRef(ref), name_space, replicas);
  if (!result) {
    return std::unexpected(result.error().WithContext(
        fmt::format("scale {} to {}", Describe(ref, name_space), replicas)));
  }
  return OkStatus();
}

}  // namespace cpa::engine
