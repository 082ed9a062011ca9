#include "kube/fake/json_patch.h"

#include <gtest/gtest.h>

namespace cpa::kube::fake {
namespace {

std::string Patched(const char* target, const char* patch, bool json_patch, bool* ok = nullptr) {
  auto doc = ParseJson(target);
  auto p = ParseJson(patch);
  EXPECT_TRUE(doc && p);
  if (json_patch) {
    auto status = ApplyJsonPatch(*doc, *p, doc->GetAllocator());
    if (ok != nullptr) *ok = status.has_value();
  } else {
    ApplyMergePatch(*doc, *p, doc->GetAllocator());
  }
  return ToJson(*doc);
}

TEST(KubeJsonPatchTest, MergePatchFollowsRfc7386) {
  EXPECT_EQ(Patched(R"({"a":"b","c":{"d":"e","f":"g"}})", R"({"a":"z","c":{"f":null}})", false),
            R"({"a":"z","c":{"d":"e"}})");
  EXPECT_EQ(Patched(R"({"a":[1,2]})", R"({"a":[3]})", false), R"({"a":[3]})");
  EXPECT_EQ(Patched(R"({})", R"({"a":{"b":null,"c":1}})", false), R"({"a":{"c":1}})");
  EXPECT_EQ(Patched(R"({"spec":{}})", R"({"spec":{"replicas":5}})", false),
            R"({"spec":{"replicas":5}})");
}

TEST(KubeJsonPatchTest, JsonPatchOperations) {
  bool ok = false;
  EXPECT_EQ(
      Patched(R"({"spec":{}})", R"([{"op":"add","path":"/spec/replicas","value":3}])", true, &ok),
      R"({"spec":{"replicas":3}})");
  EXPECT_TRUE(ok);
  EXPECT_EQ(Patched(R"({"a":[1,3]})", R"([{"op":"add","path":"/a/1","value":2},
                                          {"op":"add","path":"/a/-","value":4}])",
                    true, &ok),
            R"({"a":[1,2,3,4]})");
  EXPECT_EQ(Patched(R"({"a":1,"b":2})", R"([{"op":"remove","path":"/a"},
                                             {"op":"move","from":"/b","path":"/c"},
                                             {"op":"copy","from":"/c","path":"/d"}])",
                    true, &ok),
            R"({"c":2,"d":2})");
  EXPECT_TRUE(ok);
  EXPECT_EQ(Patched(R"({"a~b":{"c/d":1}})", R"([{"op":"replace","path":"/a~0b/c~1d","value":2}])",
                    true, &ok),
            R"({"a~b":{"c/d":2}})");
  EXPECT_TRUE(ok);
}

TEST(KubeJsonPatchTest, JsonPatchFailures) {
  bool ok = true;
  Patched(R"({})", R"([{"op":"replace","path":"/spec/replicas","value":3}])", true, &ok);
  EXPECT_FALSE(ok);
  Patched(R"({"a":1})", R"([{"op":"test","path":"/a","value":2}])", true, &ok);
  EXPECT_FALSE(ok);
  Patched(R"({"a":[1]})", R"([{"op":"remove","path":"/a/5"}])", true, &ok);
  EXPECT_FALSE(ok);
  Patched(R"({})", R"([{"op":"frobnicate","path":"/a"}])", true, &ok);
  EXPECT_FALSE(ok);
  Patched(R"({})", R"({"op":"add"})", true, &ok);
  EXPECT_FALSE(ok);
}

}  // namespace
}  // namespace cpa::kube::fake
