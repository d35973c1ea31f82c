#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The e1000e read faults of the 6.12 soaks, reproduced without iommu_sac,
# and the soak's remedy (sacsoak e1000e-reset) shown to prevent them.
#
# QEMU 7.2's e1000e resets only the MAC address on a software reset
# (e1000e_set_ctrl(): CTRL.RST calls e1000x_reset_mac_addr() alone; QEMU 8.0
# resets the registers), so after a re-bind the port's ring registers still
# hold the rings the last driver instance freed. The 82574 driver never
# clears RCTL.EN (FLAG2_NO_DISABLE_RX), and its open enables receive before
# it writes its new ring (e1000_setup_rctl() before e1000_configure_rx()).
# If the link is up at that write, QEMU delivers the packets queued for the
# port (e1000e_set_rx_control() -> e1000e_start_recv()) into the old ring:
# it reads a freed descriptor, and the IOMMU reports a DMA read fault of
# the port. In a soak the link is up then only when the open took longer
# than QEMU's 500 ms autonegotiation; here the link is fixed (no
# negotiation), so it is up every time.
#  1. without the reset: the port runs in an identity domain (its ring at a
#     physical address), is unbound, moved to a DMA domain and re-bound,
#     packets are queued for it, and it is opened: a DMA read fault at a
#     physical address;
#  2. the same with sacsoak e1000e-reset while the port is unbound: none.
# Half 1 needs the QEMU defect: with a QEMU that resets the registers
# (8.0 on), it finds no fault and fails, which says the remedy in soak.sh
# is no longer needed there.
# kernels: 6.12 7.2
# allow: iommu-fault 0000:00:07.0
# timeout: 300
. ./lib.sh

command -v sacsoak > /dev/null || skip_all "sacsoak is not in the guest (make -C tests/soak)"
# wait_up IFNAME: up to 10 s for the link to be up.
wait_up() {
	local i
	for i in $(seq 1 40); do
		[ "$(cat /sys/class/net/$1/operstate 2>/dev/null)" = up ] && return 0
		sleep 0.25
	done
	return 1
}
TYPE=/sys/bus/pci/devices/$NIC0/iommu_group/type
type0=$(cat $TYPE)
a=$(wait_ifname $NIC0) && b=$(wait_ifname $NIC1) || { not_ok "both e1000e ports have interfaces"; done_testing; }
mac=$(cat /sys/class/net/$a/address)
ip netns add e1k || { not_ok "create network namespace"; done_testing; }
ip link set "$b" netns e1k
ip netns exec e1k ip addr add 10.99.0.2/24 dev "$b"
ip netns exec e1k ip link set "$b" up
# The peer sends to the port without asking for its address (ARP would not
# be answered while the port is down).
ip netns exec e1k ip neigh replace 10.99.0.1 lladdr "$mac" dev "$b" nud permanent
diag "$NIC0 ($a, $mac), group type $type0; peer $NIC1 ($b) in a namespace"

# The bad inputs first: each refused with its message, nothing written.
# refused DESC PCIDEV WORDS: sacsoak e1000e-reset PCIDEV exits 2 saying WORDS.
refused() {
	local out rc
	out=$(sacsoak e1000e-reset $2 2>&1); rc=$?
	case "$rc $out" in
	"2 "*"$3"*) ok "e1000e-reset of $1 is refused: $out" ;;
	*) not_ok "e1000e-reset of $1 is refused with '$3' (exit $rc: $out)" ;;
	esac
}
refused "a bound port" $NIC0 "has a driver: unbind it first"
refused "the host bridge (Intel, no driver, not an 82574)" 0000:00:00.0 "is not an 82574"
refused "a device that does not exist" 0000:00:1f.7 "no PCI device"

ERR=/tmp/soak-e1000e.err
: > $ERR
problem() { echo "$*" >> $ERR; }
# open_port: bind, fix the link, queue packets, open; prints the new read
# faults of the port and the last one's address.
open_port() {
	local n0 a
	echo $NIC0 > /sys/bus/pci/drivers/e1000e/bind
	a=$(wait_ifname $NIC0) || { problem "no interface after the bind"; return; }
	sleep 1.5	# the probe's autonegotiation (500 ms in QEMU) is over
	sacsoak link-fixed $a 2>> $ERR || { problem "link-fixed $a failed"; return; }
	ip netns exec e1k timeout 2 ping -i 0.1 10.99.0.1 > /dev/null 2>&1
	n0=$(iommu_faults $NIC0)
	port_up "$a"
	n=$(wait_iommu_fault $NIC0 $n0)
	echo "$((n - n0)) $(dmesg | grep "Request device \[\(0000:\)\?${NIC0#0000:}\] fault addr" |
		tail -n 1 | grep -oE 'fault addr 0x[0-9a-f]+' | cut -d' ' -f3)"
}
# trial reset|plain: the port served traffic in an identity domain, then
# goes to a DMA domain, with or without the ring reset while unbound.
trial() {
	local a
	echo $NIC0 > /sys/bus/pci/drivers/e1000e/unbind
	sacsoak e1000e-reset $NIC0 2>> $ERR || problem "e1000e-reset failed"
	echo identity > $TYPE || problem "identity refused"
	echo $NIC0 > /sys/bus/pci/drivers/e1000e/bind
	a=$(wait_ifname $NIC0)
	port_up "$a"
	wait_up "$a" || problem "link of $a not up in the identity domain"
	ip netns exec e1k ping -c 5 -i 0.2 -W 2 10.99.0.1 > /dev/null 2>&1 ||
		problem "no traffic in the identity domain"
	echo $NIC0 > /sys/bus/pci/drivers/e1000e/unbind
	[ $1 = reset ] && { sacsoak e1000e-reset $NIC0 2>> $ERR || problem "e1000e-reset failed"; }
	echo DMA > $TYPE || problem "DMA refused"
	open_port
}

set -- $(trial plain)
diag "without the reset: ${1:-no} new fault(s), the last at ${2:-none}"
check_eq "without the reset: every step of the trial worked" "" "$(cat $ERR)"
: > $ERR
n=${1:-0} addr=${2:-none}
check "without the ring reset the port's open reads its freed ring: $n read fault(s)" [ "$n" -ge 1 ]
low=no
case $addr in 0x*) [ $((addr)) -lt $((0x80000000)) ] && low=yes ;; esac
check_eq "the fault's address $addr is the identity domain's ring: a physical address below 2 GiB, no IOVA of the DMA domain" \
	yes $low
set -- $(trial reset)
diag "with the reset: ${1:-no} new fault(s)"
check_eq "with the reset: every step of the trial worked" "" "$(cat $ERR)"
check_eq "with sacsoak e1000e-reset while unbound: no read fault of $NIC0" 0 "${1:-none}"

# Leave the port as the boot had it (its group type, autonegotiation) and
# see it carry traffic after the resets.
echo $NIC0 > /sys/bus/pci/drivers/e1000e/unbind
sacsoak e1000e-reset $NIC0
echo $type0 > $TYPE
echo $NIC0 > /sys/bus/pci/drivers/e1000e/bind
check_eq "the port's group type is back" "$type0" "$(cat $TYPE)"
a=$(wait_ifname $NIC0)
port_up "$a"
wait_up "$a"
for i in $(seq 1 10); do
	ip netns exec e1k ping -c 1 -W 1 10.99.0.1 > /dev/null 2>&1 && break
done
check "the port carries traffic again ($a $(cat /sys/class/net/$a/operstate); ping from the namespace)" \
	ip netns exec e1k ping -c 3 -W 2 10.99.0.1
ip netns del e1k
done_testing
