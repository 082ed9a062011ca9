// kubeconfig exec credential plugins (tests/data/kube/exec/plugin.sh) against kube/fake's bearer
// token and mTLS authentication: parsing, KUBERNETES_EXEC_INFO, caching until expiry, re-running
// on a 401, and failing, garbage-printing and hanging plugins.
#include "kube/exec_credential.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "common/rfc3339.h"
#include "kube/client.h"
#include "kube/fake/fake_api_server.h"
#include "tests/kube/test_util.h"

namespace cpa::kube {
namespace {

using fake::FakeApiServer;
using fake::FakeApiServerOptions;
using testing::TempDir;

ExecConfig PluginConfig(std::vector<std::string> args, const TempDir& state) {
  ExecConfig config;
  config.api_version = "client.authentication.k8s.io/v1";
  config.command = testing::FixturePath("exec/plugin.sh");
  config.args = std::move(args);
  config.env = {{"PLUGIN_STATE", state.path()}};
  config.interactive_mode = "Never";
  return config;
}

ExecCredential WithToken(std::string token) {
  ExecCredential credential;
  credential.token = std::move(token);
  return credential;
}

std::string Plugin() { return testing::FixturePath("exec/plugin.sh"); }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int Runs(const TempDir& state) {
  std::string text = ReadAll(state.File("runs"));
  return text.empty() ? 0 : std::stoi(text);
}

// A kubeconfig whose user runs the plugin with `args`; PLUGIN_STATE points at `state`.
std::string Kubeconfig(const TempDir& dir, const FakeApiServer& server, const TempDir& state,
                       const std::string& args, const std::string& extra_exec = "",
                       const std::string& cluster_extra = "") {
  return dir.Write(
      "config", fmt::format(R"(
apiVersion: v1
kind: Config
current-context: test
clusters:
- name: fake
  cluster: {{server: "{}"{}}}
contexts:
- name: test
  context: {{cluster: fake, user: u}}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: {}
      args: [{}]
      env:
      - {{name: PLUGIN_STATE, value: "{}"}}
      interactiveMode: Never
{}
)",
                            server.url(), cluster_extra, Plugin(), args, state.path(), extra_exec));
}

Result<std::unique_ptr<Client>> ClientFromKubeconfig(const std::string& path) {
  LoadOptions load;
  load.kubeconfig_path = path;
  return Client::FromLoadOptions(load);
}

TEST(KubeBase64Test, EncodeRoundTripsThroughDecode) {
  for (const std::string& text : std::vector<std::string>{"", "a", "ab", "abc", "hello world",
                                                          std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(DecodeBase64(EncodeBase64(text)).value(), text);
  }
  EXPECT_EQ(EncodeBase64("hello world"), "aGVsbG8gd29ybGQ=");
}

TEST(KubeExecCredentialTest, ParsesTheKubeconfigExecBlock) {
  TempDir dir;
  std::string path = dir.Write("config", R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: ./bin/get-token
      args: [eks, get-token, --cluster-name, prod]
      env: [{name: AWS_PROFILE, value: ops}]
      provideClusterInfo: true
      installHint: install the aws CLI
)");
  auto config = LoadKubeconfig(path, "");
  ASSERT_TRUE(config) << config.error().ToString();
  ASSERT_TRUE(config->exec);
  EXPECT_EQ(config->exec->api_version, "client.authentication.k8s.io/v1beta1");
  EXPECT_EQ(config->exec->command, dir.path() + "/bin/get-token");
  EXPECT_EQ(config->exec->args,
            (std::vector<std::string>{"eks", "get-token", "--cluster-name", "prod"}));
  ASSERT_EQ(config->exec->env.size(), 1u);
  EXPECT_EQ(config->exec->env[0].first, "AWS_PROFILE");
  EXPECT_TRUE(config->exec->provide_cluster_info);
}

TEST(KubeExecCredentialTest, InvalidExecBlocksAreErrorsNamingTheKey) {
  TempDir dir;
  auto load = [&](const std::string& exec) {
    std::string path = dir.Write("config", fmt::format(R"(
current-context: c
clusters: [{{name: k, cluster: {{server: "https://127.0.0.1:6443"}}}}]
contexts: [{{name: c, context: {{cluster: k, user: u}}}}]
users: [{{name: u, user: {{exec: {}}}}}]
)",
                                                       exec));
    auto config = LoadKubeconfig(path, "");
    return config ? std::string() : config.error().message;
  };
  EXPECT_NE(load("{apiVersion: client.authentication.k8s.io/v1alpha1, command: x}")
                .find("exec.apiVersion"),
            std::string::npos);
  EXPECT_NE(load("{apiVersion: client.authentication.k8s.io/v1, command: x}")
                .find("exec.interactiveMode is required"),
            std::string::npos);
  EXPECT_NE(load("{apiVersion: client.authentication.k8s.io/v1, interactiveMode: Never}")
                .find("exec.command"),
            std::string::npos);
  EXPECT_NE(load("{apiVersion: client.authentication.k8s.io/v1, command: x, "
                 "interactiveMode: Always}")
                .find("terminal"),
            std::string::npos);
  EXPECT_NE(load("{apiVersion: client.authentication.k8s.io/v1, command: x, "
                 "interactiveMode: Never, args: notalist}")
                .find("exec.args"),
            std::string::npos);
}

TEST(KubeExecCredentialTest, ParseExecCredentialChecksKindVersionAndStatus) {
  ExecConfig config;
  config.api_version = "client.authentication.k8s.io/v1";
  config.command = "p";
  auto ok = ParseExecCredential(
      R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1",)"
      R"("status":{"token":"t","expirationTimestamp":"2026-11-28T20:43:17Z"}})",
      config);
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ(ok->token, "t");
  ASSERT_TRUE(ok->expiration);
  EXPECT_EQ(FormatRfc3339(*ok->expiration), "2026-11-28T20:43:17Z");
  for (const char* bad :
       {"", "garbage", R"({"kind":"Pod","apiVersion":"client.authentication.k8s.io/v1"})",
        R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1",)"
        R"("status":{"token":"t"}})",
        R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{}})",
        R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1",)"
        R"("status":{"token":"t","expirationTimestamp":"tomorrow"}})",
        R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1",)"
        R"("status":{"clientCertificateData":"x"}})"}) {
    auto parsed = ParseExecCredential(bad, config);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_NE(parsed.error().message.find("exec credential plugin \"p\""), std::string::npos)
        << parsed.error().message;
  }
}

TEST(KubeExecCredentialTest, TokenIsSentCachedAndExecInfoGiven) {
  FakeApiServerOptions options;
  options.token = "token-1";
  FakeApiServer server(options);
  ASSERT_TRUE(server.Start());
  TempDir dir, state;
  auto client = ClientFromKubeconfig(
      Kubeconfig(dir, server, state, "token", "      provideClusterInfo: true"));
  ASSERT_TRUE(client) << client.error().ToString();
  EXPECT_EQ(Runs(state), 0);  // the plugin runs on the first request, not before
  for (int i = 0; i < 3; ++i) {
    auto pods = (*client)->ListPods("default", "");
    ASSERT_TRUE(pods) << pods.error().ToString();
  }
  EXPECT_EQ(Runs(state), 1);  // cached until its expirationTimestamp (2100)
  auto info = ParseJson(ReadAll(state.File("exec-info")));
  ASSERT_TRUE(info) << ReadAll(state.File("exec-info"));
  EXPECT_EQ(testing::Str(*info, "kind"), "ExecCredential");
  EXPECT_EQ(testing::Str(*info, "apiVersion"), "client.authentication.k8s.io/v1");
  EXPECT_FALSE((*info)["spec"]["interactive"].GetBool());
  EXPECT_EQ(testing::Str((*info)["spec"]["cluster"], "server"), server.url());
}

TEST(KubeExecCredentialTest, RejectedTokenRunsThePluginAgain) {
  FakeApiServerOptions options;
  options.token = "token-2";  // the first run's token-1 gets a 401
  FakeApiServer server(options);
  ASSERT_TRUE(server.Start());
  TempDir dir, state;
  auto client = ClientFromKubeconfig(Kubeconfig(dir, server, state, "token"));
  ASSERT_TRUE(client) << client.error().ToString();
  auto pods = (*client)->ListPods("default", "");
  ASSERT_TRUE(pods) << pods.error().ToString();
  EXPECT_EQ(Runs(state), 2);
  ASSERT_TRUE((*client)->ListPods("default", ""));
  EXPECT_EQ(Runs(state), 2);
}

TEST(KubeExecCredentialTest, ExpiredCredentialIsRefreshed) {
  TempDir state;
  ExecConfig config = PluginConfig({"token"}, state);
  config.api_version = "client.authentication.k8s.io/v1beta1";
  config.interactive_mode.clear();  // optional in v1beta1
  config.env.emplace_back("PLUGIN_API_VERSION", "client.authentication.k8s.io/v1beta1");
  config.env.emplace_back("PLUGIN_EXPIRES", "2026-11-28T12:00:00Z");
  ManualClock clock(*ParseRfc3339("2026-11-28T11:00:00Z"));
  ExecCredentialProvider provider(config, {}, clock);
  auto first = provider.Get();
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_EQ(first->token, "token-1");
  EXPECT_EQ(provider.Get()->token, "token-1");
  clock.Advance(std::chrono::minutes(59));
  EXPECT_EQ(provider.Get()->token, "token-1");
  clock.Advance(std::chrono::minutes(1));  // at expirationTimestamp: expired
  EXPECT_EQ(provider.Get()->token, "token-2");
  EXPECT_EQ(provider.runs(), 2);
  EXPECT_EQ(provider.Get()->token, "token-3");  // token-2 expired at the same instant
}

TEST(KubeExecCredentialTest, InvalidateDropsOnlyTheCredentialThatWasRejected) {
  TempDir state;
  ExecCredentialProvider provider(PluginConfig({"token"}, state), {});
  EXPECT_EQ(provider.Get()->token, "token-1");
  provider.Invalidate(WithToken("token-1"));
  EXPECT_EQ(provider.Get()->token, "token-2");
  provider.Invalidate(WithToken("token-1"));  // stale: another caller already replaced it
  EXPECT_EQ(provider.Get()->token, "token-2");
  EXPECT_EQ(provider.runs(), 2);
}

TEST(KubeExecCredentialTest, FailingGarbageMissingAndHangingPluginsAreClearErrors) {
  FakeApiServer server(FakeApiServerOptions{});
  ASSERT_TRUE(server.Start());
  struct Case {
    std::string args;
    std::string expect;
  };
  for (const Case& c : std::vector<Case>{
           {"fail", "exited with code 3; stderr: \"credentials expired, run aws sso login"},
           {"garbage", "did not print an ExecCredential JSON object"},
       }) {
    TempDir dir, state;
    auto client = ClientFromKubeconfig(Kubeconfig(dir, server, state, c.args));
    ASSERT_TRUE(client) << client.error().ToString();
    auto pods = (*client)->ListPods("default", "");
    ASSERT_FALSE(pods) << c.args;
    EXPECT_NE(pods.error().message.find(fmt::format("exec credential plugin \"{}\"", Plugin())),
              std::string::npos)
        << pods.error().message;
    EXPECT_NE(pods.error().message.find(c.expect), std::string::npos) << pods.error().message;
  }
  // A command that does not exist: the error carries the install hint.
  TempDir state;
  ExecConfig missing = PluginConfig({}, state);
  missing.command = "/nonexistent/gke-gcloud-auth-plugin";
  missing.install_hint = "install gke-gcloud-auth-plugin";
  auto run = RunExecPlugin(missing, {});
  ASSERT_FALSE(run);
  EXPECT_NE(run.error().message.find("cannot be started"), std::string::npos);
  EXPECT_NE(run.error().message.find("install gke-gcloud-auth-plugin"), std::string::npos);
  // A plugin that never answers is killed at the timeout.
  ExecConfig hang = PluginConfig({"hang"}, state);
  hang.timeout = std::chrono::milliseconds(200);
  run = RunExecPlugin(hang, {});
  ASSERT_FALSE(run);
  EXPECT_EQ(run.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_NE(run.error().message.find("no answer within 200 ms"), std::string::npos)
      << run.error().message;
}

// The plugin returns a client certificate: mTLS against a server that requires one.
TEST(KubeExecCredentialTest, ClientCertificateFromThePluginAuthenticatesMutualTls) {
  TempDir certs;
  const std::string d = certs.path();
  certs.Write("server.ext", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  certs.Write("client.ext", "extendedKeyUsage=clientAuth\n");
  const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  auto run = [](const std::string& cmd) {
    return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
  };
  ASSERT_TRUE(
      run(fmt::format("openssl req -x509 {} -keyout {}/ca.key -out {}/ca.pem -days 2 "
                      "-subj /CN=ca",
                      key, d, d)));
  for (const char* leaf : {"server", "client"}) {
    ASSERT_TRUE(run(fmt::format("openssl req {} -keyout {}/{}.key -out {}/{}.csr -subj /CN={}", key,
                                d, leaf, d, leaf, leaf)));
    ASSERT_TRUE(
        run(fmt::format("openssl x509 -req -in {}/{}.csr -CA {}/ca.pem -CAkey {}/ca.key "
                        "-CAcreateserial -out {}/{}.pem -days 2 -extfile {}/{}.ext",
                        d, leaf, d, d, d, leaf, d, leaf)));
  }
  FakeApiServerOptions options;
  options.tls_cert_file = certs.File("server.pem");
  options.tls_key_file = certs.File("server.key");
  options.client_ca_file = certs.File("ca.pem");
  FakeApiServer server(options);
  ASSERT_TRUE(server.Start());
  TempDir dir, state;
  auto client = ClientFromKubeconfig(Kubeconfig(
      dir, server, state,
      fmt::format("cert, \"{}\", \"{}\"", certs.File("client.pem"), certs.File("client.key")), "",
      fmt::format(", certificate-authority: \"{}\"", certs.File("ca.pem"))));
  ASSERT_TRUE(client) << client.error().ToString();
  auto pods = (*client)->ListPods("default", "");
  ASSERT_TRUE(pods) << pods.error().ToString();
  ASSERT_TRUE((*client)->ListPods("default", ""));
  EXPECT_EQ(Runs(state), 1);  // no expirationTimestamp: kept until the server rejects it
}

}  // namespace
}  // namespace cpa::kube
