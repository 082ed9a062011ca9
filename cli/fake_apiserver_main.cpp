// cpa-fake-apiserver: the in-memory Kubernetes API server (kube/fake) as a process, for the demo,
// for end-to-end tests that run the real `cpa` against it, and for users trying cpa without a
// cluster. It prints its URL, optionally writes a kubeconfig pointing at it, and serves until
// SIGTERM/SIGINT. Not a Kubernetes replacement: state lives in memory only.
#include <signal.h>

#include <fstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "kube/fake/fake_api_server.h"

int main(int argc, char** argv) {
  CLI::App app{
      "cpa-fake-apiserver: an in-memory Kubernetes API server over real HTTP(S) "
      "(discovery, CRUD, /scale, watch, metrics APIs), seeded from a file",
      "cpa-fake-apiserver"};
  cpa::kube::fake::FakeApiServerOptions options;
  std::string kubeconfig_out;
  std::string ready_file;
  bool no_controllers = false;
  app.add_option("--seed", options.seed_file,
                 "JSON/YAML list (or List) of objects to create at start")
      ->check(CLI::ExistingFile);
  app.add_option("--port", options.port, "Port on 127.0.0.1 (0: any free port)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--token", options.token, "Require this bearer token on every request");
  app.add_option("--tls-cert", options.tls_cert_file, "Serve HTTPS with this PEM certificate");
  app.add_option("--tls-key", options.tls_key_file, "PEM key of --tls-cert");
  app.add_option("--kubeconfig-out", kubeconfig_out,
                 "Write a kubeconfig for this server (and --token) to this file");
  app.add_option("--ready-file", ready_file,
                 "Write the server URL to this file once it is serving (for scripts)");
  app.add_flag("--no-controllers", no_controllers,
               "Do not simulate controllers (Deployment -> ReplicaSet -> Pods)");
  CLI11_PARSE(app, argc, argv);
  options.store.simulate_controllers = !no_controllers;

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  cpa::kube::fake::FakeApiServer server(options);
  if (auto s = server.Start(); !s) {
    fmt::print(stderr, "cpa-fake-apiserver: {}\n", s.error().message);
    return 1;
  }
  if (!kubeconfig_out.empty()) {
    std::ofstream out(kubeconfig_out);
    out << fmt::format(
        "apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake\n  "
        "cluster:\n    server: {}\n{}contexts:\n- name: fake\n  context:\n    cluster: fake\n    "
        "user: fake\n    namespace: default\nusers:\n- name: fake\n  user:\n    token: \"{}\"\n",
        server.url(), options.tls_cert_file.empty() ? "" : "    insecure-skip-tls-verify: true\n",
        options.token.empty() ? "unused" : options.token);
  }
  fmt::print("cpa-fake-apiserver serving {}\n", server.url());
  std::fflush(stdout);
  if (!ready_file.empty()) std::ofstream(ready_file) << server.url() << "\n";
  int received = 0;
  sigwait(&signals, &received);
  server.Stop();
  return 0;
}
