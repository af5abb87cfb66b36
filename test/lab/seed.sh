#!/usr/bin/env bash
# Drifts one lab node from the host side, the way an admin would by hand. The node roots
# are plain directories on the host; driftd itself never writes to a node.
#
#   seed.sh NODE reset                          back to the lab baseline (files, packages,
#                                               host key, sshd running)
#   seed.sh NODE install-deb NAME VERSION       build NAME_VERSION_all.deb, dpkg -i it in the root
#   seed.sh NODE remove-deb NAME                dpkg --purge NAME in the root
#   seed.sh NODE remove-system-deb NAME         dpkg --remove --force-depends a real Debian
#                                               package of the base (resource-agents,
#                                               pacemaker-resource-agents); reset reinstalls
#                                               the same version from its .deb
#   seed.sh NODE sysctl-conf KEY VALUE          set KEY = VALUE in /etc/sysctl.d/90-driftd-lab.conf
#   seed.sh NODE hosts-add ADDRESS NAME         append a line to /etc/hosts
#   seed.sh NODE write PATH                     write stdin to PATH inside the root
#   seed.sh NODE corosync-token MS              set totem.token in corosync.conf
#   seed.sh NODE corosync-start | corosync-stop start (stop) the node's own corosync in its
#                                               root; started on every node they form a
#                                               real cluster on 127.0.0.N:5405
#   seed.sh NODE corosync-reload                `corosync-cfgtool -R` on the node (reloads
#                                               corosync.conf cluster-wide)
#   seed.sh NODE sysctl-live KEY VALUE          the node's live KEY reads VALUE (`sysctl -w`
#                                               by hand: its files are left as they are)
#   seed.sh NODE cib-volatile                   touch only volatile CIB parts (version
#                                               counters, update-origin, status section)
#   seed.sh NODE cib-param RESOURCE NAME VALUE  change a resource instance attribute
#   seed.sh NODE stop | start                   stop or start the node's sshd
#   seed.sh NODE rekey                          new host key (known_hosts keeps the old one)
#   seed.sh NODE cosmetic PATH                  rewrite a config file the way a tidy admin
#                                               would, changing no setting: a comment, wider
#                                               indentation, a blank line, CRLF line ends
#                                               (sysctl.d: no spaces around `=`)
#   seed.sh NODE clone-identity FROM            NODE becomes a clone of FROM: FROM's machine-id
#                                               and public sshd host key (reset restores)
#   seed.sh NODE agent-install PROVIDER TYPE    an executable custom OCF agent, copied by hand
#                                               (no package): PROVIDER is driftd-lab*
#   seed.sh NODE cib-primitive ID AGENT         add <primitive id=ID> of AGENT (class:provider:type
#                                               or class:type) to the CIB's resources
#   seed.sh NODE hold-deb NAME                  `dpkg --set-selections` NAME hold (dpkg: hi)
#   seed.sh NODE unpack-deb NAME VERSION        `dpkg --unpack` NAME VERSION: unpacked, not
#                                               configured (dpkg: iU)
#   seed.sh NODE half-configure-deb NAME VERSION  `dpkg -i` NAME VERSION whose postinst fails:
#                                               an interrupted upgrade (dpkg: iF)
#   seed.sh NODE user-uid NAME UID              give account NAME another uid in /etc/passwd
#                                               (as `usermod -u` would; not the lab's login user)
#   seed.sh NODE fstab-add SPEC DIR TYPE OPTS   append an /etc/fstab entry (nothing is mounted)
#   seed.sh NODE mtu MTU                        set the MTU of the node's NIC (eth0, in its own
#                                               network namespace; reset: back to 1500)
#   seed.sh NODE pacemaker-start | pacemaker-stop  start (stop) the node's own Pacemaker on its
#                                               running corosync; started on every node: one
#                                               real cluster running files/cib-live.xml
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LAB_PACKAGE_PREFIX="driftd-lab-"

# The header comment above, up to the first line that is not one.
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0" >&2; exit 2; }

(($# >= 2)) || usage
NODE="$1"
ACTION="$2"
shift 2
[[ "$(id -u)" == 0 ]] || lab_die "run as root"
lab_nodes | grep -qx -- "$NODE" || lab_die "no node '$NODE' in the lab (is it up? nodes: $(lab_nodes | tr '\n' ' '))"
ROOT="$(node_root "$NODE")"
STATE="$(node_state "$NODE")"

# Refuse paths that would climb out of the root.
inside_root() {
  local path="$1"
  [[ "$path" == /* && "$path" != *"/../"* && "$path" != *"/.." ]] || lab_die "not a clean absolute path: $path"
  printf '%s%s' "$ROOT" "$path"
}

# Real packages of the base root that a scenario may take away (a node where the agents'
# package was never installed); nothing else, so a typo cannot break a root.
LAB_REMOVABLE_SYSTEM_PACKAGES=(resource-agents pacemaker-resource-agents)

# The .deb of exactly the version installed in the root, kept in the lab cache: from the
# host's apt cache when it holds that version, else `apt-get download` from the mirror the
# host's apt uses (the one the base root was built from).
system_deb() {
  local name="$1" version arch file dir="$LAB_CACHE/debs"
  version="$(chroot "$ROOT" dpkg-query -W -f '${Version}' "$name")"
  arch="$(chroot "$ROOT" dpkg-query -W -f '${Architecture}' "$name")"
  file="$dir/${name}_${version//:/%3a}_${arch}.deb"
  if [[ ! -s "$file" ]]; then
    mkdir -p "$dir"
    if [[ -s "/var/cache/apt/archives/$(basename "$file")" ]]; then
      cp "/var/cache/apt/archives/$(basename "$file")" "$file.tmp"
    else
      # The host's package lists may be gone (container images delete them): refresh once.
      (cd "$dir" && apt-get download -q "$name=$version" >/dev/null 2>&1) \
        || { apt-get update -qq >/dev/null 2>&1 && (cd "$dir" && apt-get download -q "$name=$version" >/dev/null 2>&1); } \
        || lab_die "cannot get $name $version as a .deb to restore it later (apt-get download $name=$version; run apt-get update?)"
      mv -f "$dir/$(basename "$file")" "$file.tmp"
    fi
    mv -f "$file.tmp" "$file"
  fi
  printf '%s' "$file"
}

remove_system_deb() {
  local name="$1" allowed=0 p deb
  for p in "${LAB_REMOVABLE_SYSTEM_PACKAGES[@]}"; do [[ "$p" == "$name" ]] && allowed=1; done
  ((allowed)) || lab_die "only ${LAB_REMOVABLE_SYSTEM_PACKAGES[*]} can be removed from a lab root, got '$name'"
  chroot "$ROOT" dpkg-query -W -f '${Status}' "$name" 2>/dev/null | grep -q ' installed$' || lab_die "$name is not installed on $NODE"
  deb="$(system_deb "$name")"
  # Recorded before the removal, so a reset after a failed removal still restores it.
  grep -qxF -- "$deb" "$STATE/removed-system-debs" 2>/dev/null || printf '%s\n' "$deb" >>"$STATE/removed-system-debs"
  chroot "$ROOT" dpkg --remove --force-depends "$name" >/dev/null 2>&1 || lab_die "dpkg --remove $name failed on $NODE"
}

# Files under /usr are hard links shared with the base cache: dpkg unlinks them on
# removal and writes new files on install (never in place), so the cache stays intact.
restore_system_debs() {
  local deb
  [[ -f "$STATE/removed-system-debs" ]] || return 0
  while IFS= read -r deb; do
    [[ -n "$deb" ]] || continue
    cp "$deb" "$ROOT/tmp/"
    chroot "$ROOT" dpkg -i "/tmp/$(basename "$deb")" >/dev/null 2>&1 || lab_die "reinstalling $(basename "$deb") on $NODE failed"
    rm -f "$ROOT/tmp/$(basename "$deb")"
  done <"$STATE/removed-system-debs"
  rm -f "$STATE/removed-system-debs"
}

# Only packages named driftd-lab-* are built or removed, so a typo cannot purge a real one.
check_package_name() {
  [[ "$1" =~ ^${LAB_PACKAGE_PREFIX}[a-z0-9][a-z0-9.+-]*$ ]] || lab_die "lab packages are named ${LAB_PACKAGE_PREFIX}<name>, got '$1'"
}

# build_deb NAME VERSION [failing]: a lab package; with `failing` its postinst exits 1, so
# `dpkg -i` unpacks it and leaves it half-configured (an interrupted upgrade).
build_deb() {
  local name="$1" version="$2" failing="${3:-}" dir="$LAB_DIR/debs" tree deb description note
  deb="$dir/${name}_${version}_all${failing:+-failing-postinst}.deb"
  [[ -f "$deb" ]] && { echo "$deb"; return 0; }
  mkdir -p "$dir"
  tree="$(mktemp -d)"
  mkdir -p "$tree/DEBIAN" "$tree/usr/share/doc/$name"
  if [[ -n "$failing" ]]; then
    description="driftd lab package whose configuration fails
 Its postinst exits 1, as an upgrade interrupted in its maintainer scripts would."
    note=" (failing postinst)"
    printf '#!/bin/sh\necho "driftd lab: postinst of %s %s fails on purpose" >&2\nexit 1\n' "$name" "$version" >"$tree/DEBIAN/postinst"
    chmod 0755 "$tree/DEBIAN/postinst"
  else
    description="driftd lab package for drift scenarios
 Installed on some lab nodes only, or at another version, to seed package drift."
    note=""
  fi
  cat >"$tree/DEBIAN/control" <<CONTROL
Package: $name
Version: $version
Architecture: all
Maintainer: driftd lab <root@localhost>
Section: misc
Priority: optional
Description: $description
CONTROL
  echo "$name $version: built by test/lab/seed.sh$note" >"$tree/usr/share/doc/$name/README"
  dpkg-deb --root-owner-group --build "$tree" "$deb" >/dev/null
  rm -rf "$tree"
  echo "$deb"
}

set_sysctl_conf() {
  local key="$1" value="$2" file
  [[ "$key" =~ ^[a-z0-9_./-]+$ ]] || lab_die "not a sysctl key: $key"
  file="$(inside_root /etc/sysctl.d/90-driftd-lab.conf)"
  if grep -q "^${key//./\\.} *=" "$file"; then
    sed -i "s|^${key//./\\.} *=.*|$key = $value|" "$file"
  else
    echo "$key = $value" >>"$file"
  fi
}

set_corosync_token() {
  local ms="$1" file
  [[ "$ms" =~ ^[0-9]+$ ]] || lab_die "token is a number of milliseconds, got '$ms'"
  file="$(inside_root /etc/corosync/corosync.conf)"
  sed -i "s|^\(\s*token:\s*\).*|\1$ms|" "$file"
  grep -q "^\s*token:\s*$ms$" "$file" || lab_die "no totem token line to change in $file"
}

cib_volatile() {
  local file
  file="$(inside_root /var/lib/pacemaker/cib/cib.xml)"
  # What a running cluster rewrites on its own: counters, who wrote last, and status.
  sed -i \
    -e 's|num_updates="[0-9]*"|num_updates="42" cib-last-written="Thu Nov 26 08:00:00 2026" update-origin="'"$NODE"'" update-client="crmd" update-user="hacluster" have-quorum="1" dc-uuid="1"|' \
    -e 's|<status/>|<status><node_state id="1" uname="erp-a" in_ccm="true" crmd="online" join="member" expected="member"/></status>|' \
    "$file"
  grep -q 'num_updates="42"' "$file" || lab_die "could not rewrite the <cib> attributes in $file"
}

cib_param() {
  local resource="$1" name="$2" value="$3" file id
  [[ "$resource$name" =~ ^[A-Za-z0-9_.-]+$ && "$value" =~ ^[A-Za-z0-9_./:-]+$ ]] || lab_die "resource, name and value are plain words"
  file="$(inside_root /var/lib/pacemaker/cib/cib.xml)"
  id="$resource-instance_attributes-$name"
  grep -q "id=\"$id\"" "$file" || lab_die "no instance attribute $name on resource $resource in the CIB"
  sed -i "s|\(<nvpair id=\"$id\" name=\"$name\" value=\"\)[^\"]*\"|\1$value\"|" "$file"
}

agent_install() {
  local provider="$1" type="$2" target
  [[ "$provider" =~ ^driftd-lab[a-z0-9-]*$ ]] || lab_die "custom OCF providers in the lab are named driftd-lab*, got '$provider'"
  [[ "$type" =~ ^[A-Za-z0-9_-]+$ ]] || lab_die "not an OCF agent type: $type"
  target="$(inside_root "/usr/lib/ocf/resource.d/$provider/$type")"
  mkdir -p "$(dirname "$target")"
  printf '#!/bin/sh\n# driftd lab: a custom OCF agent installed by hand, no package ships it\nexit 7\n' >"$target.seed-tmp"
  chmod 0755 "$target.seed-tmp"
  mv -f "$target.seed-tmp" "$target"
}

cib_primitive() {
  local id="$1" agent="$2" file cls provider type attrs
  [[ "$id" =~ ^[A-Za-z0-9_.-]+$ && "$agent" =~ ^[a-z]+:[A-Za-z0-9_./-]+(:[A-Za-z0-9_.-]+)?$ ]] || lab_die "id and agent are plain words (agent class:provider:type or class:type)"
  IFS=: read -r cls provider type <<<"$agent"
  if [[ -z "$type" ]]; then attrs="class=\"$cls\" type=\"$provider\""; else attrs="class=\"$cls\" provider=\"$provider\" type=\"$type\""; fi
  file="$(inside_root /var/lib/pacemaker/cib/cib.xml)"
  grep -q "id=\"$id\"" "$file" && lab_die "the CIB already has an element with id $id"
  sed -i "s|</resources>|  <primitive id=\"$id\" $attrs/>\n    </resources>|" "$file"
  grep -q "<primitive id=\"$id\"" "$file" || lab_die "could not add primitive $id to $file"
}

corosync_pid() { live_pid "$(node_state "$1")/corosync.pid" prefix "/usr/sbin/corosync -f "; }

# corosync in the node's root, in a UTS namespace named after the node: corosync finds
# its own nodelist entry by name, as 127.0.0.N is no interface address of its own. The
# nodes' corosyncs form one real cluster over knet on 127.0.0.N:5405; each root's
# /etc/libqb/force-filesystem-sockets keeps its IPC sockets in its own /run (abstract
# sockets would be shared by every root in the host's network namespace).
corosync_start() {
  local sup i
  corosync_pid "$NODE" >/dev/null && return 0
  sup="$(supervisor_pid)" || lab_die "the lab is not up (no supervisor)"
  setsid nsenter --mount --target "$sup" -- unshare --uts -- \
    sh -c 'hostname "$1" && exec chroot "/srv/$1" /usr/sbin/corosync -f' sh "$NODE" \
    </dev/null >"$STATE/corosync.log" 2>&1 &
  echo $! >"$STATE/corosync.pid"
  for i in $(seq 1 100); do
    if nsenter --mount --target "$sup" -- chroot "/srv/$NODE" /usr/sbin/corosync-cmapctl -g totem.token >/dev/null 2>&1; then return 0; fi
    [[ -e "/proc/$(cat "$STATE/corosync.pid")" ]] || break
    sleep 0.1
  done
  lab_die "corosync on $NODE did not answer corosync-cmapctl; see $STATE/corosync.log"
}

corosync_reload() {
  local sup
  corosync_pid "$NODE" >/dev/null || lab_die "corosync is not running on $NODE (seed.sh $NODE corosync-start)"
  sup="$(supervisor_pid)" || lab_die "the lab is not up (no supervisor)"
  nsenter --mount --target "$sup" -- chroot "/srv/$NODE" /usr/sbin/corosync-cfgtool -R >/dev/null
}

corosync_stop() {
  local pid
  pid="$(corosync_pid "$NODE")" || { rm -f "$STATE/corosync.pid"; return 0; }
  kill "$pid"
  wait_gone "$pid" 100 || kill -KILL "$pid"
  rm -f "$STATE/corosync.pid"
}

pacemaker_pid() { live_pid "$(node_state "$1")/pacemaker.pid" contains "/usr/sbin/pacemakerd"; }

# PIDs of the node's Pacemaker daemons (and the agents they run), found by their root
# (/srv/NODE in the lab's mount namespace) and what they run: never the node's sshd
# sessions or corosync, never anything outside the lab.
pacemaker_procs() {
  local proc pid exe
  for proc in /proc/[0-9]*; do
    pid="${proc#/proc/}"
    [[ "$(readlink "$proc/root" 2>/dev/null)" == "/srv/$NODE" ]] || continue
    exe="$(tr '\0' ' ' <"$proc/cmdline" 2>/dev/null)" || continue
    case "$exe" in
      /usr/sbin/corosync* | sshd* | /usr/sbin/sshd*) ;;
      *) echo "$pid" ;;
    esac
  done
}

# pacemakerd (which starts the other daemons) in the node's root, in corosync's UTS
# namespace (named after the node) and in the node's own network namespace, so a resource
# such as IPaddr2 acts on the node's NIC and never on the host's. The daemons reach
# corosync and each other over libqb sockets in the root's /run (force-filesystem-sockets),
# not over the network. The CIB it starts from is files/cib-live.xml, fresh each time: a
# node that joins a running cluster takes the cluster's newer CIB anyway.
pacemaker_start() {
  local sup cpid dir i
  pacemaker_pid "$NODE" >/dev/null && return 0
  cpid="$(corosync_pid "$NODE")" || lab_die "corosync is not running on $NODE (seed.sh $NODE corosync-start first)"
  sup="$(supervisor_pid)" || lab_die "the lab is not up (no supervisor)"
  dir="$ROOT/var/lib/pacemaker/cib"
  find "$dir" -mindepth 1 -delete
  cp "$LAB_SRC/files/cib-live.xml" "$dir/cib.xml"
  chmod 0600 "$dir/cib.xml"
  # The root's own hacluster and haclient, not the host's.
  chroot "$ROOT" chown hacluster:haclient /var/lib/pacemaker/cib/cib.xml
  setsid nsenter --mount --target "$sup" -- nsenter --uts --target "$cpid" --net="/run/netns/$(node_netns "$NODE")" -- \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin PCMK_logfile=/var/log/pacemaker/pacemaker.log PCMK_logfacility=none \
    chroot "/srv/$NODE" /usr/sbin/pacemakerd </dev/null >"$STATE/pacemaker.log" 2>&1 &
  echo $! >"$STATE/pacemaker.pid"
  for i in $(seq 1 100); do
    if nsenter --mount --target "$sup" -- chroot "/srv/$NODE" /usr/sbin/pacemakerd --features >/dev/null 2>&1 \
      && nsenter --mount --target "$sup" -- chroot "/srv/$NODE" /usr/sbin/cibadmin --query --local --scope nodes >/dev/null 2>&1; then
      return 0
    fi
    [[ -e "/proc/$(cat "$STATE/pacemaker.pid")" ]] || break
    sleep 0.2
  done
  lab_die "Pacemaker on $NODE did not answer cibadmin; see $STATE/pacemaker.log and $ROOT/var/log/pacemaker/pacemaker.log"
}

# A clean shutdown (pacemakerd stops its resources and daemons), then anything left killed.
# Nothing to do (and no /proc scan) unless pacemaker-start ran since the last stop.
pacemaker_stop() {
  local pid pids
  [[ -e "$STATE/pacemaker.pid" ]] || return 0
  if pid="$(pacemaker_pid "$NODE")"; then
    kill -TERM "$pid"
    wait_gone "$pid" "${PACEMAKER_STOP_TENTHS:-300}" || true
  fi
  pids="$(pacemaker_procs)"
  # shellcheck disable=SC2086
  [[ -z "$pids" ]] || { kill -KILL $pids 2>/dev/null || true; sleep 0.2; }
  rm -f "$STATE/pacemaker.pid"
}

# A file bind-mounted over /proc/sys/KEY in the node's view (inside the lab's namespace
# only): what the node's kernel now runs, while its sysctl files still say the old value.
sysctl_live() {
  local key="$1" value="$2" path sup dir
  [[ "$key" =~ ^[a-z0-9_]+(\.[a-z0-9_-]+)+$ ]] || lab_die "not a sysctl key: $key"
  path="/proc/sys/${key//.//}"
  [[ -f "$path" ]] || lab_die "no $path on this host"
  [[ "$value" =~ ^[A-Za-z0-9_.:\ -]+$ ]] || lab_die "a sysctl value is a plain word or number, got '$value'"
  sup="$(supervisor_pid)" || lab_die "the lab is not up (no supervisor)"
  dir="$STATE/sysctl-live"
  mkdir -p "$dir"
  printf '%s\n' "$value" >"$dir/$key"
  nsenter --mount --target "$sup" -- sh -c 'umount "$1" 2>/dev/null; mount --bind "$2" "$1"' sh "/srv/$NODE$path" "$dir/$key"
}

sysctl_live_reset() {
  local f key sup
  [[ -d "$STATE/sysctl-live" ]] || return 0
  sup="$(supervisor_pid)" || lab_die "the lab is not up (no supervisor)"
  for f in "$STATE"/sysctl-live/*; do
    [[ -f "$f" ]] || continue
    key="$(basename "$f")"
    nsenter --mount --target "$sup" -- umount "/srv/$NODE/proc/sys/${key//.//}" 2>/dev/null || true
    rm -f "$f"
  done
}

# The originals of the files user-uid and fstab-add edit, restored by reset.
ORIG_FILES=(etc/passwd etc/fstab)

save_original() {
  local rel="$1"
  mkdir -p "$STATE/orig"
  [[ -e "$STATE/orig/${rel//\//_}" ]] || cp -p "$ROOT/$rel" "$STATE/orig/${rel//\//_}"
}

restore_originals() {
  local rel saved
  for rel in "${ORIG_FILES[@]}"; do
    saved="$STATE/orig/${rel//\//_}"
    [[ -e "$saved" ]] || continue
    cp -p "$saved" "$ROOT/$rel.seed-tmp" && mv -f "$ROOT/$rel.seed-tmp" "$ROOT/$rel" && rm -f "$saved"
  done
}

set_user_uid() {
  local name="$1" uid="$2" file
  [[ "$name" =~ ^[a-z_][a-z0-9_-]*$ ]] || lab_die "not an account name: $name"
  [[ "$uid" =~ ^[0-9]+$ ]] || lab_die "a uid is a number, got '$uid'"
  [[ "$name" != "$LAB_USER" ]] || lab_die "$LAB_USER is the lab's login user: changing its uid locks the lab out"
  file="$(inside_root /etc/passwd)"
  grep -q "^$name:" "$file" || lab_die "no account $name in $NODE's /etc/passwd"
  save_original etc/passwd
  awk -F: -v OFS=: -v n="$name" -v u="$uid" '$1 == n { $3 = u } { print }' "$file" >"$file.seed-tmp"
  chmod --reference="$file" "$file.seed-tmp"
  mv -f "$file.seed-tmp" "$file"
}

add_fstab_entry() {
  local spec="$1" dir="$2" type="$3" opts="$4" file
  [[ "$dir" == /* && "$spec$dir$type$opts" != *[[:space:]]* ]] || lab_die "fstab-add SPEC /DIR TYPE OPTIONS (no blanks)"
  file="$(inside_root /etc/fstab)"
  save_original etc/fstab
  { cat "$file"; printf '%s\t%s\t%s\t%s\t0\t0\n' "$spec" "$dir" "$type" "$opts"; } >"$file.seed-tmp"
  mv -f "$file.seed-tmp" "$file"
}

# The MTU of the node's NIC, as `ip link set dev eth0 mtu N` by hand on a real node.
set_mtu() {
  local mtu="$1"
  [[ "$mtu" =~ ^[0-9]+$ ]] && ((mtu >= 576 && mtu <= 65535)) || lab_die "an MTU is a number from 576 to 65535, got '$mtu'"
  ip -n "$(node_netns "$NODE")" link set dev "$LAB_NIC" mtu "$mtu" || lab_die "ip link set $LAB_NIC mtu $mtu failed in $(node_netns "$NODE")"
}

# The node's NIC as `lab.sh up` made it: its MTU and only its own address (an IPaddr2 VIP
# left by a killed Pacemaker goes).
reset_nic() {
  local ns
  ns="$(node_netns "$NODE")"
  set_mtu "$LAB_NIC_MTU"
  ip -n "$ns" addr flush dev "$LAB_NIC"
  ip -n "$ns" addr add "$(node_nic_addr "$(node_index "$NODE")")" dev "$LAB_NIC" scope global
  ip -n "$ns" link set "$LAB_NIC" up
}

reset_node() {
  local pkg restart=0
  local f
  pacemaker_stop
  corosync_stop
  reset_nic
  # What Pacemaker wrote next to the CIB (signature, archived CIBs, scheduler inputs) goes;
  # the baseline cib.xml is copied back below.
  find "$ROOT/var/lib/pacemaker/cib" "$ROOT/var/lib/pacemaker/pengine" -mindepth 1 -delete 2>/dev/null || true
  sysctl_live_reset
  restore_originals
  for f in "$ROOT"/etc/sysctl.d/*.conf; do
    [[ -e "$f" || -L "$f" ]] || continue
    [[ "$(basename "$f")" == 99-sysctl.conf || -e "$LAB_DIR/baseline/etc/sysctl.d/$(basename "$f")" ]] || rm -f "$f"
  done
  (cd "$LAB_DIR/baseline" && cp --parents -p "${BASELINE_PATHS[@]}" "$ROOT/" && cp --parents -p etc/sysctl.d/*.conf "$ROOT/")
  # The roots boot no kernel of their own: any /boot/vmlinuz-* is a seeded "installed, not booted".
  rm -f "$ROOT"/boot/vmlinuz-*
  for pkg in $(chroot "$ROOT" dpkg-query -W -f '${Package}\n' "${LAB_PACKAGE_PREFIX}*" 2>/dev/null || true); do
    echo "$pkg install" | chroot "$ROOT" dpkg --set-selections
    chroot "$ROOT" dpkg --purge "$pkg" >/dev/null
  done
  rm -rf "$ROOT"/usr/lib/ocf/resource.d/driftd-lab*
  # The base roots have no DRBD: a scenario's /etc/drbd.conf and /etc/drbd.d go again.
  [[ -e "$LAB_DIR/baseline/etc/drbd.conf" ]] || rm -rf "$ROOT/etc/drbd.conf" "$ROOT/etc/drbd.d"
  restore_system_debs
  # The node's own identity back (clone-identity, or a write over /etc/machine-id).
  [[ -f "$STATE/machine-id.orig" ]] && cp -p "$STATE/machine-id.orig" "$ROOT/etc/machine-id"
  mkdir -p "$ROOT/etc/ssh"
  cp "$STATE/ssh_host_ed25519_key.pub.orig" "$ROOT/etc/ssh/ssh_host_ed25519_key.pub"
  if ! cmp -s "$STATE/ssh_host_ed25519_key" "$STATE/ssh_host_ed25519_key.orig"; then
    cp -p "$STATE/ssh_host_ed25519_key.orig" "$STATE/ssh_host_ed25519_key"
    cp -p "$STATE/ssh_host_ed25519_key.pub.orig" "$STATE/ssh_host_ed25519_key.pub"
    restart=1
  fi
  if ((restart)); then stop_sshd "$NODE"; fi
  start_sshd "$NODE"
}

# Same settings, other bytes: what `diff` shows and driftd must not call drift.
cosmetic_edit() {
  local path="$1" file
  file="$(inside_root "$path")"
  [[ -f "$file" ]] || lab_die "no $path on $NODE"
  case "$path" in
    *.xml) sed -i -e '1a <!-- tidied by hand (driftd lab cosmetic edit) -->' -e 's/^\( *\)</\1\1</' "$file" ;;
    /etc/sysctl.d/*) sed -i -e '1i # tidied by hand (driftd lab cosmetic edit)' -e 's/^\([^#;][^=]*[^ ]\) *= */\1=/' -e '$a\\' "$file" ;;
    *) sed -i -e '1i # tidied by hand (driftd lab cosmetic edit)' -e 's/^\(\t*\)\t/\1    /' -e 's/^\(\t*\)\t/\1    /' -e '$a\\' "$file" ;;
  esac
  sed -i 's/$/\r/' "$file"
}

case "$ACTION" in
  reset) reset_node ;;
  install-deb)
    (($# == 2)) || usage
    check_package_name "$1"
    deb="$(build_deb "$1" "$2")"
    cp "$deb" "$ROOT/tmp/"
    chroot "$ROOT" dpkg -i "/tmp/$(basename "$deb")" >/dev/null
    rm -f "$ROOT/tmp/$(basename "$deb")"
    ;;
  remove-deb)
    (($# == 1)) || usage
    check_package_name "$1"
    chroot "$ROOT" dpkg --purge "$1" >/dev/null
    ;;
  remove-system-deb) (($# == 1)) || usage; remove_system_deb "$1" ;;
  sysctl-conf) (($# == 2)) || usage; set_sysctl_conf "$1" "$2" ;;
  hosts-add)
    (($# == 2)) || usage
    printf '%s\t%s\n' "$1" "$2" >>"$(inside_root /etc/hosts)"
    ;;
  write)
    (($# == 1)) || usage
    target="$(inside_root "$1")"
    mkdir -p "$(dirname "$target")"
    # By rename, never in place: files under /usr are hard links shared with the cache.
    cat >"$target.seed-tmp"
    mv -f "$target.seed-tmp" "$target"
    ;;
  corosync-token) (($# == 1)) || usage; set_corosync_token "$1" ;;
  user-uid) (($# == 2)) || usage; set_user_uid "$1" "$2" ;;
  fstab-add) (($# == 4)) || usage; add_fstab_entry "$1" "$2" "$3" "$4" ;;
  mtu) (($# == 1)) || usage; set_mtu "$1" ;;
  corosync-start) corosync_start ;;
  corosync-stop) corosync_stop ;;
  pacemaker-start) pacemaker_start ;;
  pacemaker-stop) pacemaker_stop ;;
  corosync-reload) corosync_reload ;;
  sysctl-live) (($# == 2)) || usage; sysctl_live "$1" "$2" ;;
  cib-volatile) cib_volatile ;;
  cib-param) (($# == 3)) || usage; cib_param "$1" "$2" "$3" ;;
  stop) stop_sshd "$NODE" ;;
  start) start_sshd "$NODE" ;;
  rekey)
    stop_sshd "$NODE"
    rm -f "$STATE/ssh_host_ed25519_key" "$STATE/ssh_host_ed25519_key.pub"
    ssh-keygen -q -t ed25519 -N '' -C "driftd-lab $NODE (rekeyed)" -f "$STATE/ssh_host_ed25519_key"
    start_sshd "$NODE"
    ;;
  cosmetic) (($# == 1)) || usage; cosmetic_edit "$1" ;;
  clone-identity)
    # NODE becomes a clone of $1 (a copied VM image): its machine-id and public host key.
    (($# == 1)) || usage
    from_root="$(node_root "$1")"
    [[ -d "$from_root" ]] || lab_die "no node $1"
    cp "$from_root/etc/machine-id" "$ROOT/etc/machine-id.seed-tmp" && mv -f "$ROOT/etc/machine-id.seed-tmp" "$ROOT/etc/machine-id"
    cp "$from_root/etc/ssh/ssh_host_ed25519_key.pub" "$ROOT/etc/ssh/ssh_host_ed25519_key.pub.seed-tmp"
    mv -f "$ROOT/etc/ssh/ssh_host_ed25519_key.pub.seed-tmp" "$ROOT/etc/ssh/ssh_host_ed25519_key.pub"
    ;;
  agent-install) (($# == 2)) || usage; agent_install "$1" "$2" ;;
  cib-primitive) (($# == 2)) || usage; cib_primitive "$1" "$2" ;;
  hold-deb)
    (($# == 1)) || usage
    check_package_name "$1"
    echo "$1 hold" | chroot "$ROOT" dpkg --set-selections
    ;;
  unpack-deb)
    (($# == 2)) || usage
    check_package_name "$1"
    deb="$(build_deb "$1" "$2")"
    cp "$deb" "$ROOT/tmp/"
    chroot "$ROOT" dpkg --unpack "/tmp/$(basename "$deb")" >/dev/null
    rm -f "$ROOT/tmp/$(basename "$deb")"
    ;;
  half-configure-deb)
    (($# == 2)) || usage
    check_package_name "$1"
    deb="$(build_deb "$1" "$2" failing)"
    cp "$deb" "$ROOT/tmp/"
    # dpkg -i fails by design (the postinst exits 1); the package stays half-configured.
    if chroot "$ROOT" dpkg -i "/tmp/$(basename "$deb")" >/dev/null 2>&1; then lab_die "dpkg -i of $1 $2 was expected to fail in its postinst"; fi
    rm -f "$ROOT/tmp/$(basename "$deb")"
    ;;
  *) usage ;;
esac
