#!/usr/bin/env bash
# `make static`'s bundle runs anywhere: moved to a fresh folder it runs `cpa version` with a clean
# environment, ldd resolves every non-glibc library inside the bundle, and in a chroot holding
# nothing but the bundle (its runtime/ as the only libc) it still runs.
# Usage: static_bundle_test.sh BUNDLE_DIR
set -euo pipefail
bundle=$(readlink -f "$1")
work=$(mktemp -d)
cleanup() {
  if [[ -n ${proc_mounted:-} ]]; then umount "$proc_mounted" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cp -a "$bundle" "$work/moved"
out=$(env -i "$work/moved/bin/cpa" version) || fail "moved bundle: cpa version exited $?"
[[ $out == *"cpa "* ]] || fail "moved bundle: unexpected version output: $out"

# Every library but glibc's resolves inside the moved bundle.
while read -r name path; do
  case $name in libc.so*|libm.so*|ld-linux*|linux-vdso*) continue ;; esac
  [[ $(readlink -f "$path") == "$work/moved/lib/"* ]] || fail "$name resolves to $path, outside the bundle"
done < <(ldd "$work/moved/bin/cpa" | awk '/=>/ {print $1, $3}')

# A root filesystem with nothing but the bundle: the layout of the FROM scratch image.
root=$work/root
mkdir -p "$root/opt" "$root/lib64" "$root/lib/$(uname -m)-linux-gnu"
cp -a "$bundle" "$root/opt/cpa"
cp "$bundle"/runtime/ld-linux* "$root/lib64/"
cp "$bundle"/runtime/*.so.* "$root/lib/$(uname -m)-linux-gnu/"
# The loader reads /proc/self/exe for $ORIGIN; every container runtime mounts /proc.
mkdir -p "$root/proc"
if [[ $(id -u) -eq 0 ]] && mount -t proc proc "$root/proc"; then
  proc_mounted=$root/proc
  out=$(env -i "$(command -v chroot)" "$root" /opt/cpa/bin/cpa version) || fail "chroot: cpa version exited $?"
  [[ $out == *"cpa "* ]] || fail "chroot: unexpected version output: $out"
else
  # Without root, the bundled loader with only bundled libraries proves the same.
  out=$(env -i "$root/lib64/"ld-linux* --inhibit-cache \
        --library-path "$root/lib/$(uname -m)-linux-gnu:$root/opt/cpa/lib" "$root/opt/cpa/bin/cpa" version) \
    || fail "bundled loader: cpa version exited $?"
fi
echo "static bundle: $out"
echo "1 passed, 0 failed"
