#!/usr/bin/env bash
# Set-up for `npm test`: makes sure the real programs the tests drive are present.
# As root it installs what is missing from Debian's packages; otherwise it says loudly
# which tests will be skipped and why. It never skips silently.
set -u

need=()   # "program:debian-package:what needs it"
need+=("/usr/sbin/sshd:openssh-server:SSH transport and end-to-end collection tests (a real sshd on 127.0.0.1)")
need+=("/usr/bin/ssh-keygen:openssh-client:known_hosts and fingerprint tests (compared with ssh-keygen -F / -lf)")
need+=("/usr/bin/promtool:prometheus:metrics lint (promtool check metrics) and alert-rule tests (promtool test rules)")
need+=("/usr/bin/systemd-analyze:systemd:systemd unit verification and security exposure tests")
need+=("/usr/bin/dpkg:dpkg:Debian version ordering property tests (dpkg --compare-versions)")
need+=("/usr/bin/dpkg-deb:dpkg:building test packages")
need+=("/usr/bin/rpm:rpm:RPM version ordering property tests (rpm --eval rpm.vercmp)")
need+=("/usr/bin/sudo:sudo:ssh transport sudo -n tests")
need+=("/usr/bin/chromium:chromium:the audit report rendered in headless Chromium (screenshot, PDF)")
need+=("/usr/bin/pdfinfo:poppler-utils:the audit report PDF's page count read by pdfinfo (report/chromium.test)")
need+=("/usr/bin/zsh:zsh:zsh completion run by a real interactive zsh (cli/completion.test)")
need+=("/usr/bin/groff:groff-base:the man page rendered by groff without warnings (cli/completion.test)")
need+=("/usr/bin/man:man-db:the man page rendered by man -l (cli/completion.test)")
need+=("/usr/bin/prometheus:prometheus:a real Prometheus scraping the daemon and firing the shipped alerts")
need+=("/usr/sbin/corosync-cmapctl:corosync:corosync collector on the installed corosync.conf (corosync.test, corosync-stack-local.test)")
need+=("/etc/corosync/corosync.conf:corosync:corosync collector on the installed corosync.conf (corosync.test, corosync-stack-local.test)")
need+=("/usr/sbin/crm_mon:pacemaker-cli-utils:window resource location through the real crm_mon (window/resources.test)")
need+=("/usr/sbin/crm_simulate:pacemaker-cli-utils:failover simulation through the real crm_simulate (test/simulate/corpus, cli)")
need+=("/usr/sbin/drbdadm:drbd-utils:drbd collector on the installed drbd.conf (drbd.test, corosync-stack-local.test)")
need+=("/etc/drbd.conf:drbd-utils:drbd collector on the installed drbd.conf (drbd.test, corosync-stack-local.test)")
need+=("/usr/lib/ocf/resource.d/heartbeat/IPaddr2:resource-agents:resource agents the CIB preconditions name")
need+=("/usr/sbin/sbd:sbd:SBD settings and device header (pacemaker-sbd tests)")
need+=("/usr/bin/ssh-agent:openssh-client:ssh-agent authentication against a real sshd")
need+=("/usr/sbin/ethtool:ethtool:drivers facet on this machine (capture-fixtures.ts --facets drivers)")
need+=("/sbin/multipath:multipath-tools:multipath facet on this machine (capture-fixtures.ts --facets multipath)")
need+=("/etc/iscsi/initiatorname.iscsi:open-iscsi:identity facet's iSCSI initiator name on this machine (capture-fixtures.ts --facets identity)")
need+=("/usr/bin/pg_ctlcluster:postgresql:a real PostgreSQL server on 127.0.0.1 for the PostgreSQL store (test/helpers/postgres.ts)")

missing=()
for entry in "${need[@]}"; do
  prog=${entry%%:*}
  [ -e "$prog" ] || missing+=("$entry")
done

if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  pkgs=$(printf '%s\n' "${missing[@]}" | cut -d: -f2 | sort -u | tr '\n' ' ')
  echo "test setup: installing missing test dependencies: $pkgs" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Installing corosync, pacemaker or sbd must not start cluster services on this machine.
  added_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d && added_policy=1
  fi
  apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends $pkgs >&2 \
    || echo "test setup: apt-get install failed; the tests below will be skipped" >&2
  [ -n "$added_policy" ] && rm -f /usr/sbin/policy-rc.d
  still=()
  for entry in "${missing[@]}"; do [ -e "${entry%%:*}" ] || still+=("$entry"); done
  missing=("${still[@]+"${still[@]}"}")
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "" >&2
  echo "################################################################" >&2
  echo "# test setup: SOME TESTS WILL BE SKIPPED (missing programs):    " >&2
  for entry in "${missing[@]}"; do
    IFS=: read -r prog pkg what <<<"$entry"
    echo "#   $prog (Debian package $pkg): $what" >&2
  done
  pkgs=$(printf '%s\n' "${missing[@]}" | cut -d: -f2 | sort -u | tr '\n' ' ')
  echo "# Fix: sudo npm test   (or: sudo apt-get install --no-install-recommends $pkgs)" >&2
  echo "################################################################" >&2
  echo "" >&2
fi
# sshd needs its privilege-separation directory even when started by a test.
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd 2>/dev/null
exit 0
