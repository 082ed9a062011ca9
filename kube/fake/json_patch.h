// JSON Merge Patch (RFC 7386) and JSON Patch (RFC 6902), as the API server applies them.
//
// Both edit `target` in place using `allocator` (the target document's). A failed JSON Patch
// leaves `target` partly edited: callers patch a copy. Pure functions; thread-safe.
#pragma once

#include "common/error.h"
#include "common/json.h"

namespace cpa::kube::fake {

// RFC 7386: objects merge recursively, null deletes, anything else replaces.
void ApplyMergePatch(JsonValue& target, const JsonValue& patch, JsonAllocator& allocator);

// RFC 6902: add, remove, replace, move, copy, test. kInvalidArgument for a malformed patch or
// a path that does not exist (the server answers 422), kFailedPrecondition for a failed test.
Status ApplyJsonPatch(JsonValue& target, const JsonValue& patch, JsonAllocator& allocator);

}  // namespace cpa::kube::fake
