# Shared by lab.sh and seed.sh: where the lab lives and how nodes are named and addressed.
# Sourced, not run.

LAB_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# /var/lib is root-owned 0755 all the way down, which sshd's StrictModes requires for the
# AuthorizedKeysFile path (a world-writable /tmp or /var/tmp component is refused).
LAB_DIR="${DRIFTD_LAB_DIR:-/var/lib/driftd-lab}"
LAB_CACHE="${DRIFTD_LAB_CACHE:-/var/cache/driftd-lab}"
LAB_PORT="${DRIFTD_LAB_PORT:-2222}"
LAB_USER="driftd-lab"
# The GECOS marks the host account as the lab's own, so `down` never removes a user it
# did not create.
LAB_USER_GECOS="driftd lab user (test/lab/lab.sh)"
LAB_CLUSTER="lab"
LAB_SUITE="bookworm"
# Changing these lists changes the base cache name, so a stale cache is never reused.
# procps: sysctl. python3: Ansible-driven benchmarks. pacemaker-resource-agents (with
# resource-agents): the OCF agents the lab CIB references, as on a real cluster node;
# installed with apt after policy-rc.d is in place so nothing starts. corosync: the daemon
# `seed.sh NODE corosync-start` runs in a node, for runtime-vs-file scenarios. iproute2:
# `ip`, which the network facet reads inside the node's own network namespace.
# pacemaker, pacemaker-cli-utils: the Pacemaker `lab.sh up --pacemaker` runs on the nodes
# (cibadmin, crm_mon). fence-agents: its fence_dummy is that cluster's fencing device.
LAB_BASE_PACKAGES="procps,python3"
LAB_BASE_APT_PACKAGES="pacemaker-resource-agents corosync iproute2 pacemaker pacemaker-cli-utils fence-agents"
LAB_SUPERVISOR_NAME="driftd-lab-supervisor"
# Host group whose gid the nodes' haclient takes, so the lab user may read the live CIB.
LAB_HA_GROUP="driftd-lab-ha"
# Files every node gets from $LAB_DIR/baseline at `up`, and again at `seed.sh NODE reset`.
BASELINE_PATHS=(etc/hosts etc/sysctl.d/90-driftd-lab.conf etc/corosync/corosync.conf var/lib/pacemaker/cib/cib.xml)

lab_log() { printf 'lab: %s\n' "$*" >&2; }
lab_die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

# node_name 1 -> erp-a ... up to 24 nodes (127.0.0.2 .. 127.0.0.25).
node_name() {
  local letters=abcdefghijklmnopqrstuvwx
  printf 'erp-%s' "${letters:$(($1 - 1)):1}"
}
node_index() {
  local name="$1" i
  for i in $(seq 1 24); do
    if [[ "$(node_name "$i")" == "$name" ]]; then echo "$i"; return 0; fi
  done
  return 1
}
node_addr() { printf '127.0.0.%d' "$(($1 + 1))"; }

node_root() { printf '%s/roots/%s' "$LAB_DIR" "$1"; }

# Each node's own network namespace (`ip netns`, /run/netns/driftd-lab-NODE): its
# loopback and one NIC, eth0 (dummy, or veth paired with veth0 in the same namespace), with
# the node's own MAC and address. It reaches nothing outside the namespace, and its
# address is in 127.0.0.0/8 all the same. sshd listens in
# the host's namespace on 127.0.0.N; every session it serves runs in the node's namespace.
LAB_NETNS_PREFIX="driftd-lab-"
LAB_NIC="eth0"
LAB_NIC_MTU=1500
node_netns() { printf '%s%s' "$LAB_NETNS_PREFIX" "$1"; }
# Locally administered unicast MACs (02:...), one per node.
node_mac() { printf '02:00:7f:00:01:%02x' "$(($1 + 1))"; }
node_nic_addr() { printf '127.0.1.%d/24' "$(($1 + 1))"; }
node_state() { printf '%s/nodes/%s' "$LAB_DIR" "$1"; }

# Nodes of the running lab, one per line, in index order.
lab_nodes() {
  [[ -f "$LAB_DIR/nodes.list" ]] && cat "$LAB_DIR/nodes.list"
}

# The PID in PIDFILE if that process is alive and its command line (argv joined by
# spaces) starts with (MODE prefix) or contains (MODE contains) TEXT, taken literally: a
# recycled PID is never mistaken for one of ours.
live_pid() {
  local pidfile="$1" mode="$2" text="$3" pid cmdline
  [[ -f "$pidfile" ]] || return 1
  pid="$(cat "$pidfile")"
  [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/cmdline" ]] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
  case "$mode" in
    prefix) [[ "$cmdline" == "$text"* ]] || return 1 ;;
    contains) [[ "$cmdline" == *"$text"* ]] || return 1 ;;
    *) lab_die "live_pid: unknown mode $mode" ;;
  esac
  echo "$pid"
}

# True once PID has exited; false if it is still alive after TENTHS tenths of a second.
wait_gone() {
  local pid="$1" tenths="$2" i
  for ((i = 0; i < tenths; i++)); do
    [[ -e "/proc/$pid" ]] || return 0
    sleep 0.1
  done
  [[ ! -e "/proc/$pid" ]]
}

# PID of the namespace supervisor if it is alive and really ours (argv[0] checked).
supervisor_pid() { live_pid "$LAB_DIR/supervisor.pid" prefix "$LAB_SUPERVISOR_NAME "; }

# PID of a node's sshd if alive and started from this node's config.
sshd_pid() { live_pid "$(node_state "$1")/sshd.pid" contains "$(node_state "$1")/sshd_config"; }

# Runs a node's sshd listener (it daemonizes). Its argv[0] is the node's sshd-netns
# wrapper: OpenSSH 9.2 re-executes argv[0] for every connection (`sshd -R`, rexec), so
# the listener stays on 127.0.0.N in the host's network namespace while each connection
# is served, and each session runs, in the node's own namespace.
exec_sshd() {
  local state
  state="$(node_state "$1")"
  (exec -a "$state/sshd-netns" /usr/sbin/sshd -f "$state/sshd_config" -E "$state/sshd.log")
}

# Start a node's sshd inside the lab's mount namespace, where /srv/NODE exists.
start_sshd() {
  local node="$1" sup
  sup="$(supervisor_pid)" || lab_die "the lab is not up (no supervisor)"
  if sshd_pid "$node" >/dev/null; then return 0; fi
  rm -f "$(node_state "$node")/sshd.pid"
  nsenter --mount --target "$sup" -- bash -c 'source "$1/lib.sh" && exec_sshd "$2"' sh "$LAB_SRC" "$node"
  wait_for_pidfile "$node"
}

stop_sshd() {
  local node="$1" pid
  pid="$(sshd_pid "$node")" || return 0
  kill -TERM "$pid"
  wait_gone "$pid" 50 || true
  rm -f "$(node_state "$node")/sshd.pid"
}

wait_for_pidfile() {
  local node="$1" i
  for i in $(seq 1 50); do
    if sshd_pid "$node" >/dev/null; then return 0; fi
    sleep 0.1
  done
  lab_die "sshd for $node did not start; see $(node_state "$node")/sshd.log"
}

# A live kernel tunable as the lab's nodes read it, one line, tabs as spaces (as `sysctl -a`
# prints it): the host's, but net.* as in a node's own network namespace (NETNS).
host_sysctl() {
  local path="/proc/sys/${1//.//}" netns="${2:-}"
  [[ -r "$path" ]] || return 1
  if [[ -n "$netns" && "$1" == net.* ]]; then
    nsenter --net="/run/netns/$netns" head -n 1 "$path" | tr '\t' ' '
  else
    head -n 1 "$path" | tr '\t' ' '
  fi
}
