#!/usr/bin/env bash
# Regenerates files/cib.xml with the real Pacemaker tools (Debian 12 pacemaker-cli-utils
# 2.1.5): an offline CIB built by cibadmin through CIB_file, then checked by crm_verify.
# The lab does not run this; the committed output is what every node gets.
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)/cib.xml"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export CIB_file="$work/cib.xml"
cibadmin --empty >"$CIB_file"
cibadmin -C -o crm_config -X '<cluster_property_set id="cib-bootstrap-options"><nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/><nvpair id="cib-bootstrap-options-cluster-name" name="cluster-name" value="lab"/></cluster_property_set>'
for n in 1:erp-a 2:erp-b 3:erp-c; do
  cibadmin -C -o nodes -X "<node id=\"${n%%:*}\" uname=\"${n#*:}\"/>"
done
cibadmin -C -o resources -X '<primitive id="erp-vip" class="ocf" provider="heartbeat" type="IPaddr2"><instance_attributes id="erp-vip-instance_attributes"><nvpair id="erp-vip-instance_attributes-ip" name="ip" value="127.0.0.10"/><nvpair id="erp-vip-instance_attributes-cidr_netmask" name="cidr_netmask" value="8"/></instance_attributes><operations><op id="erp-vip-monitor-interval-10s" name="monitor" interval="10s"/></operations></primitive>'
cibadmin -C -o resources -X '<primitive id="erp-app" class="ocf" provider="pacemaker" type="Dummy"><instance_attributes id="erp-app-instance_attributes"><nvpair id="erp-app-instance_attributes-state" name="state" value="/run/erp-app.state"/></instance_attributes><operations><op id="erp-app-monitor-interval-30s" name="monitor" interval="30s" timeout="20s"/></operations></primitive>'
cibadmin -C -o constraints -X '<rsc_colocation id="erp-app-with-vip" rsc="erp-app" with-rsc="erp-vip" score="INFINITY"/>'
crm_verify -x "$CIB_file"
cp "$CIB_file" "$out"
