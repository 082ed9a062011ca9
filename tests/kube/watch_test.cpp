// WATCH: ordered events, label-selector transitions, 410 Gone and re-list, stop, malformed streams.
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "kube/client.h"
#include "kube/fake/fake_api_server.h"
#include "tests/kube/test_util.h"

namespace cpa::kube {
namespace {

using fake::FakeApiServer;
using fake::FakeApiServerOptions;
using testing::ClientFor;
using testing::Meta;

class KubeWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    client_ = ClientFor(server_);
  }
  FakeApiServer server_;
  std::unique_ptr<Client> client_;
};

std::string TypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
  }
  return "?";
}

TEST_F(KubeWatchTest, EventsArriveInOrderFromTheListVersion) {
  ASSERT_TRUE(server_.AddPod("fixtures", "before", {{"app", "web"}}));
  auto list = client_->List("v1", "Pod", "fixtures");
  ASSERT_TRUE(list);
  std::string rv = testing::Str((*list)["metadata"], "resourceVersion");

  std::vector<std::string> seen;
  std::promise<void> done;
  std::thread watcher([&] {
    WatchOptions options;
    options.resource_version = rv;
    auto result = client_->Watch("v1", "Pod", "fixtures", options, [&](WatchEvent&& e) {
      seen.push_back(TypeName(e.type) + " " + Meta(e.object, "name"));
      return seen.size() < 4;
    });
    EXPECT_TRUE(result) << result.error().ToString();
    done.set_value();
  });
  ASSERT_TRUE(server_.AddPod("fixtures", "p1", {{"app", "web"}}));
  ASSERT_TRUE(server_.AddPod("fixtures", "p2", {{"app", "web"}}));
  ASSERT_TRUE(server_.SetPodStatus("fixtures", "p1", "Running", false));
  ASSERT_TRUE(server_.DeleteObject("v1", "Pod", "fixtures", "p2"));
  done.get_future().wait();
  watcher.join();
  // AddPod is a create then a status write: ADDED p1, MODIFIED p1, ADDED p2, MODIFIED p2, ...
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0], "ADDED p1");
  EXPECT_EQ(seen[1], "MODIFIED p1");
  EXPECT_EQ(seen[2], "ADDED p2");
  EXPECT_EQ(seen[3], "MODIFIED p2");
}

TEST_F(KubeWatchTest, WithoutVersionStartsWithTheCurrentStateAndEndsOnServerTimeout) {
  ASSERT_TRUE(server_.AddPod("fixtures", "a", {{"app", "web"}}));
  ASSERT_TRUE(server_.AddPod("fixtures", "b", {{"app", "db"}}));
  std::vector<std::string> seen;
  WatchOptions options;
  options.label_selector = "app=web";
  options.timeout_seconds = 1;
  auto rv = client_->Watch("v1", "Pod", "fixtures", options, [&](WatchEvent&& e) {
    seen.push_back(TypeName(e.type) + " " + Meta(e.object, "name"));
    return true;
  });
  ASSERT_TRUE(rv) << rv.error().ToString();
  ASSERT_GE(seen.size(), 1u);
  EXPECT_EQ(seen.front(), "ADDED a");
  EXPECT_EQ(seen.back().rfind("BOOKMARK", 0), 0u);  // the server's closing bookmark
  EXPECT_EQ(*rv, std::to_string(server_.store().CurrentResourceVersion()));
}

TEST_F(KubeWatchTest, LabelChangesBecomeAddedAndDeletedForASelector) {
  ASSERT_TRUE(server_.AddPod("fixtures", "p", {{"app", "web"}}));
  auto list = client_->List("v1", "Pod", "fixtures");
  std::string rv = testing::Str((*list)["metadata"], "resourceVersion");
  std::vector<std::string> seen;
  std::thread watcher([&] {
    WatchOptions options;
    options.resource_version = rv;
    options.label_selector = "app=web";
    (void)client_->Watch("v1", "Pod", "fixtures", options, [&](WatchEvent&& e) {
      seen.push_back(TypeName(e.type));
      return seen.size() < 2;
    });
  });
  auto relabel = [&](const char* app) {
    ASSERT_TRUE(server_.MutateObject("v1", "Pod", "fixtures", "p", [&](JsonValue& pod, auto& a) {
      pod["metadata"]["labels"]["app"].SetString(app, a);
    }));
  };
  relabel("db");   // leaves the selection: DELETED
  relabel("web");  // enters it again: ADDED
  watcher.join();
  EXPECT_EQ(seen, (std::vector<std::string>{"DELETED", "ADDED"}));
}

TEST_F(KubeWatchTest, ExpiredVersionIsGoneAndAReListRecovers) {
  ASSERT_TRUE(server_.AddPod("fixtures", "a", {{"app", "web"}}));
  auto list = client_->List("v1", "Pod", "fixtures");
  std::string old_rv = testing::Str((*list)["metadata"], "resourceVersion");
  ASSERT_TRUE(server_.AddPod("fixtures", "b", {{"app", "web"}}));
  server_.store().Compact();  // etcd compaction: history before now is gone

  WatchOptions options;
  options.resource_version = old_rv;
  auto gone = client_->Watch("v1", "Pod", "fixtures", options, [](WatchEvent&&) { return true; });
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kGone);
  EXPECT_NE(gone.error().message.find("too old resource version"), std::string::npos);

  // The informer's answer: list again, then watch from the new list's version.
  auto relist = client_->List("v1", "Pod", "fixtures");
  ASSERT_TRUE(relist);
  EXPECT_EQ((*relist)["items"].Size(), 2u);
  options.resource_version = testing::Str((*relist)["metadata"], "resourceVersion");
  std::vector<std::string> seen;
  std::thread watcher([&] {
    auto result = client_->Watch("v1", "Pod", "fixtures", options, [&](WatchEvent&& e) {
      seen.push_back(TypeName(e.type) + " " + Meta(e.object, "name"));
      return false;
    });
    EXPECT_TRUE(result) << result.error().ToString();
  });
  ASSERT_TRUE(server_.AddPod("fixtures", "c", {{"app", "web"}}));
  watcher.join();
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED c"}));
}

TEST_F(KubeWatchTest, RecordedRealStreamsDecode) {
  const std::string path = "/api/v1/namespaces/fixtures/pods";
  server_.InjectResponse("GET", path, 200, testing::ReadFixture("watch-pods-stream.jsonl"));
  std::vector<std::string> seen;
  WatchOptions options;
  options.resource_version = "635";
  auto rv = client_->Watch("v1", "Pod", "fixtures", options, [&](WatchEvent&& e) {
    seen.push_back(TypeName(e.type) + " " + e.resource_version);
    return true;
  });
  ASSERT_TRUE(rv) << rv.error().ToString();
  EXPECT_EQ(seen,
            (std::vector<std::string>{"ADDED 636", "MODIFIED 645", "DELETED 647", "BOOKMARK 647"}));
  EXPECT_EQ(*rv, "647");

  server_.InjectResponse("GET", path, 200,
                         testing::ReadFixture("watch-too-old-resourceversion.jsonl"));
  auto gone = client_->Watch("v1", "Pod", "fixtures", options, [](WatchEvent&&) { return true; });
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kGone);

  server_.InjectResponse("GET", path, 410,
                         testing::ReadFixture("watch-too-old-resourceversion.jsonl"));
  gone = client_->Watch("v1", "Pod", "fixtures", options, [](WatchEvent&&) { return true; });
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kGone);
}

TEST_F(KubeWatchTest, MalformedOrTruncatedStreamsAreErrors) {
  const std::string path = "/api/v1/namespaces/fixtures/pods";
  for (const char* body : {"{\"type\":\"ADDED\",\"object\":{\"metadata\":{}}}\nnot json\n",
                           "{\"type\":\"ADDED\",\"object\":{\"meta",
                           "{\"type\":\"WHAT\",\"object\":{}}\n", "{\"type\":\"ADDED\"}\n"}) {
    server_.InjectResponse("GET", path, 200, body);
    auto result = client_->Watch("v1", "Pod", "fixtures", {}, [](WatchEvent&&) { return true; });
    ASSERT_FALSE(result) << body;
    EXPECT_EQ(result.error().code, ErrorCode::kUnavailable) << body;
  }
}

TEST_F(KubeWatchTest, StopTokenEndsAnIdleWatch) {
  std::stop_source stop;
  std::promise<Result<std::string>> result;
  std::thread watcher([&] {
    WatchOptions options;
    options.resource_version = std::to_string(server_.store().CurrentResourceVersion());
    result.set_value(client_->Watch(
        "v1", "Pod", "fixtures", options, [](WatchEvent&&) { return true; }, stop.get_token()));
  });
  // Wait until the watch is being served, then stop it.
  while (server_.RequestCount() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop.request_stop();
  auto r = result.get_future().get();
  watcher.join();
  EXPECT_TRUE(r) << r.error().ToString();
}

TEST(KubeWatchServerTest, StopEndsOpenWatches) {
  auto server = std::make_unique<FakeApiServer>();
  ASSERT_TRUE(server->Start());
  auto client = ClientFor(*server);
  ASSERT_TRUE(client->discovery().ResolveKind("v1", "Pod"));
  std::atomic<bool> returned{false};
  std::thread watcher([&] {
    // The stream ends with the server; the call must return (either outcome is fine).
    (void)client->Watch("v1", "Pod", "", {}, [](WatchEvent&&) { return true; });
    returned = true;
  });
  while (server->RequestCount() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  server->Stop();
  watcher.join();
  EXPECT_TRUE(returned.load());
}

}  // namespace
}  // namespace cpa::kube

namespace cpa::kube {
namespace {

TEST(KubeWatchServerTest, AbandonedWatchesFreeTheirServerThreads) {
  fake::FakeApiServerOptions options;
  options.threads = 2;  // fewer threads than the watches below
  fake::FakeApiServer server(options);
  ASSERT_TRUE(server.Start());
  auto client = testing::ClientFor(server);
  ASSERT_TRUE(client->discovery().ResolveKind("v1", "Pod"));
  for (int i = 0; i < 4; ++i) {
    std::stop_source stop;
    const int64_t before = server.RequestCount();
    std::thread watcher([&] {
      (void)client->Watch(
          "v1", "Pod", "default", {}, [](WatchEvent&&) { return true; }, stop.get_token());
    });
    while (server.RequestCount() == before) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    stop.request_stop();  // the client goes away without the server noticing at once
    watcher.join();
  }
  auto pods = client->ListPods("default", "");
  EXPECT_TRUE(pods) << pods.error().ToString();
}

}  // namespace
}  // namespace cpa::kube
