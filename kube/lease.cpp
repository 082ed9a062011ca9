#include "kube/lease.h"

#include <cstdio>
#include <ctime>

namespace cpa::kube {
namespace {

JsonDocument LeaseObject(std::string_view ns, std::string_view name, std::string_view identity,
                         std::chrono::seconds duration, TimePoint acquire, TimePoint renew,
                         int32_t transitions, std::string_view resource_version) {
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("apiVersion", "coordination.k8s.io/v1", a);
  doc.AddMember("kind", "Lease", a);
  JsonValue meta(rapidjson::kObjectType);
  meta.AddMember("name", JsonString(name, a), a);
  meta.AddMember("namespace", JsonString(ns, a), a);
  if (!resource_version.empty()) {
    meta.AddMember("resourceVersion", JsonString(resource_version, a), a);
  }
  doc.AddMember("metadata", meta, a);
  JsonValue spec(rapidjson::kObjectType);
  spec.AddMember("holderIdentity", JsonString(identity, a), a);
  spec.AddMember("leaseDurationSeconds", static_cast<int>(duration.count()), a);
  spec.AddMember("acquireTime", JsonString(FormatMicroTime(acquire), a), a);
  spec.AddMember("renewTime", JsonString(FormatMicroTime(renew), a), a);
  spec.AddMember("leaseTransitions", transitions, a);
  doc.AddMember("spec", spec, a);
  return doc;
}

LeaseState StateOf(const JsonValue& lease, std::string_view identity) {
  LeaseState state;
  const JsonValue* spec = FindMember(lease, "spec");
  if (spec == nullptr) return state;
  state.holder = StringMember(*spec, "holderIdentity");
  state.leader = !state.holder.empty() && state.holder == identity;
  if (const JsonValue* t = FindMember(*spec, "leaseTransitions"); t != nullptr && t->IsInt()) {
    state.transitions = t->GetInt();
  }
  if (auto renew = ParseRfc3339(StringMember(*spec, "renewTime"))) state.renew_time = *renew;
  return state;
}

}  // namespace

std::string FormatMicroTime(TimePoint t) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch());
  auto seconds = std::chrono::floor<std::chrono::seconds>(micros);
  std::time_t tt = static_cast<std::time_t>(seconds.count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:06d}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     static_cast<long long>((micros - seconds).count()));
}

Result<TimePoint> ParseRfc3339(std::string_view text) {
  int year, month, day, hour, minute, second;
  std::string s(text);
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &consumed) != 6 ||
      consumed != 19) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "invalid RFC 3339 time \"{}\"", text);
  }
  std::string_view rest = std::string_view(s).substr(19);
  int64_t micros = 0;
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    int digits = 0;
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      if (digits < 6) {
        micros = micros * 10 + (rest.front() - '0');
        ++digits;
      }
      rest.remove_prefix(1);
    }
    for (; digits < 6; ++digits) micros *= 10;
  }
  if (rest != "Z" && rest != "z" && rest != "+00:00") {
    return MakeErrorF(ErrorCode::kInvalidArgument, "invalid RFC 3339 time \"{}\" (UTC only)", text);
  }
  // Nanoseconds since the epoch fit in int64 from 1677 to 2262 (found by fuzzing: year 4048
  // overflowed the conversion).
  if (year < 1678 || year > 2261 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60 || hour < 0 || minute < 0 || second < 0) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "RFC 3339 time \"{}\" is out of range", text);
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::time_t tt = timegm(&tm);
  return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::seconds(tt) +
                                                        std::chrono::microseconds(micros)));
}

Result<LeaseState> TryAcquireOrRenewLease(Client& client, std::string_view ns,
                                          std::string_view name, std::string_view identity,
                                          std::chrono::seconds lease_duration, TimePoint now) {
  auto current = client.Get("coordination.k8s.io/v1", "Lease", ns, name);
  if (!current) {
    if (current.error().code != ErrorCode::kNotFound) return std::unexpected(current.error());
    auto created =
        client.Create(ns, LeaseObject(ns, name, identity, lease_duration, now, now, 0, ""));
    if (!created) {
      if (created.error().code == ErrorCode::kAlreadyExists) {
        return LeaseState{false, "", 0, {}};  // another candidate was faster
      }
      return std::unexpected(created.error());
    }
    return StateOf(*created, identity);
  }
  LeaseState state = StateOf(*current, identity);
  const JsonValue* spec = FindMember(*current, "spec");
  std::chrono::seconds duration = lease_duration;
  if (spec != nullptr) {
    if (const JsonValue* d = FindMember(*spec, "leaseDurationSeconds"); d && d->IsInt()) {
      duration = std::chrono::seconds(d->GetInt());
    }
  }
  const bool expired = state.holder.empty() || state.renew_time + duration < now;
  if (!state.leader && !expired) return state;
  TimePoint acquire = now;
  int32_t transitions = state.transitions;
  if (state.leader) {
    if (spec != nullptr) {
      if (auto t = ParseRfc3339(StringMember(*spec, "acquireTime"))) acquire = *t;
    }
  } else {
    ++transitions;
  }
  const JsonValue* meta = FindMember(*current, "metadata");
  std::string rv = meta != nullptr ? StringMember(*meta, "resourceVersion") : "";
  auto updated = client.Update(
      ns, LeaseObject(ns, name, identity, lease_duration, acquire, now, transitions, rv));
  if (!updated) {
    if (updated.error().code == ErrorCode::kConflict) {
      state.leader = false;
      return state;
    }
    return std::unexpected(updated.error());
  }
  return StateOf(*updated, identity);
}

}  // namespace cpa::kube
