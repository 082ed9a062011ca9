// Shared by the operator tests: a fake API server with the CustomPodAutoscaler CRD installed
// from deploy/crd.yaml, a client for it, a target Deployment and CR builders.
#pragma once

#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/json.h"
#include "kube/client.h"
#include "kube/fake/fake_api_server.h"
#include "operator/names.h"

namespace cpa::op::testing {

inline std::string SourceDir() {
  const char* dir = std::getenv("CPA_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A CustomPodAutoscaler in YAML; `extra_spec` lines are appended to spec (indented 2).
inline std::string CpaYaml(const std::string& name, const std::string& extra_spec = "",
                           const std::string& annotations = "") {
  std::string out =
      "apiVersion: custompodautoscaler.com/v1\n"
      "kind: CustomPodAutoscaler\n"
      "metadata:\n"
      "  name: " +
      name + "\n  namespace: default\n";
  if (!annotations.empty()) out += "  annotations:\n" + annotations;
  out +=
      "spec:\n"
      "  template:\n"
      "    metadata:\n"
      "      labels: {team: infra}\n"
      "    spec:\n"
      "      containers:\n"
      "        - name: autoscaler\n"
      "          image: example/cpa:1.0\n"
      "          env:\n"
      "            - {name: USER_VAR, value: kept}\n"
      "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n"
      "  config:\n"
      "    - {name: interval, value: \"10000\"}\n"
      "    - {name: minReplicas, value: \"1\"}\n" +
      extra_spec;
  return out;
}

class FakeCluster {
 public:
  explicit FakeCluster(int threads = 64) {
    kube::fake::FakeApiServerOptions options;
    options.threads = threads;
    server_ = std::make_unique<kube::fake::FakeApiServer>(options);
    auto started = server_->Start();
    EXPECT_TRUE(started.has_value()) << (started ? "" : started.error().ToString());
    auto crd = server_->CreateObject(ReadFile(SourceDir() + "/deploy/crd.yaml"));
    EXPECT_TRUE(crd.has_value()) << (crd ? "" : crd.error().ToString());
    auto target = server_->CreateObject(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web","namespace":"default"},
      "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"web"}},
      "spec":{"containers":[{"name":"web","image":"nginx"}]}}}})");
    EXPECT_TRUE(target.has_value());
    client_ = NewClient();
  }

  std::unique_ptr<kube::Client> NewClient() const {
    kube::ConnectionConfig config;
    config.server = server_->url();
    config.request_timeout = std::chrono::milliseconds(10000);
    auto client = kube::Client::Create(config);
    EXPECT_TRUE(client.has_value());
    return client ? std::move(*client) : nullptr;
  }

  kube::fake::FakeApiServer& server() { return *server_; }
  kube::Client& client() { return *client_; }

  JsonDocument Get(std::string_view api_version, std::string_view kind, std::string_view name) {
    auto got = server_->GetObject(api_version, kind, "default", name);
    return got ? std::move(*got) : JsonDocument();
  }
  bool Exists(std::string_view api_version, std::string_view kind, std::string_view name) {
    return server_->GetObject(api_version, kind, "default", name).has_value();
  }
  JsonDocument Cpa(std::string_view name) { return Get(kCpaApiVersion, kCpaKind, name); }
  void CreateCpa(const std::string& yaml) {
    auto created = server_->CreateObject(yaml);
    ASSERT_TRUE(created.has_value()) << (created ? "" : created.error().ToString());
  }
  // Edits the CR as a user would (PUT of the main resource).
  void EditCpa(std::string_view name, const std::function<void(JsonValue&, JsonAllocator&)>& edit) {
    auto cr = client_->Get(kCpaApiVersion, kCpaKind, "default", name);
    ASSERT_TRUE(cr.has_value());
    edit(*cr, cr->GetAllocator());
    auto updated = client_->Update("default", *cr);
    ASSERT_TRUE(updated.has_value()) << (updated ? "" : updated.error().ToString());
  }
  int64_t Writes() const { return server_->WriteCount(); }

 private:
  std::unique_ptr<kube::fake::FakeApiServer> server_;
  std::unique_ptr<kube::Client> client_;
};

// The condition `type` of a CR's status ({} when absent).
struct CondView {
  std::string status, reason, message, since;
};
inline CondView ConditionOf(const JsonValue& cr, std::string_view type) {
  const JsonValue* status = FindMember(cr, "status");
  const JsonValue* list = status != nullptr ? FindMember(*status, "conditions") : nullptr;
  if (list == nullptr || !list->IsArray()) return {};
  for (const auto& c : list->GetArray()) {
    if (StringMember(c, "type") == type) {
      return {StringMember(c, "status"), StringMember(c, "reason"), StringMember(c, "message"),
              StringMember(c, "lastTransitionTime")};
    }
  }
  return {};
}

// Waits (bounded, on real time) for `predicate`, advancing `clock` between checks.
inline bool Eventually(const std::function<bool()>& predicate, ManualClock* clock = nullptr,
                       Duration step = std::chrono::milliseconds(200), int attempts = 1500) {
  for (int i = 0; i < attempts; ++i) {
    if (predicate()) return true;
    if (clock != nullptr) clock->Advance(step);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return predicate();
}

}  // namespace cpa::op::testing
