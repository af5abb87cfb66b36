#!/usr/bin/env bash
# `npm run test:lab`: bring the lab up, run the lab tests against it, and always take it
# down again, even when the tests fail or are interrupted.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."

# The lab's own system packages (as root, from Debian's packages): installed here, so
# `npm run test:lab` works on a fresh machine without any other set-up step.
lab_pkgs=(debootstrap openssh-server openssh-client util-linux dpkg passwd procps iproute2 ca-certificates)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${lab_pkgs[@]}"; do dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "run.sh: installing lab packages: ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
  mkdir -p /run/sshd
fi

down() { bash "$here/lab.sh" down || echo "run.sh: lab.sh down failed" >&2; }
trap down EXIT
trap 'exit 130' INT TERM

bash "$here/lab.sh" up "${DRIFTD_LAB_NODES:-3}"
npx vitest run --config test/lab/vitest.config.ts "$@"
