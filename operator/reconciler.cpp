#include "operator/reconciler.h"

#include <charconv>

#include "common/log.h"
#include "kube/lease.h"
#include "operator/names.h"

namespace cpa::op {
namespace {

struct Condition {
  std::string type, status, reason, message;
};

std::string Key(const std::string& ns, const std::string& name) { return ns + "/" + name; }

std::string_view ProvisionFlag(ChildKind kind) {
  switch (kind) {
    case ChildKind::kServiceAccount:
      return "provisionServiceAccount";
    case ChildKind::kRole:
      return "provisionRole";
    case ChildKind::kRoleBinding:
      return "provisionRoleBinding";
    case ChildKind::kPersistentVolumeClaim:
      return "storage.provision";
    case ChildKind::kDeployment:
      return "provisionPod";
  }
  return "";
}

int64_t IntAt(const JsonValue& object, std::string_view section, std::string_view key,
              int64_t fallback) {
  const JsonValue* s = FindMember(object, section);
  const JsonValue* v = s != nullptr ? FindMember(*s, key) : nullptr;
  return v != nullptr && v->IsInt64() ? v->GetInt64() : fallback;
}

std::string Annotation(const JsonValue& object, std::string_view key) {
  const JsonValue* meta = FindMember(object, "metadata");
  const JsonValue* annotations = meta != nullptr ? FindMember(*meta, "annotations") : nullptr;
  return annotations != nullptr ? StringMember(*annotations, key) : "";
}

// scaleTargetRef.apiVersion may be omitted for the built-in workload kinds.
kube::ObjectRef TargetRef(const kube::ObjectRef& ref) {
  kube::ObjectRef out = ref;
  if (out.api_version.empty()) {
    out.api_version = out.kind == "ReplicationController" ? "v1" : "apps/v1";
  }
  return out;
}

}  // namespace

struct Reconciler::Context {
  std::string ns, name;
  CpaSpec cpa;
  std::string cr_uid;
  int64_t generation = 0;
  ReconcileResult result;
  std::string invalid;                // the spec's error (terminal)
  std::string error;                  // an API failure of this reconcile
  std::vector<std::string> waiting;   // messages
  std::vector<std::string> blocked;   // messages
  std::vector<std::string> children;  // "Deployment/web" for the Provisioned message
  std::optional<JsonDocument> deployment;
  std::string paused_message;
};

Reconciler::Reconciler(kube::Client& client, Clock& clock, ReconcilerOptions options)
    : client_(client), clock_(clock), options_(std::move(options)) {}

void Reconciler::Event(const Context& ctx, std::string_view type, std::string_view reason,
                       std::string_view action, std::string_view note) {
  if (!options_.record_events) return;
  kube::ObjectRef regarding{std::string(kCpaApiVersion), std::string(kCpaKind), ctx.name};
  auto recorded = client_.RecordEvent(ctx.ns, regarding, ctx.cr_uid, type, reason, action, note,
                                      kReportingController, options_.identity,
                                      kube::FormatMicroTime(clock_.Now()));
  if (!recorded) {
    log::Warning("operator: cannot record event {} for {}/{}: {}", reason, ctx.ns, ctx.name,
                 recorded.error().message);
    return;
  }
  counters_.events.fetch_add(1);
}

bool Reconciler::NewReconcileError(const std::string& key, const std::string& message) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = last_error_.try_emplace(key, message);
  if (inserted) return true;
  if (it->second == message) return false;
  it->second = message;
  return true;
}

void Reconciler::ForgetReconcileError(const std::string& key) {
  std::lock_guard lock(mu_);
  last_error_.erase(key);
}

Result<ReconcileResult> Reconciler::Reconcile(const std::string& ns, const std::string& name) {
  counters_.reconciles.fetch_add(1);
  auto cr = client_.Get(kCpaApiVersion, kCpaKind, ns, name);
  if (!cr) {
    if (cr.error().code == ErrorCode::kNotFound) {  // children are GC'd
      ForgetReconcileError(Key(ns, name));
      return ReconcileResult{};
    }
    counters_.errors.fetch_add(1);
    return std::unexpected(cr.error().WithContext(fmt::format("get {} {}/{}", kCpaKind, ns, name)));
  }
  const JsonValue* meta = FindMember(*cr, "metadata");
  if (meta != nullptr && FindMember(*meta, "deletionTimestamp") != nullptr)
    return ReconcileResult{};

  Context ctx;
  ctx.ns = ns;
  ctx.name = name;
  ctx.cr_uid = MetadataString(*cr, "uid");
  if (meta != nullptr) {
    if (const JsonValue* g = FindMember(*meta, "generation"); g != nullptr && g->IsInt64()) {
      ctx.generation = g->GetInt64();
    }
  }
  auto parsed = ParseCpa(*cr);
  if (!parsed) {
    ctx.invalid = parsed.error().message;
    ctx.result.outcome = ReconcileResult::Outcome::kTerminal;
    if (auto written = WriteStatus(ctx, *cr); !written) {
      counters_.errors.fetch_add(1);
      return std::unexpected(written.error());
    }
    ForgetReconcileError(Key(ns, name));
    return std::move(ctx.result);
  }
  ctx.cpa = std::move(*parsed);

  bool status_failed = false;
  auto fail = [&](const Error& error) -> Result<ReconcileResult> {
    counters_.errors.fetch_add(1);
    if (error.code != ErrorCode::kConflict && error.code != ErrorCode::kAlreadyExists) {
      // Report it (best effort: the API may be failing for these writes too). A retry that
      // fails the same way records no further Event, and a failed status write is not tried
      // again at once.
      ctx.error = error.message;
      if (NewReconcileError(Key(ns, name), error.message)) {
        Event(ctx, "Warning", "ReconcileError", "Reconcile", error.message);
      }
      if (!status_failed) (void)WriteStatus(ctx, *cr);
    }
    return std::unexpected(error);
  };

  if (auto cleaned = DeleteLegacyPods(ctx); !cleaned) return fail(cleaned.error());

  const struct {
    ChildKind kind;
    bool provision;
  } children[] = {
      {ChildKind::kServiceAccount, ctx.cpa.provision_service_account},
      {ChildKind::kRole, ctx.cpa.provision_role},
      {ChildKind::kRoleBinding, ctx.cpa.provision_role_binding},
      {ChildKind::kPersistentVolumeClaim, ctx.cpa.storage && ctx.cpa.storage->provision},
      {ChildKind::kDeployment, ctx.cpa.provision_pod},
  };
  for (const auto& child : children) {
    if (child.kind == ChildKind::kPersistentVolumeClaim && !ctx.cpa.storage) continue;
    auto state = EnsureChild(ctx, child.kind, child.provision);
    if (!state) return fail(state.error());
  }
  if (ctx.deployment && !ctx.cpa.provision_pod) {
    if (auto paused = EnsureDeploymentPaused(ctx, true); !paused) return fail(paused.error());
  }
  if (ctx.cpa.paused_replicas) {
    if (auto held = HoldTarget(ctx); !held) return fail(held.error());
  }
  if (auto written = WriteStatus(ctx, *cr); !written) {
    status_failed = true;
    return fail(written.error());
  }
  ForgetReconcileError(Key(ns, name));
  if (!ctx.waiting.empty() || !ctx.blocked.empty() || ctx.cpa.paused_replicas) {
    ctx.result.outcome = ReconcileResult::Outcome::kRequeue;
    ctx.result.requeue_after = options_.wait_requeue;
  }
  return std::move(ctx.result);
}

Result<Reconciler::ChildState> Reconciler::EnsureChild(Context& ctx, ChildKind kind,
                                                       bool provision) {
  auto desired = Desired(kind, ctx.cpa);
  if (!desired) return ChildState::kReady;
  const ChildType type = TypeOf(kind);
  const std::string label = fmt::format("{}/{}", type.kind, ctx.name);
  auto actual = client_.Get(type.api_version, type.kind, ctx.ns, ctx.name);
  if (!actual) {
    if (actual.error().code != ErrorCode::kNotFound) {
      return std::unexpected(actual.error().WithContext("get " + label));
    }
    if (!provision) {
      ctx.waiting.push_back(fmt::format(
          "{} does not exist and {} is false: waiting for it to be created (it is then adopted)",
          label, ProvisionFlag(kind)));
      return ChildState::kWaiting;
    }
    auto created = client_.Create(ctx.ns, *desired);
    if (!created) return std::unexpected(created.error().WithContext("create " + label));
    counters_.creates.fetch_add(1);
    ctx.result.actions.push_back("created " + label);
    Event(ctx, "Normal", "Created", "Create", fmt::format("created {}", label));
    ctx.children.push_back(label);
    if (kind == ChildKind::kDeployment) ctx.deployment = std::move(*created);
    return ChildState::kReady;
  }
  auto owner = ControllerOf(*actual);
  if (owner && owner->uid != ctx.cpa.uid) {
    ctx.blocked.push_back(fmt::format("{} is controlled by {} {} (uid {}); not taking it over",
                                      label, owner->kind, owner->name, owner->uid));
    return ChildState::kBlocked;
  }
  if (kind == ChildKind::kRoleBinding && provision && RoleRefChanged(*actual, *desired)) {
    // roleRef is immutable: replace the binding.
    auto deleted = client_.Delete(type.api_version, type.kind, ctx.ns, ctx.name);
    if (!deleted && deleted.error().code != ErrorCode::kNotFound) {
      return std::unexpected(deleted.error().WithContext("delete " + label));
    }
    counters_.deletes.fetch_add(1);
    auto created = client_.Create(ctx.ns, *desired);
    if (!created) return std::unexpected(created.error().WithContext("create " + label));
    counters_.creates.fetch_add(1);
    ctx.result.actions.push_back("replaced " + label);
    Event(ctx, "Normal", "Replaced", "Update",
          fmt::format("replaced {} (its roleRef changed)", label));
    ctx.children.push_back(label);
    return ChildState::kReady;
  }
  auto merged = MergeOwned(kind, *actual, *desired,
                           provision ? MergeMode::kProvisioned : MergeMode::kAdopted);
  if (merged) {
    auto updated = client_.Update(ctx.ns, *merged);
    if (!updated) return std::unexpected(updated.error().WithContext("update " + label));
    counters_.updates.fetch_add(1);
    const bool adopted = !owner;
    ctx.result.actions.push_back((adopted ? "adopted " : "updated ") + label);
    Event(ctx, "Normal", adopted ? "Adopted" : "Updated", adopted ? "Adopt" : "Update",
          fmt::format("{} {}", adopted ? "adopted" : "updated", label));
    actual = std::move(updated);
  }
  ctx.children.push_back(label);
  if (kind == ChildKind::kDeployment) ctx.deployment = std::move(*actual);
  return ChildState::kReady;
}

Status Reconciler::EnsureDeploymentPaused(Context& ctx, bool adopted) {
  if (!adopted || !ctx.deployment) return OkStatus();
  const JsonValue& dep = *ctx.deployment;
  const int64_t replicas = IntAt(dep, "spec", "replicas", 1);
  const std::string before = Annotation(dep, kReplicasBeforePauseAnnotation);
  JsonDocument next;
  next.CopyFrom(dep, next.GetAllocator());
  auto& a = next.GetAllocator();
  JsonValue& meta = next["metadata"];
  if (!meta.HasMember("annotations") || !meta["annotations"].IsObject()) {
    meta.RemoveMember("annotations");
    meta.AddMember("annotations", JsonValue(rapidjson::kObjectType), a);
  }
  JsonValue& annotations = meta["annotations"];
  const JsonValue key(kReplicasBeforePauseAnnotation.data(),
                      static_cast<rapidjson::SizeType>(kReplicasBeforePauseAnnotation.size()));
  if (ctx.cpa.paused_replicas) {
    if (replicas == 0 && !before.empty()) return OkStatus();
    if (before.empty()) {
      annotations.AddMember(JsonString(kReplicasBeforePauseAnnotation, a),
                            JsonString(std::to_string(replicas), a), a);
    }
    next["spec"]["replicas"] = 0;
  } else {
    if (before.empty()) return OkStatus();
    int64_t restore = 1;
    std::from_chars(before.data(), before.data() + before.size(), restore);
    annotations.RemoveMember(key);
    next["spec"]["replicas"] = restore;
  }
  const std::string label = fmt::format("Deployment/{}", ctx.name);
  auto updated = client_.Update(ctx.ns, next);
  if (!updated) return std::unexpected(updated.error().WithContext("update " + label));
  counters_.updates.fetch_add(1);
  ctx.result.actions.push_back("updated " + label);
  ctx.deployment = std::move(*updated);
  return OkStatus();
}

Status Reconciler::HoldTarget(Context& ctx) {
  const int32_t want = *ctx.cpa.paused_replicas;
  const kube::ObjectRef target = TargetRef(ctx.cpa.scale_target);
  const std::string label = fmt::format("{}/{}", target.kind, target.name);
  auto scale = client_.GetScale(target, ctx.ns);
  if (!scale) {
    if (scale.error().code == ErrorCode::kNotFound) {
      ctx.paused_message = fmt::format(
          "autoscaling paused; target {} not found, will hold it at {} replicas", label, want);
      return OkStatus();
    }
    return std::unexpected(scale.error().WithContext("get scale of " + label));
  }
  ctx.paused_message =
      fmt::format("autoscaling paused; target {} held at {} replicas", label, want);
  if (scale->replicas == want) return OkStatus();
  auto patched = client_.PatchScaleReplicas(target, ctx.ns, want);
  if (!patched) return std::unexpected(patched.error().WithContext("scale " + label));
  counters_.target_scales.fetch_add(1);
  ctx.result.actions.push_back(fmt::format("scaled {} to {}", label, want));
  Event(ctx, "Normal", "TargetHeld", "Scale",
        fmt::format("paused: scaled {} from {} to {} replicas", label, scale->replicas, want));
  return OkStatus();
}

Status Reconciler::DeleteLegacyPods(Context& ctx) {
  // The original operator ran the autoscaler as a bare Pod controlled by the CR; after an
  // upgrade the Deployment replaces it. Looked for once per CR per process.
  {
    std::lock_guard lock(mu_);
    if (legacy_checked_.count(Key(ctx.ns, ctx.name)) != 0) return OkStatus();
  }
  kube::ListOptions options;
  options.label_selector = fmt::format("{}={}", kOwnedByLabel, ctx.name);
  auto pods = client_.List("v1", "Pod", ctx.ns, options);
  if (!pods) return std::unexpected(pods.error().WithContext("list legacy pods"));
  if (const JsonValue* items = FindMember(*pods, "items"); items != nullptr && items->IsArray()) {
    for (const auto& pod : items->GetArray()) {
      auto owner = ControllerOf(pod);
      if (!owner || owner->kind != kCpaKind || owner->uid != ctx.cpa.uid) continue;
      std::string pod_name = MetadataString(pod, "name");
      auto deleted = client_.Delete("v1", "Pod", ctx.ns, pod_name);
      if (!deleted && deleted.error().code != ErrorCode::kNotFound) {
        return std::unexpected(deleted.error().WithContext("delete legacy Pod/" + pod_name));
      }
      counters_.deletes.fetch_add(1);
      ctx.result.actions.push_back("deleted Pod/" + pod_name);
      Event(ctx, "Normal", "Upgraded", "Delete",
            fmt::format("deleted Pod/{} of the original operator; a Deployment replaces it",
                        pod_name));
    }
  }
  std::lock_guard lock(mu_);
  legacy_checked_.insert(Key(ctx.ns, ctx.name));
  return OkStatus();
}

Status Reconciler::WriteStatus(Context& ctx, const JsonValue& cr) {
  const bool paused = !ctx.invalid.empty() ? false : ctx.cpa.paused_replicas.has_value();
  Condition provisioned{"Provisioned", "True", "Provisioned", ""};
  if (!ctx.invalid.empty()) {
    provisioned = {"Provisioned", "False", "InvalidSpec", ctx.invalid};
  } else if (!ctx.error.empty()) {
    provisioned = {"Provisioned", "False", "ReconcileError", ctx.error};
  } else if (!ctx.blocked.empty()) {
    provisioned = {"Provisioned", "False", "OwnedByAnother",
                   fmt::format("{}", fmt::join(ctx.blocked, "; "))};
  } else if (!ctx.waiting.empty()) {
    provisioned = {"Provisioned", "False", "Waiting",
                   fmt::format("{}", fmt::join(ctx.waiting, "; "))};
  } else {
    provisioned.message = fmt::format("up to date: {}", fmt::join(ctx.children, ", "));
  }
  Condition paused_cond{"Paused", "False", "NotPaused", "autoscaling is active"};
  if (paused) {
    paused_cond = {"Paused", "True", "PausedByAnnotation",
                   ctx.paused_message.empty()
                       ? fmt::format("autoscaling paused; target held at {} replicas",
                                     *ctx.cpa.paused_replicas)
                       : ctx.paused_message};
  }
  Condition ready{"Ready", "False", "", ""};
  if (provisioned.status != "True") {
    ready.reason = provisioned.reason == "InvalidSpec" ? "InvalidSpec" : "NotProvisioned";
    ready.message = provisioned.message;
  } else if (paused) {
    ready.reason = "Paused";
    ready.message = paused_cond.message;
  } else {
    int64_t available =
        ctx.deployment ? IntAt(*ctx.deployment, "status", "availableReplicas", 0) : 0;
    if (available > 0) {
      ready = {"Ready", "True", "AutoscalerAvailable",
               fmt::format("the autoscaler Deployment {} is available", ctx.name)};
    } else {
      ready.reason = "AutoscalerUnavailable";
      ready.message = fmt::format(
          "waiting for the autoscaler Deployment {} to have an available pod", ctx.name);
    }
  }

  const JsonValue* status = FindMember(cr, "status");
  const JsonValue* existing = status != nullptr ? FindMember(*status, "conditions") : nullptr;
  const int64_t observed = status != nullptr ? IntAt(cr, "status", "observedGeneration", -1) : -1;
  auto find_existing = [&](std::string_view type) -> const JsonValue* {
    if (existing == nullptr || !existing->IsArray()) return nullptr;
    for (const auto& c : existing->GetArray()) {
      if (StringMember(c, "type") == type) return &c;
    }
    return nullptr;
  };

  JsonDocument patch(rapidjson::kObjectType);
  auto& a = patch.GetAllocator();
  JsonValue conditions(rapidjson::kArrayType);
  bool changed = observed != ctx.generation;
  const std::string now = FormatRfc3339(clock_.Now());
  std::vector<std::pair<Condition, std::string>> transitions;  // condition, previous status
  for (const Condition* c : {&ready, &provisioned, &paused_cond}) {
    const JsonValue* old = find_existing(c->type);
    std::string old_status = old != nullptr ? StringMember(*old, "status") : "";
    std::string old_reason = old != nullptr ? StringMember(*old, "reason") : "";
    std::string since = old != nullptr ? StringMember(*old, "lastTransitionTime") : "";
    if (old == nullptr || old_status != c->status) {
      since = now;
      changed = true;
      transitions.emplace_back(*c, old_status);
    } else if (old_reason != c->reason || StringMember(*old, "message") != c->message ||
               since.empty()) {
      changed = true;
      if (since.empty()) since = now;
      if (old_reason != c->reason) transitions.emplace_back(*c, old_status);
    }
    JsonValue cond(rapidjson::kObjectType);
    cond.AddMember("type", JsonString(c->type, a), a);
    cond.AddMember("status", JsonString(c->status, a), a);
    cond.AddMember("reason", JsonString(c->reason, a), a);
    cond.AddMember("message", JsonString(c->message, a), a);
    cond.AddMember("lastTransitionTime", JsonString(since, a), a);
    conditions.PushBack(cond, a);
  }
  if (!changed) return OkStatus();
  // Conditions of other types (another writer's) are kept as they are.
  if (existing != nullptr && existing->IsArray()) {
    for (const auto& c : existing->GetArray()) {
      std::string type = StringMember(c, "type");
      if (type != "Ready" && type != "Provisioned" && type != "Paused") {
        conditions.PushBack(JsonValue(c, a), a);
      }
    }
  }
  JsonValue body(rapidjson::kObjectType);
  body.AddMember("observedGeneration", ctx.generation, a);
  body.AddMember("conditions", conditions, a);
  patch.AddMember("status", body, a);
  auto written = client_.Patch(kCpaApiVersion, kCpaKind, ctx.ns, ctx.name, kube::PatchType::kMerge,
                               ToJson(patch), "status");
  if (!written) return std::unexpected(written.error().WithContext("update status"));
  counters_.status_writes.fetch_add(1);
  for (const auto& [c, previous] : transitions) {
    if (c.type == "Provisioned" && c.reason == "InvalidSpec") {
      Event(ctx, "Warning", "InvalidSpec", "Validate", c.message);
    } else if (c.type == "Paused" && c.status == "True") {
      Event(ctx, "Normal", "Paused", "Pause", c.message);
    } else if (c.type == "Paused" && c.status == "False" && previous == "True") {
      Event(ctx, "Normal", "Resumed", "Resume", "autoscaling resumed");
    } else if (c.type == "Provisioned" && c.reason == "Waiting") {
      Event(ctx, "Normal", "Waiting", "Adopt", c.message);
    } else if (c.type == "Provisioned" && c.reason == "OwnedByAnother") {
      Event(ctx, "Warning", "OwnedByAnother", "Adopt", c.message);
    }
  }
  return OkStatus();
}

}  // namespace cpa::op
