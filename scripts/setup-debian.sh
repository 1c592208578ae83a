#!/usr/bin/env bash
# setup-debian.sh - installs everything libcdc needs on Debian 12 (bookworm).
# Idempotent and quiet: packages already present are left alone. Runs as
# root, or through sudo when it is available.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev libdnnl-dev libopenblas0-pthread
  libfmt-dev doctest-dev catch2 libcli11-dev
  libpng-dev libjpeg-dev zlib1g-dev libxxhash-dev
  abigail-tools
  pybind11-dev python3-dev python3-numpy python3-pytest python3-torch python3-matplotlib python3-pil
  clang libclang-rt-14-dev
  webp libavif-bin libjxl-tools libjpeg-turbo-progs
  python3-distributed python3-tqdm doxygen help2man time
)

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo > /dev/null; then
    sudo=(sudo)
  else
    echo "setup-debian.sh: run as root (or install sudo)" >&2
    exit 1
  fi
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-debian.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
else
  echo "setup-debian.sh: all packages present"
fi

# libtorch's BLAS goes through libblas.so.3: make it OpenBLAS (pthreads), not
# the slow reference BLAS.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2> /dev/null || gcc -dumpmachine)
openblas=/usr/lib/$arch/openblas-pthread/libblas.so.3
if [ -e "$openblas" ]; then
  current=$(readlink -f "/usr/lib/$arch/libblas.so.3" 2> /dev/null || true)
  if [ "$current" != "$(readlink -f "$openblas")" ]; then
    "${sudo[@]}" update-alternatives --quiet --set "libblas.so.3-$arch" "$openblas"
  fi
else
  echo "setup-debian.sh: warning: $openblas not found; BLAS stays as it is" >&2
fi
