#!/usr/bin/env bash
# `npm run test:lab`: bring the lab up, run the lab tests against it, and always take it
# down again, even when the tests fail or are interrupted.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."

down() { bash "$here/lab.sh" down || echo "run.sh: lab.sh down failed" >&2; }
trap down EXIT
trap 'exit 130' INT TERM

bash "$here/lab.sh" up "${DRIFTD_LAB_NODES:-3}"
npx vitest run --config test/lab/vitest.config.ts "$@"
