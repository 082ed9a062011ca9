// Helpers shared by the kube tests: fixture loading, temporary directories, a client for a fake.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "common/json.h"
#include "kube/client.h"
#include "kube/fake/fake_api_server.h"

namespace cpa::kube::testing {

inline std::string SourceDir() {
  const char* dir = std::getenv("CPA_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

inline std::string FixturePath(const std::string& name) {
  return SourceDir() + "/tests/data/kube/" + name;
}

inline std::string ReadFixture(const std::string& name) {
  std::ifstream in(FixturePath(name), std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << name;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline JsonDocument ParseFixture(const std::string& name) {
  auto doc = ParseJson(ReadFixture(name));
  EXPECT_TRUE(doc.has_value()) << name;
  return doc ? std::move(*doc) : JsonDocument();
}

// A private temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "cpa-kube-test-XXXXXX").string();
    char* made = mkdtemp(templ.data());
    EXPECT_NE(made, nullptr);
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  std::string Write(const std::string& name, const std::string& contents) const {
    std::ofstream out(File(name), std::ios::binary);
    out << contents;
    return File(name);
  }

 private:
  std::string path_;
};

inline std::unique_ptr<Client> ClientFor(const fake::FakeApiServer& server,
                                         const std::string& token = "") {
  ConnectionConfig config;
  config.server = server.url();
  config.token = token;
  config.request_timeout = std::chrono::milliseconds(10000);
  auto client = Client::Create(config);
  EXPECT_TRUE(client.has_value()) << (client ? "" : client.error().ToString());
  return client ? std::move(*client) : nullptr;
}

inline std::string Str(const JsonValue& v, std::string_view key) {
  const JsonValue* m = FindMember(v, key);
  return m != nullptr && m->IsString() ? m->GetString() : "";
}

inline std::string Meta(const JsonValue& v, std::string_view key) {
  const JsonValue* m = FindMember(v, "metadata");
  return m != nullptr ? Str(*m, key) : "";
}

constexpr const char* kDeploymentYaml = R"(
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: fixtures
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: registry.example/web:1
)";

constexpr const char* kLogstashCrdYaml = R"(
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: logstashes.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: logstashes
    singular: logstash
    kind: Logstash
    shortNames: [ls]
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
        labelSelectorPath: .status.selector
)";

}  // namespace cpa::kube::testing
