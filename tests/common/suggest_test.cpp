#include "common/suggest.h"

#include <gtest/gtest.h>

namespace cpa {
namespace {

TEST(SuggestTest, EditDistanceCountsTyposIncludingSwapsAndIgnoresCase) {
  EXPECT_EQ(EditDistance("interval", "interval"), 0u);
  EXPECT_EQ(EditDistance("intervall", "interval"), 1u);   // insertion
  EXPECT_EQ(EditDistance("evalute", "evaluate"), 1u);     // deletion
  EXPECT_EQ(EditDistance("evaluatr", "evaluate"), 1u);    // substitution
  EXPECT_EQ(EditDistance("evalaute", "evaluate"), 1u);    // adjacent swap
  EXPECT_EQ(EditDistance("logStdErr", "logStderr"), 0u);  // case only
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(SuggestTest, ClosestMatchOnlyForPlausibleTypos) {
  const std::vector<std::string_view> keys = {"interval", "evaluate", "metric", "minReplicas",
                                              "maxReplicas"};
  EXPECT_EQ(ClosestMatch("evalute", keys), "evaluate");
  EXPECT_EQ(ClosestMatch("maxReplica", keys), "maxReplicas");
  EXPECT_EQ(ClosestMatch("metrc", keys), "metric");
  EXPECT_EQ(ClosestMatch("zzz", keys), std::nullopt);
  EXPECT_EQ(ClosestMatch("scaleTargetRef", keys), std::nullopt);
  EXPECT_EQ(ClosestMatch("interval", keys), std::nullopt);  // an exact name is not a typo
  EXPECT_EQ(DidYouMean("metrik", keys), " (did you mean \"metric\"?)");
  EXPECT_EQ(DidYouMean("replicas", {"a"}), "");
}

}  // namespace
}  // namespace cpa
