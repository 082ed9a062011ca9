#!/usr/bin/env bash
# Builds the relocatable `cpa` bundle (`make static`).
#
# Debian 12 ships static archives for yaml-cpp, sqlite3 and OpenSSL but none for fmt, nlopt or
# cpp-httplib, so a fully static binary is impossible from Debian packages alone. The bundle is the
# next best thing: yaml-cpp, sqlite3 and OpenSSL could be static but
# the other libraries need the shared libstdc++ anyway (one copy of it, not two), so every shared
# library the binary needs (but glibc) is copied beside it and found through an `$ORIGIN` rpath:
#
#   cpa-<version>-linux-<arch>/bin/cpa           rpath $ORIGIN/../lib
#   cpa-<version>-linux-<arch>/lib/*.so.*        every non-glibc library (found via the rpath)
#   cpa-<version>-linux-<arch>/runtime/          glibc and its loader, for an image with no libc
#                                                (FROM scratch): copied to /lib64 and /lib/<triplet>
#
# On a host, the host's glibc (2.36 or newer) is used; runtime/ is for images only.
# Usage: scripts/static.sh [BUILD_DIR] [OUT_DIR]   (defaults: build-static, BUILD_DIR/dist)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build-static}
out_dir=${2:-$build_dir/dist}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}

# The rpath goes through CMake's own property so `$ORIGIN` survives Ninja's escaping.
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON '-DCMAKE_INSTALL_RPATH=$ORIGIN/../lib' -DCMAKE_EXE_LINKER_FLAGS=-Wl,--disable-new-dtags >/dev/null
cmake --build "$build_dir" -j "${JOBS:-2}" --target cpa

binary=$build_dir/cli/cpa
version=$("$binary" version | awk 'NR==1{print $NF}')
arch=$(uname -m)
name=cpa-${version}-linux-${arch}
bundle=$out_dir/$name
rm -rf "$bundle"
mkdir -p "$bundle/bin" "$bundle/lib" "$bundle/runtime"
cp "$binary" "$bundle/bin/cpa"
strip --strip-unneeded "$bundle/bin/cpa"

# Every library the loader resolves, split into glibc (runtime/) and the rest (lib/).
glibc_re='/(ld-linux[^/]*|libc|libm|libpthread|libdl|librt|libresolv|libnss_[a-z]+)\.so'
while read -r lib; do
  [[ -z $lib ]] && continue
  if [[ $lib =~ $glibc_re ]]; then
    cp -L "$lib" "$bundle/runtime/"
  else
    cp -L "$lib" "$bundle/lib/"
  fi
done < <(ldd "$binary" | awk '/=>/ {print $3} $1 ~ /ld-linux/ {print $1}' | sort -u)
# Name resolution in a libc-less image: glibc loads the NSS "files" and "dns" modules at run time.
for extra in /lib/"$arch"-linux-gnu/libnss_files.so.2 /lib/"$arch"-linux-gnu/libnss_dns.so.2; do
  [[ -e $extra ]] && cp -L "$extra" "$bundle/runtime/"
done
strip --strip-unneeded "$bundle"/lib/*.so* 2>/dev/null || true

cat >"$bundle/README" <<TXT
cpa $version for Linux $arch: a relocatable bundle.

  bin/cpa      the binary (rpath \$ORIGIN/../lib: needs no installed library but glibc >= 2.36)
  lib/         the shared libraries cpa uses (Debian ships no static archive for some of them)
  runtime/     glibc and its loader, for images without a libc (FROM scratch):
               copy runtime/ld-linux-* to /lib64/ and the rest to /lib/$arch-linux-gnu/

Move the folder anywhere; run bin/cpa. Source, docs and license: the cpa repository.
TXT
tar -C "$out_dir" -czf "$out_dir/$name.tar.gz" "$name"
ln -sfn "$name" "$out_dir/cpa"
echo "static: $bundle ($(du -sh "$bundle" | cut -f1)), $out_dir/$name.tar.gz"
