#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# sac_edu's timeout path, which the soak's verdict rests on: a transfer
# that outlives timeout_ms ends the round trip as "timeout", parks its
# buffers, and the kernel log says which transfer it was and whether the
# device finished it late or was still busy. QEMU's edu takes 100 ms per
# transfer, so timeout_ms=1 sees it still busy (watched 5 ms more) and
# timeout_ms=40 sees it finish late (watched 200 ms more).
# timeout: 120
. ./lib.sh

# trial NAME TIMEOUT_MS: load sac_edu with that timeout and run one 512-byte
# round trip; $res is its result, $line the first "DMA timed out" line it
# logged (empty if none).
trial() {
	res= line=
	unload_sac sac_edu || return 1
	echo "edu-timeout: $1" > /dev/kmsg
	load_sac sac_edu timeout_ms="$2" || return 1
	res=$(rt "$EDU" 512)
	line=$(dmesg | sed -n "/edu-timeout: $1\$/,\$p" | grep -m1 "$EDU: DMA timed out")
}

# trial_checks NAME TIMEOUT_MS WHAT PATTERN MIN MAX WHY: run trial NAME
# with TIMEOUT_MS; its round trip must end as a timeout, its log line say
# WHAT by matching PATTERN, and its "N ms after its command" lie in
# [MIN, MAX) for the reason WHY.
trial_checks() {
	check "sac_edu.ko loads with timeout_ms=$2" trial "$1" "$2"
	check_eq "timeout_ms=$2: the round trip ends as a timeout" timeout "$res"
	diag "logged: $line"
	check "timeout_ms=$2: the log names the transfer and says $3" \
		sh -c "echo '$line' | grep -q 'DMA timed out (RAM to device, 512 bytes): $4'"
	n=$(echo "$line" | sed -n 's/.* \([0-9]*\) ms after its command.*/\1/p')
	check "timeout_ms=$2: ${n:-?} ms after the command ($7)" \
		sh -c "[ '${n:-x}' -ge $5 ] 2>/dev/null && [ '$n' -lt $6 ]"
}

trial_checks busy 1 "the device is still busy" \
	'still busy [0-9]* ms after its command, parking its buffers' 6 100 \
	">= 6: 1 ms, then 5 ms watched; < 100: the edu's time"

# Let the parked transfer finish before the unload, so nothing leaks.
sleep 0.3
# QEMU sets the edu's timer in whole ms of its clock, and the guest's clock
# may run a little apart from it: 90 ms, not 100, is the floor.
trial_checks late 40 "the device finished it late" \
	'the device finished it [0-9]* ms after its command, late; parking its buffers' 90 240 \
	">= 90: the edu's 100 ms; < 240: 40 ms, then 200 ms watched"

# A round trip after a late finish releases the parked buffers and runs:
# with timeout_ms=40 it times out again, on a fresh transfer.
echo "edu-timeout: again" > /dev/kmsg
check_eq "timeout_ms=40: the next round trip unparks and times out on a new transfer" \
	timeout "$(rt "$EDU" 512)"
check_eq "... and logs one more timeout" 1 \
	"$(dmesg | sed -n '/edu-timeout: again$/,$p' | grep -c "$EDU: DMA timed out")"

sleep 0.3
check "sac_edu.ko unloads with nothing left busy" unload_sac sac_edu
check_eq "no buffers were leaked on the way" 0 \
	"$(dmesg | sed -n '/edu-timeout: busy$/,$p' | grep -c 'DMA still busy: leaking')"
check "sac_edu.ko loads with its default timeout" load_sac sac_edu
check_eq "with the default timeout the edu's round trip is byte-exact again" ok "$(rt "$EDU" 512)"
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
