#!/usr/bin/env bash
# Installs the Debian 12 packages listed in installer/debian-packages.txt that
# are missing, then makes sure LibTorch links OpenBLAS rather than the
# reference BLAS (which makes FP32 about 16x slower and fakes INT8 speed-ups).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
list="$here/installer/debian-packages.txt"

mapfile -t wanted < <(grep -Ev '^\s*(#|$)' "$list" | awk '{print $2}')

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} missing Debian packages: ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || {
      echo "setup: not root and sudo is missing; install as root: apt-get install ${missing[*]}" >&2
      exit 1
    }
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
case "$blas" in
  *openblas*) ;;
  *)
    echo "setup: warning: libblas.so.3 resolves to '${blas:-nothing}', not OpenBLAS;" \
      "FP32 timings will be far too slow. Fix: update-alternatives --config libblas.so.3-x86_64-linux-gnu" >&2
    ;;
esac
