#!/usr/bin/env bash
# Runs inside the lab's private mount namespace (started by lab.sh through
# `unshare --mount --propagation private`). sshd refuses a ChrootDirectory whose path has a
# group- or world-writable component, so each node root is bind-mounted under a fresh
# root-owned tmpfs on /srv, visible only in this namespace. The mounts vanish with the
# namespace when its last process ends, so nothing leaks into the host's mount table.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

echo "$$" >"$LAB_DIR/supervisor.pid.tmp"
# `down` kills every process left in this namespace (per-connection sshd children too).
readlink /proc/self/ns/mnt >"$LAB_DIR/mntns"
mount -t tmpfs -o mode=0755,size=1m driftd-lab /srv
while read -r node; do
  mkdir "/srv/$node"
  mount --bind "$(node_root "$node")" "/srv/$node"
  # The facets read /proc (sysctl, kernel); read-only is all they need.
  mount --bind /proc "/srv/$node/proc"
  mount -o remount,bind,ro "/srv/$node/proc"
  exec_sshd "$node"
done <"$LAB_DIR/nodes.list"
mv "$LAB_DIR/supervisor.pid.tmp" "$LAB_DIR/supervisor.pid"
# Keep the namespace alive; argv[0] lets lab.sh recognise this PID as its own.
exec -a "$LAB_SUPERVISOR_NAME" sleep infinity
