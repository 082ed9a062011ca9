// HTTPS and mutual TLS, with certificates made by the openssl CLI at test time.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>

#include "api/api_server.h"
#include "tests/api/api_harness.h"

namespace cpa::api {
namespace {

using testing::LoopbackApi;
using testing::MakeConfig;
using testing::TempDir;

// A CA, a server certificate for 127.0.0.1/localhost and a client certificate signed by it, and a
// client certificate signed by an unrelated CA.
class Pki {
 public:
  explicit Pki(const TempDir& dir) : d_(dir.path().string()) {
    ok_ = Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
              "-keyout " +
              d_ + "/ca.key -out " + d_ + "/ca.pem -subj /CN=cpa-test-ca -days 1") &&
          Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
              "-keyout " +
              d_ + "/other-ca.key -out " + d_ + "/other-ca.pem -subj /CN=other-ca -days 1") &&
          Sign("server", "ca",
               "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
               "extendedKeyUsage=serverAuth\n") &&
          Sign("client", "ca", "extendedKeyUsage=clientAuth\n") &&
          Sign("intruder", "other-ca", "extendedKeyUsage=clientAuth\n");
  }
  bool ok() const { return ok_; }
  std::string File(const std::string& name) const { return d_ + "/" + name; }

 private:
  static bool Run(const std::string& cmd) {
    return std::system((cmd + " 2>/dev/null").c_str()) == 0;
  }
  bool Sign(const std::string& name, const std::string& ca, const std::string& ext) {
    std::string ext_file = d_ + "/" + name + ".ext";
    FILE* f = std::fopen(ext_file.c_str(), "w");
    if (f == nullptr) return false;
    std::fputs(ext.c_str(), f);
    std::fclose(f);
    return Run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
               d_ + "/" + name + ".key -out " + d_ + "/" + name + ".csr -subj /CN=" + name) &&
           Run("openssl x509 -req -in " + d_ + "/" + name + ".csr -CA " + d_ + "/" + ca +
               ".pem -CAkey " + d_ + "/" + ca + ".key -CAcreateserial -days 1 -extfile " +
               ext_file + " -out " + d_ + "/" + name + ".pem");
  }
  std::string d_;
  bool ok_ = false;
};

class ApiTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.ok()) << "openssl could not make the test certificates";
    auto eval = dir_.Write("eval.json", R"({"targetReplicas": 3})");
    auto a = engine::Autoscaler::Create(MakeConfig("web", eval), cluster_, clock_);
    ASSERT_TRUE(a);
    autoscaler_ = std::move(*a);
  }
  config::ApiConfig HttpsApi() {
    auto api = LoopbackApi();
    api.use_https = true;
    api.cert_file = pki_.File("server.pem");
    api.key_file = pki_.File("server.key");
    return api;
  }
  std::unique_ptr<ApiServer> Serve(const config::ApiConfig& api) {
    auto s = std::make_unique<ApiServer>(api, std::vector<engine::Autoscaler*>{autoscaler_.get()},
                                         metrics_);
    auto started = s->Start();
    EXPECT_TRUE(started) << started.error().ToString();
    return s;
  }
  std::unique_ptr<httplib::SSLClient> Client(int port, const std::string& cert = "",
                                             const std::string& key = "") {
    auto c = cert.empty() ? std::make_unique<httplib::SSLClient>("127.0.0.1", port)
                          : std::make_unique<httplib::SSLClient>("127.0.0.1", port, pki_.File(cert),
                                                                 pki_.File(key));
    c->set_ca_cert_path(pki_.File("ca.pem").c_str());
    c->enable_server_certificate_verification(true);
    c->set_connection_timeout(5, 0);
    c->set_read_timeout(5, 0);
    return c;
  }

  TempDir dir_{"tls"};
  Pki pki_{dir_};
  ManualClock clock_;
  engine::MemoryCluster cluster_{1};
  std::unique_ptr<engine::Autoscaler> autoscaler_;
  MetricsRegistry metrics_{clock_};
};

TEST_F(ApiTlsTest, HttpsServesAndPlainHttpIsRefused) {
  auto server = Serve(HttpsApi());
  ASSERT_GT(server->port(), 0);
  auto https = Client(server->port());
  auto health = https->Get("/healthz");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  auto eval = https->Post("/api/v1/evaluation");
  ASSERT_TRUE(eval);
  EXPECT_EQ(eval->status, 200);
  EXPECT_EQ(cluster_.replicas(), 3);
  // Plain HTTP to the HTTPS port gets no HTTP response and triggers nothing.
  httplib::Client plain("127.0.0.1", server->port());
  plain.set_read_timeout(5, 0);
  auto refused = plain.Post("/api/v1/evaluation?dry_run=false");
  EXPECT_FALSE(refused);
  EXPECT_FALSE(plain.Get("/healthz"));
  EXPECT_EQ(cluster_.scales(), 1);
}

TEST_F(ApiTlsTest, ClientThatDoesNotTrustTheServerCertificateFails) {
  auto server = Serve(HttpsApi());
  httplib::SSLClient c("127.0.0.1", server->port());
  c.set_ca_cert_path(pki_.File("other-ca.pem").c_str());
  c.enable_server_certificate_verification(true);
  EXPECT_FALSE(c.Get("/healthz"));
}

TEST_F(ApiTlsTest, MutualTlsRequiresAClientCertificateFromTheCa) {
  auto api = HttpsApi();
  api.client_ca_file = pki_.File("ca.pem");
  auto server = Serve(api);
  auto anonymous = Client(server->port());
  EXPECT_FALSE(anonymous->Post("/api/v1/evaluation"));
  EXPECT_FALSE(anonymous->Get("/healthz"));
  auto intruder = Client(server->port(), "intruder.pem", "intruder.key");
  EXPECT_FALSE(intruder->Post("/api/v1/evaluation"));
  EXPECT_EQ(cluster_.scales(), 0);
  auto trusted = Client(server->port(), "client.pem", "client.key");
  auto res = trusted->Post("/api/v1/evaluation");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(cluster_.replicas(), 3);
}

TEST_F(ApiTlsTest, BadCertificateFilesAreStartErrors) {
  auto missing = HttpsApi();
  missing.cert_file = pki_.File("nope.pem");
  ApiServer a(missing, {autoscaler_.get()}, metrics_);
  auto started = a.Start();
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message.find("certFile"), std::string::npos);
  auto mismatched = HttpsApi();
  mismatched.key_file = pki_.File("client.key");  // not the server certificate's key
  ApiServer b(mismatched, {autoscaler_.get()}, metrics_);
  EXPECT_FALSE(b.Start());
  auto no_key = HttpsApi();
  no_key.key_file.clear();
  ApiServer c(no_key, {autoscaler_.get()}, metrics_);
  EXPECT_FALSE(c.Start());
  EXPECT_EQ(c.port(), 0);
}

}  // namespace
}  // namespace cpa::api
