#include "common/json.h"

#include <gtest/gtest.h>

namespace cpa {
namespace {

TEST(CommonJson, RejectsTrailingGarbage) {
  EXPECT_TRUE(ParseJson(R"({"a": 1})"));
  auto bad = ParseJson(R"({"a": 1} extra)");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("offset"), std::string::npos);
  EXPECT_FALSE(ParseJson(""));
  EXPECT_FALSE(ParseJson(R"({"a": )"));
}

TEST(CommonJson, YamlScalarsFollowTheCoreSchema) {
  auto doc = ParseYaml(
      "int: 15000\nneg: -3\nfloat: 0.5\nexp: 1e3\nyes_bool: true\nnull_v: ~\n"
      "quoted_int: \"15000\"\nplain: per-pod\nempty:\nword_yes: yes\n");
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_TRUE((*doc)["int"].IsInt64());
  EXPECT_EQ((*doc)["int"].GetInt64(), 15000);
  EXPECT_EQ((*doc)["neg"].GetInt64(), -3);
  EXPECT_DOUBLE_EQ((*doc)["float"].GetDouble(), 0.5);
  EXPECT_DOUBLE_EQ((*doc)["exp"].GetDouble(), 1000.0);
  EXPECT_TRUE((*doc)["yes_bool"].GetBool());
  EXPECT_TRUE((*doc)["null_v"].IsNull());
  EXPECT_TRUE((*doc)["quoted_int"].IsString());
  EXPECT_STREQ((*doc)["plain"].GetString(), "per-pod");
  EXPECT_TRUE((*doc)["empty"].IsNull());
  EXPECT_TRUE((*doc)["word_yes"].IsString());  // YAML 1.2: only true/false are booleans
}

TEST(CommonJson, YamlErrorNamesLine) {
  auto bad = ParseYaml("a: 1\nb: [1, 2\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("line"), std::string::npos);
}

TEST(CommonJson, YamlRoundTripKeepsTypes) {
  auto doc =
      ParseJson(R"({"s":"15000","b":"true","n":15000,"list":["a","-x"],"o":{"k":"v: w"},"e":""})");
  ASSERT_TRUE(doc);
  auto back = ParseYaml(ToYaml(*doc));
  ASSERT_TRUE(back) << ToYaml(*doc);
  EXPECT_EQ(ToJson(*back), ToJson(*doc));
}

TEST(CommonJson, MergeIsDeepForObjectsAndReplacesOtherwise) {
  auto into = ParseJson(R"({"a":{"x":1,"y":{"p":1,"q":2}},"l":[1,2],"s":"old"})");
  auto from = ParseJson(R"({"a":{"y":{"q":3},"z":4},"l":[9],"s":"new","t":true})");
  ASSERT_TRUE(into && from);
  MergeJson(*into, *from, into->GetAllocator());
  EXPECT_EQ(ToJson(*into), R"({"a":{"x":1,"y":{"p":1,"q":3},"z":4},"l":[9],"s":"new","t":true})");
}

TEST(CommonJson, FindMemberNeverAsserts) {
  auto doc = ParseJson(R"({"a":1})");
  ASSERT_TRUE(doc);
  EXPECT_NE(FindMember(*doc, "a"), nullptr);
  EXPECT_EQ(FindMember(*doc, "b"), nullptr);
  EXPECT_EQ(FindMember((*doc)["a"], "a"), nullptr);
  EXPECT_EQ(JsonTypeName((*doc)["a"]), "number");
}

}  // namespace
}  // namespace cpa
