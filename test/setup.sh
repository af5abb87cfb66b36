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
need+=("/usr/bin/prometheus:prometheus:a real Prometheus scraping the daemon and firing the shipped alerts")

missing=()
for entry in "${need[@]}"; do
  prog=${entry%%:*}
  [ -x "$prog" ] || missing+=("$entry")
done

if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  pkgs=$(printf '%s\n' "${missing[@]}" | cut -d: -f2 | sort -u | tr '\n' ' ')
  echo "test setup: installing missing test dependencies: $pkgs" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends $pkgs >&2 \
    || echo "test setup: apt-get install failed; the tests below will be skipped" >&2
  still=()
  for entry in "${missing[@]}"; do [ -x "${entry%%:*}" ] || still+=("$entry"); done
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
  echo "# Run as root, or install the packages above, to run them.      " >&2
  echo "################################################################" >&2
  echo "" >&2
fi
# sshd needs its privilege-separation directory even when started by a test.
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd 2>/dev/null
exit 0
