#!/usr/bin/env bash
# One set-up command for a fresh machine: npm packages, then the system
# packages the tests need (installed when run as root, listed otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."

npm install --no-audit --no-fund

APT_PACKAGES=(
  # Real Jupyter clients for the kernel's real-client tests (use /usr/bin/python3).
  jupyter-client python3-jupyter-client jupyter-console python3-nbclient python3-nbformat jupyter-nbconvert python3-ipykernel python3-pexpect
  # Classic Jupyter Notebook 6, a front end without a plotly renderer: display.plotly's html fallback is tested in it.
  jupyter-notebook
  # Real browser for the VS Code end-to-end test, and gssapi headers code-server's native module builds against.
  chromium libkrb5-dev
  # Native libraries of the compiled training step (BLAS for dense layers, oneDNN for convolutions); found at run time.
  libopenblas0-pthread libdnnl2
  # Mesa's EGL and llvmpipe: without a GPU, backend 'webgpu' (Dawn's OpenGL ES backend, EGL_PLATFORM=surfaceless) runs its tests on them.
  libegl1 libgles2 libegl-mesa0 libgl1-mesa-dri
  # Loopback capture: the federation test shows an update's bytes never cross the wire in the clear.
  tcpdump
)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  else
    echo "Please install these Debian packages (as root): apt-get install -y ${missing[*]}" >&2
  fi
fi

npm run build
