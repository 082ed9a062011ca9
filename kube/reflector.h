// Reflector: keeps a caller's view of one resource type in sync with the API server, the way
// client-go's reflector does: LIST, then WATCH from the list's resourceVersion; when a stream
// ends, WATCH again from the last version seen; when the version has expired (kGone), LIST again
// and hand the caller the full state (OnReplace) before further events. Other failures back off
// (1 s doubling to 30 s, on the injected Clock) and retry, so a flapping API server is survived.
//
// Run() blocks its calling thread until `stop` is requested; callbacks run on that thread, one at
// a time, in server order. Thread-safe to construct and run several reflectors on one Client.
#pragma once

#include <chrono>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "kube/client.h"

namespace cpa::kube {

struct ReflectorOptions {
  std::string api_version;
  std::string kind;
  std::string ns;  // "" = all namespaces
  std::string label_selector;
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{30000};
  int watch_timeout_seconds = 300;  // ask the server to end each stream (then re-watch)
};

class Reflector {
 public:
  struct Handler {
    // The complete current state (after every LIST). Items carry kind/apiVersion.
    std::function<void(std::vector<JsonDocument>&& items, const std::string& resource_version)>
        on_replace;
    // One change after the last replace (bookmarks are not passed on).
    std::function<void(WatchEvent&& event)> on_event;
    // A failure that will be retried (for logging and metrics); optional.
    std::function<void(const Error& error)> on_error;
  };

  Reflector(Client& client, ReflectorOptions options, Handler handler,
            Clock& clock = SystemClock::Instance());

  // Runs until `stop` is requested. Returns an error only for a terminal failure (an unknown
  // kind, a forbidden or invalid request); transient ones are retried.
  Status Run(std::stop_token stop);

  // Number of LISTs done so far (tests and metrics).
  int lists() const { return lists_; }

 private:
  Result<std::string> ListOnce();

  Client& client_;
  ReflectorOptions options_;
  Handler handler_;
  Clock& clock_;
  int lists_ = 0;
};

}  // namespace cpa::kube
