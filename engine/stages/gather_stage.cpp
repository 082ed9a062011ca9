#include "engine/stages/gather_stage.h"

#include <atomic>
#include <optional>
#include <thread>

#include "common/log.h"
#include "engine/cluster.h"

namespace cpa::engine {

JsonDocument GatherStage::MetricInput(const JsonValue& resource, RunType run_type,
                                      const JsonValue* kubernetes_metrics) {
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("resource", JsonValue(resource, a), a);
  doc.AddMember("runType", JsonString(RunTypeName(run_type), a), a);
  if (kubernetes_metrics != nullptr) {
    doc.AddMember("kubernetesMetrics", JsonValue(*kubernetes_metrics, a), a);
  }
  return doc;
}

JsonValue GatherStage::MetricsToJson(const std::vector<Metric>& metrics, JsonAllocator& a) {
  JsonValue list(rapidjson::kArrayType);
  for (const auto& m : metrics) {
    JsonValue item(rapidjson::kObjectType);
    item.AddMember("resource", JsonString(m.resource, a), a);
    item.AddMember("value", JsonString(m.value, a), a);
    list.PushBack(item, a);
  }
  return list;
}

std::expected<std::vector<Metric>, StageError> GatherStage::Run(
    const TargetState& target, RunType run_type, std::stop_token stop,
    const JsonValue* kubernetes_metrics) {
  JsonDocument target_input = MetricInput(*target.object, run_type, kubernetes_metrics);
  if (auto r = RunHook(hooks_.pre_metric.get(), "preMetric", target_input, stop); !r) {
    return std::unexpected(r.error());
  }
  std::vector<const JsonValue*> resources;
  if (mode_ == config::RunMode::kPerResource) {
    resources.push_back(target.object.get());
  } else {
    for (const auto& pod : target.pods) resources.push_back(pod.get());
  }
  std::vector<Metric> metrics(resources.size());
  std::vector<std::optional<Error>> errors(resources.size());
  auto gather_one = [&](size_t i) {
    const JsonValue& resource = *resources[i];
    JsonDocument input = MetricInput(resource, run_type, kubernetes_metrics);
    std::string json = ToJson(input);
    log::V(4, "metric input for {}: {}", ObjectName(resource), json);
    auto out = metric_.Call(json, stop);
    metrics[i].resource = ObjectName(resource);
    if (!out) {
      errors[i] = out.error().WithContext(fmt::format("resource {}", metrics[i].resource));
      return;
    }
    metrics[i].value = std::move(*out);
    log::V(3, "metric {}: {}", metrics[i].resource, metrics[i].value);
  };
  size_t workers = std::min<size_t>(resources.size(), std::max(1, parallelism_));
  if (workers <= 1) {
    for (size_t i = 0; i < resources.size(); ++i) gather_one(i);
  } else {
    std::atomic<size_t> next{0};
    std::vector<std::jthread> threads;
    const std::string& context = log::CurrentContext();
    for (size_t w = 0; w < workers; ++w) {
      threads.emplace_back([&] {
        log::ScopedContext worker_context(context);
        for (size_t i = next++; i < resources.size(); i = next++) gather_one(i);
      });
    }
  }
  for (auto& e : errors) {
    if (e) return std::unexpected(StageError{"metric", *e});
  }
  JsonDocument post = MetricInput(*target.object, run_type, kubernetes_metrics);
  post.AddMember("metrics", MetricsToJson(metrics, post.GetAllocator()), post.GetAllocator());
  if (auto r = RunHook(hooks_.post_metric.get(), "postMetric", post, stop); !r) {
    return std::unexpected(r.error());
  }
  return metrics;
}

}  // namespace cpa::engine
