#include "kube/lease.h"

#include <gtest/gtest.h>

#include "kube/fake/fake_api_server.h"
#include "tests/kube/test_util.h"

namespace cpa::kube {
namespace {

TEST(KubeLeaseTest, MicroTimeRoundTripsAndParsesTheFixture) {
  auto t = ParseRfc3339("2026-11-28T18:00:00.000000Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatRfc3339(*t), "2026-11-28T18:00:00Z");
  TimePoint precise = *t + std::chrono::microseconds(123456);
  EXPECT_EQ(FormatMicroTime(precise), "2026-11-28T18:00:00.123456Z");
  EXPECT_EQ(*ParseRfc3339(FormatMicroTime(precise)), precise);
  EXPECT_EQ(*ParseRfc3339("2026-11-28T18:00:00Z"), *t);
  EXPECT_FALSE(ParseRfc3339("2026-11-28 18:00:00"));
  EXPECT_EQ(*ParseRfc3339("2026-11-28T20:00:00+02:00"), *t);
  JsonDocument lease = testing::ParseFixture("lease-create-response.json");
  EXPECT_EQ(*ParseRfc3339(testing::Str(lease["spec"], "renewTime")), *t);
}

TEST(KubeLeaseTest, AcquireRenewExpireAndTakeOver) {
  fake::FakeApiServer server;
  ASSERT_TRUE(server.Start());
  auto client = testing::ClientFor(server);
  const TimePoint t0 = *ParseRfc3339("2026-11-28T18:00:00Z");
  const std::chrono::seconds duration(15);

  auto a = TryAcquireOrRenewLease(*client, "ops", "cpa-operator", "operator-0", duration, t0);
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_TRUE(a->leader);
  EXPECT_EQ(a->transitions, 0);

  auto b = TryAcquireOrRenewLease(*client, "ops", "cpa-operator", "operator-1", duration,
                                  t0 + std::chrono::seconds(5));
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->leader);
  EXPECT_EQ(b->holder, "operator-0");

  a = TryAcquireOrRenewLease(*client, "ops", "cpa-operator", "operator-0", duration,
                             t0 + std::chrono::seconds(10));
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->leader);
  EXPECT_EQ(a->renew_time, t0 + std::chrono::seconds(10));

  // operator-0 stops renewing; 16 s after its last renewal the lease is up for grabs.
  b = TryAcquireOrRenewLease(*client, "ops", "cpa-operator", "operator-1", duration,
                             t0 + std::chrono::seconds(26));
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->leader);
  EXPECT_EQ(b->transitions, 1);
  a = TryAcquireOrRenewLease(*client, "ops", "cpa-operator", "operator-0", duration,
                             t0 + std::chrono::seconds(27));
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->leader);
  EXPECT_EQ(a->holder, "operator-1");

  auto stored = server.GetObject("coordination.k8s.io/v1", "Lease", "ops", "cpa-operator");
  ASSERT_TRUE(stored);
  EXPECT_EQ(testing::Str((*stored)["spec"], "renewTime"), "2026-11-28T18:00:26.000000Z");
}

}  // namespace
}  // namespace cpa::kube
