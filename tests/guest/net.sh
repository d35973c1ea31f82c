#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Real network DMA through the IOMMU: the two e1000e ports share a QEMU hub;
# one is moved into a network namespace so traffic must cross the wire (and
# both devices' DMA) instead of the local loopback. Pings of several sizes
# and a 4 MiB TCP download each way arrive intact.
# lanes: arm64
# timeout: 180
. ./lib.sh

a=$(wait_ifname "$NIC0"); b=$(wait_ifname "$NIC1")
[ -n "$a" ] && [ -n "$b" ] || { not_ok "both e1000e ports have interfaces ($a, $b)"; done_testing; }
ok "e1000e ports $NIC0=$a $NIC1=$b"

ip netns add peer || { not_ok "create network namespace"; done_testing; }
check "move $b into the namespace" ip link set "$b" netns peer
ip addr add 10.99.0.1/24 dev "$a"
ip link set "$a" up
ip netns exec peer ip addr add 10.99.0.2/24 dev "$b"
ip netns exec peer ip link set "$b" up
ip netns exec peer ip link set lo up
for i in $(seq 1 40); do
	[ "$(cat /sys/class/net/$a/operstate)" = up ] &&
		[ "$(ip netns exec peer cat /sys/class/net/$b/operstate)" = up ] && break
	sleep 0.5
done
sa=$(cat /sys/class/net/$a/operstate 2>/dev/null)
sb=$(ip netns exec peer cat /sys/class/net/$b/operstate 2>/dev/null)
check_eq "both links up ($a here, $b in the namespace)" "up up" "$sa $sb"
for i in $(seq 1 10); do
	ping -c 1 -W 1 10.99.0.2 >/dev/null 2>&1 && break
done
for size in 56 1400 8000; do
	out=$(ping -c 5 -i 0.2 -s "$size" -W 2 10.99.0.2 2>&1 | grep 'packets transmitted')
	recv=$(echo "$out" | awk '{ print $4 }')
	check_eq "ping -s $size to the namespace across the hub: replies" 5 "$recv"
done
check "route to 10.99.0.2 leaves through $a (not loopback)" \
	sh -c "ip route get 10.99.0.2 | grep -q 'dev $a'"

# 4 MiB over TCP each way (busybox httpd serves, wget fetches).
mkdir -p /tmp/www
dd if=/dev/urandom of=/tmp/www/payload bs=1024 count=4096 2>/dev/null
want=$(sha256sum < /tmp/www/payload | cut -d' ' -f1)
transfer() { # SERVER_NS_CMD CLIENT_NS_CMD SERVER_IP RX_IFACE_CMD
	local srv rx0 rx1
	rx0=$($4)
	$1 httpd -f -p 8080 -h /tmp/www &
	srv=$!
	sleep 1
	rm -f /tmp/received
	$2 wget -q -O /tmp/received "http://$3:8080/payload"
	kill $srv 2>/dev/null
	wait $srv 2>/dev/null
	rx1=$($4)
	got=$(sha256sum < /tmp/received 2>/dev/null | cut -d' ' -f1)
	check_eq "4 MiB TCP download from the server at $3 arrives intact (sha256)" "$want" "$got"
	check "the receiving port counted the bytes on the wire ($((rx1 - rx0)))" \
		[ $((rx1 - rx0)) -ge 4194304 ]
}
transfer "ip netns exec peer" env 10.99.0.2 "cat /sys/class/net/$a/statistics/rx_bytes"
transfer env "ip netns exec peer" 10.99.0.1 \
	"ip netns exec peer cat /sys/class/net/$b/statistics/rx_bytes"
rm -rf /tmp/www /tmp/received
# "ip netns exec" forks: killing the first server's $srv left its httpd
# in the namespace, which kept the namespace, and $b in it, alive after
# the "ip netns del" for the rest of the boot (a later test that needs
# both ports failed). End what still runs there, and see $b come back.
left=$(ip netns pids peer)
diag "still in the namespace: ${left:-nothing}"
[ -z "$left" ] || kill $left
ip netns del peer
back=$(wait_ifname "$NIC1")
check "$NIC1 is back from the deleted namespace (${back:-no interface after 10 s})" [ -n "$back" ]
done_testing
