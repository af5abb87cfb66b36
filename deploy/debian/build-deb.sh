#!/usr/bin/env bash
# `npm run package:deb [-- OUT_DIR]`: builds driftd_<version>_<arch>.deb, a self-contained
# Debian package for hosts that have neither Node.js, npm nor a compiler.
#
# What goes in (under /usr/lib/driftd):
#   bin/node       the Node.js runtime this build ran on (Debian 12 ships Node 18; driftd
#                  needs >= 20.19): the native better-sqlite3 module was compiled for
#                  exactly this runtime's ABI, so they travel together
#   dist/          the compiled TypeScript (tsc -p tsconfig.build.json)
#   node_modules/  the production dependencies only (npm ls --omit=dev), copied from this
#                  checkout's node_modules, better-sqlite3's compiled module included
#   rules/, examples/, fixtures/demo/, package.json
# plus /usr/bin/driftd, the systemd unit, sysusers and tmpfiles snippets, the default
# config (a conffile) and the maintainer scripts in this folder.
#
# Needs: node and npm (the build host only), dpkg-deb. Run after `npm ci`.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-$repo/dist-pkg}"
cd "$repo"

[[ -d node_modules/better-sqlite3 ]] || { echo "build-deb: run npm ci first (node_modules is missing)" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "build-deb: dpkg-deb is missing (apt-get install dpkg)" >&2; exit 1; }

version="$(node -p "require('./package.json').version")"
arch="$(dpkg --print-architecture)"
node_bin="$(node -p 'process.execPath')"
node_version="$(node -p 'process.versions.node')"
deb_version="${version}-1"

stage="$(mktemp -d "${TMPDIR:-/tmp}/driftd-deb.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
root="$stage/root"
lib="$root/usr/lib/driftd"
mkdir -p "$lib/bin" "$root/usr/bin" "$root/lib/systemd/system" "$root/usr/lib/sysusers.d" "$root/usr/lib/tmpfiles.d" \
  "$root/etc/driftd" "$root/usr/share/doc/driftd" "$root/DEBIAN"

echo "build-deb: compiling TypeScript" >&2
npx tsc -p tsconfig.build.json --outDir "$lib/dist"
cp package.json "$lib/"
cp -r rules "$lib/rules"
mkdir -p "$lib/examples" "$lib/fixtures"
cp examples/demo.yaml "$lib/examples/"
cp -r fixtures/demo "$lib/fixtures/demo"

echo "build-deb: copying production dependencies" >&2
# Every production package directory, nested ones included; copying the top-level ones
# (node_modules/<name>, node_modules/@scope/<name>) carries the nested ones with them.
npm ls --omit=dev --all --parseable 2>/dev/null \
  | sed -n "s|^$repo/||p" \
  | grep -E '^node_modules/(@[^/]+/)?[^/@]+$' \
  | sort -u \
  | while IFS= read -r dir; do
      mkdir -p "$lib/$(dirname "$dir")"
      cp -a "$dir" "$lib/$dir"
    done
[[ -f "$lib/node_modules/better-sqlite3/build/Release/better_sqlite3.node" ]] \
  || { echo "build-deb: better-sqlite3's compiled module is missing from node_modules" >&2; exit 1; }
# Build leftovers of the native module: not needed at run time.
rm -rf "$lib/node_modules/better-sqlite3/build/Release/obj" "$lib/node_modules/better-sqlite3/build/Release/obj.target" \
  "$lib/node_modules/better-sqlite3/deps" "$lib/node_modules/better-sqlite3/src"

install -m 0755 "$node_bin" "$lib/bin/node"
cat >"$root/usr/bin/driftd" <<'SH'
#!/bin/sh
# driftd, from the driftd Debian package: its own Node.js runtime, its own modules.
exec /usr/lib/driftd/bin/node /usr/lib/driftd/dist/cli/bin.js "$@"
SH
chmod 0755 "$root/usr/bin/driftd"

install -m 0644 systemd/driftd.service "$root/lib/systemd/system/driftd.service"
install -m 0644 systemd/driftd.sysusers "$root/usr/lib/sysusers.d/driftd.conf"
install -m 0644 systemd/driftd.tmpfiles "$root/usr/lib/tmpfiles.d/driftd.conf"
install -m 0640 "$here/driftd.yaml" "$root/etc/driftd/driftd.yaml"
install -m 0644 README.md "$root/usr/share/doc/driftd/README.md"
{
  echo "driftd $version, packaged with Node.js $node_version ($node_bin)."
  echo "Node.js is MIT licensed; its licence ships with Node.js itself: https://github.com/nodejs/node/blob/main/LICENSE"
  echo "driftd is Apache-2.0 licensed."
} >"$root/usr/share/doc/driftd/copyright"

for script in postinst prerm postrm; do install -m 0755 "$here/$script" "$root/DEBIAN/$script"; done
echo "/etc/driftd/driftd.yaml" >"$root/DEBIAN/conffiles"
size="$(du -sk "$root" | cut -f1)"
cat >"$root/DEBIAN/control" <<CONTROL
Package: driftd
Version: $deb_version
Architecture: $arch
Maintainer: driftd developers <driftd@localhost>
Installed-Size: $size
Depends: libc6 (>= 2.28), libstdc++6, libgcc-s1, adduser | systemd
Recommends: openssh-client
Section: admin
Priority: optional
Homepage: https://github.com/driftd/driftd
Description: configuration-drift auditor for high-availability clusters
 driftd snapshots every node of a Pacemaker/corosync cluster over SSH (read-only),
 compares peers, judges each node against its own files and published best
 practice, keeps history and evidence in SQLite and exposes Prometheus drift
 metrics and a failover-readiness score.
 .
 This package is self-contained: it carries the Node.js $node_version runtime
 driftd runs on, so the host needs neither Node.js, npm nor a compiler.
CONTROL

mkdir -p "$out"
deb="$out/driftd_${deb_version}_${arch}.deb"
# gzip -6: several times faster to build than xz on two cores, for a few MB more.
dpkg-deb --root-owner-group -Zgzip -z6 --build "$root" "$deb" >/dev/null
echo "$deb"
