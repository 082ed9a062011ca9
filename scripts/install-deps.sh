#!/usr/bin/env bash
# Installs every system dependency of the project on Debian 12 (bookworm).
# Idempotent: when everything is already installed it prints nothing and exits 0.
# Usage: scripts/install-deps.sh            build, test and demo dependencies
#        scripts/install-deps.sh --reference  also the Python tools that regenerate reference data
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache git
  clang-format clang-tidy gcovr
  # fuzzing (`make fuzz`): clang 14 with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  # libraries
  libeigen3-dev libsqlite3-dev sqlite3 libcpp-httplib-dev libssl-dev openssl
  rapidjson-dev libyaml-cpp-dev libgtest-dev libgmock-dev googletest
  libbenchmark-dev libfmt-dev libspdlog-dev libcli11-dev libnlopt-dev libnlopt-cxx-dev
  # reports and tests
  gnuplot-nox curl python3
  # images, docs site, example autoscalers (make images, make docs, tests/deliver)
  podman buildah mmdebstrap uidmap mkdocs golang-go
  # a real Prometheus server (prometheus, promtool) for the tests of the Prometheus metric source
  prometheus
)
if [[ "${1:-}" == "--reference" ]]; then
  packages+=(python3-statsmodels python3-numpy python3-pandas)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
