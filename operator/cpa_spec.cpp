#include "operator/cpa_spec.h"

#include <charconv>

#include "common/quantity.h"
#include "operator/names.h"

namespace cpa::op {
namespace {

std::unexpected<Error> Invalid(std::string_view field, std::string_view message) {
  return MakeErrorF(ErrorCode::kInvalidArgument, "{}: {}", field, message);
}

Status ReadBool(const JsonValue& spec, std::string_view key, bool& out) {
  const JsonValue* v = FindMember(spec, key);
  if (v == nullptr || v->IsNull()) return OkStatus();
  if (!v->IsBool()) {
    return Invalid(fmt::format("spec.{}", key),
                   fmt::format("must be a boolean, got {}", JsonTypeName(*v)));
  }
  out = v->GetBool();
  return OkStatus();
}

Result<std::string> ReadString(const JsonValue& object, std::string_view key,
                               std::string_view field, bool required) {
  const JsonValue* v = FindMember(object, key);
  if (v == nullptr || v->IsNull()) {
    if (required) return Invalid(field, "is required");
    return std::string();
  }
  if (!v->IsString()) {
    return Invalid(field, fmt::format("must be a string, got {}", JsonTypeName(*v)));
  }
  if (required && v->GetStringLength() == 0) return Invalid(field, "must not be empty");
  return std::string(v->GetString(), v->GetStringLength());
}

Status ReadTemplate(const JsonValue& spec, CpaSpec& out) {
  const JsonValue* t = FindMember(spec, "template");
  if (t == nullptr || t->IsNull()) return Invalid("spec.template", "is required");
  if (!t->IsObject()) {
    return Invalid("spec.template", fmt::format("must be an object, got {}", JsonTypeName(*t)));
  }
  const JsonValue* pod = FindMember(*t, "spec");
  if (pod == nullptr || !pod->IsObject()) {
    return Invalid("spec.template.spec", "is required (a PodSpec)");
  }
  const JsonValue* containers = FindMember(*pod, "containers");
  if (containers == nullptr || !containers->IsArray() || containers->Empty()) {
    return Invalid("spec.template.spec.containers", "must list at least one container");
  }
  for (rapidjson::SizeType i = 0; i < containers->Size(); ++i) {
    const JsonValue& c = (*containers)[i];
    std::string field = fmt::format("spec.template.spec.containers[{}]", i);
    if (!c.IsObject()) return Invalid(field, "must be an object");
    if (StringMember(c, "name").empty()) return Invalid(field + ".name", "is required");
    if (const JsonValue* env = FindMember(c, "env"); env != nullptr && !env->IsNull()) {
      if (!env->IsArray()) return Invalid(field + ".env", "must be a list");
    }
  }
  if (const JsonValue* meta = FindMember(*t, "metadata"); meta != nullptr && !meta->IsNull()) {
    if (!meta->IsObject()) return Invalid("spec.template.metadata", "must be an object");
    for (const char* key : {"labels", "annotations"}) {
      const JsonValue* m = FindMember(*meta, key);
      if (m == nullptr || m->IsNull()) continue;
      if (!m->IsObject())
        return Invalid(fmt::format("spec.template.metadata.{}", key), "must be a map");
      for (const auto& kv : m->GetObject()) {
        if (!kv.value.IsString()) {
          return Invalid(fmt::format("spec.template.metadata.{}.{}", key, kv.name.GetString()),
                         "must be a string");
        }
      }
    }
  }
  out.pod_template.CopyFrom(*t, out.pod_template.GetAllocator());
  return OkStatus();
}

Status ReadScaleTarget(const JsonValue& spec, CpaSpec& out) {
  const JsonValue* ref = FindMember(spec, "scaleTargetRef");
  if (ref == nullptr || ref->IsNull()) return Invalid("spec.scaleTargetRef", "is required");
  if (!ref->IsObject()) {
    return Invalid("spec.scaleTargetRef",
                   fmt::format("must be an object, got {}", JsonTypeName(*ref)));
  }
  auto kind = ReadString(*ref, "kind", "spec.scaleTargetRef.kind", true);
  if (!kind) return std::unexpected(kind.error());
  auto name = ReadString(*ref, "name", "spec.scaleTargetRef.name", true);
  if (!name) return std::unexpected(name.error());
  auto api_version = ReadString(*ref, "apiVersion", "spec.scaleTargetRef.apiVersion", false);
  if (!api_version) return std::unexpected(api_version.error());
  out.scale_target = {*api_version, *kind, *name};
  out.scale_target_json = ToJson(*ref);
  return OkStatus();
}

Status ReadConfig(const JsonValue& spec, CpaSpec& out) {
  const JsonValue* config = FindMember(spec, "config");
  if (config == nullptr || config->IsNull()) return OkStatus();
  if (!config->IsArray()) {
    return Invalid("spec.config", fmt::format("must be a list, got {}", JsonTypeName(*config)));
  }
  for (rapidjson::SizeType i = 0; i < config->Size(); ++i) {
    const JsonValue& entry = (*config)[i];
    std::string field = fmt::format("spec.config[{}]", i);
    if (!entry.IsObject()) return Invalid(field, "must be an object with name and value");
    auto name = ReadString(entry, "name", field + ".name", true);
    if (!name) return std::unexpected(name.error());
    const JsonValue* value = FindMember(entry, "value");
    if (value == nullptr || !value->IsString()) {
      return Invalid(fmt::format("spec.config[{}] ({}).value", i, *name),
                     "must be a string (quote numbers and booleans)");
    }
    out.config.push_back({*name, std::string(value->GetString(), value->GetStringLength())});
  }
  return OkStatus();
}

Status ReadStorage(const JsonValue& spec, CpaSpec& out) {
  const JsonValue* storage = FindMember(spec, "storage");
  if (storage == nullptr || storage->IsNull()) return OkStatus();
  if (!storage->IsObject()) return Invalid("spec.storage", "must be an object");
  StorageSpec s;
  if (const JsonValue* p = FindMember(*storage, "provision"); p != nullptr && !p->IsNull()) {
    if (!p->IsBool()) return Invalid("spec.storage.provision", "must be a boolean");
    s.provision = p->GetBool();
  }
  auto size = ReadString(*storage, "size", "spec.storage.size", false);
  if (!size) return std::unexpected(size.error());
  if (!size->empty()) {
    auto q = Quantity::Parse(*size);
    if (!q || q->MilliValue() <= 0) {
      return Invalid("spec.storage.size",
                     fmt::format("\"{}\" is not a positive quantity (e.g. 1Gi)", *size));
    }
    s.size = *size;
  }
  auto cls = ReadString(*storage, "storageClassName", "spec.storage.storageClassName", false);
  if (!cls) return std::unexpected(cls.error());
  s.storage_class_name = *cls;
  auto mount = ReadString(*storage, "mountPath", "spec.storage.mountPath", false);
  if (!mount) return std::unexpected(mount.error());
  if (!mount->empty()) {
    if ((*mount)[0] != '/') {
      return Invalid("spec.storage.mountPath", fmt::format("\"{}\" must be absolute", *mount));
    }
    s.mount_path = *mount;
  }
  out.storage = std::move(s);
  return OkStatus();
}

Status ReadPaused(const JsonValue& object, CpaSpec& out) {
  const JsonValue* meta = FindMember(object, "metadata");
  const JsonValue* annotations = meta != nullptr ? FindMember(*meta, "annotations") : nullptr;
  if (annotations == nullptr) return OkStatus();
  const JsonValue* v = FindMember(*annotations, kPausedReplicasAnnotation);
  if (v == nullptr) return OkStatus();
  std::string field = fmt::format("metadata.annotations[{}]", kPausedReplicasAnnotation);
  if (!v->IsString()) return Invalid(field, "must be a string holding a replica count");
  std::string_view text(v->GetString(), v->GetStringLength());
  int32_t n = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 0) {
    return Invalid(field, fmt::format("\"{}\" is not a replica count (an integer >= 0)", text));
  }
  out.paused_replicas = n;
  return OkStatus();
}

}  // namespace

Result<CpaSpec> ParseCpa(const JsonValue& object) {
  CpaSpec out;
  out.name = MetadataString(object, "name");
  out.ns = MetadataString(object, "namespace");
  out.uid = MetadataString(object, "uid");
  if (const JsonValue* meta = FindMember(object, "metadata")) {
    if (const JsonValue* g = FindMember(*meta, "generation"); g != nullptr && g->IsInt64()) {
      out.generation = g->GetInt64();
    }
  }
  if (out.name.empty()) return Invalid("metadata.name", "is required");
  const JsonValue* spec = FindMember(object, "spec");
  if (spec == nullptr || !spec->IsObject()) return Invalid("spec", "is required");
  CPA_RETURN_IF_ERROR(ReadTemplate(*spec, out));
  CPA_RETURN_IF_ERROR(ReadScaleTarget(*spec, out));
  CPA_RETURN_IF_ERROR(ReadConfig(*spec, out));
  CPA_RETURN_IF_ERROR(ReadBool(*spec, "provisionRole", out.provision_role));
  CPA_RETURN_IF_ERROR(ReadBool(*spec, "provisionRoleBinding", out.provision_role_binding));
  CPA_RETURN_IF_ERROR(ReadBool(*spec, "provisionServiceAccount", out.provision_service_account));
  CPA_RETURN_IF_ERROR(ReadBool(*spec, "provisionPod", out.provision_pod));
  CPA_RETURN_IF_ERROR(
      ReadBool(*spec, "roleRequiresMetricsServer", out.role_requires_metrics_server));
  CPA_RETURN_IF_ERROR(ReadBool(*spec, "roleRequiresArgoRollouts", out.role_requires_argo_rollouts));
  CPA_RETURN_IF_ERROR(ReadStorage(*spec, out));
  CPA_RETURN_IF_ERROR(ReadPaused(object, out));
  return out;
}

}  // namespace cpa::op
