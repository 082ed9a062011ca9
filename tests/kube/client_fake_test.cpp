// The client against kube/fake over plain HTTP: every operation and error mapping.
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "kube/client.h"
#include "kube/fake/fake_api_server.h"
#include "tests/kube/test_util.h"

namespace cpa::kube {

// ScalePatch lives in cpa::kube: its printer must be found there (argument-dependent lookup).
[[maybe_unused]] static void PrintTo(ScalePatch format, std::ostream* os) {
  *os << (format == ScalePatch::kMerge ? "merge" : "json");
}

namespace {

using fake::FakeApiServer;
using fake::FakeApiServerOptions;
using testing::ClientFor;
using testing::Meta;
using testing::Str;

class KubeClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    client_ = ClientFor(server_);
    ASSERT_NE(client_, nullptr);
  }

  JsonDocument CreateYaml(const char* yaml, std::string_view ns = "fixtures") {
    auto doc = ParseYaml(yaml);
    EXPECT_TRUE(doc);
    auto created = client_->Create(ns, *doc);
    EXPECT_TRUE(created) << created.error().ToString();
    return created ? std::move(*created) : JsonDocument();
  }

  size_t PodCount(std::string_view selector) {
    auto pods = client_->ListPods("fixtures", selector);
    EXPECT_TRUE(pods) << pods.error().ToString();
    return pods ? (*pods)["items"].Size() : 0;
  }

  FakeApiServer server_;
  std::unique_ptr<Client> client_;
};

constexpr const char* kReplicaSetYaml = R"(
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: cache}
spec:
  replicas: 1
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec: {containers: [{name: c, image: cache:1}]}
)";

constexpr const char* kStatefulSetYaml = R"(
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 1
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: db:1}]}
)";

constexpr const char* kReplicationControllerYaml = R"(
apiVersion: v1
kind: ReplicationController
metadata: {name: legacy}
spec:
  replicas: 1
  selector: {app: legacy}
  template:
    metadata: {labels: {app: legacy}}
    spec: {containers: [{name: l, image: legacy:1}]}
)";

constexpr const char* kRolloutCrdYaml = R"(
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: rollouts.argoproj.io}
spec:
  group: argoproj.io
  scope: Namespaced
  names: {plural: rollouts, singular: rollout, kind: Rollout, shortNames: [ro]}
  versions:
  - name: v1alpha1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.HPAReplicas
        labelSelectorPath: .status.selector
)";

TEST_F(KubeClientTest, DiscoveryResolvesBuiltinKindsAndPreferredVersions) {
  auto deployments = client_->discovery().ResolveKind("apps/v1", "Deployment");
  ASSERT_TRUE(deployments) << deployments.error().ToString();
  EXPECT_EQ(deployments->resource, "deployments");
  EXPECT_TRUE(deployments->has_scale);
  auto rc = client_->discovery().ResolveKind("v1", "ReplicationController");
  ASSERT_TRUE(rc);
  EXPECT_EQ(rc->resource, "replicationcontrollers");
  auto lease = client_->discovery().ResolveKind("coordination.k8s.io", "Lease");
  ASSERT_TRUE(lease) << lease.error().ToString();
  EXPECT_EQ(lease->version, "v1");
  auto missing = client_->discovery().ResolveKind("apps/v1", "Deploymnt");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  auto no_group = client_->discovery().ResolveKind("nothing.example/v1", "Thing");
  ASSERT_FALSE(no_group);
  EXPECT_EQ(no_group.error().code, ErrorCode::kNotFound);
}

TEST_F(KubeClientTest, DiscoveryFindsACrdPluralInstalledAfterTheFirstLookup) {
  // A miss is cached per group version; a CRD installed later is still found.
  EXPECT_FALSE(client_->discovery().ResolveKind("example.com/v1", "Logstash"));
  CreateYaml(testing::kLogstashCrdYaml, "");
  auto info = client_->discovery().ResolveKind("example.com/v1", "Logstash");
  ASSERT_TRUE(info) << info.error().ToString();
  EXPECT_EQ(info->resource, "logstashes");  // not "logstashs"
  EXPECT_TRUE(info->has_scale);
  EXPECT_TRUE(info->has_status);
  EXPECT_EQ(ResourcePath(*info, "fixtures", "ls", "scale"),
            "/apis/example.com/v1/namespaces/fixtures/logstashes/ls/scale");
}

TEST_F(KubeClientTest, CreateGetUpdateFollowApiSemantics) {
  JsonDocument created = CreateYaml(testing::kDeploymentYaml);
  EXPECT_FALSE(Meta(created, "uid").empty());
  EXPECT_FALSE(Meta(created, "creationTimestamp").empty());
  EXPECT_EQ(created["metadata"]["generation"].GetInt(), 1);
  const std::string rv1 = Meta(created, "resourceVersion");

  // A create carrying a resourceVersion fails as on a real server (500, a plain message).
  auto with_version = client_->Create("fixtures", created);
  ASSERT_FALSE(with_version);
  EXPECT_EQ(with_version.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(with_version.error().message,
            "resourceVersion should not be set on objects to be created");
  JsonDocument duplicate;
  duplicate.CopyFrom(created, duplicate.GetAllocator());
  duplicate["metadata"].RemoveMember("resourceVersion");  // a create must not carry one
  auto again = client_->Create("fixtures", duplicate);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);

  auto got = client_->Get("apps/v1", "Deployment", "fixtures", "web");
  ASSERT_TRUE(got) << got.error().ToString();
  JsonDocument update;
  update.CopyFrom(*got, update.GetAllocator());
  update["metadata"]["labels"].AddMember("team", "a", update.GetAllocator());
  auto labelled = client_->Update("fixtures", update);
  ASSERT_TRUE(labelled) << labelled.error().ToString();
  EXPECT_NE(Meta(*labelled, "resourceVersion"), Meta(*got, "resourceVersion"));
  EXPECT_EQ((*labelled)["metadata"]["generation"].GetInt(), 1);  // metadata only

  // The same body again is stale now.
  auto stale = client_->Update("fixtures", update);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_NE(stale.error().message.find("the object has been modified"), std::string::npos);

  JsonDocument spec_change;
  spec_change.CopyFrom(*labelled, spec_change.GetAllocator());
  spec_change["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.example/web:2";
  auto bumped = client_->Update("fixtures", spec_change);
  ASSERT_TRUE(bumped);
  EXPECT_EQ((*bumped)["metadata"]["generation"].GetInt(), 2);

  // A no-op update changes nothing, not even the resourceVersion.
  auto noop = client_->Update("fixtures", *bumped);
  ASSERT_TRUE(noop);
  EXPECT_EQ(Meta(*noop, "resourceVersion"), Meta(*bumped, "resourceVersion"));
  EXPECT_NE(rv1, Meta(*noop, "resourceVersion"));
}

TEST_F(KubeClientTest, StatusSubresourceWritesOnlyStatus) {
  CreateYaml(testing::kLogstashCrdYaml, "");
  JsonDocument ls = CreateYaml(R"({"apiVersion":"example.com/v1","kind":"Logstash",
      "metadata":{"name":"ls"},"spec":{"replicas":2},"status":{"ignored":true}})");
  EXPECT_EQ(FindMember(ls["status"], "ignored"), nullptr);  // create drops status
  auto patched = client_->Patch(
      "example.com/v1", "Logstash", "fixtures", "ls", PatchType::kMerge,
      R"({"spec":{"replicas":9},"status":{"replicas":2,"selector":"app=ls"}})", "status");
  ASSERT_TRUE(patched) << patched.error().ToString();
  EXPECT_EQ((*patched)["spec"]["replicas"].GetInt(), 2);  // spec ignored on /status
  EXPECT_EQ(Str((*patched)["status"], "selector"), "app=ls");
  EXPECT_EQ((*patched)["metadata"]["generation"].GetInt(), 1);

  JsonDocument main_update;
  main_update.CopyFrom(*patched, main_update.GetAllocator());
  main_update["status"]["selector"] = "app=other";
  main_update["spec"]["replicas"] = 4;
  auto updated = client_->Update("fixtures", main_update);
  ASSERT_TRUE(updated);
  EXPECT_EQ(Str((*updated)["status"], "selector"), "app=ls");  // status ignored on the object
  EXPECT_EQ((*updated)["metadata"]["generation"].GetInt(), 2);

  JsonDocument status_update;
  status_update.CopyFrom(*updated, status_update.GetAllocator());
  status_update["status"]["replicas"] = 4;
  auto status = client_->UpdateStatus("fixtures", status_update);
  ASSERT_TRUE(status) << status.error().ToString();
  EXPECT_EQ((*status)["status"]["replicas"].GetInt(), 4);

  auto scale = client_->GetScale({"example.com/v1", "Logstash", "ls"}, "fixtures");
  ASSERT_TRUE(scale) << scale.error().ToString();
  EXPECT_EQ(scale->replicas, 4);
  EXPECT_EQ(scale->status_replicas, 4);
  EXPECT_EQ(scale->selector, "app=ls");
}

TEST_F(KubeClientTest, InvalidObjectsAreInvalidArgumentWithTheServerMessage) {
  auto doc =
      ParseYaml(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"Bad_Name"},
                           "spec":{"template":{"spec":{}}}})");
  auto created = client_->Create("fixtures", *doc);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(created.error().message.find("Deployment.apps \"Bad_Name\" is invalid"),
            std::string::npos)
      << created.error().message;
  EXPECT_NE(created.error().message.find("spec.selector: Required value"), std::string::npos);
}

struct ScalableKind {
  const char* name;
  const char* crd;
  const char* object;
  ObjectRef ref;
  const char* selector;
};

// Test names and `--gtest_list_tests` show the kind, not a byte dump of the struct.
void PrintTo(const ScalableKind& kind, std::ostream* os) { *os << kind.name; }

class KubeScaleTest : public KubeClientTest,
                      public ::testing::WithParamInterface<std::tuple<ScalableKind, ScalePatch>> {};

TEST_P(KubeScaleTest, GetAndPatchScaleChangeOnlySpecReplicas) {
  const auto& [kind, format] = GetParam();
  if (kind.crd != nullptr) CreateYaml(kind.crd, "");
  JsonDocument object = CreateYaml(kind.object);
  if (std::string(kind.ref.kind) == "Rollout") {
    ASSERT_TRUE(client_->Patch(
        kind.ref.api_version, kind.ref.kind, "fixtures", kind.ref.name, PatchType::kMerge,
        R"({"status":{"HPAReplicas":1,"selector":"app=canary"}})", "status"));
  }
  auto before = client_->GetScale(kind.ref, "fixtures");
  ASSERT_TRUE(before) << kind.name << ": " << before.error().ToString();
  EXPECT_EQ(before->replicas, 1) << kind.name;
  EXPECT_EQ(before->selector, kind.selector) << kind.name;

  auto after = client_->PatchScaleReplicas(kind.ref, "fixtures", 3, format);
  ASSERT_TRUE(after) << kind.name << ": " << after.error().ToString();
  EXPECT_EQ(after->replicas, 3);
  auto target = client_->GetObject(kind.ref, "fixtures");
  ASSERT_TRUE(target);
  EXPECT_EQ((*target)["spec"]["replicas"].GetInt(), 3) << kind.name;
  EXPECT_EQ((*target)["metadata"]["generation"].GetInt(), 2) << kind.name;

  // To zero and back: a Scale with 0 replicas omits spec.replicas.
  auto zero = client_->PatchScaleReplicas(kind.ref, "fixtures", 0, format);
  ASSERT_TRUE(zero) << zero.error().ToString();
  EXPECT_EQ(zero->replicas, 0);
  auto back = client_->PatchScaleReplicas(kind.ref, "fixtures", 2, format);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(back->replicas, 2);
  auto negative = client_->PatchScaleReplicas(kind.ref, "fixtures", -1, format);
  EXPECT_FALSE(negative);
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, KubeScaleTest,
    ::testing::Combine(
        ::testing::Values(
            ScalableKind{"Deployment",
                         nullptr,
                         R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
                   "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
                   "template":{"metadata":{"labels":{"app":"web"}},
                   "spec":{"containers":[{"name":"w","image":"w:1"}]}}}})",
                         {"apps/v1", "Deployment", "web"},
                         "app=web"},
            ScalableKind{"ReplicaSet",
                         nullptr,
                         kReplicaSetYaml,
                         {"apps/v1", "ReplicaSet", "cache"},
                         "app=cache"},
            ScalableKind{"StatefulSet",
                         nullptr,
                         kStatefulSetYaml,
                         {"apps/v1", "StatefulSet", "db"},
                         "app=db"},
            ScalableKind{"ReplicationController",
                         nullptr,
                         kReplicationControllerYaml,
                         {"v1", "ReplicationController", "legacy"},
                         "app=legacy"},
            ScalableKind{"Rollout",
                         kRolloutCrdYaml,
                         R"({"apiVersion":"argoproj.io/v1alpha1","kind":"Rollout",
                   "metadata":{"name":"canary"},"spec":{"replicas":1}})",
                         {"argoproj.io/v1alpha1", "Rollout", "canary"},
                         "app=canary"},
            ScalableKind{"Logstash",
                         testing::kLogstashCrdYaml,
                         R"({"apiVersion":"example.com/v1","kind":"Logstash",
                   "metadata":{"name":"ls"},"spec":{"replicas":1}})",
                         {"example.com/v1", "Logstash", "ls"},
                         ""}),
        ::testing::Values(ScalePatch::kMerge, ScalePatch::kJson)),
    [](const auto& info) {
      return std::string(std::get<0>(info.param).name) +
             (std::get<1>(info.param) == ScalePatch::kMerge ? "Merge" : "Json");
    });

TEST_F(KubeClientTest, DeploymentPodsFollowReplicasAndAreGarbageCollected) {
  CreateYaml(testing::kDeploymentYaml);
  EXPECT_EQ(PodCount("app=web"), 2u);
  ASSERT_TRUE(client_->PatchScaleReplicas({"apps/v1", "Deployment", "web"}, "fixtures", 5));
  EXPECT_EQ(PodCount("app=web"), 5u);
  auto scale = client_->GetScale({"apps/v1", "Deployment", "web"}, "fixtures");
  ASSERT_TRUE(scale);
  EXPECT_EQ(scale->status_replicas, 5);
  auto pods = client_->ListPods("fixtures", "app=web");
  ASSERT_TRUE(pods);
  const JsonValue& pod = (*pods)["items"][0];
  const std::string name = Meta(pod, "name");
  EXPECT_EQ(name.rfind("web-", 0), 0u);
  EXPECT_EQ(std::count(name.begin(), name.end(), '-'), 2) << name;  // web-<hash>-<suffix>
  EXPECT_EQ(Str(pod["metadata"]["ownerReferences"][0], "kind"), "ReplicaSet");
  EXPECT_EQ(Str(pod["status"], "phase"), "Running");
  EXPECT_EQ(FindMember(pod, "kind"), nullptr);  // typed list items carry no kind
  EXPECT_FALSE(Str(pod["metadata"]["labels"], "pod-template-hash").empty());

  ASSERT_TRUE(client_->PatchScaleReplicas({"apps/v1", "Deployment", "web"}, "fixtures", 1));
  EXPECT_EQ(PodCount("app=web"), 1u);
  auto deleted = client_->Delete("apps/v1", "Deployment", "fixtures", "web");
  ASSERT_TRUE(deleted) << deleted.error().ToString();
  EXPECT_EQ(Str(*deleted, "status"), "Success");
  EXPECT_EQ(PodCount("app=web"), 0u);
  auto rs = client_->List("apps/v1", "ReplicaSet", "fixtures");
  ASSERT_TRUE(rs);
  EXPECT_EQ((*rs)["items"].Size(), 0u);
  auto gone = client_->Get("apps/v1", "Deployment", "fixtures", "web");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(gone.error().message, "deployments.apps \"web\" not found");
}

TEST_F(KubeClientTest, OrphanDeletionKeepsDependents) {
  CreateYaml(kReplicaSetYaml);
  ASSERT_EQ(PodCount("app=cache"), 1u);
  ASSERT_TRUE(client_->Delete("apps/v1", "ReplicaSet", "fixtures", "cache", "Orphan"));
  auto pods = client_->ListPods("fixtures", "app=cache");
  ASSERT_TRUE(pods);
  ASSERT_EQ((*pods)["items"].Size(), 1u);
  EXPECT_EQ(FindMember((*pods)["items"][0]["metadata"], "ownerReferences"), nullptr);
}

TEST_F(KubeClientTest, StatefulSetPodsHaveOrdinalNames) {
  CreateYaml(kStatefulSetYaml);
  ASSERT_TRUE(client_->PatchScaleReplicas({"apps/v1", "StatefulSet", "db"}, "fixtures", 3));
  auto pods = client_->ListPods("fixtures", "app=db");
  ASSERT_TRUE(pods);
  std::vector<std::string> names;
  for (const auto& p : (*pods)["items"].GetArray()) names.push_back(Meta(p, "name"));
  EXPECT_EQ(names, (std::vector<std::string>{"db-0", "db-1", "db-2"}));
  ASSERT_TRUE(client_->PatchScaleReplicas({"apps/v1", "StatefulSet", "db"}, "fixtures", 1));
  pods = client_->ListPods("fixtures", "app=db");
  ASSERT_EQ((*pods)["items"].Size(), 1u);
  EXPECT_EQ(Meta((*pods)["items"][0], "name"), "db-0");
}

TEST_F(KubeClientTest, PodsBySetBasedSelector) {
  ASSERT_TRUE(server_.AddPod("fixtures", "a", {{"app", "web"}, {"tier", "front"}}));
  ASSERT_TRUE(server_.AddPod("fixtures", "b", {{"app", "db"}, {"tier", "back"}}));
  ASSERT_TRUE(server_.AddPod("fixtures", "c", {{"app", "cache"}}));
  ASSERT_TRUE(server_.AddPod("other", "d", {{"app", "web"}}));
  auto pods = client_->ListPods("fixtures", "app in (web, db),tier notin (back)");
  ASSERT_TRUE(pods) << pods.error().ToString();
  ASSERT_EQ((*pods)["items"].Size(), 1u);
  EXPECT_EQ(Meta((*pods)["items"][0], "name"), "a");
  EXPECT_EQ(PodCount("tier"), 2u);
  EXPECT_EQ(PodCount("!tier"), 1u);
  EXPECT_EQ(PodCount(""), 3u);
  auto bad = client_->ListPods("fixtures", "app in web");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(KubeClientTest, NamespacedCallsNeedANamespaceAndListsMaySpanAll) {
  ASSERT_TRUE(server_.AddPod("a", "p", {{"app", "x"}}));
  ASSERT_TRUE(server_.AddPod("b", "p", {{"app", "x"}}));
  auto get = client_->Get("v1", "Pod", "", "p");
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error().code, ErrorCode::kInvalidArgument);
  auto scale = client_->GetScale({"apps/v1", "Deployment", "web"}, "");
  ASSERT_FALSE(scale);
  EXPECT_EQ(scale.error().code, ErrorCode::kInvalidArgument);
  auto all = client_->ListPods("", "app=x");
  ASSERT_TRUE(all) << all.error().ToString();
  EXPECT_EQ((*all)["items"].Size(), 2u);
  // Create takes the namespace from the object when none is given.
  auto cm = ParseJson(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"b"}})");
  auto created = client_->Create("", *cm);
  ASSERT_TRUE(created) << created.error().ToString();
  EXPECT_EQ(Meta(*created, "namespace"), "b");
}

TEST_F(KubeClientTest, ListPagesWithContinueTokens) {
  for (const char* name : {"p1", "p2", "p3", "p4", "p5"}) {
    ASSERT_TRUE(server_.AddPod("fixtures", name, {{"app", "paged"}}));
  }
  ListOptions options;
  options.limit = 2;
  std::vector<std::string> names;
  for (int page = 0; page < 5; ++page) {
    auto list = client_->List("v1", "Pod", "fixtures", options);
    ASSERT_TRUE(list) << list.error().ToString();
    for (const auto& p : (*list)["items"].GetArray()) names.push_back(Meta(p, "name"));
    options.continue_token = Str((*list)["metadata"], "continue");
    if (options.continue_token.empty()) break;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"p1", "p2", "p3", "p4", "p5"}));
}

TEST_F(KubeClientTest, MetricsApis) {
  ASSERT_TRUE(server_.AddPod("fixtures", "web-1", {{"app", "web"}}));
  ASSERT_TRUE(server_.AddPod("fixtures", "web-2", {{"app", "web"}}));
  ASSERT_TRUE(server_.AddPod("fixtures", "db-1", {{"app", "db"}}));
  server_.SetPodMetrics("fixtures", "web-1", {{"app", "250m", "64Mi"}});
  server_.SetPodMetrics("fixtures", "db-1", {{"app", "1", "1Gi"}});
  auto metrics = client_->GetPodMetrics("fixtures", "app=web");
  ASSERT_TRUE(metrics) << metrics.error().ToString();
  EXPECT_EQ(Str(*metrics, "kind"), "PodMetricsList");
  ASSERT_EQ((*metrics)["items"].Size(), 1u);  // web-2 has no metrics yet
  const JsonValue& item = (*metrics)["items"][0];
  EXPECT_EQ(Meta(item, "name"), "web-1");
  EXPECT_EQ(Str(item["containers"][0]["usage"], "cpu"), "250m");
  EXPECT_EQ(Str(item["containers"][0]["usage"], "memory"), "64Mi");

  CreateYaml(testing::kDeploymentYaml);
  server_.SetObjectMetric("fixtures", "deployments.apps", "web", "requests-per-second", "120");
  auto object = client_->GetObjectMetric("fixtures", {"apps/v1", "Deployment", "web"},
                                         "requests-per-second", "");
  ASSERT_TRUE(object) << object.error().ToString();
  EXPECT_EQ(Str(*object, "kind"), "MetricValueList");
  EXPECT_EQ(Str((*object)["items"][0], "value"), "120");
  EXPECT_EQ(Str((*object)["items"][0]["describedObject"], "kind"), "Deployment");
  EXPECT_EQ(Str((*object)["items"][0]["metric"], "name"), "requests-per-second");

  server_.SetPodCustomMetric("fixtures", "web-1", "queue", "3");
  server_.SetPodCustomMetric("fixtures", "web-2", "queue", "5");
  server_.SetPodCustomMetric("fixtures", "db-1", "queue", "100");
  auto pods = client_->GetPodsMetric("fixtures", "queue", "app=web", "");
  ASSERT_TRUE(pods) << pods.error().ToString();
  ASSERT_EQ((*pods)["items"].Size(), 2u);
  EXPECT_EQ(Str((*pods)["items"][1]["describedObject"], "name"), "web-2");
  EXPECT_EQ(Str((*pods)["items"][1], "value"), "5");

  server_.SetExternalMetric("fixtures", "queue_depth", {{"queue", "jobs"}}, "42");
  server_.SetExternalMetric("fixtures", "queue_depth", {{"queue", "mail"}}, "7");
  auto external = client_->GetExternalMetric("fixtures", "queue_depth", "queue=jobs");
  ASSERT_TRUE(external) << external.error().ToString();
  ASSERT_EQ((*external)["items"].Size(), 1u);
  EXPECT_EQ(Str((*external)["items"][0], "value"), "42");

  auto missing = client_->GetExternalMetric("fixtures", "nope", "");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

// The custom metrics API's paths for a metric of the Namespace object itself
// (namespaces/<ns>/metrics/<metric>) and of a cluster-scoped object (<resource>/<name>/<metric>).
TEST_F(KubeClientTest, ObjectMetricOfANamespaceAndOfAClusterScopedObject) {
  server_.SetObjectMetric("fixtures", "namespaces", "fixtures", "queue-length", "17");
  auto ns_metric =
      client_->GetObjectMetric("fixtures", {"v1", "Namespace", "fixtures"}, "queue-length", "");
  ASSERT_TRUE(ns_metric) << ns_metric.error().ToString();
  EXPECT_EQ(Str((*ns_metric)["items"][0], "value"), "17");
  EXPECT_EQ(Str((*ns_metric)["items"][0]["describedObject"], "kind"), "Namespace");

  server_.SetObjectMetric("", "nodes", "node-1", "load", "3");
  auto node_metric = client_->GetObjectMetric("fixtures", {"v1", "Node", "node-1"}, "load", "");
  ASSERT_TRUE(node_metric) << node_metric.error().ToString();
  EXPECT_EQ(Str((*node_metric)["items"][0], "value"), "3");
  EXPECT_EQ(Str((*node_metric)["items"][0]["describedObject"], "kind"), "Node");
}

TEST_F(KubeClientTest, LeasesForLeaderElection) {
  JsonDocument lease = CreateYaml(R"(
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: cpa-operator}
spec: {holderIdentity: operator-0, leaseDurationSeconds: 15,
       acquireTime: "2026-11-28T18:00:00.000000Z", renewTime: "2026-11-28T18:00:00.000000Z",
       leaseTransitions: 0}
)");
  EXPECT_EQ(FindMember(lease["metadata"], "generation"), nullptr);  // as the fixture shows
  JsonDocument renew;
  renew.CopyFrom(lease, renew.GetAllocator());
  renew["spec"]["renewTime"] = "2026-11-28T18:00:10.000000Z";
  ASSERT_TRUE(client_->Update("fixtures", renew));
  // A second candidate holding the old version loses.
  JsonDocument takeover;
  takeover.CopyFrom(lease, takeover.GetAllocator());
  takeover["spec"]["holderIdentity"] = "operator-1";
  auto lost = client_->Update("fixtures", takeover);
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, ErrorCode::kConflict);
  auto current = client_->Get("coordination.k8s.io/v1", "Lease", "fixtures", "cpa-operator");
  ASSERT_TRUE(current);
  EXPECT_EQ(Str((*current)["spec"], "holderIdentity"), "operator-0");
}

TEST_F(KubeClientTest, RecordsEvents) {
  JsonDocument deployment = CreateYaml(testing::kDeploymentYaml);
  auto event = client_->RecordEvent(
      "fixtures", {"apps/v1", "Deployment", "web"}, Meta(deployment, "uid"), "Normal", "Scaled",
      "Scale", "scaled from 2 to 3", "cpa", "cpa-0", "2026-11-28T18:43:04.000000Z");
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(Meta(*event, "name").rfind("web-", 0), 0u);
  EXPECT_EQ(Str((*event)["regarding"], "name"), "web");
  auto list = client_->List("events.k8s.io/v1", "Event", "fixtures");
  ASSERT_TRUE(list);
  EXPECT_EQ((*list)["items"].Size(), 1u);
}

TEST_F(KubeClientTest, ServerErrorsMapToCodes) {
  CreateYaml(testing::kDeploymentYaml);
  const std::string scale_path = "/apis/apps/v1/namespaces/fixtures/deployments/web/scale";
  ASSERT_TRUE(client_->GetScale({"apps/v1", "Deployment", "web"}, "fixtures"));  // warm discovery
  struct Case {
    int status;
    std::string body;
    ErrorCode code;
  };
  for (const Case& c : std::vector<Case>{
           {403, testing::ReadFixture("error-403-forbidden.json"), ErrorCode::kPermissionDenied},
           {401, testing::ReadFixture("error-401-unauthorized.json"), ErrorCode::kUnauthenticated},
           {429, R"({"kind":"Status","reason":"TooManyRequests","code":429})",
            ErrorCode::kUnavailable},
           {500, "internal error", ErrorCode::kUnavailable},
           {503, "", ErrorCode::kUnavailable},
           {410, R"({"kind":"Status","reason":"Expired","code":410})", ErrorCode::kGone},
           // Malformed or truncated 200 bodies are errors, never crashes.
           {200, R"({"kind":"Scale","spec":{"replicas":)", ErrorCode::kUnavailable},
           {200, "", ErrorCode::kUnavailable},
           {200, R"({"kind":"Scale","spec":{"replicas":"three"}})", ErrorCode::kUnavailable},
           {200, R"({"kind":"Deployment"})", ErrorCode::kUnavailable},
           {200, R"([1,2,3])", ErrorCode::kUnavailable},
           {200, "\xff\xfe\x00garbage", ErrorCode::kUnavailable}}) {
    server_.InjectResponse("GET", scale_path, c.status, c.body);
    auto scale = client_->GetScale({"apps/v1", "Deployment", "web"}, "fixtures");
    ASSERT_FALSE(scale) << c.status << " " << c.body;
    EXPECT_EQ(scale.error().code, c.code)
        << c.status << " " << c.body << ": " << scale.error().ToString();
  }
  server_.InjectResponse("GET", scale_path, 403, testing::ReadFixture("error-403-forbidden.json"));
  auto forbidden = client_->GetScale({"apps/v1", "Deployment", "web"}, "fixtures");
  ASSERT_FALSE(forbidden);
  EXPECT_NE(forbidden.error().message.find("system:serviceaccount:fixtures:limited"),
            std::string::npos);
  // And the server works again afterwards.
  EXPECT_TRUE(client_->GetScale({"apps/v1", "Deployment", "web"}, "fixtures"));
}

TEST_F(KubeClientTest, MalformedDiscoveryIsAnError) {
  server_.InjectResponse("GET", "/apis/apps/v1", 200, R"({"kind":"APIResourceList","resou)");
  auto info = client_->discovery().ResolveKind("apps/v1", "Deployment");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(client_->discovery().ResolveKind("apps/v1", "Deployment"));
}

TEST_F(KubeClientTest, WrongTokenIsUnauthenticated) {
  FakeApiServerOptions options;
  options.token = "s3cret";
  FakeApiServer secured(options);
  ASSERT_TRUE(secured.Start());
  auto wrong = ClientFor(secured, "guess");
  auto denied = wrong->ListPods("default", "");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kUnauthenticated);
  // The server's word, then which credential was refused and where it came from.
  EXPECT_EQ(denied.error().message.rfind("Unauthorized (the API server did not accept the bearer "
                                         "token",
                                         0),
            0u)
      << denied.error().message;
  auto right = ClientFor(secured, "s3cret");
  EXPECT_TRUE(right->ListPods("default", ""));
}

TEST(KubeTransportTest, ConnectionRefusedIsUnavailable) {
  int port = 0;
  {
    FakeApiServer server;
    ASSERT_TRUE(server.Start());
    port = server.port();
  }  // stopped: nothing listens there now
  ConnectionConfig config;
  config.server = fmt::format("http://127.0.0.1:{}", port);
  auto client = Client::Create(config);
  ASSERT_TRUE(client);
  auto result = (*client)->ListPods("default", "");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
}

TEST(KubeTransportTest, SlowServerIsDeadlineExceeded) {
  httplib::Server slow;
  slow.Get(".*", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    res.set_content("{}", "application/json");
  });
  int port = slow.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { slow.listen_after_bind(); });
  while (!slow.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ConnectionConfig config;
  config.server = fmt::format("http://127.0.0.1:{}", port);
  config.request_timeout = std::chrono::milliseconds(200);
  auto client = Client::Create(config);
  ASSERT_TRUE(client);
  auto result = (*client)->RequestJson("GET", "/api/v1/namespaces/default/pods");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kDeadlineExceeded);
  slow.stop();
  thread.join();
}

TEST_F(KubeClientTest, ConcurrentCallsShareThePool) {
  CreateYaml(testing::kDeploymentYaml);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (!client_->GetScale({"apps/v1", "Deployment", "web"}, "fixtures")) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(client_->transport().IdleConnections(), 1u);
  EXPECT_LE(client_->transport().IdleConnections(), 4u);
}

}  // namespace
}  // namespace cpa::kube
