#!/usr/bin/env bash
# Run the get-started tutorial end to end: every `$ ` command of README.md's ```console blocks,
# in order and exactly as written, in a fresh git repo in a temporary directory, with a
# local-directory remote beside it (../dvc-storage). Nothing here needs the network.
#
#   bash examples/get-started/run.sh [WORKDIR]     (WORKDIR defaults to a new temp dir; kept)
#
# dvcdoit and doit must be on PATH; the repository's .venv (scripts/test.sh and the top-level
# README's first command create it) is used when it exists.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
if [ -x "$ROOT/.venv/bin/dvcdoit" ]; then
    export PATH="$ROOT/.venv/bin:$PATH"
fi
for tool in git dvcdoit doit; do
    command -v "$tool" >/dev/null || { echo "run.sh: '$tool' is not on PATH (pip install -e $ROOT)" >&2; exit 2; }
done

WORK="${1:-$(mktemp -d "${TMPDIR:-/tmp}/dvcdoit-get-started.XXXXXX")}"
REPO="$WORK/get-started"
[ ! -e "$REPO" ] || { echo "run.sh: $REPO already exists" >&2; exit 2; }
mkdir -p "$REPO"
cp -r "$HERE/src" "$HERE/params.yaml" "$REPO/"
export DVC_NO_ANALYTICS=1 DVC_NO_UPDATE_CHECK=1
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-dvcdoit tutorial}" GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-tutorial@example.invalid}"
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-$GIT_AUTHOR_NAME}" GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-$GIT_AUTHOR_EMAIL}"
cd "$REPO"
git init -q .

# The commands: lines starting with "$ " inside ```console fences.
mapfile -t COMMANDS < <(awk '/^```console/{f=1; next} /^```/{f=0} f && /^\$ /{print substr($0, 3)}' "$HERE/README.md")
echo "== get-started tutorial in $REPO (${#COMMANDS[@]} commands)"
for cmd in "${COMMANDS[@]}"; do
    printf '\n\033[1m$ %s\033[0m\n' "$cmd"
    bash -c "$cmd"
done
echo
echo "== done: the tutorial ran end to end in $REPO (remote: $WORK/dvc-storage)"
