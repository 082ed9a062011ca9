#include "kube/reflector.h"

#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "kube/fake/fake_api_server.h"
#include "tests/kube/test_util.h"

namespace cpa::kube {
namespace {

using testing::Meta;

class KubeReflectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    client_ = testing::ClientFor(server_);
    ASSERT_TRUE(server_.AddPod("fixtures", "a", {{"app", "web"}}));
    ASSERT_TRUE(server_.AddPod("fixtures", "b", {{"app", "web"}}));
  }
  fake::FakeApiServer server_;
  std::unique_ptr<Client> client_;
};

TEST_F(KubeReflectorTest, ListsWatchesAndReListsAfterGone) {
  std::vector<std::string> log;
  std::stop_source stop;
  Reflector::Handler handler;
  int replaces = 0;
  handler.on_replace = [&](std::vector<JsonDocument>&& items, const std::string&) {
    std::string line = "replace";
    for (const auto& item : items)
      line.append(" ").append(Meta(item, "name")).append(":").append(testing::Str(item, "kind"));
    log.push_back(line);
    if (++replaces == 1) {
      // The next request (the WATCH) finds its version expired, as after an etcd compaction.
      server_.InjectResponse("GET", "/api/v1/namespaces/fixtures/pods", 200,
                             testing::ReadFixture("watch-too-old-resourceversion.jsonl"));
    } else {
      ASSERT_TRUE(server_.AddPod("fixtures", "c", {{"app", "web"}}));
    }
  };
  handler.on_event = [&](WatchEvent&& event) {
    log.push_back(std::string(event.type == WatchEventType::kAdded ? "ADDED " : "other ") +
                  Meta(event.object, "name"));
    if (Meta(event.object, "name") == "c") stop.request_stop();
  };
  handler.on_error = [&](const Error& error) { log.push_back(ErrorCodeName(error.code).data()); };
  ReflectorOptions options;
  options.api_version = "v1";
  options.kind = "Pod";
  options.ns = "fixtures";
  options.label_selector = "app=web";
  Reflector reflector(*client_, options, handler);
  auto status = reflector.Run(stop.get_token());
  ASSERT_TRUE(status) << status.error().ToString();
  EXPECT_EQ(reflector.lists(), 2);
  ASSERT_GE(log.size(), 4u);
  EXPECT_EQ(log[0], "replace a:Pod b:Pod");
  EXPECT_EQ(log[1], "gone");
  EXPECT_EQ(log[2], "replace a:Pod b:Pod");
  EXPECT_EQ(log[3], "ADDED c");
}

TEST_F(KubeReflectorTest, TransientFailuresBackOffOnTheClockAndTerminalOnesReturn) {
  ManualClock clock;
  std::stop_source stop;
  std::mutex mu;
  std::vector<std::string> log;
  Reflector::Handler handler;
  handler.on_replace = [&](std::vector<JsonDocument>&& items, const std::string&) {
    std::lock_guard lock(mu);
    log.push_back("replace " + std::to_string(items.size()));
    stop.request_stop();
  };
  handler.on_error = [&](const Error& error) {
    std::lock_guard lock(mu);
    log.push_back(ErrorCodeName(error.code).data());
  };
  ReflectorOptions options;
  options.api_version = "v1";
  options.kind = "Pod";
  options.ns = "fixtures";
  ASSERT_TRUE(client_->discovery().ResolveKind("v1", "Pod"));
  server_.InjectResponse("GET", "/api/v1/namespaces/fixtures/pods", 503, "busy", 2);
  Reflector reflector(*client_, options, handler, clock);
  std::thread runner([&] { EXPECT_TRUE(reflector.Run(stop.get_token())); });
  auto errors = [&] {
    std::lock_guard lock(mu);
    return static_cast<int>(log.size());
  };
  for (int failures = 1; failures <= 2; ++failures) {
    // Wait for the reflector to fail and go to sleep, then let the backoff elapse.
    while (errors() < failures || clock.Sleepers() == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    clock.Advance(std::chrono::seconds(30));
  }
  runner.join();
  EXPECT_EQ(log, (std::vector<std::string>{"unavailable", "unavailable", "replace 2"}));

  options.kind = "NoSuchKind";
  Reflector unknown(*client_, options, handler, clock);
  auto status = unknown.Run(std::stop_source().get_token());
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace cpa::kube
