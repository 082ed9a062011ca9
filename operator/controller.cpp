#include "operator/controller.h"

#include <map>
#include <thread>
#include <vector>

#include "common/log.h"
#include "kube/lease.h"
#include "kube/reflector.h"
#include "operator/desired.h"
#include "operator/names.h"

namespace cpa::op {
namespace {

std::string KeyOf(const JsonValue& object) {
  return MetadataString(object, "namespace") + "/" + MetadataString(object, "name");
}

// What a reconcile of a CR depends on besides its children: identity, spec (generation), the
// pause annotation and deletion.
std::string Fingerprint(const JsonValue& cr) {
  const JsonValue* meta = FindMember(cr, "metadata");
  const JsonValue* generation = meta != nullptr ? FindMember(*meta, "generation") : nullptr;
  const JsonValue* annotations = meta != nullptr ? FindMember(*meta, "annotations") : nullptr;
  const JsonValue* paused =
      annotations != nullptr ? FindMember(*annotations, kPausedReplicasAnnotation) : nullptr;
  return fmt::format(
      "{}|{}|{}|{}", MetadataString(cr, "uid"), generation != nullptr ? ToJson(*generation) : "",
      paused != nullptr ? ToJson(*paused) : "", MetadataString(cr, "deletionTimestamp"));
}

}  // namespace

struct Controller::Informer {
  std::string kind;
  std::unique_ptr<kube::Reflector> reflector;
  std::atomic<bool> synced{false};
  std::atomic<int64_t> lists{
      0};  // on_replace calls: one per LIST (Reflector::lists() is not atomic)
  std::jthread thread;
};

Controller::Controller(kube::Client& client, ControllerOptions options, Clock& clock)
    : client_(client),
      options_(std::move(options)),
      clock_(clock),
      queue_(clock, options_.backoff),
      reconciler_(client, clock, options_.reconciler) {}

Controller::~Controller() {
  for (auto& informer : informers_) {
    if (informer->thread.joinable()) informer->thread.join();
  }
}

bool Controller::Synced() const {
  std::lock_guard lock(mu_);
  if (informers_.empty()) return false;
  for (const auto& informer : informers_) {
    if (!informer->synced.load()) return false;
  }
  return true;
}

ControllerStats Controller::Stats() const {
  ControllerStats s;
  s.leader = leader_.load();
  s.synced = Synced();
  {
    std::lock_guard lock(mu_);
    s.custom_pod_autoscalers = known_.size();
    for (const auto& informer : informers_) s.informer_lists += informer->lists.load();
  }
  s.queue_depth = queue_.Len();
  s.queue_waiting = queue_.WaitingLen();
  s.queue_retries = queue_.Retries();
  s.lease_attempts = lease_attempts_.load();
  s.informer_errors = informer_errors_.load();
  const auto& c = reconciler_.counters();
  s.reconciles = c.reconciles.load();
  s.reconcile_errors = c.errors.load();
  s.creates = c.creates.load();
  s.updates = c.updates.load();
  s.deletes = c.deletes.load();
  s.status_writes = c.status_writes.load();
  s.events = c.events.load();
  s.target_scales = c.target_scales.load();
  return s;
}

void Controller::EnqueueOwner(const JsonValue& object) {
  auto owner = ControllerOf(object);
  if (!owner || owner->kind != kCpaKind) return;
  queue_.Add(MetadataString(object, "namespace") + "/" + owner->name);
}

void Controller::EnqueueAll() {
  std::vector<std::string> keys;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, fingerprint] : known_) keys.push_back(key);
  }
  for (const auto& key : keys) queue_.Add(key);
}

void Controller::StartInformers(std::stop_token stop) {
  struct Kind {
    std::string api_version, kind;
    bool custom;
  };
  const Kind kinds[] = {
      {std::string(kCpaApiVersion), std::string(kCpaKind), true},
      {"v1", "ServiceAccount", false},
      {"rbac.authorization.k8s.io/v1", "Role", false},
      {"rbac.authorization.k8s.io/v1", "RoleBinding", false},
      {"v1", "PersistentVolumeClaim", false},
      {"apps/v1", "Deployment", false},
  };
  std::lock_guard lock(mu_);
  informers_.clear();
  for (const auto& k : kinds) {
    auto informer = std::make_unique<Informer>();
    Informer* self = informer.get();
    informer->kind = k.kind;
    kube::ReflectorOptions ro;
    ro.api_version = k.api_version;
    ro.kind = k.kind;
    ro.ns = options_.watch_namespace;
    if (!k.custom) ro.label_selector = std::string(kOwnedByLabel);
    ro.initial_backoff = options_.informer_backoff;
    kube::Reflector::Handler h;
    if (k.custom) {
      h.on_replace = [this, self](std::vector<JsonDocument>&& items, const std::string&) {
        if (ClearLogged("informer " + self->kind)) {
          log::Info("operator: {} informer: listing works again", self->kind);
        }
        std::map<std::string, std::string> known;
        for (const auto& item : items) known.emplace(KeyOf(item), Fingerprint(item));
        {
          std::lock_guard lock(mu_);
          known_ = known;
        }
        self->lists.fetch_add(1);
        self->synced.store(true);
        for (const auto& [key, fingerprint] : known) queue_.Add(key);
      };
      h.on_event = [this](kube::WatchEvent&& event) {
        std::string key = KeyOf(event.object);
        {
          std::lock_guard lock(mu_);
          if (event.type == kube::WatchEventType::kDeleted) {
            known_.erase(key);
          } else {
            std::string fingerprint = Fingerprint(event.object);
            auto it = known_.find(key);
            // A change of status or of metadata the reconcile does not read (the operator's
            // own status writes, mostly) needs no reconcile.
            if (event.type == kube::WatchEventType::kModified && it != known_.end() &&
                it->second == fingerprint) {
              return;
            }
            known_[key] = std::move(fingerprint);
          }
        }
        queue_.Add(key);
      };
    } else {
      h.on_replace = [this, self](std::vector<JsonDocument>&& items, const std::string&) {
        if (ClearLogged("informer " + self->kind)) {
          log::Info("operator: {} informer: listing works again", self->kind);
        }
        self->lists.fetch_add(1);
        self->synced.store(true);
        for (const auto& item : items) EnqueueOwner(item);
      };
      h.on_event = [this](kube::WatchEvent&& event) { EnqueueOwner(event.object); };
    }
    h.on_error = [this, self](const Error& error) {
      informer_errors_.fetch_add(1);
      if (error.code == ErrorCode::kGone) {  // an expired watch: re-listed at once, routine
        log::V(1, "operator: {} informer: {} (listing again)", self->kind, error.message);
      } else if (FirstLog("informer " + self->kind, error.message)) {
        log::Warning("operator: {} informer: {} (retrying with backoff)", self->kind,
                     error.message);
      } else {
        log::V(1, "operator: {} informer: {} (retrying with backoff)", self->kind, error.message);
      }
    };
    informer->reflector = std::make_unique<kube::Reflector>(client_, ro, std::move(h), clock_);
    informers_.push_back(std::move(informer));
  }
  for (auto& informer : informers_) {
    Informer* self = informer.get();
    self->thread = std::jthread([this, self, stop] {
      auto ran = self->reflector->Run(stop);
      if (!ran) {
        std::lock_guard lock(mu_);
        terminal_error_ = fmt::format("{} informer: {}", self->kind, ran.error().message);
      }
    });
  }
}

bool Controller::FirstLog(const std::string& key, const std::string& message) {
  std::lock_guard lock(log_mu_);
  auto [it, inserted] = logged_.try_emplace(key, message);
  if (inserted) return true;
  if (it->second == message) return false;
  it->second = message;
  return true;
}

bool Controller::ClearLogged(const std::string& key) {
  std::lock_guard lock(log_mu_);
  return logged_.erase(key) > 0;
}

Result<bool> Controller::TryLead() {
  lease_attempts_.fetch_add(1);
  auto state =
      kube::TryAcquireOrRenewLease(client_, options_.lease_namespace, options_.lease_name,
                                   options_.identity, options_.lease_duration, clock_.Now());
  if (!state) return std::unexpected(state.error());
  return state->leader;
}

void Controller::ReleaseLease() {
  // A leader that stops cleanly hands the lease over at once (an empty holder is free to take)
  // instead of making the standby wait for it to expire.
  auto lease =
      client_.Get("coordination.k8s.io/v1", "Lease", options_.lease_namespace, options_.lease_name);
  if (!lease) return;
  JsonValue* spec = lease->HasMember("spec") ? &(*lease)["spec"] : nullptr;
  if (spec == nullptr || StringMember(*spec, "holderIdentity") != options_.identity) return;
  (*spec)["holderIdentity"].SetString("");
  if (auto released = client_.Update(options_.lease_namespace, *lease); !released) {
    log::Warning("operator: cannot release lease {}/{}: {}", options_.lease_namespace,
                 options_.lease_name, released.error().message);
    return;
  }
  log::Info("operator: released lease {}/{}", options_.lease_namespace, options_.lease_name);
}

void Controller::Worker(std::stop_token stop) {
  while (auto key = queue_.Get(stop)) {
    size_t slash = key->find('/');
    std::string ns = key->substr(0, slash);
    std::string name = slash == std::string::npos ? "" : key->substr(slash + 1);
    auto result = reconciler_.Reconcile(ns, name);
    if (!result) {
      const std::string message = result.error().ToString();
      const auto retry_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(queue_.NextBackoff(*key)).count();
      if (FirstLog("reconcile " + *key, message)) {
        log::Warning("operator: reconcile {}: {} (retrying with backoff; next in {} ms)", *key,
                     message, retry_ms);
      } else {
        log::V(1, "operator: reconcile {}: {} (retry {} in {} ms)", *key, message,
               queue_.Failures(*key) + 1, retry_ms);
      }
      queue_.AddRateLimited(*key);
    } else {
      if (ClearLogged("reconcile " + *key)) {
        log::Info("operator: reconcile {} succeeded after {} failed attempt(s)", *key,
                  queue_.Failures(*key));
      }
      queue_.Forget(*key);
      for (const auto& action : result->actions) log::Info("operator: {}: {}", *key, action);
      if (result->outcome == ReconcileResult::Outcome::kRequeue) {
        queue_.AddAfter(*key, result->requeue_after);
      }
    }
    queue_.Done(*key);
  }
}

void Controller::ResyncLoop(std::stop_token stop) {
  while (clock_.SleepUntil(clock_.Now() + options_.resync, stop)) EnqueueAll();
}

Status Controller::Run(std::stop_token outer) {
  std::stop_source inner;
  std::stop_callback forward(outer, [&] { inner.request_stop(); });
  std::stop_token stop = inner.get_token();
  {
    std::lock_guard lock(mu_);
    terminal_error_.clear();
  }
  StartInformers(stop);
  // An informer that fails terminally (CRD missing, RBAC) ends the run.
  std::jthread watchdog([this, &inner, stop] {
    while (!stop.stop_requested()) {
      {
        std::lock_guard lock(mu_);
        if (!terminal_error_.empty()) {
          inner.request_stop();
          return;
        }
      }
      clock_.SleepUntil(clock_.Now() + std::chrono::seconds(1), stop);
    }
  });

  Status result = OkStatus();
  TimePoint last_renew{};
  if (options_.leader_election) {
    while (!stop.stop_requested()) {
      auto led = TryLead();
      if (!led) {
        if (FirstLog("lease", led.error().message)) {
          log::Warning("operator: leader election: {} (retrying every {} s)", led.error().message,
                       options_.retry_period.count());
        } else {
          log::V(1, "operator: leader election: {}", led.error().message);
        }
      }
      if (led && *led) {
        ClearLogged("lease");
        last_renew = clock_.Now();
        leader_.store(true);
        log::Info("operator: {} is the leader (lease {}/{})", options_.identity,
                  options_.lease_namespace, options_.lease_name);
        break;
      }
      clock_.SleepUntil(clock_.Now() + options_.retry_period, stop);
    }
  } else {
    leader_.store(true);
  }

  std::vector<std::jthread> threads;
  if (leader_.load()) {
    for (int i = 0; i < std::max(1, options_.workers); ++i) {
      threads.emplace_back([this, stop] { Worker(stop); });
    }
    threads.emplace_back([this, stop] { ResyncLoop(stop); });
    while (!stop.stop_requested()) {
      if (!clock_.SleepUntil(clock_.Now() + options_.retry_period, stop)) break;
      if (!options_.leader_election) continue;
      auto led = TryLead();
      if (led && *led) {
        if (ClearLogged("lease")) log::Info("operator: lease renewed again");
        last_renew = clock_.Now();
      } else {
        const std::string why = led ? "the lease is held by another identity" : led.error().message;
        if (FirstLog("lease", why)) {
          log::Warning(
              "operator: cannot renew lease {}/{}: {} (leadership ends {} s after the "
              "last renewal)",
              options_.lease_namespace, options_.lease_name, why, options_.lease_duration.count());
        }
      }
      if (!(led && *led) && clock_.Now() - last_renew >= options_.lease_duration) {
        leader_.store(false);
        result = MakeErrorF(
            ErrorCode::kUnavailable, "lost leadership of lease {}/{}: not renewed for {}s",
            options_.lease_namespace, options_.lease_name, options_.lease_duration.count());
        inner.request_stop();
      }
    }
  }
  const bool release = options_.leader_election && leader_.load() && result.has_value();
  inner.request_stop();
  threads.clear();  // joins
  if (release) ReleaseLease();
  watchdog = std::jthread();
  {
    std::vector<std::unique_ptr<Informer>> informers;
    {
      std::lock_guard lock(mu_);
      informers.swap(informers_);
    }
    informers.clear();  // joins the reflector threads
  }
  leader_.store(false);
  std::lock_guard lock(mu_);
  if (!terminal_error_.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition, terminal_error_);
  }
  return result;
}

}  // namespace cpa::op
