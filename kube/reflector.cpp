#include "kube/reflector.h"

#include <algorithm>

namespace cpa::kube {
namespace {

bool Terminal(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kNotFound:
      return true;
    default:
      return false;
  }
}

}  // namespace

Reflector::Reflector(Client& client, ReflectorOptions options, Handler handler, Clock& clock)
    : client_(client), options_(std::move(options)), handler_(std::move(handler)), clock_(clock) {}

Result<std::string> Reflector::ListOnce() {
  ListOptions list_options;
  list_options.label_selector = options_.label_selector;
  auto list = client_.List(options_.api_version, options_.kind, options_.ns, list_options);
  if (!list) return std::unexpected(list.error());
  ++lists_;
  const JsonValue* metadata = FindMember(*list, "metadata");
  const JsonValue* rv = metadata != nullptr ? FindMember(*metadata, "resourceVersion") : nullptr;
  const JsonValue* items = FindMember(*list, "items");
  if (rv == nullptr || !rv->IsString() || items == nullptr || !items->IsArray()) {
    return MakeError(ErrorCode::kUnavailable, "LIST answer without items or resourceVersion");
  }
  // Typed lists omit the items' kind/apiVersion; put them back for the caller.
  const std::string api_version = options_.api_version;
  std::vector<JsonDocument> out;
  out.reserve(items->Size());
  for (const auto& item : items->GetArray()) {
    JsonDocument doc;
    doc.CopyFrom(item, doc.GetAllocator());
    if (doc.IsObject() && !doc.HasMember("kind")) {
      doc.AddMember("kind", JsonString(options_.kind, doc.GetAllocator()), doc.GetAllocator());
    }
    if (doc.IsObject() && !doc.HasMember("apiVersion")) {
      doc.AddMember("apiVersion", JsonString(api_version, doc.GetAllocator()), doc.GetAllocator());
    }
    out.push_back(std::move(doc));
  }
  std::string version = rv->GetString();
  if (handler_.on_replace) handler_.on_replace(std::move(out), version);
  return version;
}

Status Reflector::Run(std::stop_token stop) {
  auto backoff = options_.initial_backoff;
  std::string version;  // empty: LIST first
  while (!stop.stop_requested()) {
    Error failure;
    bool failed = false;
    if (version.empty()) {
      auto listed = ListOnce();
      if (listed) {
        version = *listed;
      } else {
        failure = listed.error();
        failed = true;
      }
    }
    if (stop.stop_requested()) break;
    if (!failed) {
      WatchOptions watch;
      watch.resource_version = version;
      watch.label_selector = options_.label_selector;
      watch.allow_bookmarks = true;
      watch.timeout_seconds = options_.watch_timeout_seconds;
      auto last = client_.Watch(
          options_.api_version, options_.kind, options_.ns, watch,
          [&](WatchEvent&& event) {
            if (!event.resource_version.empty()) version = event.resource_version;
            if (event.type != WatchEventType::kBookmark && handler_.on_event) {
              handler_.on_event(std::move(event));
            }
            backoff = options_.initial_backoff;  // the stream works
            return !stop.stop_requested();
          },
          stop);
      if (last) {
        if (!last->empty()) version = *last;
        continue;  // the server ended the stream: watch again from where it stopped
      }
      failure = last.error();
      failed = true;
      if (failure.code == ErrorCode::kGone) {
        version.clear();  // expired: LIST again, right away
        if (handler_.on_error) handler_.on_error(failure);
        continue;
      }
    }
    if (Terminal(failure)) return std::unexpected(failure);
    if (handler_.on_error) handler_.on_error(failure);
    if (!clock_.SleepUntil(clock_.Now() + backoff, stop)) break;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  return OkStatus();
}

}  // namespace cpa::kube
