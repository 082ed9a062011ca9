#include "operator/cpa_spec.h"

#include <gtest/gtest.h>

namespace cpa::op {
namespace {

JsonDocument Yaml(const std::string& text) {
  auto doc = ParseYaml(text);
  EXPECT_TRUE(doc.has_value());
  return doc ? std::move(*doc) : JsonDocument();
}

const char* kValid =
    "metadata: {name: s, namespace: ns, uid: u1, generation: 3}\n"
    "spec:\n"
    "  template: {spec: {containers: [{name: a, image: i}]}}\n"
    "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n";

TEST(CpaSpecTest, ReadsDefaultsOfTheOriginalResource) {
  auto spec = ParseCpa(Yaml(kValid));
  ASSERT_TRUE(spec.has_value()) << spec.error().ToString();
  EXPECT_EQ(spec->name, "s");
  EXPECT_EQ(spec->ns, "ns");
  EXPECT_EQ(spec->generation, 3);
  EXPECT_TRUE(spec->provision_role);
  EXPECT_TRUE(spec->provision_role_binding);
  EXPECT_TRUE(spec->provision_service_account);
  EXPECT_TRUE(spec->provision_pod);
  EXPECT_FALSE(spec->role_requires_metrics_server);
  EXPECT_FALSE(spec->role_requires_argo_rollouts);
  EXPECT_FALSE(spec->storage.has_value());
  EXPECT_FALSE(spec->paused_replicas.has_value());
  EXPECT_EQ(spec->scale_target.kind, "Deployment");
  EXPECT_EQ(spec->scale_target_json,
            R"({"apiVersion":"apps/v1","kind":"Deployment","name":"web"})");
}

TEST(CpaSpecTest, ReadsEveryField) {
  auto spec = ParseCpa(Yaml(std::string(kValid) +
                            "  config: [{name: interval, value: '5000'}]\n"
                            "  provisionRole: false\n"
                            "  roleRequiresMetricsServer: true\n"
                            "  roleRequiresArgoRollouts: true\n"
                            "  storage: {size: 5Gi, mountPath: /data, provision: false}\n"));
  ASSERT_TRUE(spec.has_value()) << spec.error().ToString();
  ASSERT_EQ(spec->config.size(), 1u);
  EXPECT_EQ(spec->config[0].name, "interval");
  EXPECT_EQ(spec->config[0].value, "5000");
  EXPECT_FALSE(spec->provision_role);
  EXPECT_TRUE(spec->role_requires_metrics_server);
  EXPECT_TRUE(spec->role_requires_argo_rollouts);
  ASSERT_TRUE(spec->storage.has_value());
  EXPECT_EQ(spec->storage->size, "5Gi");
  EXPECT_EQ(spec->storage->mount_path, "/data");
  EXPECT_FALSE(spec->storage->provision);
}

struct InvalidCase {
  std::string yaml;
  std::string field;  // must appear in the message
};

void PrintTo(const InvalidCase& c, std::ostream* os) { *os << c.field; }

class CpaSpecInvalidTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(CpaSpecInvalidTest, NamesTheField) {
  auto spec = ParseCpa(Yaml(GetParam().yaml));
  ASSERT_FALSE(spec.has_value());
  EXPECT_EQ(spec.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(spec.error().message.find(GetParam().field), std::string::npos) << spec.error().message;
}

const std::string kTarget = "  scaleTargetRef: {kind: Deployment, name: web}\n";
const std::string kTemplate = "  template: {spec: {containers: [{name: a}]}}\n";
const std::string kMeta = "metadata: {name: s, namespace: ns}\n";

INSTANTIATE_TEST_SUITE_P(
    Cases, CpaSpecInvalidTest,
    ::testing::Values(
        InvalidCase{kMeta, "spec: is required"},
        InvalidCase{kMeta + "spec:\n" + kTarget, "spec.template: is required"},
        InvalidCase{kMeta + "spec:\n  template: {spec: {}}\n" + kTarget,
                    "spec.template.spec.containers"},
        InvalidCase{kMeta + "spec:\n  template: {spec: {containers: [{image: x}]}}\n" + kTarget,
                    "spec.template.spec.containers[0].name"},
        InvalidCase{kMeta + "spec:\n" + kTemplate, "spec.scaleTargetRef: is required"},
        InvalidCase{kMeta + "spec:\n" + kTemplate + "  scaleTargetRef: {kind: Deployment}\n",
                    "spec.scaleTargetRef.name"},
        InvalidCase{kMeta + "spec:\n" + kTemplate + kTarget + "  config: {a: b}\n",
                    "spec.config: must be a list"},
        InvalidCase{
            kMeta + "spec:\n" + kTemplate + kTarget + "  config: [{name: interval, value: 5}]\n",
            "spec.config[0] (interval).value"},
        InvalidCase{kMeta + "spec:\n" + kTemplate + kTarget + "  provisionPod: 'no'\n",
                    "spec.provisionPod: must be a boolean"},
        InvalidCase{kMeta + "spec:\n" + kTemplate + kTarget + "  storage: {size: lots}\n",
                    "spec.storage.size"},
        InvalidCase{kMeta + "spec:\n" + kTemplate + kTarget + "  storage: {mountPath: data}\n",
                    "spec.storage.mountPath"},
        InvalidCase{
            "metadata: {name: s, annotations: {v1.custompodautoscaler.com/paused-replicas: '-1'}}\n"
            "spec:\n" +
                kTemplate + kTarget,
            "paused-replicas"}),
    [](const ::testing::TestParamInfo<InvalidCase>& info) {
      return "Case" + std::to_string(info.index);
    });

TEST(CpaSpecTest, ReadsThePauseAnnotation) {
  auto spec = ParseCpa(
      Yaml("metadata: {name: s, annotations: {v1.custompodautoscaler.com/paused-replicas: '0'}}\n"
           "spec:\n" +
           kTemplate + kTarget));
  ASSERT_TRUE(spec.has_value());
  ASSERT_TRUE(spec->paused_replicas.has_value());
  EXPECT_EQ(*spec->paused_replicas, 0);
}

}  // namespace
}  // namespace cpa::op
