#include "kube/label_selector.h"

#include <gtest/gtest.h>

namespace cpa::kube {
namespace {

using Labels = std::map<std::string, std::string>;

struct Case {
  const char* selector;
  Labels labels;
  bool matches;
};

// Test names and `--gtest_list_tests` show the selector and labels, not a byte dump.
void PrintTo(const Case& c, std::ostream* os) {
  *os << '"' << c.selector << "\" on {";
  const char* sep = "";
  for (const auto& [k, v] : c.labels) {
    *os << sep << k << '=' << v;
    sep = ",";
  }
  *os << "} -> " << (c.matches ? "match" : "no match");
}

class KubeLabelSelectorMatchTest : public ::testing::TestWithParam<Case> {};

TEST_P(KubeLabelSelectorMatchTest, Matches) {
  const Case& c = GetParam();
  auto selector = LabelSelector::Parse(c.selector);
  ASSERT_TRUE(selector) << selector.error().ToString();
  EXPECT_EQ(selector->Matches(c.labels), c.matches) << c.selector;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, KubeLabelSelectorMatchTest,
    ::testing::Values(
        Case{"", {}, true}, Case{"app=web", {{"app", "web"}}, true},
        Case{"app==web", {{"app", "web"}}, true}, Case{"app=web", {{"app", "db"}}, false},
        Case{"app=web", {}, false}, Case{"app!=web", {}, true},
        Case{"app!=web", {{"app", "web"}}, false}, Case{"app in (web, db)", {{"app", "db"}}, true},
        Case{"app in (web,db)", {{"app", "cache"}}, false}, Case{"app notin (web)", {}, true},
        Case{"app notin (web)", {{"app", "web"}}, false}, Case{"tier", {{"tier", ""}}, true},
        Case{"tier", {}, false}, Case{"!tier", {}, true}, Case{"!tier", {{"tier", "x"}}, false},
        Case{"app=web,tier in (front)", {{"app", "web"}, {"tier", "front"}}, true},
        Case{"app=web,tier in (front)", {{"app", "web"}}, false},
        Case{"example.com/role=x", {{"example.com/role", "x"}}, true},
        Case{"gen>3", {{"gen", "4"}}, true}, Case{"gen<3", {{"gen", "4"}}, false},
        Case{"gen>3", {{"gen", "x"}}, false}, Case{"app=", {{"app", ""}}, true}));

TEST(KubeLabelSelectorTest, RejectsMalformed) {
  for (const char* bad : {"app=web,", "app in web", "app in (web", "=web", "app=we b", "app@=x",
                          "gen>x", ",app", "app in ()", "-bad=x"}) {
    EXPECT_FALSE(LabelSelector::Parse(bad)) << bad;
  }
}

TEST(KubeLabelSelectorTest, CanonicalStringSortsByKeyAndValues) {
  auto selector = LabelSelector::Parse("tier notin (b,a), app=web, !legacy, env");
  ASSERT_TRUE(selector);
  // Sorted by key, as apimachinery's String() does ("!legacy" sorts under "legacy").
  EXPECT_EQ(selector->ToString(), "app=web,env,!legacy,tier notin (a,b)");
}

TEST(KubeLabelSelectorTest, FromJsonBuildsTheScaleSelectorString) {
  auto doc = ParseJson(R"({"matchLabels":{"pod-template-hash":"84884c4d55","app":"web"},
      "matchExpressions":[{"key":"tier","operator":"In","values":["front","back"]},
                          {"key":"legacy","operator":"DoesNotExist"}]})");
  ASSERT_TRUE(doc);
  auto selector = LabelSelector::FromJson(*doc);
  ASSERT_TRUE(selector) << selector.error().ToString();
  EXPECT_EQ(selector->ToString(),
            "app=web,!legacy,pod-template-hash=84884c4d55,tier in (back,front)");
  EXPECT_TRUE(selector->Matches(
      Labels{{"app", "web"}, {"pod-template-hash", "84884c4d55"}, {"tier", "front"}}));
}

TEST(KubeLabelSelectorTest, FromJsonRejectsUnknownOperatorAndMissingValues) {
  auto unknown = ParseJson(R"({"matchExpressions":[{"key":"a","operator":"Like"}]})");
  EXPECT_FALSE(LabelSelector::FromJson(*unknown));
  auto no_values = ParseJson(R"({"matchExpressions":[{"key":"a","operator":"In"}]})");
  EXPECT_FALSE(LabelSelector::FromJson(*no_values));
}

}  // namespace
}  // namespace cpa::kube
