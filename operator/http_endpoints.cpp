#include "operator/http_endpoints.h"

#include <httplib.h>

#include <fmt/format.h>

namespace cpa::op {
namespace {

void Metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            double value, std::string_view labels = {}) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  if (labels.empty()) {
    out += fmt::format("{} {}\n", name, value);
  } else {
    out += fmt::format("{}{{{}}} {}\n", name, labels, value);
  }
}

}  // namespace

std::string MetricsText(const ControllerStats& s) {
  std::string out;
  Metric(out, "cpa_operator_leader", "gauge", "1 while this replica holds the leader lease.",
         s.leader ? 1 : 0);
  Metric(out, "cpa_operator_informers_synced", "gauge",
         "1 once every informer has listed its resource.", s.synced ? 1 : 0);
  Metric(out, "cpa_operator_custompodautoscalers", "gauge",
         "CustomPodAutoscaler resources known to the informer.",
         static_cast<double>(s.custom_pod_autoscalers));
  Metric(out, "cpa_operator_queue_depth", "gauge", "Keys ready to be reconciled.",
         static_cast<double>(s.queue_depth));
  Metric(out, "cpa_operator_queue_waiting", "gauge", "Keys waiting for a backoff or requeue delay.",
         static_cast<double>(s.queue_waiting));
  Metric(out, "cpa_operator_queue_retries_total", "counter",
         "Keys re-queued with backoff after an error.", static_cast<double>(s.queue_retries));
  Metric(out, "cpa_operator_lease_attempts_total", "counter",
         "Attempts to acquire or renew the leader lease.", static_cast<double>(s.lease_attempts));
  Metric(out, "cpa_operator_informer_lists_total", "counter", "LIST calls made by the informers.",
         static_cast<double>(s.informer_lists));
  Metric(out, "cpa_operator_informer_errors_total", "counter", "Informer failures (retried).",
         static_cast<double>(s.informer_errors));
  Metric(out, "cpa_operator_reconciles_total", "counter", "Reconciles run.",
         static_cast<double>(s.reconciles));
  Metric(out, "cpa_operator_reconcile_errors_total", "counter",
         "Reconciles that failed (and were retried with backoff).",
         static_cast<double>(s.reconcile_errors));
  out +=
      "# HELP cpa_operator_writes_total API writes by the reconciler, by kind of write.\n"
      "# TYPE cpa_operator_writes_total counter\n";
  const std::pair<std::string_view, int64_t> writes[] = {
      {"create", s.creates},       {"update", s.updates}, {"delete", s.deletes},
      {"status", s.status_writes}, {"event", s.events},   {"scale", s.target_scales},
  };
  for (const auto& [op, n] : writes) {
    out += fmt::format("cpa_operator_writes_total{{op=\"{}\"}} {}\n", op, n);
  }
  return out;
}

HealthServer::HealthServer(std::function<ControllerStats()> stats) : stats_(std::move(stats)) {}

HealthServer::~HealthServer() { Stop(); }

Status HealthServer::Start(const std::string& host, int port) {
  server_ = std::make_unique<httplib::Server>();
  server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    bool synced = stats_().synced;
    res.status = synced ? 200 : 503;
    res.set_content(synced ? "ok\n" : "informers not synced\n", "text/plain");
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(MetricsText(stats_()), "text/plain; version=0.0.4");
  });
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
    if (port_ < 0) port_ = 0;
  } else if (server_->bind_to_port(host, port)) {
    port_ = port;
  }
  if (port_ <= 0) {
    server_.reset();
    return MakeErrorF(ErrorCode::kUnavailable, "operator: cannot listen on {}:{}", host, port);
  }
  thread_ = std::thread([s = server_.get()] { s->listen_after_bind(); });
  return OkStatus();
}

void HealthServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace cpa::op
