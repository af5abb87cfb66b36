#!/usr/bin/env bash
# Regenerates files/cib-live.xml with the real Pacemaker tools (Debian 12 pacemaker-cli-utils
# 2.1.5): the CIB the lab's running Pacemaker cluster starts from (`seed.sh NODE
# pacemaker-start`), built offline by cibadmin through CIB_file and checked by crm_verify.
# Unlike cib.xml (read from disk only), every resource here can really run in the lab:
# fencing by fence_dummy (fence-agents), a VIP on 127.0.2.100 on the NIC of the node's own
# network namespace, a Dummy colocated with it; erp-a preferred, then erp-b. The VIP has a
# subnet of its own: IPaddr2 adds it as iproute2 adds any 127/8 address, with host scope,
# which the kernel refuses as a secondary in the subnet of eth0's own (global) 127.0.1.N/24.
# The lab does not run this; the committed output is what `pacemaker-start` installs.
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)/cib-live.xml"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export CIB_file="$work/cib.xml"
cibadmin --empty >"$CIB_file"
cibadmin -C -o crm_config -X '<cluster_property_set id="cib-bootstrap-options"><nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="true"/><nvpair id="cib-bootstrap-options-no-quorum-policy" name="no-quorum-policy" value="stop"/><nvpair id="cib-bootstrap-options-cluster-name" name="cluster-name" value="lab"/></cluster_property_set>'
for n in 1:erp-a 2:erp-b 3:erp-c; do
  cibadmin -C -o nodes -X "<node id=\"${n%%:*}\" uname=\"${n#*:}\"/>"
done
# A fencing device per node, kept off the node it fences. fence_dummy "fences" by
# writing its status file: no node is really rebooted.
for n in erp-a erp-b erp-c; do
  cibadmin -C -o resources -X "<primitive id=\"fence-$n\" class=\"stonith\" type=\"fence_dummy\"><instance_attributes id=\"fence-$n-instance_attributes\"><nvpair id=\"fence-$n-instance_attributes-pcmk_host_list\" name=\"pcmk_host_list\" value=\"$n\"/></instance_attributes><operations><op id=\"fence-$n-monitor-interval-60s\" name=\"monitor\" interval=\"60s\"/></operations></primitive>"
  cibadmin -C -o constraints -X "<rsc_location id=\"fence-$n-not-on-$n\" rsc=\"fence-$n\" node=\"$n\" score=\"-INFINITY\"/>"
done
cibadmin -C -o configuration -X '<rsc_defaults><meta_attributes id="rsc-options"><nvpair id="rsc-options-resource-stickiness" name="resource-stickiness" value="1000"/><nvpair id="rsc-options-migration-threshold" name="migration-threshold" value="5000"/></meta_attributes></rsc_defaults>'
cibadmin -C -o resources -X '<primitive id="erp-vip" class="ocf" provider="heartbeat" type="IPaddr2"><instance_attributes id="erp-vip-instance_attributes"><nvpair id="erp-vip-instance_attributes-ip" name="ip" value="127.0.2.100"/><nvpair id="erp-vip-instance_attributes-cidr_netmask" name="cidr_netmask" value="24"/><nvpair id="erp-vip-instance_attributes-nic" name="nic" value="eth0"/></instance_attributes><operations><op id="erp-vip-monitor-interval-10s" name="monitor" interval="10s"/></operations></primitive>'
cibadmin -C -o resources -X '<primitive id="erp-app" class="ocf" provider="pacemaker" type="Dummy"><instance_attributes id="erp-app-instance_attributes"><nvpair id="erp-app-instance_attributes-state" name="state" value="/run/erp-app.state"/></instance_attributes><operations><op id="erp-app-monitor-interval-30s" name="monitor" interval="30s" timeout="20s"/></operations></primitive>'
cibadmin -C -o constraints -X '<rsc_colocation id="erp-app-with-vip" rsc="erp-app" with-rsc="erp-vip" score="INFINITY"/>'
cibadmin -C -o constraints -X '<rsc_location id="erp-vip-prefers-erp-a" rsc="erp-vip" node="erp-a" score="100"/>'
cibadmin -C -o constraints -X '<rsc_location id="erp-vip-then-erp-b" rsc="erp-vip" node="erp-b" score="50"/>'
verify="$(crm_verify -V -x "$CIB_file" 2>&1)" || true
printf '%s\n' "$verify"
if printf '%s\n' "$verify" | grep -qiE '(^|[^a-z])error'; then echo "make-cib-live.sh: crm_verify found errors" >&2; exit 1; fi
cp "$CIB_file" "$out"
