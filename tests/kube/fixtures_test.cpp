// Every response captured from a real API server (tests/data/kube, from
// /work/shared/kube-fixtures) decodes through the client's parsers into what it means.
#include <gtest/gtest.h>

#include "kube/client.h"
#include "kube/discovery.h"
#include "kube/errors.h"
#include "kube/label_selector.h"
#include "tests/kube/test_util.h"

namespace cpa::kube {
namespace {

using testing::ParseFixture;
using testing::ReadFixture;

TEST(KubeFixturesTest, ScaleFixturesDecode) {
  struct Expect {
    const char* file;
    int32_t replicas, status_replicas;
    const char* selector;
  };
  for (const Expect& e :
       {Expect{"deployment-scale.json", 2, 2, "app=web"},
        Expect{"statefulset-scale.json", 1, 1, "app=db"},
        Expect{"replicaset-scale.json", 2, 2, "app=web,pod-template-hash=84884c4d55"},
        Expect{"crd-scale.json", 2, 0, ""}, Expect{"crd-scale-with-selector.json", 2, 2, "app=ls"},
        Expect{"deployment-scale-patch-merge-response.json", 3, 2, "app=web"},
        Expect{"deployment-scale-patch-json-response.json", 2, 3, "app=web"}}) {
    JsonDocument doc = ParseFixture(e.file);
    auto scale = ParseScale(doc);
    ASSERT_TRUE(scale) << e.file << ": " << scale.error().ToString();
    EXPECT_EQ(scale->replicas, e.replicas) << e.file;
    EXPECT_EQ(scale->status_replicas, e.status_replicas) << e.file;
    EXPECT_EQ(scale->selector, e.selector) << e.file;
    EXPECT_FALSE(scale->resource_version.empty()) << e.file;
    EXPECT_TRUE(LabelSelector::Parse(scale->selector)) << e.file;
  }
}

TEST(KubeFixturesTest, ErrorStatusesMapToCodesWithServerMessage) {
  struct Expect {
    const char* file;
    int http;
    ErrorCode code;
    const char* message_part;
  };
  for (const Expect& e :
       {Expect{"error-401-unauthorized.json", 401, ErrorCode::kUnauthenticated, "Unauthorized"},
        Expect{"error-403-forbidden.json", 403, ErrorCode::kPermissionDenied,
               "cannot get resource \"deployments/scale\""},
        Expect{"error-404-notfound.json", 404, ErrorCode::kNotFound,
               "deployments.apps \"nope\" not found"},
        Expect{"error-409-conflict.json", 409, ErrorCode::kConflict, "has been modified"},
        Expect{"error-409-alreadyexists.json", 409, ErrorCode::kAlreadyExists, "already exists"},
        Expect{"error-422-invalid.json", 422, ErrorCode::kInvalidArgument, "Bad_Name"},
        Expect{"event-create-response.json", 422, ErrorCode::kInvalidArgument,
               "metadata.generateName"}}) {
    Error error = ApiError(e.http, ReadFixture(e.file));
    EXPECT_EQ(error.code, e.code) << e.file;
    EXPECT_NE(error.message.find(e.message_part), std::string::npos)
        << e.file << ": " << error.message;
    ApiStatus status = ParseApiStatus(ParseFixture(e.file));
    EXPECT_EQ(status.code, e.http) << e.file;
  }
}

TEST(KubeFixturesTest, HttpStatusesWithoutStatusBodiesMap) {
  EXPECT_EQ(ApiError(410, "").code, ErrorCode::kGone);
  EXPECT_EQ(ApiError(400, "bad").code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ApiError(429, "slow down").code, ErrorCode::kUnavailable);
  EXPECT_EQ(ApiError(500, "<html>").code, ErrorCode::kUnavailable);
  EXPECT_EQ(ApiError(503, "{\"kind\":\"Status\"").code, ErrorCode::kUnavailable);
  EXPECT_EQ(ApiError(504, "").code, ErrorCode::kDeadlineExceeded);
  Error truncated = ApiError(502, std::string(1000, 'x'));
  EXPECT_LT(truncated.message.size(), 300u);
}

TEST(KubeFixturesTest, DiscoveryFixturesGivePluralsAndSubresources) {
  auto core = ParseApiResourceList(ParseFixture("discovery-core-v1.json"));
  ASSERT_TRUE(core);
  auto find = [](const std::vector<ResourceInfo>& list, const std::string& kind) {
    for (const auto& r : list) {
      if (r.kind == kind) return r;
    }
    return ResourceInfo{};
  };
  ResourceInfo rc = find(*core, "ReplicationController");
  EXPECT_EQ(rc.resource, "replicationcontrollers");
  EXPECT_TRUE(rc.has_scale);
  EXPECT_TRUE(rc.has_status);
  EXPECT_EQ(find(*core, "Namespace").namespaced, false);
  EXPECT_EQ(find(*core, "Pod").resource, "pods");

  auto apps = ParseApiResourceList(ParseFixture("discovery-apps-v1.json"));
  ASSERT_TRUE(apps);
  for (const char* kind : {"Deployment", "ReplicaSet", "StatefulSet"}) {
    EXPECT_TRUE(find(*apps, kind).has_scale) << kind;
    EXPECT_EQ(find(*apps, kind).group, "apps");
  }
  EXPECT_FALSE(find(*apps, "DaemonSet").has_scale);

  auto crd = ParseApiResourceList(ParseFixture("discovery-crd-group-logstashes.json"));
  ASSERT_TRUE(crd);
  ASSERT_EQ(crd->size(), 1u);
  EXPECT_EQ((*crd)[0].resource, "logstashes");
  EXPECT_EQ((*crd)[0].kind, "Logstash");
  EXPECT_EQ((*crd)[0].group, "example.com");
  EXPECT_TRUE((*crd)[0].has_scale);

  JsonDocument apis = ParseFixture("discovery-apis.json");
  EXPECT_EQ(testing::Str(apis, "kind"), "APIGroupList");
  JsonDocument api = ParseFixture("discovery-core-api.json");
  EXPECT_EQ(std::string(api["versions"][0].GetString()), "v1");
  EXPECT_FALSE(ParseApiResourceList(apis));  // not a resource list
}

TEST(KubeFixturesTest, PodListsMatchTheirSelectors) {
  JsonDocument by_selector = ParseFixture("podlist-by-selector.json");
  EXPECT_EQ(testing::Str(by_selector, "kind"), "PodList");
  auto web = LabelSelector::Parse("app=web");
  ASSERT_TRUE(web);
  ASSERT_GT(by_selector["items"].Size(), 0u);
  for (const auto& pod : by_selector["items"].GetArray()) {
    EXPECT_TRUE(web->Matches(FindMember(pod["metadata"], "labels")));
  }
  JsonDocument set_based = ParseFixture("podlist-set-based-selector.json");
  auto set = LabelSelector::Parse("app in (db,web)");
  ASSERT_TRUE(set);
  for (const auto& pod : set_based["items"].GetArray()) {
    EXPECT_TRUE(set->Matches(FindMember(pod["metadata"], "labels")));
  }
  JsonDocument kubectl = ParseFixture("kubectl-get-pods-o-json.json");
  EXPECT_EQ(testing::Str(kubectl, "kind"), "List");  // kubectl's, not the API's PodList
}

TEST(KubeFixturesTest, ObjectFixturesDecode) {
  JsonDocument deployment = ParseFixture("deployment.json");
  auto selector = LabelSelector::FromJson(deployment["spec"]["selector"]);
  ASSERT_TRUE(selector);
  EXPECT_EQ(selector->ToString(), "app=web");
  JsonDocument rs = ParseFixture("replicaset-owned-by-deployment.json");
  const JsonValue& owner = rs["metadata"]["ownerReferences"][0];
  EXPECT_EQ(testing::Str(owner, "uid"), testing::Meta(deployment, "uid"));
  EXPECT_TRUE(owner["controller"].GetBool());
  JsonDocument lease = ParseFixture("lease-create-response.json");
  EXPECT_EQ(testing::Str(lease["spec"], "holderIdentity"), "operator-0");
  JsonDocument status = ParseFixture("crd-status-patch-response.json");
  EXPECT_EQ(testing::Str(status["status"], "selector"), "app=ls");
}

TEST(KubeFixturesTest, WatchStreamLinesAreEvents) {
  std::string stream = ReadFixture("watch-pods-stream.jsonl");
  std::vector<std::string> types;
  size_t start = 0;
  while (start < stream.size()) {
    size_t end = stream.find('\n', start);
    std::string line = stream.substr(start, end - start);
    start = end == std::string::npos ? stream.size() : end + 1;
    if (line.empty()) continue;
    auto event = ParseJson(line);
    ASSERT_TRUE(event);
    types.push_back(testing::Str(*event, "type"));
  }
  EXPECT_EQ(types, (std::vector<std::string>{"ADDED", "MODIFIED", "DELETED", "BOOKMARK"}));
  auto expired = ParseJson(ReadFixture("watch-too-old-resourceversion.jsonl"));
  ASSERT_TRUE(expired);
  Error error = WatchStatusError((*expired)["object"]);
  EXPECT_EQ(error.code, ErrorCode::kGone);
  EXPECT_NE(error.message.find("too old resource version"), std::string::npos);
}

}  // namespace
}  // namespace cpa::kube
