#include "kube/config.h"

#include <map>

#include <gtest/gtest.h>

#include "tests/kube/test_util.h"

namespace cpa::kube {
namespace {

using testing::TempDir;

constexpr const char* kKubeconfig = R"(
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority: ca.pem
- name: prod-cluster
  cluster:
    server: https://prod.example:443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    insecure-skip-tls-verify: false
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user, namespace: team-a}
- name: prod
  context: {cluster: prod-cluster, user: prod-user}
users:
- name: dev-user
  user:
    token: dev-token
- name: prod-user
  user:
    client-certificate: certs/client.pem
    client-key: /abs/client-key.pem
)";

std::function<std::optional<std::string>(std::string_view)> Env(
    std::map<std::string, std::string> values) {
  return [values](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

TEST(KubeConfigTest, CurrentContextGivesServerTokenNamespaceAndRelativeCa) {
  TempDir dir;
  std::string path = dir.Write("config", kKubeconfig);
  auto config = LoadKubeconfig(path, "");
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->server, "https://10.0.0.1:6443");
  EXPECT_EQ(config->ca_file, dir.File("ca.pem"));
  EXPECT_EQ(config->token, "dev-token");
  EXPECT_EQ(config->namespace_, "team-a");
  EXPECT_FALSE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->source, "kubeconfig:" + path + "#dev");
}

TEST(KubeConfigTest, ExplicitContextDecodesCaDataAndClientCertificatePaths) {
  TempDir dir;
  std::string path = dir.Write("config", kKubeconfig);
  auto config = LoadKubeconfig(path, "prod");
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->server, "https://prod.example:443");
  EXPECT_EQ(config->ca_data, "-----BEGIN CERTIFICATE-----\n");
  EXPECT_TRUE(config->ca_file.empty());
  EXPECT_EQ(config->client_cert_file, dir.File("certs/client.pem"));
  EXPECT_EQ(config->client_key_file, "/abs/client-key.pem");
  EXPECT_EQ(config->namespace_, "default");
}

TEST(KubeConfigTest, UnknownContextIsNotFound) {
  TempDir dir;
  auto config = LoadKubeconfig(dir.Write("config", kKubeconfig), "nope");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::kNotFound);
  EXPECT_NE(config.error().message.find("nope"), std::string::npos);
}

TEST(KubeConfigTest, ExecPluginWithoutStaticCredentialsIsExplained) {
  TempDir dir;
  std::string path = dir.Write("config", R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://k:6443"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {exec: {command: aws}}}]
)");
  auto config = LoadKubeconfig(path, "");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(config.error().message.find("exec"), std::string::npos);
}

TEST(KubeConfigTest, CertificateWithoutKeyIsInvalid) {
  TempDir dir;
  std::string path = dir.Write("config", R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://k:6443"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {client-certificate: c.pem}}]
)");
  auto config = LoadKubeconfig(path, "");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
}

TEST(KubeConfigTest, MalformedKubeconfigIsAnErrorNotACrash) {
  TempDir dir;
  auto config = LoadKubeconfig(dir.Write("config", "clusters: [ {name: \"unterminated"), "");
  ASSERT_FALSE(config);
}

TEST(KubeConfigTest, OrderIsFlagThenKubeconfigEnvThenInClusterThenHome) {
  TempDir dir;
  std::string flag_file = dir.Write("flag", R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://flag:1"}}]
contexts: [{name: c, context: {cluster: k}}]
)");
  std::string env_file = dir.Write("env", R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://env:1"}}]
contexts: [{name: c, context: {cluster: k}}]
)");
  std::filesystem::create_directories(dir.File("home/.kube"));
  dir.Write("home/.kube/config", R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://home:1"}}]
contexts: [{name: c, context: {cluster: k}}]
)");
  std::filesystem::create_directories(dir.File("sa"));
  dir.Write("sa/token", "sa-token\n");
  dir.Write("sa/ca.crt", "CA");
  dir.Write("sa/namespace", "autoscalers\n");

  LoadOptions options;
  options.service_account_dir = dir.File("sa");
  options.kubeconfig_path = flag_file;
  options.getenv = Env({{"KUBECONFIG", dir.File("missing") + ":" + env_file},
                        {"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                        {"KUBERNETES_SERVICE_PORT", "443"},
                        {"HOME", dir.File("home")}});
  auto config = LoadConnectionConfig(options);
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->server, "https://flag:1");

  options.kubeconfig_path.clear();
  config = LoadConnectionConfig(options);
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->server, "https://env:1");  // the first existing file of the list

  options.getenv = Env({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                        {"KUBERNETES_SERVICE_PORT", "443"},
                        {"HOME", dir.File("home")}});
  config = LoadConnectionConfig(options);
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->source, "in-cluster");
  EXPECT_EQ(config->token_file, dir.File("sa/token"));
  EXPECT_EQ(config->ca_file, dir.File("sa/ca.crt"));
  EXPECT_EQ(config->namespace_, "autoscalers");

  options.getenv = Env({{"HOME", dir.File("home")}});
  config = LoadConnectionConfig(options);
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->server, "https://home:1");

  options.getenv = Env({});
  config = LoadConnectionConfig(options);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::kNotFound);
}

TEST(KubeConfigTest, InClusterIpv6HostIsBracketed) {
  TempDir dir;
  std::filesystem::create_directories(dir.File("sa"));
  dir.Write("sa/token", "t");
  LoadOptions options;
  options.service_account_dir = dir.File("sa");
  options.getenv =
      Env({{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "443"}});
  auto config = LoadInClusterConfig(options);
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->server, "https://[fd00::1]:443");
  EXPECT_EQ(config->namespace_, "default");
}

TEST(KubeConfigTest, Base64DecodesStandardAndRejectsGarbage) {
  EXPECT_EQ(DecodeBase64("aGVsbG8gd29ybGQ=").value(), "hello world");
  EXPECT_EQ(DecodeBase64("aGVs\nbG8=").value(), "hello");
  EXPECT_FALSE(DecodeBase64("a*b"));
  EXPECT_FALSE(DecodeBase64("a"));
}

}  // namespace
}  // namespace cpa::kube
