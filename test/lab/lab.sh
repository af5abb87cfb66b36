#!/usr/bin/env bash
# The driftd lab: N Debian roots, each behind its own real OpenSSH sshd on 127.0.0.N:2222,
# chrooted inside a private mount namespace. See test/lab/README.md.
#
#   lab.sh up [N] [--pacemaker]  build (or reuse) the lab with N nodes (default 3): erp-a,
#                   erp-b, ...; with --pacemaker, then `lab.sh pacemaker`
#   lab.sh pacemaker  start corosync and Pacemaker on every node of the 3-node lab and wait
#                   until crm_mon shows every node online and every resource started
#   lab.sh down     stop what `up` started, unmount, remove the lab user and node roots
#   lab.sh status   report the supervisor, each sshd, and an ssh probe per node
#
# Idempotent: `up` on a healthy lab of the same size only prints where things are; on a
# partial or different lab it tears it down first. `down` is safe twice and after a
# failed `up`. The debootstrapped base root is cached under /var/cache/driftd-lab.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# bash ignores an inherited PS4 as root, so tracing with timestamps is switched on here.
if [[ -n "${DRIFTD_LAB_TRACE:-}" ]]; then PS4='+ $EPOCHREALTIME '; set -x; fi

LAB_MARKER=".driftd-lab"
FILES_WATCHED=(/etc/hosts '/etc/sysctl.d/*.conf' /etc/corosync/corosync.conf /var/lib/pacemaker/cib/cib.xml)

require_root_and_tools() {
  [[ "$(id -u)" == 0 ]] || lab_die "run as root (debootstrap, chroot, mount namespaces)"
  local tool missing=()
  for tool in debootstrap chroot unshare nsenter ip ssh-keygen ssh dpkg-deb useradd userdel /usr/sbin/sshd; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  ((${#missing[@]} == 0)) || lab_die "missing tools: ${missing[*]} (apt-get install -y debootstrap openssh-server openssh-client util-linux dpkg passwd iproute2)"
}

# The first Debian mirror the host's apt uses for the suite itself (not -security), so the
# lab fetches from wherever this machine is allowed to.
host_debian_mirror() {
  local mirror=""
  mirror="$(awk -v suite="$LAB_SUITE" '
    /^[[:space:]]*$/ { if (uri != "" && ok) { print uri; exit } uri=""; ok=0; next }
    /^URIs:/ { uri=$2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) ok=1 }
    END { if (uri != "" && ok) print uri }
  ' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)"
  if [[ -z "$mirror" && -f /etc/apt/sources.list ]]; then
    mirror="$(awk -v suite="$LAB_SUITE" '$1 == "deb" && $3 == suite { print $2; exit }' /etc/apt/sources.list)"
  fi
  [[ -n "$mirror" ]] || lab_die "no $LAB_SUITE mirror found in /etc/apt/sources.list{,.d/*.sources}"
  echo "$mirror"
}

base_dir() {
  local key
  key="$(printf '%s %s %s v1' "$LAB_SUITE" "$LAB_BASE_PACKAGES" "$LAB_BASE_APT_PACKAGES" | sha256sum | cut -c1-8)"
  printf '%s/base-%s-%s' "$LAB_CACHE" "$LAB_SUITE" "$key"
}

# The stamp is written last, so a cache interrupted mid-build is never trusted.
ensure_base() {
  local base mirror started
  base="$(base_dir)"
  if [[ -f "$base/.driftd-lab-complete" ]]; then
    lab_log "base root: $base (cached)"
    return 0
  fi
  mirror="$(host_debian_mirror)"
  lab_log "building base root $base from $mirror (debootstrap --variant=minbase $LAB_SUITE, + $LAB_BASE_PACKAGES $LAB_BASE_APT_PACKAGES)"
  started=$SECONDS
  rm -rf "$base" "$base.tmp"
  mkdir -p "$LAB_CACHE"
  debootstrap --variant=minbase --include="$LAB_BASE_PACKAGES" "$LAB_SUITE" "$base.tmp" "$mirror" \
    >"$LAB_CACHE/debootstrap.log" 2>&1 || lab_die "debootstrap failed; see $LAB_CACHE/debootstrap.log"
  # No package may start a service inside a node root.
  printf '#!/bin/sh\nexit 101\n' >"$base.tmp/usr/sbin/policy-rc.d"
  chmod 0755 "$base.tmp/usr/sbin/policy-rc.d"
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive chroot "$base.tmp" apt-get install -y -q --no-install-recommends \
    $LAB_BASE_APT_PACKAGES >>"$LAB_CACHE/debootstrap.log" 2>&1 \
    || lab_die "apt-get install $LAB_BASE_APT_PACKAGES in the base root failed; see $LAB_CACHE/debootstrap.log"
  chroot "$base.tmp" apt-get clean
  rm -rf "$base.tmp/var/lib/apt/lists/"*
  mv "$base.tmp" "$base"
  date -u +%FT%TZ >"$base/.driftd-lab-complete"
  lab_log "base root built in $((SECONDS - started)) s"
}

ensure_lab_user() {
  local gecos
  if gecos="$(getent passwd "$LAB_USER" | cut -d: -f5)"; then
    [[ "$gecos" == "$LAB_USER_GECOS" ]] || lab_die "host user $LAB_USER exists and was not created by the lab; refusing to use it"
  else
    useradd --system --user-group --no-create-home --home-dir "/home/$LAB_USER" \
      --shell /bin/sh --comment "$LAB_USER_GECOS" "$LAB_USER"
  fi
  # sshd without PAM rejects a locked ("!") account even for key auth; "*" has no
  # password yet is not locked.
  usermod -p '*' "$LAB_USER"
  # The lab user reads the live CIB as a monitoring account would: as a member of the
  # nodes' haclient. sshd sets a session's groups from the host's group database before it
  # chroots, so membership needs a host group: one of the lab's own, whose gid the roots'
  # haclient takes (make_node). `down` deletes it (userdel drops the membership).
  getent group "$LAB_HA_GROUP" >/dev/null || groupadd --system "$LAB_HA_GROUP"
  usermod -a -G "$LAB_HA_GROUP" "$LAB_USER"
}

# The root's haclient group renumbered to the gid of the host's $LAB_HA_GROUP, with the lab
# user as a member; hacluster and every file outside /usr follow. (/usr, hard-linked to the
# cache, holds no file of that group; a root that did would make this refuse.)
map_haclient() {
  local root="$1" old new
  old="$(awk -F: '$1 == "haclient" { print $3 }' "$root/etc/group")"
  new="$(getent group "$LAB_HA_GROUP" | cut -d: -f3)"
  [[ -n "$old" && -n "$new" ]] || lab_die "no haclient group in $root or no host group $LAB_HA_GROUP"
  if [[ "$old" != "$new" ]]; then
    ! awk -F: -v g="$new" '$3 == g { found = 1 } END { exit !found }' "$root/etc/group" \
      || lab_die "gid $new of host group $LAB_HA_GROUP is taken in the node root; delete that group or choose another with groupmod"
    [[ -z "$(find "$root/usr" -xdev -gid "$old" -print -quit)" ]] || lab_die "files under $root/usr belong to haclient (gid $old); the lab cannot renumber it"
    find "$root" -xdev -path "$root/usr" -prune -o -gid "$old" -exec chgrp -h "$new" {} +
    awk -F: -v OFS=: -v old="$old" -v new="$new" '$4 == old { $4 = new } { print }' "$root/etc/passwd" >"$root/etc/passwd.lab-tmp"
    mv -f "$root/etc/passwd.lab-tmp" "$root/etc/passwd"
  fi
  awk -F: -v OFS=: -v new="$new" -v user="$LAB_USER" \
    '$1 == "haclient" { $3 = new; $4 = ($4 == "" ? user : $4 "," user) } { print }' "$root/etc/group" >"$root/etc/group.lab-tmp"
  mv -f "$root/etc/group.lab-tmp" "$root/etc/group"
  chmod 0644 "$root/etc/passwd" "$root/etc/group"
}

write_baseline() {
  local count="$1" i dir="$LAB_DIR/baseline" netns
  # net.* is per network namespace: the values a node reads in its own (all alike).
  netns="$(node_netns "$(node_name 1)")"
  mkdir -p "$dir/etc/sysctl.d" "$dir/etc/corosync" "$dir/var/lib/pacemaker/cib"
  {
    printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n'
    for i in $(seq 1 "$count"); do printf '%s\t%s\n' "$(node_addr "$i")" "$(node_name "$i")"; done
  } >"$dir/etc/hosts"
  # Every node runs the host's kernel, so its live sysctl values are the host's. A clean
  # lab has no runtime drift: the files say what runs. The lab's own file holds the host's
  # live values, and each file the base root's packages ship in /usr/lib/sysctl.d gets a
  # same-named override in /etc/sysctl.d with the host's live values (the admin's way).
  {
    echo '# driftd lab baseline: the same on every node (the host'"'"'s live values)'
    echo "vm.swappiness = $(host_sysctl vm.swappiness)"
    echo "net.ipv4.tcp_keepalive_time = $(host_sysctl net.ipv4.tcp_keepalive_time "$netns")"
  } >"$dir/etc/sysctl.d/90-driftd-lab.conf"
  local shipped name line key value
  for shipped in "$(base_dir)"/usr/lib/sysctl.d/*.conf "$(base_dir)"/lib/sysctl.d/*.conf; do
    [[ -f "$shipped" ]] || continue
    name="$(basename "$shipped")"
    [[ "$name" == 90-driftd-lab.conf || -e "$dir/etc/sysctl.d/$name" ]] && continue
    {
      echo "# driftd lab: overrides /usr/lib/sysctl.d/$name with the host's live values"
      while IFS= read -r line || [[ -n "$line" ]]; do
        [[ "$line" =~ ^[[:space:]]*([#\;]|$) ]] && continue
        [[ "$line" == *=* ]] || continue
        key="${line%%=*}"; key="${key//[[:space:]]/}"; key="${key#-}"
        [[ "$key" == *[*?]* ]] && continue
        value="$(host_sysctl "$key" "$netns")" || continue
        echo "$key = $value"
      done <"$shipped"
    } >"$dir/etc/sysctl.d/$name"
  done
  cp "$LAB_SRC/files/corosync.conf" "$dir/etc/corosync/corosync.conf"
  cp "$LAB_SRC/files/cib.xml" "$dir/var/lib/pacemaker/cib/cib.xml"
}

# The node's own network namespace: loopback up, and a NIC named like a real one with the
# node's own MAC and address (see lib.sh): a dummy interface, or where the kernel has no
# dummy driver (this development VM) a veth pair whose other end, veth0, stays in the same
# namespace (driftd leaves veth* out as container plumbing). Nothing in it can reach the
# host's network or another node; `down` deletes it, and the interfaces go with it.
make_netns() {
  local index="$1" ns err
  ns="$(node_netns "$(node_name "$index")")"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  if ! err="$(ip -n "$ns" link add "$LAB_NIC" address "$(node_mac "$index")" mtu "$LAB_NIC_MTU" type dummy 2>&1)"; then
    ip -n "$ns" link add "$LAB_NIC" address "$(node_mac "$index")" mtu "$LAB_NIC_MTU" type veth peer name veth0 \
      || lab_die "cannot make $LAB_NIC in network namespace $ns: no dummy ($err) and no veth interface type"
    ip -n "$ns" link set veth0 up
  fi
  # scope global, as a NIC's address is: the kernel would give a 127/8 address host scope.
  ip -n "$ns" addr add "$(node_nic_addr "$index")" dev "$LAB_NIC" scope global
  ip -n "$ns" link set "$LAB_NIC" up
}

# The lab's network namespaces, by their prefix: nothing else is named so.
lab_netns_list() {
  ip netns list 2>/dev/null | awk -v p="$LAB_NETNS_PREFIX" 'index($1, p) == 1 { print $1 }'
}

make_node() {
  local index="$1" node root state uid gid addr
  node="$(node_name "$index")"
  root="$(node_root "$node")"
  state="$(node_state "$node")"
  addr="$(node_addr "$index")"
  uid="$(id -u "$LAB_USER")"
  gid="$(id -g "$LAB_USER")"

  # /usr (most of the root) is hard-linked to the cache, the rest copied: a node costs
  # ~30 MB and well under a second instead of a 300 MB copy. Safe because nothing writes
  # under /usr in place: dpkg unpacks to *.dpkg-new and renames, and seed.sh writes by
  # rename too, so a shared inode is replaced, never changed.
  mkdir -m 0755 "$root"
  local entry
  for entry in "$(base_dir)"/* "$(base_dir)"/.[!.]*; do
    [[ -e "$entry" || -L "$entry" ]] || continue
    case "$(basename "$entry")" in
      .driftd-lab-complete) ;;
      usr) cp -a --link "$entry" "$root/usr" ;;
      *) cp -a "$entry" "$root/" ;;
    esac
  done
  # Same uid/gid inside as on the host: sshd resolves the user on the host before chroot,
  # the commands after it read the root's own /etc/passwd.
  printf '%s:x:%s:%s:%s:/home/%s:/bin/sh\n' "$LAB_USER" "$uid" "$gid" "$LAB_USER_GECOS" "$LAB_USER" >>"$root/etc/passwd"
  printf '%s:x:%s:\n' "$LAB_USER" "$gid" >>"$root/etc/group"
  printf '%s:*:20000:0:99999:7:::\n' "$LAB_USER" >>"$root/etc/shadow"
  install -d -o "$uid" -g "$gid" -m 0755 "$root/home/$LAB_USER"
  map_haclient "$root"
  # What a tmpfs /dev/shm is: Pacemaker's daemons (as hacluster) make their libqb IPC
  # buffers there.
  chmod 1777 "$root/dev/shm"
  echo "$node" >"$root/etc/hostname"
  # The monitoring user may read corosync's cmap (a uidgid entry, as one would grant a
  # monitoring account on a real node), so corosync-cmapctl answers driftd without sudo.
  mkdir -p "$root/etc/corosync/uidgid.d"
  printf 'uidgid {\n\tuid: %s\n}\n' "$LAB_USER" >"$root/etc/corosync/uidgid.d/$LAB_USER"
  # libqb IPC on sockets under the root's own /run: the roots share the host's network
  # namespace, where abstract sockets (libqb's default) would collide between nodes.
  mkdir -p "$root/etc/libqb"
  : >"$root/etc/libqb/force-filesystem-sockets"
  (cd "$LAB_DIR/baseline" && cp --parents -p "${BASELINE_PATHS[@]}" "$root/" && cp --parents -p etc/sysctl.d/*.conf "$root/")

  mkdir -p "$state"
  # sshd re-executes this for every connection (see exec_sshd in lib.sh): the session
  # runs in the node's network namespace.
  printf '#!/bin/sh\n# driftd lab: sshd for %s, serving each connection in its network namespace\nexec nsenter --net=/run/netns/%s -- /usr/sbin/sshd "$@"\n' \
    "$node" "$(node_netns "$node")" >"$state/sshd-netns"
  chmod 0755 "$state/sshd-netns"
  ssh-keygen -q -t ed25519 -N '' -C "driftd-lab $node" -f "$state/ssh_host_ed25519_key"
  cp -p "$state/ssh_host_ed25519_key" "$state/ssh_host_ed25519_key.orig"
  cp -p "$state/ssh_host_ed25519_key.pub" "$state/ssh_host_ed25519_key.pub.orig"
  # Each node its own identity, as installed machines have (the identity facet checks they
  # differ): a machine-id, and the public half of its sshd host key where sshd keeps it.
  # The private key never enters the root. seed.sh clone-identity copies them between nodes.
  od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$root/etc/machine-id"
  echo >>"$root/etc/machine-id"
  cp -p "$root/etc/machine-id" "$state/machine-id.orig"
  mkdir -p "$root/etc/ssh"
  cp "$state/ssh_host_ed25519_key.pub" "$root/etc/ssh/ssh_host_ed25519_key.pub"
  cat >"$state/sshd_config" <<CONF
# driftd lab node $node (generated by test/lab/lab.sh)
ListenAddress $addr:$LAB_PORT
HostKey $state/ssh_host_ed25519_key
PidFile $state/sshd.pid
ChrootDirectory /srv/$node
AuthorizedKeysFile $LAB_DIR/client/authorized_keys
AllowUsers $LAB_USER
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTunnel no
PrintMotd no
PrintLastLog no
# driftd opens several channels per node and benchmarks run many nodes at once.
MaxSessions 64
MaxStartups 100:30:200
LogLevel VERBOSE
CONF
  printf '[%s]:%s %s\n' "$addr" "$LAB_PORT" "$(cut -d' ' -f1,2 "$state/ssh_host_ed25519_key.pub")" >>"$LAB_DIR/client/known_hosts"
  echo "$node" >>"$LAB_DIR/nodes.list"
}

write_driftd_config() {
  local count="$1" i pattern
  {
    echo "# driftd config for the lab (generated by test/lab/lab.sh up $count)."
    echo "database: $LAB_DIR/driftd.db"
    echo "listen: 127.0.0.1:10731"
    echo "logLevel: warn"
    echo "ssh:"
    echo "  connectTimeoutSeconds: 5"
    echo "clusters:"
    echo "  - name: $LAB_CLUSTER"
    echo "    files:"
    for pattern in "${FILES_WATCHED[@]}"; do echo "      - '$pattern'"; done
    echo "    nodes:"
    for i in $(seq 1 "$count"); do
      echo "      - name: $(node_name "$i")"
      echo "        host: $(node_addr "$i")"
      echo "        port: $LAB_PORT"
      echo "        ssh:"
      echo "          user: $LAB_USER"
      echo "          identityFile: $LAB_DIR/client/id_ed25519"
      echo "          knownHosts: $LAB_DIR/client/known_hosts"
    done
  } >"$LAB_DIR/driftd.yaml"
}

port_in_use() {
  (exec 3<>"/dev/tcp/$1/$LAB_PORT") 2>/dev/null
}

# One real login per node with the client key and strict host-key checking.
probe_node() {
  local node="$1" index
  index="$(node_index "$node")"
  timeout 10 ssh -q -n -p "$LAB_PORT" -i "$LAB_DIR/client/id_ed25519" \
    -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile="$LAB_DIR/client/known_hosts" -o GlobalKnownHostsFile=/dev/null \
    -o ConnectTimeout=5 "$LAB_USER@$(node_addr "$index")" 'cat /etc/hostname' 2>/dev/null
}

lab_healthy() {
  local want="$1" node count=0
  supervisor_pid >/dev/null || return 1
  while read -r node; do
    count=$((count + 1))
    sshd_pid "$node" >/dev/null || return 1
    [[ -e "/run/netns/$(node_netns "$node")" ]] || return 1
  done < <(lab_nodes)
  [[ "$count" == "$want" ]]
}

print_where() {
  cat <<INFO
lab is up: $(wc -l <"$LAB_DIR/nodes.list") nodes, supervisor pid $(supervisor_pid)
  driftd config : $LAB_DIR/driftd.yaml   (cluster "$LAB_CLUSTER")
  ssh user      : $LAB_USER
  client key    : $LAB_DIR/client/id_ed25519
  known_hosts   : $LAB_DIR/client/known_hosts
  node roots    : $LAB_DIR/roots/<node>   (edit them with test/lab/seed.sh)
  nodes         : $(while read -r n; do printf '%s=%s:%s ' "$n" "$(node_addr "$(node_index "$n")")" "$LAB_PORT"; done < <(lab_nodes))
  try           : npx tsx src/cli/bin.ts check --config $LAB_DIR/driftd.yaml --cluster $LAB_CLUSTER --json
INFO
}

up_exit_cleanup() {
  local rc=$?
  ((rc == 0)) && return 0
  lab_log "up failed (exit $rc); cleaning up"
  cmd_down || true
}

cmd_up() {
  local count="${1:-3}" i node sup
  [[ "$count" =~ ^[0-9]+$ ]] && ((count >= 1 && count <= 24)) || lab_die "node count is 1..24, got '$count'"
  require_root_and_tools
  if lab_healthy "$count"; then
    lab_log "already up with $count nodes"
    print_where
    return 0
  fi
  if [[ -e "$LAB_DIR" ]]; then
    lab_log "tearing down a partial or different lab first"
    cmd_down
  fi
  for i in $(seq 1 "$count"); do
    ! port_in_use "$(node_addr "$i")" || lab_die "$(node_addr "$i"):$LAB_PORT is already in use by something else"
  done
  ensure_base
  mkdir -p -m 0755 "$LAB_DIR"
  touch "$LAB_DIR/$LAB_MARKER"
  # If anything below fails (lab_die exits too), leave nothing half-started behind.
  trap 'up_exit_cleanup' EXIT
  ensure_lab_user
  mkdir -p -m 0755 "$LAB_DIR/client" "$LAB_DIR/roots" "$LAB_DIR/nodes"
  ssh-keygen -q -t ed25519 -N '' -C "driftd-lab client" -f "$LAB_DIR/client/id_ed25519"
  install -m 0644 "$LAB_DIR/client/id_ed25519.pub" "$LAB_DIR/client/authorized_keys"
  : >"$LAB_DIR/client/known_hosts"
  : >"$LAB_DIR/nodes.list"
  [[ -d /run/netns ]] || touch "$LAB_DIR/created-run-netns"
  for i in $(seq 1 "$count"); do make_netns "$i"; done
  write_baseline "$count"
  for i in $(seq 1 "$count"); do make_node "$i"; done
  mkdir -p /run/sshd
  chmod 0755 /run/sshd
  /usr/sbin/sshd -t -f "$(node_state "$(node_name 1)")/sshd_config" -o ChrootDirectory=none

  setsid unshare --mount --propagation private -- bash "$LAB_SRC/supervisor.sh" \
    </dev/null >"$LAB_DIR/supervisor.log" 2>&1 9>&- &
  for i in $(seq 1 100); do
    sup="$(supervisor_pid)" && break
    sleep 0.1
  done
  [[ -n "${sup:-}" ]] || { cat "$LAB_DIR/supervisor.log" >&2; lab_die "supervisor did not come up"; }
  while read -r node; do
    wait_for_pidfile "$node"
    probe_node "$node" >/dev/null || lab_die "ssh login to $node failed; see $(node_state "$node")/sshd.log"
  done < <(lab_nodes)
  write_driftd_config "$count"
  trap - EXIT
  print_where
}

# Processes in the lab's mount namespace: the supervisor, the sshd listeners and their
# per-connection children. Nothing else can be in it: it was created for the lab.
namespace_pids() {
  local inode="${1//[^0-9]/}"
  # One find instead of a readlink per process; "?" stands for the brackets in
  # "mnt:[inode]", which -lname would read as a character class.
  find /proc/[0-9]*/ns/mnt -maxdepth 0 -lname "mnt:?$inode?" 2>/dev/null | cut -d/ -f3
  return 0
}

cmd_down() {
  [[ "$(id -u)" == 0 ]] || lab_die "run as root"
  local node ns="" pid pids i netns
  if [[ -e "$LAB_DIR" && ! -e "$LAB_DIR/$LAB_MARKER" ]]; then
    lab_die "$LAB_DIR exists but has no $LAB_MARKER marker; not touching it"
  fi
  [[ -f "$LAB_DIR/mntns" ]] && ns="$(cat "$LAB_DIR/mntns")"
  if [[ -n "$ns" && "$ns" == "$(readlink /proc/self/ns/mnt)" ]]; then
    lab_die "recorded namespace $ns is the host's own; refusing to kill by it"
  fi
  if [[ -d "$LAB_DIR/nodes" ]]; then
    for node in $(ls "$LAB_DIR/nodes"); do
      pid="$(sshd_pid "$node")" && kill -TERM "$pid" 2>/dev/null || true
    done
  fi
  pid="$(supervisor_pid)" && kill -TERM "$pid" 2>/dev/null || true
  if [[ -n "$ns" ]]; then
    for i in $(seq 1 50); do
      pids="$(namespace_pids "$ns")"
      [[ -z "$pids" ]] && break
      # shellcheck disable=SC2086
      if ((i < 30)); then kill -TERM $pids 2>/dev/null || true; else kill -KILL $pids 2>/dev/null || true; fi
      sleep 0.1
    done
    [[ -z "$(namespace_pids "$ns")" ]] || lab_die "processes still in lab namespace $ns: $(namespace_pids "$ns" | tr '\n' ' ')"
  fi
  # The nodes' network namespaces (their NICs go with them), once nothing runs in them.
  for netns in $(lab_netns_list); do ip netns delete "$netns"; done
  # /run/netns itself, if the lab made it (`ip netns add` mounts it) and it is empty now.
  if [[ -e "$LAB_DIR/created-run-netns" && -d /run/netns ]] && [[ -z "$(ls -A /run/netns)" ]]; then
    umount /run/netns 2>/dev/null || true
    rmdir /run/netns 2>/dev/null || true
  fi
  if getent passwd "$LAB_USER" >/dev/null && [[ "$(getent passwd "$LAB_USER" | cut -d: -f5)" == "$LAB_USER_GECOS" ]]; then
    userdel "$LAB_USER" 2>/dev/null || userdel -f "$LAB_USER"
    getent group "$LAB_USER" >/dev/null && groupdel "$LAB_USER" 2>/dev/null || true
  fi
  # The lab's own host group (named for the lab: nothing else is).
  if getent group "$LAB_HA_GROUP" >/dev/null; then groupdel "$LAB_HA_GROUP" || true; fi
  # The roots were only ever mounted inside the (now empty, hence gone) namespace, so
  # removing them from the host side cannot reach through into /proc or anything else.
  if [[ -e "$LAB_DIR/$LAB_MARKER" ]]; then
    rm -rf --one-file-system "$LAB_DIR"
  fi
  lab_log "down"
}

cmd_status() {
  local node pid sup rc=0
  if ! sup="$(supervisor_pid)"; then
    echo "lab is down"
    return 3
  fi
  echo "supervisor pid $sup (mount namespace $(cat "$LAB_DIR/mntns"))"
  while read -r node; do
    if pid="$(sshd_pid "$node")"; then
      if probe_node "$node" >/dev/null; then
        echo "$node $(node_addr "$(node_index "$node")"):$LAB_PORT sshd pid $pid, ssh login ok"
      else
        echo "$node $(node_addr "$(node_index "$node")"):$LAB_PORT sshd pid $pid, ssh login FAILED (host key changed?)"
        rc=1
      fi
    else
      echo "$node $(node_addr "$(node_index "$node")"):$LAB_PORT sshd STOPPED"
      rc=1
    fi
  done < <(lab_nodes)
  echo "driftd config: $LAB_DIR/driftd.yaml"
  return "$rc"
}

# The real cluster of files/cib-live.xml on the 3-node lab (the tests use lab-env.ts
# startPacemakerCluster() instead, which waits the same way).
cmd_pacemaker() {
  local node sup xml online started i want=5
  [[ "$(id -u)" == 0 ]] || lab_die "run as root"
  sup="$(supervisor_pid)" || lab_die "the lab is not up (lab.sh up first)"
  [[ "$(lab_nodes | tr '\n' ' ')" == "erp-a erp-b erp-c " ]] || lab_die "Pacemaker runs on the 3-node lab only (corosync.conf and cib-live.xml name erp-a..c)"
  # 9>&-: the daemons must not inherit take_lock's descriptor, or they would hold the lab
  # lock for as long as they run (and `down` would wait for it).
  while read -r node; do bash "$LAB_SRC/seed.sh" "$node" corosync-start 9>&-; done < <(lab_nodes)
  while read -r node; do bash "$LAB_SRC/seed.sh" "$node" pacemaker-start 9>&-; done < <(lab_nodes)
  for i in $(seq 1 120); do
    xml="$(nsenter --mount --target "$sup" -- chroot /srv/erp-a /usr/sbin/crm_mon --one-shot --output-as=xml 2>/dev/null)" || xml=""
    online="$(grep -c '<node name="[^"]*" [^>]*online="true"' <<<"$xml" || true)"
    started="$(grep -c '<resource id="[^"]*" [^>]*role="Started"' <<<"$xml" || true)"
    if [[ "$online" == 3 && "$started" == "$want" ]]; then
      lab_log "Pacemaker up: 3 nodes online, $started resources started (crm_mon on any node; driftd simulate --fail NODE)"
      return 0
    fi
    sleep 1
  done
  lab_die "Pacemaker did not settle in 120 s ($online of 3 nodes online, $started of $want resources started); see $LAB_DIR/roots/<node>/var/log/pacemaker/pacemaker.log"
}

# One lab per machine: concurrent up/down (two test runs, a benchmark) wait their turn
# instead of tearing each other's nodes down halfway.
take_lock() {
  exec 9>"/run/driftd-lab.lock"
  flock -w 600 9 || lab_die "another lab.sh up/down is still running after 600 s"
}

case "${1:-}" in
  up)
    shift
    with_pacemaker=0
    args=()
    for arg in "$@"; do if [[ "$arg" == --pacemaker ]]; then with_pacemaker=1; else args+=("$arg"); fi; done
    take_lock
    cmd_up "${args[@]}"
    if ((with_pacemaker)); then cmd_pacemaker; fi
    ;;
  pacemaker) cmd_pacemaker ;;
  down) take_lock; cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: $0 up [N] [--pacemaker] | pacemaker | down | status" >&2; exit 2 ;;
esac
