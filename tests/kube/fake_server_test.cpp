// kube/fake answers in the shapes the real API server uses (compared with tests/data/kube).
#include <set>

#include <gtest/gtest.h>
#include <httplib.h>

#include "kube/fake/fake_api_server.h"
#include "tests/kube/test_util.h"

namespace cpa::kube::fake {
namespace {

using testing::Meta;
using testing::ParseFixture;
using testing::Str;

std::set<std::string> Keys(const JsonValue& v) {
  std::set<std::string> out;
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) out.insert(m.name.GetString());
  }
  return out;
}

class KubeFakeServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_.port());
    ASSERT_TRUE(server_.CreateObject(testing::kDeploymentYaml));
  }
  JsonDocument Call(const char* method, const std::string& path, const std::string& body,
                    int* status, const char* content_type = "application/json") {
    httplib::Result r(nullptr, httplib::Error::Unknown);
    std::string m = method;
    if (m == "GET") r = http_->Get(path.c_str());
    if (m == "POST") r = http_->Post(path.c_str(), body, content_type);
    if (m == "PUT") r = http_->Put(path.c_str(), body, content_type);
    if (m == "PATCH") r = http_->Patch(path.c_str(), body, content_type);
    if (m == "DELETE") r = http_->Delete(path.c_str());
    EXPECT_TRUE(r) << method << " " << path;
    *status = r ? r->status : 0;
    auto doc = ParseJson(r ? r->body : "null");
    EXPECT_TRUE(doc) << r->body;
    return doc ? std::move(*doc) : JsonDocument();
  }
  FakeApiServer server_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(KubeFakeServerTest, ErrorBodiesHaveTheRealStatusShape) {
  int status = 0;
  JsonDocument not_found =
      Call("GET", "/apis/apps/v1/namespaces/fixtures/deployments/nope", "", &status);
  EXPECT_EQ(status, 404);
  JsonDocument real = ParseFixture("error-404-notfound.json");
  EXPECT_EQ(ToJson(not_found), ToJson(real));  // byte-for-byte the same answer

  auto web = server_.GetObject("apps/v1", "Deployment", "fixtures", "web");
  ASSERT_TRUE(web);
  std::string dup = ToJson(*web);
  JsonDocument exists =
      Call("POST", "/apis/apps/v1/namespaces/fixtures/deployments",
           R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
                                 "spec":{"selector":{"matchLabels":{"app":"web"}},
                                 "template":{"metadata":{"labels":{"app":"web"}},
                                 "spec":{"containers":[{"name":"web","image":"x"}]}}}})",
           &status);
  EXPECT_EQ(status, 409);
  EXPECT_EQ(ToJson(exists), ToJson(ParseFixture("error-409-alreadyexists.json")));

  (*web)["metadata"]["resourceVersion"] = "1";
  JsonDocument conflict =
      Call("PUT", "/apis/apps/v1/namespaces/fixtures/deployments/web", ToJson(*web), &status);
  EXPECT_EQ(status, 409);
  EXPECT_EQ(ToJson(conflict), ToJson(ParseFixture("error-409-conflict.json")));

  JsonDocument invalid = Call("POST", "/apis/apps/v1/namespaces/fixtures/deployments",
                              R"({"apiVersion":"apps/v1","kind":"Deployment",
                                  "metadata":{"name":"Bad_Name"},"spec":{"template":{}}})",
                              &status);
  EXPECT_EQ(status, 422);
  JsonDocument real_invalid = ParseFixture("error-422-invalid.json");
  EXPECT_EQ(Str(invalid, "message"), Str(real_invalid, "message"));
  EXPECT_EQ(Keys(invalid["details"]), Keys(real_invalid["details"]));
}

TEST_F(KubeFakeServerTest, ScaleAndObjectShapesMatchTheFixtures) {
  int status = 0;
  JsonDocument scale =
      Call("GET", "/apis/apps/v1/namespaces/fixtures/deployments/web/scale", "", &status);
  EXPECT_EQ(status, 200);
  JsonDocument real = ParseFixture("deployment-scale.json");
  EXPECT_EQ(Keys(scale), Keys(real));
  EXPECT_EQ(Keys(scale["metadata"]), Keys(real["metadata"]));
  EXPECT_EQ(ToJson(scale["spec"]), ToJson(real["spec"]));
  EXPECT_EQ(ToJson(scale["status"]), ToJson(real["status"]));

  JsonDocument patched =
      Call("PATCH", "/apis/apps/v1/namespaces/fixtures/deployments/web/scale",
           R"({"spec":{"replicas":3}})", &status, "application/merge-patch+json");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(patched["spec"]["replicas"].GetInt(), 3);

  JsonDocument pods =
      Call("GET", "/api/v1/namespaces/fixtures/pods?labelSelector=app%3Dweb", "", &status);
  JsonDocument real_list = ParseFixture("podlist-by-selector.json");
  EXPECT_EQ(Keys(pods), Keys(real_list));
  EXPECT_EQ(Str(pods, "kind"), "PodList");
  EXPECT_EQ(pods["items"].Size(), 3u);
  EXPECT_EQ(Keys(pods["items"][0]), Keys(real_list["items"][0]));  // no kind/apiVersion

  JsonDocument rs = Call("GET", "/apis/apps/v1/namespaces/fixtures/replicasets", "", &status);
  ASSERT_EQ(rs["items"].Size(), 1u);
  JsonDocument real_rs = ParseFixture("replicaset-owned-by-deployment.json");
  EXPECT_EQ(Keys(rs["items"][0]["metadata"]["ownerReferences"][0]),
            Keys(real_rs["metadata"]["ownerReferences"][0]));
}

TEST_F(KubeFakeServerTest, DiscoveryDocumentsHaveTheRealShape) {
  int status = 0;
  JsonDocument api = Call("GET", "/api", "", &status);
  EXPECT_EQ(Keys(api), Keys(ParseFixture("discovery-core-api.json")));
  JsonDocument apis = Call("GET", "/apis", "", &status);
  JsonDocument real_apis = ParseFixture("discovery-apis.json");
  EXPECT_EQ(Keys(apis), Keys(real_apis));
  EXPECT_EQ(Keys(apis["groups"][0]), Keys(real_apis["groups"][0]));
  JsonDocument apps = Call("GET", "/apis/apps/v1", "", &status);
  JsonDocument real_apps = ParseFixture("discovery-apps-v1.json");
  EXPECT_EQ(Keys(apps), Keys(real_apps));
  std::set<std::string> names, real_names;
  for (const auto& r : apps["resources"].GetArray()) names.insert(r["name"].GetString());
  for (const auto& r : real_apps["resources"].GetArray()) real_names.insert(r["name"].GetString());
  EXPECT_EQ(names, real_names);
  Call("GET", "/apis/nothing.example/v1", "", &status);
  EXPECT_EQ(status, 404);
}

TEST_F(KubeFakeServerTest, FinalizersDelayDeletion) {
  int status = 0;
  ASSERT_TRUE(server_.CreateObject(R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"held","namespace":"fixtures","finalizers":["example.com/hold"]}})"));
  Call("DELETE", "/api/v1/namespaces/fixtures/configmaps/held", "", &status);
  EXPECT_EQ(status, 200);
  JsonDocument held = Call("GET", "/api/v1/namespaces/fixtures/configmaps/held", "", &status);
  EXPECT_EQ(status, 200);
  EXPECT_FALSE(Meta(held, "deletionTimestamp").empty());
  Call("PATCH", "/api/v1/namespaces/fixtures/configmaps/held",
       R"({"metadata":{"finalizers":null}})", &status, "application/merge-patch+json");
  EXPECT_EQ(status, 200);
  Call("GET", "/api/v1/namespaces/fixtures/configmaps/held", "", &status);
  EXPECT_EQ(status, 404);
}

TEST_F(KubeFakeServerTest, FieldSelectorsAndUnsupportedPatchTypes) {
  int status = 0;
  JsonDocument named =
      Call("GET", "/apis/apps/v1/deployments?fieldSelector=metadata.name%3Dweb", "", &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(named["items"].Size(), 1u);
  Call("GET", "/apis/apps/v1/deployments?fieldSelector=spec.paused%3Dtrue", "", &status);
  EXPECT_EQ(status, 400);
  ASSERT_TRUE(server_.CreateObject(testing::kLogstashCrdYaml));
  ASSERT_TRUE(server_.CreateObject(R"({"apiVersion":"example.com/v1","kind":"Logstash",
      "metadata":{"name":"ls","namespace":"fixtures"},"spec":{"replicas":1}})"));
  // Strategic merge patch is for built-in types only.
  Call("PATCH", "/apis/example.com/v1/namespaces/fixtures/logstashes/ls", R"({"spec":{}})", &status,
       "application/strategic-merge-patch+json");
  EXPECT_EQ(status, 415);
  // Custom resources in lists keep kind/apiVersion.
  JsonDocument list =
      Call("GET", "/apis/example.com/v1/namespaces/fixtures/logstashes", "", &status);
  EXPECT_EQ(Str(list["items"][0], "kind"), "Logstash");
  // Deleting the CRD deletes its objects and its API.
  Call("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/logstashes.example.com",
       "", &status);
  EXPECT_EQ(status, 200);
  Call("GET", "/apis/example.com/v1/namespaces/fixtures/logstashes/ls", "", &status);
  EXPECT_EQ(status, 404);
}

TEST(KubeFakeSeedTest, SeedFileStartsAClusterState) {
  testing::TempDir dir;
  // The seed is a YAML list; the CRD comes last and is still created first.
  std::string crd = testing::kLogstashCrdYaml;
  std::string indented;
  bool first = true;
  for (size_t pos = 1; pos < crd.size();) {
    size_t nl = crd.find('\n', pos);
    std::string line = crd.substr(pos, nl - pos);
    indented += (first ? "- " : "  ") + line + "\n";
    first = false;
    pos = nl == std::string::npos ? crd.size() : nl + 1;
  }
  std::string seed = dir.Write("seed.yaml", std::string(R"(
- apiVersion: example.com/v1
  kind: Logstash
  metadata: {name: ls, namespace: fixtures, uid: 151db8fa-18d6-482d-89fa-234344e4e152}
  spec: {replicas: 2}
  status: {replicas: 2, selector: app=ls}
- apiVersion: v1
  kind: Pod
  metadata: {name: solo, namespace: fixtures, labels: {app: solo}}
  spec: {containers: [{name: c, image: c}]}
  status: {phase: Running}
)") + indented);
  FakeApiServerOptions options;
  options.seed_file = seed;
  FakeApiServer server(options);
  auto started = server.Start();
  ASSERT_TRUE(started) << started.error().ToString();
  auto ls = server.GetObject("example.com/v1", "Logstash", "fixtures", "ls");
  ASSERT_TRUE(ls) << ls.error().ToString();
  EXPECT_EQ(Meta(*ls, "uid"), "151db8fa-18d6-482d-89fa-234344e4e152");
  EXPECT_EQ(Str((*ls)["status"], "selector"), "app=ls");
  auto pod = server.GetObject("v1", "Pod", "fixtures", "solo");
  ASSERT_TRUE(pod);
  EXPECT_EQ(Str((*pod)["status"], "phase"), "Running");

  FakeApiServerOptions bad;
  bad.seed_file =
      dir.Write("bad.yaml", "- {apiVersion: nowhere/v1, kind: Thing, metadata: {name: x}}");
  FakeApiServer broken(bad);
  auto failed = broken.Start();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace cpa::kube::fake

namespace cpa::kube::fake {
namespace {

TEST(KubeFakePodStatusTest, ReadinessChangesKeepStartTimeAndUnchangedTransitions) {
  ManualClock clock(FromUnixMillis(1'800'000'000'000));
  FakeApiServerOptions options;
  options.clock = &clock;
  FakeApiServer server(options);
  ASSERT_TRUE(server.Start());
  auto pod = server.AddPod("default", "p", {{"app", "web"}}, /*ready=*/false);
  ASSERT_TRUE(pod);
  const std::string t0 = FormatRfc3339(clock.Now());
  EXPECT_EQ(Meta(*pod, "creationTimestamp"), t0);
  clock.Advance(std::chrono::seconds(40));
  ASSERT_TRUE(server.SetPodStatus("default", "p", "Running", true));
  auto after = server.GetObject("v1", "Pod", "default", "p");
  ASSERT_TRUE(after);
  const JsonValue& status = (*after)["status"];
  EXPECT_EQ(Str(status, "startTime"), t0);
  for (const auto& c : status["conditions"].GetArray()) {
    const std::string type = Str(c, "type");
    const bool changed = type == "Ready" || type == "ContainersReady";
    EXPECT_EQ(Str(c, "status"), "True") << type;
    EXPECT_EQ(Str(c, "lastTransitionTime"), changed ? FormatRfc3339(clock.Now()) : t0) << type;
  }
}

}  // namespace
}  // namespace cpa::kube::fake

// The fault hooks (InjectFault): what each kind looks like to the real client, and that the
// server keeps serving afterwards.
namespace cpa::kube::fake {
namespace {

using namespace std::chrono_literals;
using Fault = FakeApiServer::Fault;

class KubeFakeFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    ASSERT_TRUE(server_.CreateObject(testing::kDeploymentYaml));
    ConnectionConfig config;
    config.server = server_.url();
    config.request_timeout = 300ms;
    auto client = Client::Create(config);
    ASSERT_TRUE(client);
    client_ = std::move(*client);
  }
  Result<Scale> GetScale() {
    return client_->GetScale({"apps/v1", "Deployment", "web"}, "fixtures");
  }
  static constexpr const char* kScale = "/apis/apps/v1/namespaces/fixtures/deployments/web/scale";
  FakeApiServer server_;
  std::unique_ptr<Client> client_;
};

TEST_F(KubeFakeFaultTest, StatusFaultsCarryTheirBodyAndHeaders) {
  Fault f;
  f.path = kScale;
  f.status = 429;
  f.body = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
           R"("message":"Too many requests, please try again later.","reason":"TooManyRequests",)"
           R"("details":{"retryAfterSeconds":3},"code":429})";
  f.headers = {{"Retry-After", "3"}};
  server_.InjectFault(f);
  httplib::Client http("127.0.0.1", server_.port());
  auto r = http.Get(kScale);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->get_header_value("Retry-After"), "3");
  EXPECT_NE(r->body.find("TooManyRequests"), std::string::npos);
  EXPECT_EQ(server_.FaultsServed(), 1);
  auto again = http.Get(kScale);  // times = 1: served for real now
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

TEST_F(KubeFakeFaultTest, AResetClosesTheConnectionWithoutAReply) {
  Fault f;
  f.kind = Fault::Kind::kReset;
  f.path = kScale;
  f.times = -1;
  server_.InjectFault(f);
  httplib::Client http("127.0.0.1", server_.port());
  auto raw = http.Get(kScale);
  EXPECT_FALSE(raw);  // no status line at all
  auto scale = GetScale();
  ASSERT_FALSE(scale);
  // httplib reports EOF and a read timeout alike (Error::Read): either way a retryable error.
  EXPECT_TRUE(scale.error().Retryable()) << scale.error().ToString();
  server_.ClearInjectedResponses();
  auto after = GetScale();
  ASSERT_TRUE(after) << after.error().ToString();
  EXPECT_EQ(after->replicas, 2);
}

TEST_F(KubeFakeFaultTest, ADelayBeyondTheClientsDeadlineIsADeadlineError) {
  Fault f;
  f.kind = Fault::Kind::kDelay;
  f.path = kScale;
  f.delay = 600ms;
  f.times = 4;
  server_.InjectFault(f);
  // One cause, one message (a log that deduplicates by message relies on it): httplib's read
  // timeout and the transport's watchdog race for the same deadline.
  for (int i = 0; i < 4; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto scale = GetScale();
    ASSERT_FALSE(scale);
    EXPECT_EQ(scale.error().code, ErrorCode::kDeadlineExceeded) << scale.error().ToString();
    EXPECT_NE(scale.error().message.find("no complete response within 300 ms"), std::string::npos)
        << scale.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 550ms);
  }
  auto after = GetScale();
  ASSERT_TRUE(after) << after.error().ToString();
}

TEST_F(KubeFakeFaultTest, ATruncatedBodyIsAnErrorNotAShortAnswer) {
  Fault f;
  f.kind = Fault::Kind::kTruncate;
  f.path = kScale;
  f.truncate_to = 20;
  server_.InjectFault(f);
  httplib::Client http("127.0.0.1", server_.port());
  auto raw = http.Get(kScale);
  EXPECT_FALSE(raw);  // Content-Length promised more than arrived
  f.times = 2;        // the client repeats a GET once when its pooled connection fails
  server_.InjectFault(f);
  auto scale = GetScale();
  ASSERT_FALSE(scale);
  EXPECT_TRUE(scale.error().Retryable()) << scale.error().ToString();
}

TEST_F(KubeFakeFaultTest, ATrickledBodyEndsAtTheDeadline) {
  Fault f;
  f.kind = Fault::Kind::kTrickle;
  f.path = kScale;
  f.delay = 20ms;  // ~350 bytes at one per 20 ms: 7 s, each read far inside the read timeout
  f.times = 2;
  server_.InjectFault(f);
  const auto start = std::chrono::steady_clock::now();
  auto scale = GetScale();
  ASSERT_FALSE(scale) << "the whole trickled body arrived";
  EXPECT_EQ(scale.error().code, ErrorCode::kDeadlineExceeded) << scale.error().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  server_.ClearInjectedResponses();
  auto after = GetScale();
  ASSERT_TRUE(after) << after.error().ToString();
  // A trickle within the deadline is a whole answer.
  f.delay = 1ms;
  f.trickle_bytes = 64;
  f.times = 1;
  server_.InjectFault(f);
  auto slow_but_whole = GetScale();
  ASSERT_TRUE(slow_but_whole) << slow_but_whole.error().ToString();
  EXPECT_EQ(slow_but_whole->replicas, 2);
}

TEST_F(KubeFakeFaultTest, AfterEffectFaultsApplyTheWriteAndLoseTheReply) {
  for (Fault::Kind kind : {Fault::Kind::kStatus, Fault::Kind::kReset, Fault::Kind::kTruncate}) {
    Fault f;
    f.kind = kind;
    f.method = "PATCH";
    f.path = kScale;
    f.after_effect = true;
    f.status = 503;
    server_.InjectFault(f);
    const int want = 3 + static_cast<int>(kind);
    auto patched = client_->PatchScaleReplicas({"apps/v1", "Deployment", "web"}, "fixtures", want);
    EXPECT_FALSE(patched) << static_cast<int>(kind);
    auto scale = GetScale();
    ASSERT_TRUE(scale);
    EXPECT_EQ(scale->replicas, want) << "the write did not take effect";
  }
}

TEST_F(KubeFakeFaultTest, FaultsSelectByMethodExactPathAndQueryParameter) {
  const std::string object = "/apis/apps/v1/namespaces/fixtures/deployments/web";
  const std::string collection = "/apis/apps/v1/namespaces/fixtures/deployments";
  Fault exact;
  exact.path = object;
  exact.exact = true;
  exact.status = 500;
  exact.times = -1;
  server_.InjectFault(exact);
  Fault watch_only;
  watch_only.path = collection;
  watch_only.exact = true;
  watch_only.with_param = "watch";
  watch_only.status = 503;
  watch_only.times = -1;
  server_.InjectFault(watch_only);
  httplib::Client http("127.0.0.1", server_.port());
  EXPECT_EQ(http.Get(object)->status, 500);
  EXPECT_EQ(http.Get(kScale)->status, 200);  // a longer path: not exact
  EXPECT_EQ(http.Get(collection)->status, 200);
  EXPECT_EQ(http.Get(collection + "?watch=true")->status, 503);
  EXPECT_EQ(server_.RequestCount("GET", object), 2);  // the object and its scale (a prefix)
  EXPECT_EQ(server_.RequestCount("GET", kScale), 1);
  EXPECT_EQ(server_.RequestCount("PATCH", kScale), 0);
  EXPECT_EQ(server_.RequestCount("*", collection), 4);
  EXPECT_EQ(server_.FaultsServed(), 2);
}

}  // namespace
}  // namespace cpa::kube::fake

namespace cpa::kube::fake {
namespace {

// EndWatches(): an open watch ends as on an API server restart (the client's Watch returns and
// would watch again from where it stopped).
TEST(KubeFakeEndWatchesTest, OpenWatchesEndAndNewOnesWork) {
  FakeApiServer server;
  ASSERT_TRUE(server.Start());
  auto client = testing::ClientFor(server);
  std::atomic<bool> ended{false};
  std::thread watcher([&] {
    auto rv = client->Watch("v1", "Pod", "default", {}, [](WatchEvent&&) { return true; });
    EXPECT_TRUE(rv) << rv.error().ToString();
    ended = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(ended.load());
  server.EndWatches();
  for (int i = 0; i < 300 && !ended.load(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(ended.load()) << "the watch did not end";
  watcher.join();
  int events = 0;
  WatchOptions options;
  std::thread again([&] {
    (void)client->Watch("v1", "Pod", "default", options, [&](WatchEvent&&) {
      ++events;
      return false;
    });
  });
  ASSERT_TRUE(server.AddPod("default", "p", {{"app", "web"}}));
  again.join();
  EXPECT_EQ(events, 1);
}

}  // namespace
}  // namespace cpa::kube::fake
