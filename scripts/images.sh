#!/usr/bin/env bash
# Builds the cpa images offline with buildah (`make images`) and smoke-runs `cpa version` in each.
#
#   cpa-minimal:<version>   FROM scratch: the bundle of `make static` and glibc (images/minimal)
#   cpa-operator:<version>  the same with `cpa operator` as the command (images/operator)
#   cpa-python:<version>    Debian 12 with Python 3 and cpa (images/python); its base is made
#                           from Debian packages with mmdebstrap (no image registry needed) and
#                           cached as a tarball in WORK_DIR
#
# No container is started (`podman run` needs rlimits these machines refuse): each image is
# mounted with `buildah mount` and `cpa version` runs from its root filesystem in a chroot, as the
# image's non-root user.
# Usage: scripts/images.sh [--root STORAGE_DIR] [--work WORK_DIR] [IMAGE...]
#   --root  a private containers-storage root (default: the host's, where podman sees the images)
#           (driver overlay; STORAGE_DRIVER=vfs where overlay mounts are refused)
#   --work  cache of the Debian base tarball (default: build-static/images)
#   IMAGE   minimal, operator, python, examples (default: all four)
#           examples: every autoscalers/*/Dockerfile built on these images (but go-per-pod, whose
#           first stage needs a Go image from a registry), each checked with
#           `cpa config validate --config /config.yaml` inside the image
set -euo pipefail
cd "$(dirname "$0")/.."
storage=()
work=build-static/images
while [[ $# -gt 0 ]]; do
  case $1 in
    --root) storage=(--root "$2/storage" --runroot "$2/run" --storage-driver "${STORAGE_DRIVER:-overlay}"); shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) break ;;
  esac
done
images=("$@")
[[ ${#images[@]} -eq 0 ]] && images=(minimal operator python examples)
bundle=build-static/dist/cpa
[[ -x $bundle/bin/cpa ]] || { echo "images: no bundle at $bundle; run make static first" >&2; exit 2; }
version=$("$bundle/bin/cpa" version | awk 'NR==1{print $NF}')
mkdir -p "$work"
bah() { buildah "${storage[@]}" "$@"; }

# Debian 12 with python3, from Debian packages: the python image's base.
debian_base() {
  local tar=$work/debian-bookworm-python3.tar
  local ref=localhost/cpa-debian-base:bookworm-python3
  if [[ ! -s $tar ]]; then
    echo "images: building the Debian base with mmdebstrap (cached in $tar)" >&2
    mmdebstrap --quiet --variant=minbase --include=python3,ca-certificates --mode=root \
      --format=tar bookworm "$tar.partial"
    mv "$tar.partial" "$tar"
  fi
  if ! bah inspect --type image "$ref" >/dev/null 2>&1; then
    podman "${storage[@]}" import --quiet "$tar" "$ref" >/dev/null
  fi
  echo "$ref"
}

# Runs `cpa version` (and for python, python3) from the image's root filesystem.
smoke() {
  local image=$1 ctr mnt out
  ctr=$(bah from --quiet --pull-never "$image")
  mnt=$(bah mount "$ctr")
  mkdir -p "$mnt/proc"
  mount -t proc proc "$mnt/proc"
  local rc=0
  out=$(env -i "$(command -v chroot)" --userspec=65532:65532 "$mnt" /opt/cpa/bin/cpa version 2>&1) || rc=$?
  if [[ $rc -eq 0 && $image == *python* ]]; then
    env -i "$(command -v chroot)" --userspec=65532:65532 "$mnt" /usr/bin/python3 -c 'import json, urllib.request' || rc=$?
  fi
  umount "$mnt/proc"
  bah umount "$ctr" >/dev/null
  bah rm "$ctr" >/dev/null
  if [[ $rc -ne 0 || $out != "cpa $version"* ]]; then
    echo "images: $image: cpa version failed ($rc): $out" >&2
    return 1
  fi
  echo "images: $image: $out (user 65532)"
  checked=$((checked + 1))
}

# Builds each example autoscaler's image on the base images and validates its config inside it.
examples() {
  local dir name tag ctr mnt rc out
  for dir in autoscalers/*/; do
    name=$(basename "$dir")
    [[ -f $dir/Dockerfile ]] || continue
    grep -q '^FROM.* AS ' "$dir/Dockerfile" && { echo "images: $name: multi-stage with a registry image, not built offline"; continue; }
    local base=localhost/cpa-python:$version
    grep -q 'cpa-minimal' "$dir/Dockerfile" && base=localhost/cpa-minimal:$version
    tag=localhost/cpa-example-$name:$version
    bah bud --quiet --isolation chroot --pull-never --build-arg "BASE=$base" -f "$dir/Dockerfile" \
      -t "$tag" "$dir" >/dev/null
    ctr=$(bah from --quiet --pull-never "$tag")
    mnt=$(bah mount "$ctr")
    mkdir -p "$mnt/proc"
    mount -t proc proc "$mnt/proc"  # the loader reads /proc/self/exe for $ORIGIN
    rc=0
    # Files the config names that a cluster mounts at run time (http-tls's CA) point at the
    # image's CA bundle here.
    local env=()
    grep -q 'caCert' "$dir/config.yaml" && env=(
      'metric={"http": {"caCert": "/etc/ssl/certs/ca-certificates.crt"}}'
      'evaluate={"http": {"caCert": "/etc/ssl/certs/ca-certificates.crt"}}')
    out=$(env -i "${env[@]}" "$(command -v chroot)" --userspec=65532:65532 "$mnt" \
      /opt/cpa/bin/cpa config validate --config /config.yaml 2>&1 >/dev/null) || rc=$?
    umount "$mnt/proc"
    bah umount "$ctr" >/dev/null
    bah rm "$ctr" >/dev/null
    if [[ $rc -ne 0 ]]; then
      echo "images: $tag: cpa config validate failed ($rc): $out" >&2
      return 1
    fi
    echo "images: $tag: /config.yaml valid"
    checked=$((checked + 1))
  done
}

checked=0
for name in "${images[@]}"; do
  if [[ $name == examples ]]; then
    examples
    continue
  fi
  args=(--build-arg "BUNDLE=$bundle")
  case $name in
    minimal | operator) ;;
    python) args+=(--build-arg "BASE=$(debian_base)") ;;
    *) echo "images: unknown image '$name' (minimal, operator, python, examples)" >&2; exit 2 ;;
  esac
  tag=localhost/cpa-$name:$version
  bah bud --quiet --isolation chroot --pull-never "${args[@]}" -f "images/$name/Dockerfile" \
    -t "$tag" . >/dev/null
  smoke "$tag"
done
echo "images: $checked images checked"
echo "$checked passed, 0 failed"
