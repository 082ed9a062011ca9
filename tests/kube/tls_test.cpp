// HTTPS: server verification with a test CA (file and kubeconfig data), insecure mode, mTLS,
// and bearer tokens read from a rotating token file.
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "kube/client.h"
#include "kube/fake/fake_api_server.h"
#include "tests/kube/test_util.h"

namespace cpa::kube {
namespace {

using fake::FakeApiServer;
using fake::FakeApiServerOptions;
using testing::TempDir;

std::string Base64(const std::string& in) { return EncodeBase64(in); }

// A CA, a server certificate for 127.0.0.1 and a client certificate, made with the openssl CLI.
class KubeTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string d = dir_->path();
    dir_->Write("server.ext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                "extendedKeyUsage=serverAuth\n");
    dir_->Write("client.ext", "extendedKeyUsage=clientAuth\n");
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    auto run = [](const std::string& cmd) {
      int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
      ASSERT_EQ(rc, 0) << cmd;
    };
    for (const char* ca : {"ca", "other-ca"}) {
      run(fmt::format("openssl req -x509 {} -keyout {}/{}.key -out {}/{}.pem -days 2 -subj /CN={}",
                      key, d, ca, d, ca, ca));
    }
    for (const char* leaf : {"server", "client"}) {
      run(fmt::format("openssl req {} -keyout {}/{}.key -out {}/{}.csr -subj /CN={}", key, d, leaf,
                      d, leaf, leaf));
      run(
          fmt::format("openssl x509 -req -in {}/{}.csr -CA {}/ca.pem -CAkey {}/ca.key "
                      "-CAcreateserial -out {}/{}.pem -days 2 -extfile {}/{}.ext",
                      d, leaf, d, d, d, leaf, d, leaf));
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static std::string F(const std::string& name) { return dir_->File(name); }

  static FakeApiServerOptions TlsOptions() {
    FakeApiServerOptions options;
    options.tls_cert_file = F("server.pem");
    options.tls_key_file = F("server.key");
    return options;
  }

  static ConnectionConfig Config(const FakeApiServer& server) {
    ConnectionConfig config;
    config.server = server.url();
    config.ca_file = F("ca.pem");
    config.request_timeout = std::chrono::milliseconds(10000);
    return config;
  }

  static Result<JsonDocument> Probe(const ConnectionConfig& config) {
    auto client = Client::Create(config);
    if (!client) return std::unexpected(client.error());
    return (*client)->ListPods("default", "");
  }

  static TempDir* dir_;
};
TempDir* KubeTlsTest::dir_ = nullptr;

TEST_F(KubeTlsTest, VerifiesTheServerWithTheCaFile) {
  FakeApiServer server(TlsOptions());
  ASSERT_TRUE(server.Start());
  EXPECT_EQ(server.url().rfind("https://127.0.0.1:", 0), 0u);
  auto pods = Probe(Config(server));
  ASSERT_TRUE(pods) << pods.error().ToString();
  EXPECT_EQ(testing::Str(*pods, "kind"), "PodList");
}

TEST_F(KubeTlsTest, RejectsAServerSignedByAnotherCa) {
  FakeApiServer server(TlsOptions());
  ASSERT_TRUE(server.Start());
  ConnectionConfig config = Config(server);
  config.ca_file = F("other-ca.pem");
  auto pods = Probe(config);
  ASSERT_FALSE(pods);
  EXPECT_TRUE(pods.error().code == ErrorCode::kUnauthenticated ||
              pods.error().code == ErrorCode::kUnavailable)
      << pods.error().ToString();
  // In words, naming the CA that was trusted, not the library's enum name.
  EXPECT_NE(pods.error().message.find("is not signed by the CA in " + F("other-ca.pem")),
            std::string::npos)
      << pods.error().message;
  EXPECT_EQ(pods.error().message.find("SSLServerVerification"), std::string::npos);
  config.insecure_skip_tls_verify = true;  // what insecure-skip-tls-verify means
  EXPECT_TRUE(Probe(config));
}

TEST_F(KubeTlsTest, KubeconfigWithCaDataTokenAndNamespace) {
  FakeApiServerOptions options = TlsOptions();
  options.token = "kube-token";
  FakeApiServer server(options);
  ASSERT_TRUE(server.Start());
  std::string ca;
  {
    std::ifstream in(F("ca.pem"));
    std::ostringstream s;
    s << in.rdbuf();
    ca = s.str();
  }
  TempDir dir;
  std::string path = dir.Write("config", fmt::format(R"(
apiVersion: v1
kind: Config
current-context: test
clusters:
- name: fake
  cluster: {{server: "{}", certificate-authority-data: {}}}
contexts:
- name: test
  context: {{cluster: fake, user: u, namespace: team-a}}
users:
- name: u
  user: {{token: kube-token}}
)",
                                                     server.url(), Base64(ca)));
  LoadOptions load;
  load.kubeconfig_path = path;
  auto client = Client::FromLoadOptions(load);
  ASSERT_TRUE(client) << client.error().ToString();
  EXPECT_EQ((*client)->default_namespace(), "team-a");
  auto pods = (*client)->ListPods("team-a", "");
  EXPECT_TRUE(pods) << pods.error().ToString();
}

TEST_F(KubeTlsTest, MutualTls) {
  FakeApiServerOptions options = TlsOptions();
  options.client_ca_file = F("ca.pem");
  FakeApiServer server(options);
  ASSERT_TRUE(server.Start());

  ConnectionConfig anonymous = Config(server);
  EXPECT_FALSE(Probe(anonymous));  // the handshake fails without a client certificate

  ConnectionConfig files = Config(server);
  files.client_cert_file = F("client.pem");
  files.client_key_file = F("client.key");
  auto pods = Probe(files);
  EXPECT_TRUE(pods) << pods.error().ToString();

  ConnectionConfig data = Config(server);
  auto read = [](const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  };
  data.client_cert_data = read(F("client.pem"));
  data.client_key_data = read(F("client.key"));
  pods = Probe(data);
  EXPECT_TRUE(pods) << pods.error().ToString();

  ConnectionConfig mismatched = Config(server);
  mismatched.client_cert_file = F("client.pem");
  mismatched.client_key_file = F("server.key");
  auto client = Client::Create(mismatched);
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(KubeTlsTest, RotatedTokenFileIsPickedUp) {
  FakeApiServerOptions options = TlsOptions();
  options.token = "token-2";
  FakeApiServer server(options);
  ASSERT_TRUE(server.Start());
  TempDir dir;
  ConnectionConfig config = Config(server);
  config.token_file = dir.Write("token", "token-1\n");
  auto client = Client::Create(config);
  ASSERT_TRUE(client);
  auto before = (*client)->ListPods("default", "");
  ASSERT_FALSE(before);
  EXPECT_EQ(before.error().code, ErrorCode::kUnauthenticated);
  // The kubelet rotates the projected token by swapping the file.
  dir.Write("token.new", "token-2\n");
  std::filesystem::rename(dir.File("token.new"), dir.File("token"));
  auto after = (*client)->ListPods("default", "");
  EXPECT_TRUE(after) << after.error().ToString();
}

TEST_F(KubeTlsTest, ScalePatchAndWatchOverHttpsWithAToken) {
  FakeApiServerOptions options = TlsOptions();
  options.token = "tls-token";
  FakeApiServer server(options);
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(server.CreateObject(testing::kDeploymentYaml));
  ConnectionConfig config = Config(server);
  config.token = "tls-token";
  auto client = Client::Create(config);
  ASSERT_TRUE(client);
  const ObjectRef web{"apps/v1", "Deployment", "web"};
  auto scale = (*client)->GetScale(web, "fixtures");
  ASSERT_TRUE(scale) << scale.error().ToString();
  EXPECT_EQ(scale->replicas, 2);
  auto list = (*client)->ListPods("fixtures", scale->selector);
  ASSERT_TRUE(list);
  EXPECT_EQ((*list)["items"].Size(), 2u);

  std::vector<std::string> added;
  std::thread watcher([&] {
    WatchOptions watch;
    watch.resource_version = testing::Str((*list)["metadata"], "resourceVersion");
    watch.label_selector = scale->selector;
    auto result = (*client)->Watch("v1", "Pod", "fixtures", watch, [&](WatchEvent&& e) {
      if (e.type == WatchEventType::kAdded) added.push_back(testing::Meta(e.object, "name"));
      return added.size() < 2;
    });
    EXPECT_TRUE(result) << result.error().ToString();
  });
  auto patched = (*client)->PatchScaleReplicas(web, "fixtures", 4, ScalePatch::kJson);
  ASSERT_TRUE(patched) << patched.error().ToString();
  EXPECT_EQ(patched->replicas, 4);
  watcher.join();
  EXPECT_EQ(added.size(), 2u);
}

TEST_F(KubeTlsTest, InClusterServiceAccountAgainstAnHttpsServer) {
  FakeApiServerOptions options = TlsOptions();
  options.token = "sa-token";
  FakeApiServer server(options);
  ASSERT_TRUE(server.Start());
  TempDir sa;
  sa.Write("token", "sa-token\n");
  std::filesystem::copy_file(F("ca.pem"), sa.File("ca.crt"));
  sa.Write("namespace", "autoscalers");
  LoadOptions load;
  load.service_account_dir = sa.path();
  const std::string port = std::to_string(server.port());
  load.getenv = [&](std::string_view name) -> std::optional<std::string> {
    if (name == "KUBERNETES_SERVICE_HOST") return std::string("127.0.0.1");
    if (name == "KUBERNETES_SERVICE_PORT") return port;
    return std::nullopt;
  };
  auto client = Client::FromLoadOptions(load);
  ASSERT_TRUE(client) << client.error().ToString();
  EXPECT_EQ((*client)->config().source, "in-cluster");
  EXPECT_EQ((*client)->default_namespace(), "autoscalers");
  auto pods = (*client)->ListPods("autoscalers", "");
  EXPECT_TRUE(pods) << pods.error().ToString();
}

TEST_F(KubeTlsTest, UnreadableCaFileIsInvalidArgument) {
  ConnectionConfig config;
  config.server = "https://127.0.0.1:1";
  config.ca_file = F("does-not-exist.pem");
  auto client = Client::Create(config);
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace cpa::kube
