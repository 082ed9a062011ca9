// Kubernetes API responses: objects (/scale), Status errors, watch event lines, and the metrics
// APIs' lists, decoded by the functions the client and the engine use. The first byte picks the
// decoder; the rest is the response body.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/json.h"
#include "engine/kubernetes_metrics/metrics_api.h"
#include "kube/client.h"
#include "kube/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  // Error statuses decode whatever the body is (JSON Status, HTML from a proxy, nothing).
  static const int kStatuses[] = {400, 401, 403, 404, 409, 410, 422, 429, 500, 503, 504};
  (void)cpa::kube::ApiError(kStatuses[selector % 11], body);
  auto doc = cpa::ParseJson(body);
  if (!doc) return 0;
  switch (selector % 6) {
    case 0:
      (void)cpa::kube::ParseScale(*doc);
      break;
    case 1:
      (void)cpa::kube::ParseApiStatus(*doc);
      break;
    case 2:  // one watch event line, as Client::Watch reads it
      if (doc->IsObject()) {
        if (const cpa::JsonValue* object = cpa::FindMember(*doc, "object");
            object != nullptr && object->IsObject()) {
          (void)cpa::StringMember(*doc, "type");
          (void)cpa::MetadataString(*object, "resourceVersion");
          (void)cpa::kube::WatchStatusError(*object);
        }
      }
      break;
    case 3:
      (void)cpa::engine::kubernetes_metrics::ReadPodMetricsList(*doc, "cpu");
      (void)cpa::engine::kubernetes_metrics::ReadPodMetricsList(*doc, "memory", "app");
      break;
    case 4:
      (void)cpa::engine::kubernetes_metrics::ReadMetricValueList(*doc);
      break;
    case 5:
      if (doc->IsString()) {
        (void)cpa::engine::kubernetes_metrics::ParseGoDuration(
            std::string_view(doc->GetString(), doc->GetStringLength()));
      }
      break;
  }
  return 0;
}
