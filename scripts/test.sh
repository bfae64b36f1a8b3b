#!/usr/bin/env bash
# Install dvcdoit with its test extras into .venv, real dvc 3.67.1 into .venv-dvc, then run
# lint, types, the import-layer contracts and the whole test suite (interop tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
quiet() {  # run an install step; show its output only if it fails
    local log; log=$(mktemp)
    if ! "$@" >"$log" 2>&1; then cat "$log"; rm -f "$log"; return 1; fi
    rm -f "$log"
}
echo "== install dvcdoit[test] into .venv"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
quiet .venv/bin/python -m pip install -q -e '.[test]'
if [ ! -x .venv-dvc/bin/dvc ]; then
    echo "== install dvc 3.67.1 into .venv-dvc (reference client for interop tests)"
    "$PY" -m venv .venv-dvc
    quiet .venv-dvc/bin/python -m pip install -q 'dvc[s3,ssh,webdav,gs,azure]==3.67.1' \
        -c tests/dvc-3.67.1-constraints.txt
fi
if [ ! -x .node/node_modules/.bin/azurite ] && command -v npm >/dev/null; then
    echo "== install azurite into .node (Azure Blob server for the azure remote tests)"
    quiet npm install --silent --prefix .node azurite@3
fi
if ! command -v chromium >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "== install chromium (headless browser for the plots page test)"
    quiet apt-get install -y -q chromium || { quiet apt-get update -q && quiet apt-get install -y -q chromium; } \
        || echo "   chromium could not be installed; the browser test will skip"
fi
export DVCDOIT_DVC_BIN="$PWD/.venv-dvc/bin/dvc" DVCDOIT_REQUIRE_DVC=1
export PATH="$PWD/.venv/bin:$PATH"
failed=()
echo "== ruff";   ruff check dvcdoit tests || failed+=(ruff)
echo "== mypy";   mypy || failed+=(mypy)
echo "== layers"; lint-imports || failed+=(layers)
# NOTE: two workers, one test file each at a time (module fixtures start once per file); the
# suite mostly waits on subprocesses and servers, so -n 2 on 2 cores about halves it
echo "== pytest"; python -m pytest -q -n 2 --dist loadfile "$@" || failed+=(pytest)
if [ ${#failed[@]} -ne 0 ]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
