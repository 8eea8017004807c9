#!/usr/bin/env bash
# The unit tests again under Node 24 (Node 20, the project's runtime, reached end of
# life in April 2026): the compiled tests in out/test that need neither Jupyter nor
# Chromium, run by test/run-tests.mjs under Node 24's own test runner. Node 24 comes
# from npm into .tools/node24, as for the code-server set-up (scripts/node24.sh).
# Needs `npm run build` first (npm run test:node24 does it). Extra arguments narrow
# the run as they do for test/run-tests.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
# shellcheck source=scripts/node24.sh
source "$ROOT/scripts/node24.sh"
NODE24_BIN="$(ensure_node24)"

# The kernel (pure algorithms, data, wire format, rounds, the kernel process with its in-process client), tables, golden weights (bit for bit under Node 24's V8),
# worker threads and the WASM/CPU backends, and the kernel process with its in-process client.
SUITES=(/test/kernel/ /test/bench/ /test/golden/ /test/workers/)
echo "test-node24: $("$NODE24_BIN" --version) at ${NODE24_BIN#"$ROOT"/}"
[ $# -gt 0 ] || set -- "${SUITES[@]}"
exec "$NODE24_BIN" test/run-tests.mjs "$@"
