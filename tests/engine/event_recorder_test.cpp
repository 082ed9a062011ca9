// The event correlator (client-go's spam filter, aggregation and deduplication) and the recorder
// against kube/fake's events.k8s.io/v1 Events.
#include "engine/event_recorder.h"

#include <gtest/gtest.h>

#include "common/rfc3339.h"
#include "kube/fake/fake_api_server.h"

namespace cpa::engine {
namespace {

using namespace std::chrono_literals;

const TimePoint kStart = FromUnixMillis(1'800'000'000'000);

TEST(EngineEventCorrelator, SpamFilterAllowsABurstThenOneEventPerRefill) {
  EventCorrelator c;
  const TargetEvent e{"Warning", "FailedGetScale", "the target stage failed: down"};
  int passed = 0;
  for (int i = 0; i < 40; ++i) passed += c.Correlate("a", e, kStart).drop ? 0 : 1;
  EXPECT_EQ(passed, 25);
  EXPECT_TRUE(c.Correlate("a", e, kStart + 299s).drop);
  EXPECT_FALSE(c.Correlate("a", e, kStart + 300s).drop);
  EXPECT_TRUE(c.Correlate("a", e, kStart + 301s).drop);
  EXPECT_FALSE(c.Correlate("b", e, kStart + 301s).drop);  // per object
}

TEST(EngineEventCorrelator, IdenticalEventsShareAKeyAndCount) {
  EventCorrelator c;
  const TargetEvent e{"Normal", "SuccessfulRescale", "New size: 3; reason: x"};
  auto first = c.Correlate("a", e, kStart);
  auto second = c.Correlate("a", e, kStart + 1s);
  EXPECT_EQ(first.count, 1);
  EXPECT_EQ(second.count, 2);
  EXPECT_EQ(first.dedup_key, second.dedup_key);
  EXPECT_EQ(second.message, e.message);
}

TEST(EngineEventCorrelator, TenSimilarMessagesInTenMinutesAreCombined) {
  EventCorrelator c;
  EventCorrelator::Outcome last;
  for (int i = 0; i < 9; ++i) {
    last = c.Correlate("a", {"Warning", "FailedGetMetrics", fmt::format("error {}", i)},
                       kStart + std::chrono::seconds(i));
    EXPECT_EQ(last.message, fmt::format("error {}", i));
  }
  auto tenth = c.Correlate("a", {"Warning", "FailedGetMetrics", "error 9"}, kStart + 9s);
  EXPECT_EQ(tenth.message, "(combined from similar events): error 9");
  auto eleventh = c.Correlate("a", {"Warning", "FailedGetMetrics", "error 10"}, kStart + 10s);
  EXPECT_EQ(eleventh.dedup_key, tenth.dedup_key);  // one combined event, counted
  EXPECT_EQ(eleventh.count, 2);
  // Another reason is not similar; after the window the messages stand alone again.
  EXPECT_EQ(c.Correlate("a", {"Warning", "FailedRescale", "x"}, kStart + 11s).message, "x");
  EXPECT_EQ(c.Correlate("a", {"Warning", "FailedGetMetrics", "late"}, kStart + 700s).message,
            "late");
}

class EngineEventRecorder : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    auto created = server_.CreateObject(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web","namespace":"default"},
      "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
              "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}})");
    ASSERT_TRUE(created) << created.error().ToString();
    uid_ = StringMember((*created)["metadata"], "uid");
    kube::ConnectionConfig config;
    config.server = server_.url();
    auto client = kube::Client::Create(config);
    ASSERT_TRUE(client);
    client_ = std::move(*client);
  }
  std::vector<JsonDocument> Events() {
    auto list = client_->List("events.k8s.io/v1", "Event", "default");
    EXPECT_TRUE(list) << list.error().ToString();
    std::vector<JsonDocument> out;
    for (const auto& item : (*list)["items"].GetArray()) {
      JsonDocument d;
      d.CopyFrom(item, d.GetAllocator());
      out.push_back(std::move(d));
    }
    return out;
  }

  kube::fake::FakeApiServer server_;
  std::unique_ptr<kube::Client> client_;
  ManualClock clock_{kStart};
  std::string uid_;
  const config::ScaleTargetRef target_{"apps/v1", "Deployment", "web"};
};

TEST_F(EngineEventRecorder, CreatesAnEventOnTheTargetThenCountsRepeats) {
  EventRecorder recorder(*client_, clock_, {"custompodautoscaler.com/cpa", "cpa-web-0", {}});
  recorder.Emit(target_, "default", {"Normal", "SuccessfulRescale", "New size: 4; reason: x"});
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  const JsonValue& e = events[0];
  EXPECT_EQ(StringMember(e, "reason"), "SuccessfulRescale");
  EXPECT_EQ(StringMember(e, "type"), "Normal");
  EXPECT_EQ(StringMember(e, "note"), "New size: 4; reason: x");
  EXPECT_EQ(StringMember(e, "reportingController"), "custompodautoscaler.com/cpa");
  EXPECT_EQ(StringMember(e, "reportingInstance"), "cpa-web-0");
  EXPECT_EQ(StringMember(e["regarding"], "kind"), "Deployment");
  EXPECT_EQ(StringMember(e["regarding"], "name"), "web");
  EXPECT_EQ(StringMember(e["regarding"], "uid"), uid_);

  clock_.Advance(30s);
  recorder.Emit(target_, "default", {"Normal", "SuccessfulRescale", "New size: 4; reason: x"});
  events = Events();
  ASSERT_EQ(events.size(), 1u);  // patched, not created again
  ASSERT_TRUE(events[0].HasMember("series"));
  EXPECT_EQ(events[0]["series"]["count"].GetInt(), 2);
  EXPECT_EQ(StringMember(events[0]["series"], "lastObservedTime"),
            FormatRfc3339(clock_.Now(), Rfc3339Precision::kMicros));
  EXPECT_EQ(recorder.created(), 1);
  EXPECT_EQ(recorder.patched(), 1);
}

TEST_F(EngineEventRecorder, AFailingLoopDoesNotFloodTheApiServer) {
  EventRecorder recorder(*client_, clock_);
  const int64_t before = server_.RequestCount();
  for (int i = 0; i < 200; ++i) {
    recorder.Emit(target_, "default",
                  {"Warning", "FailedGetMetrics", fmt::format("the metric stage failed: {}", i)});
    clock_.Advance(1s);
  }
  // 25 pass the spam filter: 9 distinct events, then one combined event updated 16 times.
  EXPECT_EQ(recorder.dropped(), 175);
  EXPECT_EQ(recorder.created(), 10);
  EXPECT_EQ(recorder.patched(), 15);
  EXPECT_EQ(Events().size(), 10u);
  EXPECT_LE(server_.RequestCount() - before, 25 + 5);  // + discovery and the target's uid
}

// The spam filter refills on real time: after the system time is set back an hour, an event
// passes once a refill period has passed, not an hour and a refill period later.
TEST_F(EngineEventRecorder, SpamFilterRefillsAcrossAStepOfTheWallClock) {
  EventRecorder recorder(*client_, clock_);
  for (int i = 0; i < 30; ++i) {
    recorder.Emit(target_, "default", {"Warning", "FailedGetScale", "the target stage failed"});
  }
  EXPECT_EQ(recorder.dropped(), 5);  // the burst of 25 is spent
  clock_.Jump(-1h);
  clock_.Advance(301s);  // one token back
  recorder.Emit(target_, "default", {"Warning", "FailedGetScale", "the target stage failed"});
  EXPECT_EQ(recorder.dropped(), 5) << "the step back stopped the refill";
  EXPECT_EQ(recorder.created() + recorder.patched(), 26);
}

}  // namespace
}  // namespace cpa::engine
