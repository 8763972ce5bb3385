#!/usr/bin/env bash
# Gantry set-up: idempotent, installs only what is missing.
#   ./scripts/setup.sh           what the test suite and the main job need
#   ./scripts/setup.sh --bench   also the reference peers for bench/ (scikit-learn, SciPy, PyTorch, ONNX)
# Each step says what it does; any failure stops with a message naming the step.
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_BENCH=0
for arg in "$@"; do
  case "$arg" in
    --bench) WITH_BENCH=1 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "setup: unknown option '$arg' (allowed: --bench, --help)" >&2; exit 2 ;;
  esac
done

step() { printf '\n[setup] %s\n' "$*"; }
fail() { printf '[setup] FAILED: %s\n' "$*" >&2; exit 1; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/gantry-xdg}"; mkdir -p "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"

APT_UPDATED=0
apt_update() { [ "$APT_UPDATED" = 1 ] || { $SUDO apt-get update -qq || fail "apt-get update"; APT_UPDATED=1; }; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
apt_install() { # apt_install PKG... : installs those not yet installed
  local missing=()
  for p in "$@"; do have_pkg "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && { echo "  already installed: $*"; return 0; }
  apt_update
  echo "  installing: ${missing[*]}"
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || fail "apt-get install ${missing[*]}"
}

# 1. Node.js 20+
step "Node.js"
command -v node >/dev/null || fail "Node.js 20 or newer is required (not found on PATH)"
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || fail "Node.js 20 or newer is required (found $(node --version))"
echo "  node $(node --version)"

# 2. pnpm 10 (pnpm 11 needs Node 22)
step "pnpm"
if ! command -v pnpm >/dev/null || [ "$(pnpm --version | cut -d. -f1)" != 10 ]; then
  echo "  installing pnpm@10 with npm"
  npm i -g pnpm@10 >/dev/null || fail "npm i -g pnpm@10"
fi
echo "  pnpm $(pnpm --version)"

# 3. System packages the tests use: Chromium (HTML reports, browser WebGPU), redis-server (Redis store tests)
if command -v apt-get >/dev/null; then
  step "system packages for the tests"
  apt_install chromium redis-server ca-certificates
else
  echo "[setup] no apt-get: install chromium and redis-server yourself" >&2
fi

# 4. JavaScript dependencies
step "pnpm install --frozen-lockfile"
export npm_config_nodedir="${npm_config_nodedir:-/usr}"   # better-sqlite3 builds against Node's headers
export ONNXRUNTIME_NODE_INSTALL=skip                      # its postinstall would download CUDA files
pnpm install --frozen-lockfile || fail "pnpm install --frozen-lockfile"

# 5. A Vulkan adapter for WebGPU (Dawn). If none is usable, install Mesa's lavapipe
#    (software Vulkan); on Debian 12 it must come from bookworm-backports (Mesa 22 is rejected by Dawn).
probe() { node packages/gpu/scripts/probe-webgpu.mjs; }
step "WebGPU adapter"
if probe; then
  :
else
  command -v apt-get >/dev/null || fail "no WebGPU adapter and no apt-get to install Mesa's lavapipe"
  . /etc/os-release
  if [ "${VERSION_CODENAME:-}" = bookworm ]; then
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      echo "  adding the bookworm-backports suite to apt's sources"
      echo 'deb http://deb.debian.org/debian bookworm-backports main' | $SUDO tee /etc/apt/sources.list.d/gantry-backports.list >/dev/null
      APT_UPDATED=0
    fi
    apt_update
    echo "  installing mesa-vulkan-drivers and libvulkan1 from bookworm-backports"
    $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null \
      || fail "apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1"
  else
    apt_install mesa-vulkan-drivers libvulkan1
  fi
  probe || fail "still no WebGPU adapter after installing Mesa's lavapipe"
fi

# 6. Optional: reference peers for the benchmarks
if [ "$WITH_BENCH" = 1 ]; then
  step "benchmark peers (Debian's python3 packages, used through /usr/bin/python3)"
  apt_install python3-sklearn python3-scipy python3-pandas python3-torch python3-onnx
fi

step "done"
