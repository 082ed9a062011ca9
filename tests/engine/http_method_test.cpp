#include "engine/methods/http_method.h"

#include <httplib.h>

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

namespace cpa::engine {
namespace {

class TestServer {
 public:
  explicit TestServer(std::unique_ptr<httplib::Server> server) : server_(std::move(server)) {
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TestServer() {
    server_->stop();
    thread_.join();
  }
  httplib::Server& server() { return *server_; }
  int port() const { return port_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
};

config::HttpMethodConfig Http(std::string url) {
  config::HttpMethodConfig c;
  c.url = std::move(url);
  return c;
}

TEST(EngineHttpMethod, QueryModeSendsUrlEncodedValue) {
  auto server = std::make_unique<httplib::Server>();
  std::string seen_value, seen_header, seen_other;
  server->Get("/metric", [&](const httplib::Request& req, httplib::Response& res) {
    seen_value = req.get_param_value("value");
    seen_other = req.get_param_value("keep");
    seen_header = req.get_header_value("X-Key");
    res.set_content("42", "text/plain");
  });
  TestServer ts(std::move(server));
  auto c = Http(fmt::format("http://127.0.0.1:{}/metric?keep=1", ts.port()));
  c.headers["X-Key"] = "secret";
  auto m = HttpMethod::Create(c, 2000, "metric");
  ASSERT_TRUE(m);
  std::string input = R"({"resource":{"metadata":{"name":"a b&c"}},"runType":"scaler"})";
  auto out = (*m)->Call(input, {});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, "42");
  EXPECT_EQ(seen_value, input);
  EXPECT_EQ(seen_other, "1");
  EXPECT_EQ(seen_header, "secret");
}

TEST(EngineHttpMethod, BodyModeSendsJsonBody) {
  auto server = std::make_unique<httplib::Server>();
  std::string seen_body, seen_type;
  server->Post("/evaluate", [&](const httplib::Request& req, httplib::Response& res) {
    seen_body = req.body;
    seen_type = req.get_header_value("Content-Type");
    res.status = 201;
    res.set_content(R"({"targetReplicas": 3})", "application/json");
  });
  TestServer ts(std::move(server));
  auto c = Http(fmt::format("http://127.0.0.1:{}/evaluate", ts.port()));
  c.method = "POST";
  c.parameter_mode = config::ParameterMode::kBody;
  c.success_codes = {200, 201};
  auto m = HttpMethod::Create(c, 2000, "evaluate");
  ASSERT_TRUE(m);
  auto out = (*m)->Call(R"({"metrics":[]})", {});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, R"({"targetReplicas": 3})");
  EXPECT_EQ(seen_body, R"({"metrics":[]})");
  EXPECT_EQ(seen_type, "application/json");
}

TEST(EngineHttpMethod, StatusOutsideSuccessCodesIsAnErrorQuotingTheBody) {
  auto server = std::make_unique<httplib::Server>();
  server->Get("/metric", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_content("backend down", "text/plain");
  });
  TestServer ts(std::move(server));
  auto m = HttpMethod::Create(Http(fmt::format("http://127.0.0.1:{}/metric", ts.port())), 2000,
                              "metric");
  ASSERT_TRUE(m);
  auto out = (*m)->Call("{}", {});
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("returned status 503, expected one of [200]"),
            std::string::npos)
      << out.error().message;
  EXPECT_NE(out.error().message.find("backend down"), std::string::npos);
}

TEST(EngineHttpMethod, SlowServerTimesOut) {
  auto server = std::make_unique<httplib::Server>();
  server->Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    res.set_content("late", "text/plain");
  });
  TestServer ts(std::move(server));
  auto m =
      HttpMethod::Create(Http(fmt::format("http://127.0.0.1:{}/slow", ts.port())), 200, "metric");
  ASSERT_TRUE(m);
  auto out = (*m)->Call("{}", {});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kDeadlineExceeded) << out.error().message;
}

// The timeout bounds the whole call, not each read: a server that trickles its reply one byte
// every 100 ms (each read well within the timeout) for 3 s is cut off at the 300 ms timeout.
TEST(EngineHttpMethod, TricklingServerIsCutOffAtTheTimeout) {
  auto server = std::make_unique<httplib::Server>();
  server->Get("/trickle", [](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/plain", [](size_t offset, httplib::DataSink& sink) {
      if (offset >= 30) {
        sink.done();
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      return sink.write("7", 1);
    });
  });
  TestServer ts(std::move(server));
  auto m = HttpMethod::Create(Http(fmt::format("http://127.0.0.1:{}/trickle", ts.port())), 300,
                              "metric");
  ASSERT_TRUE(m);
  const auto start = std::chrono::steady_clock::now();
  auto out = (*m)->Call("{}", {});
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(out) << "the whole 3 s reply was read: " << *out;
  EXPECT_EQ(out.error().code, ErrorCode::kDeadlineExceeded) << out.error().message;
  EXPECT_NE(out.error().message.find("within 300 ms"), std::string::npos) << out.error().message;
  EXPECT_LT(took, std::chrono::milliseconds(2000));
}

// A stop request (shutdown, the --grace period over) ends a call in flight at once.
TEST(EngineHttpMethod, StopRequestEndsTheCallInFlight) {
  auto server = std::make_unique<httplib::Server>();
  server->Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    res.set_content("late", "text/plain");
  });
  TestServer ts(std::move(server));
  auto m =
      HttpMethod::Create(Http(fmt::format("http://127.0.0.1:{}/slow", ts.port())), 60000, "metric");
  ASSERT_TRUE(m);
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop.request_stop();
  });
  const auto start = std::chrono::steady_clock::now();
  auto out = (*m)->Call("{}", stop.get_token());
  const auto took = std::chrono::steady_clock::now() - start;
  stopper.join();
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("cancelled"), std::string::npos) << out.error().message;
  EXPECT_LT(took, std::chrono::milliseconds(2000));
}

TEST(EngineHttpMethod, ConnectionRefusedIsRetryable) {
  int port = 0;
  {
    httplib::Server probe;
    port = probe.bind_to_any_port("127.0.0.1");
  }
  auto m = HttpMethod::Create(Http(fmt::format("http://127.0.0.1:{}/x", port)), 500, "metric");
  ASSERT_TRUE(m);
  auto out = (*m)->Call("{}", {});
  ASSERT_FALSE(out);
  EXPECT_TRUE(out.error().Retryable()) << out.error().ToString();
}

TEST(EngineHttpMethod, OversizedResponseIsAnError) {
  auto server = std::make_unique<httplib::Server>();
  server->Get("/big", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(kMaxMethodOutputBytes + 10, 'x'), "text/plain");
  });
  TestServer ts(std::move(server));
  auto m =
      HttpMethod::Create(Http(fmt::format("http://127.0.0.1:{}/big", ts.port())), 5000, "metric");
  ASSERT_TRUE(m);
  auto out = (*m)->Call("{}", {});
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("exceeded the limit"), std::string::npos);
}

// TLS with a CA made for the test: the method trusts it through caCert.
TEST(EngineHttpMethod, HttpsWithTestCa) {
  auto dir = std::filesystem::temp_directory_path() / ("cpa-http-tls-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string d = dir.string();
  std::string cmd = fmt::format(
      "cd {0} && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 "
      "-subj /CN=test-ca >/dev/null 2>&1 && openssl req -newkey rsa:2048 -nodes -keyout "
      "server.key -out server.csr -subj /CN=127.0.0.1 >/dev/null 2>&1 && printf "
      "'subjectAltName=IP:127.0.0.1' > san.ext && openssl x509 -req -in server.csr -CA ca.pem "
      "-CAkey ca.key -CAcreateserial -out server.pem -days 1 -extfile san.ext >/dev/null 2>&1",
      d);
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto server = std::make_unique<httplib::SSLServer>((d + "/server.pem").c_str(),
                                                     (d + "/server.key").c_str());
  server->Get("/metric", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("tls-ok", "text/plain");
  });
  TestServer ts(std::move(server));
  auto c = Http(fmt::format("https://127.0.0.1:{}/metric", ts.port()));
  c.ca_cert = d + "/ca.pem";
  auto m = HttpMethod::Create(c, 5000, "metric");
  ASSERT_TRUE(m);
  auto out = (*m)->Call("{}", {});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, "tls-ok");
  // Without the CA the server is not trusted.
  auto untrusted =
      HttpMethod::Create(Http(fmt::format("https://127.0.0.1:{}/metric", ts.port())), 5000, "m");
  ASSERT_TRUE(untrusted);
  auto refused = (*untrusted)->Call("{}", {});
  ASSERT_FALSE(refused);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cpa::engine
