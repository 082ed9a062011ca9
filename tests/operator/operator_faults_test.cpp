// Fault injection for the operator (issue 14). Every API call a reconcile makes — the CR GET,
// the legacy-Pod LIST and DELETE, discovery, GET/POST/PUT of the ServiceAccount, Role and
// Deployment, GET/POST/DELETE of the RoleBinding (a changed roleRef is a replace), the status
// PATCH, the Event POST, and the paused target's scale GET/PATCH — answered with a 500, a 429
// with Retry-After, a 503 with an HTML body, a connection closed without a reply, a reply slower
// than the client's deadline, a truncated body, a 404 (reads), a 409 (writes) or a write whose
// reply is lost. For each: the reconcile fails with an error naming the object (or, for the
// Event, succeeds), the CR reports ReconcileError once, nothing the operator does not own is
// deleted, and once the fault clears the next reconciles converge to exactly what a clean
// reconcile produces. The Controller tests below add the informers (LIST/WATCH), the lease,
// backoff (no hot loop), and one log line per cause.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "common/log.h"
#include "operator/controller.h"
#include "operator/names.h"
#include "operator/reconciler.h"
#include "tests/operator/operator_test_util.h"
#include "tests/support/api_fault_kinds.h"

namespace cpa::op {
namespace {

using namespace std::chrono_literals;
using testing::ConditionOf;
using testing::CpaYaml;
using testing::Eventually;
using testing::FakeCluster;
using Fault = kube::fake::FakeApiServer::Fault;

constexpr auto kDeadline = 150ms;
constexpr auto kSlow = 400ms;

enum class Scenario {
  kCreate,   // a new CR: every child is created
  kUpdate,   // converged, then every child drifted and the CR's config changed
  kPaused,   // converged, then paused: the autoscaler scaled to 0, the target held at 3
  kUpgrade,  // a bare Pod of the original operator is replaced by the Deployment
};

enum class Call {
  kGetCr,
  kListPods,
  kDiscovery,
  kGetServiceAccount,
  kCreateServiceAccount,
  kUpdateServiceAccount,
  kGetRole,
  kCreateRole,
  kUpdateRole,
  kGetRoleBinding,
  kCreateRoleBinding,
  kDeleteRoleBinding,
  kGetDeployment,
  kCreateDeployment,
  kUpdateDeployment,
  kPatchStatus,
  kPostEvent,
  kGetTargetScale,
  kPatchTargetScale,
  kDeleteLegacyPod,
};

using FaultKind = testing_support::ApiFaultKind;
using testing_support::Name;

struct Case {
  Scenario scenario;
  Call call;
  FaultKind fault;
};

std::string_view Name(Scenario s) {
  switch (s) {
    case Scenario::kCreate:
      return "create";
    case Scenario::kUpdate:
      return "update";
    case Scenario::kPaused:
      return "paused";
    case Scenario::kUpgrade:
      return "upgrade";
  }
  return "";
}

struct CallInfo {
  std::string_view name;
  std::string method;
  std::string path;
  bool exact = true;
  std::string names;  // what the reconcile error must name
};

const std::string kNs = "/namespaces/default";
const std::string kCrPath = "/apis/custompodautoscaler.com/v1" + kNs + "/custompodautoscalers/one";

CallInfo InfoOf(Call c) {
  const std::string core = "/api/v1" + kNs;
  const std::string rbac = "/apis/rbac.authorization.k8s.io/v1" + kNs;
  const std::string apps = "/apis/apps/v1" + kNs;
  switch (c) {
    case Call::kGetCr:
      return {"get_cr", "GET", kCrPath, true, "CustomPodAutoscaler default/one"};
    case Call::kListPods:
      return {"list_pods", "GET", core + "/pods", true, "legacy pods"};
    case Call::kDiscovery:
      return {"discovery_rbac", "GET", "/apis/rbac.authorization.k8s.io/v1", true, "Role/one"};
    case Call::kGetServiceAccount:
      return {"get_serviceaccount", "GET", core + "/serviceaccounts/one", true,
              "ServiceAccount/one"};
    case Call::kCreateServiceAccount:
      return {"create_serviceaccount", "POST", core + "/serviceaccounts", true,
              "ServiceAccount/one"};
    case Call::kUpdateServiceAccount:
      return {"update_serviceaccount", "PUT", core + "/serviceaccounts/one", true,
              "ServiceAccount/one"};
    case Call::kGetRole:
      return {"get_role", "GET", rbac + "/roles/one", true, "Role/one"};
    case Call::kCreateRole:
      return {"create_role", "POST", rbac + "/roles", true, "Role/one"};
    case Call::kUpdateRole:
      return {"update_role", "PUT", rbac + "/roles/one", true, "Role/one"};
    case Call::kGetRoleBinding:
      return {"get_rolebinding", "GET", rbac + "/rolebindings/one", true, "RoleBinding/one"};
    case Call::kCreateRoleBinding:
      return {"create_rolebinding", "POST", rbac + "/rolebindings", true, "RoleBinding/one"};
    case Call::kDeleteRoleBinding:
      return {"delete_rolebinding", "DELETE", rbac + "/rolebindings/one", true, "RoleBinding/one"};
    case Call::kGetDeployment:
      return {"get_deployment", "GET", apps + "/deployments/one", true, "Deployment/one"};
    case Call::kCreateDeployment:
      return {"create_deployment", "POST", apps + "/deployments", true, "Deployment/one"};
    case Call::kUpdateDeployment:
      return {"update_deployment", "PUT", apps + "/deployments/one", true, "Deployment/one"};
    case Call::kPatchStatus:
      return {"patch_status", "PATCH", kCrPath + "/status", true, "status"};
    case Call::kPostEvent:
      return {"post_event", "POST", "/apis/events.k8s.io/v1" + kNs + "/events", true, ""};
    case Call::kGetTargetScale:
      return {"get_target_scale", "GET", apps + "/deployments/web/scale", true, "Deployment/web"};
    case Call::kPatchTargetScale:
      return {"patch_target_scale", "PATCH", apps + "/deployments/web/scale", true,
              "Deployment/web"};
    case Call::kDeleteLegacyPod:
      return {"delete_legacy_pod", "DELETE", core + "/pods/one", true, "Pod/one"};
  }
  return {};
}

std::string CaseName(const Case& c) {
  return fmt::format("{}_{}_{}", Name(c.scenario), InfoOf(c.call).name, Name(c.fault));
}
void PrintTo(const Case& c, std::ostream* os) { *os << CaseName(c); }

bool IsWrite(Call c) { return InfoOf(c).method != "GET"; }

std::vector<Case> AllCases() {
  const std::map<Scenario, std::vector<Call>> calls = {
      {Scenario::kCreate,
       {Call::kGetCr, Call::kListPods, Call::kDiscovery, Call::kGetServiceAccount,
        Call::kCreateServiceAccount, Call::kGetRole, Call::kCreateRole, Call::kGetRoleBinding,
        Call::kCreateRoleBinding, Call::kGetDeployment, Call::kCreateDeployment, Call::kPatchStatus,
        Call::kPostEvent}},
      {Scenario::kUpdate,
       {Call::kUpdateServiceAccount, Call::kUpdateRole, Call::kDeleteRoleBinding,
        Call::kCreateRoleBinding, Call::kUpdateDeployment, Call::kPatchStatus}},
      {Scenario::kPaused,
       {Call::kUpdateDeployment, Call::kGetTargetScale, Call::kPatchTargetScale}},
      {Scenario::kUpgrade, {Call::kDeleteLegacyPod}},
  };
  std::vector<Case> out;
  for (const auto& [scenario, list] : calls) {
    for (Call call : list) {
      std::vector<FaultKind> faults = {FaultKind::k500,   FaultKind::k429,  FaultKind::k503Html,
                                       FaultKind::kReset, FaultKind::kSlow, FaultKind::kTruncated};
      if (IsWrite(call)) {
        faults.push_back(FaultKind::k409);
        faults.push_back(FaultKind::kReplyLost);
      } else {
        faults.push_back(FaultKind::k404);
      }
      if (call == Call::kGetCr || call == Call::kGetDeployment || call == Call::kCreateDeployment) {
        faults.push_back(FaultKind::kTrickle);
      }
      for (FaultKind f : faults) out.push_back({scenario, call, f});
    }
  }
  return out;
}

Fault MakeFault(const Case& c) {
  const CallInfo info = InfoOf(c.call);
  Fault f;
  f.method = info.method;
  f.path = info.path;
  f.exact = info.exact;
  testing_support::SetFailure(f, c.fault, kSlow);
  const bool create = c.call == Call::kCreateServiceAccount || c.call == Call::kCreateRole ||
                      c.call == Call::kCreateRoleBinding || c.call == Call::kCreateDeployment ||
                      c.call == Call::kPostEvent;
  if (c.fault == FaultKind::k409 && create) {
    f.body =
        R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"object \"one\" already exists","reason":"AlreadyExists","code":409})";
  }
  return f;
}

// A cluster in the state a scenario starts from, the user's own objects beside it, and a
// reconciler whose client has a short deadline.
class OperatorHarness {
 public:
  explicit OperatorHarness(Scenario scenario) : cluster_(8) {
    auto& s = cluster_.server();
    // The user's objects: a ServiceAccount, and a Pod carrying the owned-by label but no owner.
    EXPECT_TRUE(s.CreateObject(std::string_view(
        R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"user-sa","namespace":"default"}})")));
    EXPECT_TRUE(s.CreateObject(std::string_view(fmt::format(
        R"({{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"user-pod","namespace":"default",
            "labels":{{"{}":"one"}}}},"spec":{{"containers":[{{"name":"c","image":"x"}}]}}}})",
        kOwnedByLabel))));
    cluster_.CreateCpa(CpaYaml("one"));
    kube::ConnectionConfig config;
    config.server = s.url();
    config.request_timeout = kDeadline;
    config.connect_timeout = kDeadline;
    client_ = std::move(*kube::Client::Create(config));
    reconciler_ =
        std::make_unique<Reconciler>(*client_, clock_, ReconcilerOptions{.identity = "faults"});
    Reconciler prep(cluster_.client(), clock_, {.identity = "faults"});
    switch (scenario) {
      case Scenario::kCreate:
        break;
      case Scenario::kUpdate: {
        Converge(prep);
        auto drift = [&](std::string_view api, std::string_view kind,
                         const std::function<void(JsonValue&, JsonAllocator&)>& edit) {
          EXPECT_TRUE(s.MutateObject(api, kind, "default", "one", edit));
        };
        drift("v1", "ServiceAccount",
              [](JsonValue& o, JsonAllocator&) { o["metadata"].RemoveMember("labels"); });
        drift("rbac.authorization.k8s.io/v1", "Role",
              [](JsonValue& o, JsonAllocator&) { o["rules"].SetArray(); });
        drift("rbac.authorization.k8s.io/v1", "RoleBinding",
              [](JsonValue& o, JsonAllocator&) { o["roleRef"]["name"].SetString("other"); });
        cluster_.EditCpa("one", [](JsonValue& cr, JsonAllocator&) {
          cr["spec"]["config"][0]["value"].SetString("30000");
        });
        break;
      }
      case Scenario::kPaused:
        Converge(prep);
        cluster_.EditCpa("one", [](JsonValue& cr, JsonAllocator& a) {
          JsonValue annotations(rapidjson::kObjectType);
          annotations.AddMember(JsonString(kPausedReplicasAnnotation, a), JsonValue("3"), a);
          cr["metadata"].AddMember("annotations", annotations, a);
        });
        break;
      case Scenario::kUpgrade: {
        JsonDocument cr = cluster_.Cpa("one");
        EXPECT_TRUE(s.CreateObject(std::string_view(fmt::format(
            R"({{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"one","namespace":"default",
            "labels":{{"{}":"one"}},
            "ownerReferences":[{{"apiVersion":"custompodautoscaler.com/v1","kind":"CustomPodAutoscaler",
            "name":"one","uid":"{}","controller":true}}]}},
            "spec":{{"containers":[{{"name":"autoscaler","image":"old"}}]}}}})",
            kOwnedByLabel, MetadataString(cr, "uid")))));
        break;
      }
    }
    user_uids_ = {{"ServiceAccount/user-sa", Uid("v1", "ServiceAccount", "user-sa")},
                  {"Pod/user-pod", Uid("v1", "Pod", "user-pod")},
                  {"Deployment/web", Uid("apps/v1", "Deployment", "web")}};
  }

  std::string Uid(std::string_view api, std::string_view kind, std::string_view name) {
    return MetadataString(cluster_.Get(api, kind, name), "uid");
  }

  // Reconciles until a pass writes nothing (at most 6 passes); false if it never settles.
  bool Converge(Reconciler& r) {
    for (int i = 0; i < 6; ++i) {
      const int64_t before = cluster_.Writes();
      auto result = r.Reconcile("default", "one");
      if (result && cluster_.Writes() == before) return true;
    }
    return false;
  }
  bool Converge() { return Converge(*reconciler_); }

  // What a reconcile is judged by: the managed children (identity, timestamps and status
  // stripped), the target's replicas, the CR's conditions and observedGeneration, which of the
  // legacy Pod and the user's objects exist.
  std::string State() {
    std::string out;
    for (auto [api, kind] : {std::pair{"v1", "ServiceAccount"},
                             {"rbac.authorization.k8s.io/v1", "Role"},
                             {"rbac.authorization.k8s.io/v1", "RoleBinding"},
                             {"apps/v1", "Deployment"}}) {
      auto got = cluster_.server().GetObject(api, kind, "default", "one");
      if (!got) {
        out += fmt::format("{}: missing\n", kind);
        continue;
      }
      JsonDocument& o = *got;
      JsonValue& meta = o["metadata"];
      for (const char* key :
           {"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"}) {
        meta.RemoveMember(key);
      }
      if (meta.HasMember("ownerReferences")) {
        for (auto& ref : meta["ownerReferences"].GetArray()) ref.RemoveMember("uid");
      }
      if (meta.HasMember("annotations")) {
        meta["annotations"].RemoveMember("deployment.kubernetes.io/revision");
      }
      o.RemoveMember("status");
      out += fmt::format("{}: {}\n", kind, ToJson(o));
    }
    JsonDocument cr = cluster_.Cpa("one");
    out += fmt::format("target replicas: {}\n",
                       cluster_.Get("apps/v1", "Deployment", "web")["spec"]["replicas"].GetInt());
    out +=
        fmt::format("observedGeneration: {} of {}\n", cr["status"]["observedGeneration"].GetInt64(),
                    cr["metadata"]["generation"].GetInt64());
    for (const char* type : {"Provisioned", "Paused"}) {
      auto c = ConditionOf(cr, type);
      out += fmt::format("{}: {} {} {}\n", type, c.status, c.reason, c.message);
    }
    out += fmt::format("legacy pod: {}\n", cluster_.Exists("v1", "Pod", "one"));
    return out;
  }

  // User objects still there with the same identity (never deleted, never replaced).
  std::string MissingUserObjects() {
    std::string out;
    for (const auto& [label, uid] : user_uids_) {
      auto slash = label.find('/');
      std::string kind = label.substr(0, slash), name = label.substr(slash + 1);
      std::string api = kind == "Deployment" ? "apps/v1" : "v1";
      if (Uid(api, kind, name) != uid) out += label + " ";
    }
    return out;
  }

  int ReconcileErrorEvents() {
    int n = 0;
    for (const auto& e : cluster_.server().ListObjects("events.k8s.io/v1", "Event", "default")) {
      if (StringMember(e, "reason") == "ReconcileError") ++n;
    }
    return n;
  }

  ManualClock clock_{FromUnixMillis(1'800'000'000'000)};
  FakeCluster cluster_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<Reconciler> reconciler_;
  std::map<std::string, std::string> user_uids_;
};

// The state a clean reconcile of each scenario converges to.
const std::string& Reference(Scenario scenario) {
  static std::map<Scenario, std::string> cache;
  auto it = cache.find(scenario);
  if (it == cache.end()) {
    OperatorHarness h(scenario);
    EXPECT_TRUE(h.Converge());
    it = cache.emplace(scenario, h.State()).first;
  }
  return it->second;
}

class OperatorFaults : public ::testing::TestWithParam<Case> {};

TEST_P(OperatorFaults, FailsNamingTheObjectDeletesNothingNotOwnedAndConvergesAfter) {
  const Case c = GetParam();
  const std::string& reference = Reference(c.scenario);
  OperatorHarness h(c.scenario);
  const CallInfo info = InfoOf(c.call);
  h.cluster_.server().InjectFault(MakeFault(c));
  const int64_t faults_before = h.cluster_.server().FaultsServed();
  const int64_t status_patches_before =
      h.cluster_.server().RequestCount("PATCH", kCrPath + "/status");
  const int attempts = c.fault == FaultKind::kSlow || c.fault == FaultKind::kTrickle ? 1 : 3;
  const int64_t writes_before = h.cluster_.Writes();
  int failed = 0;
  std::string errors;
  {
    log::LogCapture quiet;
    for (int i = 0; i < attempts; ++i) {
      auto r = h.reconciler_->Reconcile("default", "one");
      if (!r) {
        ++failed;
        errors += r.error().ToString() + "\n";
      }
    }
  }
  EXPECT_GT(h.cluster_.server().FaultsServed(), faults_before) << "the fault was never hit";

  // A write whose reply is lost (or cut short) took effect: the next reconcile finds it done.
  const bool write_landed =
      IsWrite(c.call) && (c.fault == FaultKind::kReplyLost || c.fault == FaultKind::kTruncated ||
                          c.fault == FaultKind::kTrickle);
  // A 404 is believed: a child that "does not exist" is created (then AlreadyExists, a conflict
  // retried quietly); a paused target that does not exist is waited for; a CR that does not
  // exist is deleted as far as the operator knows, so nothing is written.
  const bool believed_404 =
      c.fault == FaultKind::k404 && c.call != Call::kListPods && c.call != Call::kDiscovery;
  if (c.call == Call::kPostEvent) {
    EXPECT_EQ(failed, 0) << "an Event is best effort:\n" << errors;
  } else if (believed_404) {
    if (c.call == Call::kGetCr) {
      EXPECT_EQ(failed, 0) << errors;
      EXPECT_EQ(h.cluster_.Writes(), writes_before) << "wrote for a CR it could not read";
    }
    if (c.call == Call::kGetTargetScale) {
      EXPECT_EQ(failed, 0) << errors;
    }
  } else if (write_landed) {
    EXPECT_GE(failed, 1);
    EXPECT_NE(errors.find(info.names), std::string::npos)
        << "the error does not name " << info.names << ":\n"
        << errors;
  } else {
    EXPECT_EQ(failed, attempts) << "a reconcile succeeded through the fault";
    EXPECT_NE(errors.find(info.names), std::string::npos)
        << "the error does not name " << info.names << ":\n"
        << errors;
    // The CR reports it (unless its status cannot be written, or the error is a conflict,
    // which is retried quietly).
    if (c.call != Call::kPatchStatus && c.call != Call::kGetCr && c.fault != FaultKind::k409) {
      EXPECT_EQ(ConditionOf(h.cluster_.Cpa("one"), "Provisioned").reason, "ReconcileError")
          << errors;
    }
  }
  // A repeated failure records no further Event and does not rewrite the status each time.
  EXPECT_LE(h.ReconcileErrorEvents(), 1) << "one ReconcileError Event per distinct failure";
  EXPECT_LE(h.cluster_.server().RequestCount("PATCH", kCrPath + "/status") - status_patches_before,
            attempts + 1)
      << "status written again and again";
  EXPECT_EQ(h.MissingUserObjects(), "") << "deleted or replaced an object it does not own";
  const int64_t deletes = h.cluster_.server().RequestCount("DELETE", "/");
  const int64_t owned_deletes =
      h.cluster_.server().RequestCount(
          "DELETE", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/one") +
      h.cluster_.server().RequestCount("DELETE", "/api/v1/namespaces/default/pods/one");
  EXPECT_EQ(deletes, owned_deletes) << "a DELETE of something not owned";

  h.cluster_.server().ClearInjectedResponses();
  ASSERT_TRUE(h.Converge()) << "does not converge after the fault cleared";
  EXPECT_EQ(h.State(), reference);
  EXPECT_EQ(h.MissingUserObjects(), "");
}

INSTANTIATE_TEST_SUITE_P(Matrix, OperatorFaults, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return CaseName(info.param);
                         });

// ---- The Controller: informers, lease, backoff, logs
// ---------------------------------------------

class RunningController {
 public:
  RunningController(FakeCluster& cluster, Clock& clock, ControllerOptions options)
      : client_(cluster.NewClient()), controller_(*client_, std::move(options), clock) {
    thread_ = std::jthread([this](std::stop_token stop) {
      result_ = controller_.Run(stop);
      done_ = true;
    });
  }
  ~RunningController() { Stop(); }
  void Stop() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
  }
  Controller* operator->() { return &controller_; }
  bool done() const { return done_.load(); }
  const Status& result() const { return result_; }

 private:
  std::unique_ptr<kube::Client> client_;
  Controller controller_;
  Status result_;
  std::atomic<bool> done_{false};
  std::jthread thread_;
};

// The documented defaults (docs/operator.md): per-resource backoff 100 ms doubling to 5 min;
// informers 1 s doubling to 30 s.
ControllerOptions DocumentedOptions(bool leader_election = false) {
  ControllerOptions o;
  o.identity = "faults";
  o.reconciler.identity = "faults";
  o.leader_election = leader_election;
  o.lease_namespace = "default";
  return o;
}

// Attempts an exponential backoff allows within `window` after a first failure: the first one,
// then one at base, 3 base, 7 base, ... (2^k - 1) base.
int BackoffAttempts(Duration window, Duration base, Duration max) {
  int attempts = 1;
  Duration at{0};
  Duration delay = base;
  while (at + delay <= window) {
    at += delay;
    ++attempts;
    delay = std::min(delay * 2, max);
  }
  return attempts;
}

// Advances the manual clock by `total` in `step`s, giving the controller's threads real time to
// act between steps.
void Simulate(ManualClock& clock, Duration total, Duration step) {
  for (Duration done{0}; done < total; done += step) {
    clock.Advance(step);
    std::this_thread::sleep_for(3ms);
  }
}

int WarningsWith(const log::LogCapture& capture, std::string_view text) {
  int n = 0;
  for (const auto& line : capture.Lines()) {
    if (line.find(" WARN ") != std::string::npos && line.find(text) != std::string::npos) ++n;
  }
  return n;
}

TEST(OperatorControllerFaults, APersistentFaultIsRetriedWithBackoffNotAHotLoopAndLoggedOnce) {
  FakeCluster cluster(16);
  ManualClock clock(FromUnixMillis(1'800'000'000'000));
  const std::string deployments = "/apis/apps/v1/namespaces/default/deployments";
  Fault f;
  f.method = "POST";
  f.path = deployments;
  f.exact = true;
  f.status = 500;
  f.body =
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcd down","code":500})";
  f.times = -1;
  cluster.server().InjectFault(f);
  cluster.CreateCpa(CpaYaml("one"));
  log::LogCapture capture;
  ControllerOptions options = DocumentedOptions();
  RunningController c(cluster, clock, options);
  ASSERT_TRUE(Eventually([&] { return c->Stats().reconcile_errors >= 1; }));
  const int64_t posts_before = cluster.server().RequestCount("POST", deployments);
  const int64_t requests_before = cluster.server().RequestCount();
  const Duration window = 60s;
  Simulate(clock, window, 200ms);
  const int64_t posts = cluster.server().RequestCount("POST", deployments) - posts_before;
  const int64_t requests = cluster.server().RequestCount() - requests_before;
  // Bound: the backoff's attempts in the window, plus one immediate look for each child the
  // first attempt created (its informer event re-queues the CR): ServiceAccount, Role,
  // RoleBinding.
  const int bound = BackoffAttempts(window, options.backoff.base, options.backoff.max) + 3;
  EXPECT_LE(posts, bound) << "a hot loop: " << posts << " attempts in " << window.count() / 1e9
                          << " simulated s";
  EXPECT_GE(posts, 2) << "not retried";
  RecordProperty("attempts_in_60s", static_cast<int>(posts));
  RecordProperty("requests_in_60s", static_cast<int>(requests));
  EXPECT_TRUE(c->Stats().leader);
  EXPECT_FALSE(c.done()) << "the controller stopped";
  EXPECT_EQ(WarningsWith(capture, "reconcile default/one"), 1) << "one warning per cause";

  cluster.server().ClearInjectedResponses();
  ASSERT_TRUE(
      Eventually([&] { return ConditionOf(cluster.Cpa("one"), "Provisioned").status == "True"; },
                 &clock, 10s));
  EXPECT_TRUE(
      Eventually([&] { return capture.Contains("reconcile default/one succeeded after"); }));
}

TEST(OperatorControllerFaults, InformerListAndWatchFaultsAreRetriedAndSurvived) {
  FakeCluster cluster(16);
  ManualClock clock(FromUnixMillis(1'800'000'000'000));
  const std::string crs = "/apis/custompodautoscaler.com/v1/custompodautoscalers";
  Fault list;
  list.method = "GET";
  list.path = crs;
  list.exact = true;
  list.without_param = "watch";
  list.kind = Fault::Kind::kReset;
  list.times = -1;
  cluster.server().InjectFault(list);
  cluster.CreateCpa(CpaYaml("one"));
  log::LogCapture capture;
  ControllerOptions options = DocumentedOptions();
  RunningController c(cluster, clock, options);
  ASSERT_TRUE(Eventually([&] { return c->Stats().informer_errors >= 1; }));
  const int64_t lists_before = cluster.server().RequestCount("GET", crs);
  Simulate(clock, 60s, 500ms);
  // Reflector backoff: 1 s doubling to 30 s; a GET is repeated once by the client on a failed
  // pooled connection, hence up to 2 requests per attempt.
  const int64_t lists = cluster.server().RequestCount("GET", crs) - lists_before;
  EXPECT_LE(lists, 2 * BackoffAttempts(60s, options.informer_backoff, 30s));
  EXPECT_FALSE(c->Synced());
  EXPECT_FALSE(c.done()) << "a LIST fault ended the controller";
  EXPECT_FALSE(cluster.Exists("apps/v1", "Deployment", "one"));
  // One cause; a cut connection surfaces as a failed read or a failed write of the request,
  // whose messages differ: at most one warning for each.
  EXPECT_GE(WarningsWith(capture, "CustomPodAutoscaler informer"), 1);
  EXPECT_LE(WarningsWith(capture, "CustomPodAutoscaler informer"), 2);

  // The LIST recovers; the WATCH fails: what the LIST saw is provisioned, later changes wait.
  cluster.server().ClearInjectedResponses();
  Fault watch = list;
  watch.without_param.clear();
  watch.with_param = "watch";
  watch.kind = Fault::Kind::kStatus;
  watch.status = 503;
  watch.body = "<html>503</html>";
  watch.content_type = "text/html";
  cluster.server().InjectFault(watch);
  ASSERT_TRUE(
      Eventually([&] { return ConditionOf(cluster.Cpa("one"), "Provisioned").status == "True"; },
                 &clock, 500ms));
  cluster.CreateCpa(CpaYaml("two"));
  Simulate(clock, 5s, 500ms);
  EXPECT_FALSE(c.done());
  cluster.server().ClearInjectedResponses();
  ASSERT_TRUE(
      Eventually([&] { return ConditionOf(cluster.Cpa("two"), "Provisioned").status == "True"; },
                 &clock, 500ms));
  EXPECT_TRUE(capture.Contains("CustomPodAutoscaler informer: listing works again"));
}

TEST(OperatorControllerFaults, AStandbyThatCannotReachTheLeaseActsOnNothingThenLeads) {
  FakeCluster cluster(16);
  ManualClock clock(FromUnixMillis(1'800'000'000'000));
  const std::string lease = "/apis/coordination.k8s.io/v1/namespaces/default/leases";
  Fault f;
  f.path = lease;  // GET, POST and PUT of the Lease
  f.status = 429;
  f.body =
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":2},"code":429})";
  f.headers = {{"Retry-After", "2"}};
  f.times = -1;
  cluster.server().InjectFault(f);
  cluster.CreateCpa(CpaYaml("one"));
  log::LogCapture capture;
  ControllerOptions options = DocumentedOptions(/*leader_election=*/true);
  RunningController c(cluster, clock, options);
  ASSERT_TRUE(Eventually([&] { return c->Stats().lease_attempts >= 1; }));
  const int64_t before = cluster.server().RequestCount("*", lease);
  Simulate(clock, 20s, 500ms);
  const int64_t attempts = cluster.server().RequestCount("*", lease) - before;
  // One attempt (a GET, retried once on a failed pooled connection) per retry period.
  EXPECT_LE(attempts, 2 * (20s / options.retry_period + 1));
  EXPECT_FALSE(c->IsLeader());
  EXPECT_EQ(c->Stats().reconciles, 0);
  EXPECT_FALSE(cluster.Exists("apps/v1", "Deployment", "one"));
  EXPECT_EQ(WarningsWith(capture, "leader election"), 1);
  cluster.server().ClearInjectedResponses();
  ASSERT_TRUE(Eventually([&] { return c->IsLeader(); }, &clock, 500ms));
  ASSERT_TRUE(
      Eventually([&] { return ConditionOf(cluster.Cpa("one"), "Provisioned").status == "True"; }));
}

TEST(OperatorControllerFaults, ALeaderKeepsLeadingThroughShortRenewalFaultsAndStopsAfterLongOnes) {
  FakeCluster cluster(16);
  ManualClock clock(FromUnixMillis(1'800'000'000'000));
  const std::string lease = "/apis/coordination.k8s.io/v1/namespaces/default/leases";
  cluster.CreateCpa(CpaYaml("one"));
  log::LogCapture capture;
  ControllerOptions options = DocumentedOptions(/*leader_election=*/true);
  RunningController c(cluster, clock, options);
  ASSERT_TRUE(Eventually([&] { return c->IsLeader(); }));
  Fault f;
  f.path = lease;
  f.kind = Fault::Kind::kReset;
  f.times = -1;
  cluster.server().InjectFault(f);
  // Shorter than the lease (15 s): still the leader, one warning.
  Simulate(clock, options.lease_duration - 2 * options.retry_period, 500ms);
  EXPECT_TRUE(c->IsLeader());
  EXPECT_FALSE(c.done());
  EXPECT_GE(WarningsWith(capture, "cannot renew lease"), 1);
  EXPECT_LE(WarningsWith(capture, "cannot renew lease"), 2);  // a cut read or write
  cluster.server().ClearInjectedResponses();
  Simulate(clock, 2 * options.retry_period, 500ms);
  ASSERT_TRUE(Eventually([&] { return capture.Contains("lease renewed again"); }));
  EXPECT_TRUE(c->IsLeader());
  // Longer than the lease: leadership ends and Run() returns the error (the process exits and
  // is restarted), as documented.
  cluster.server().InjectFault(f);
  Simulate(clock, options.lease_duration + 2 * options.retry_period, 500ms);
  ASSERT_TRUE(Eventually([&] { return c.done(); }, &clock, 500ms));
  ASSERT_FALSE(c.result());
  EXPECT_NE(c.result().error().message.find("lost leadership"), std::string::npos);
}

}  // namespace
}  // namespace cpa::op
