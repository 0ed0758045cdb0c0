#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dlm_tool join/leave (package dlm-controld; the threaded libdlm underneath): join creates
# a lockspace through dlm_new_lockspace and leaves it behind, -e 1 adds NEWEXCL, -m sets
# the device mode, leave is dlm_open_lockspace + a forced dlm_release_lockspace that drops
# one create reference (spec §4.3). TAP 13; exit 0 if all passed, 4 if skipped.
#
# The binary is $DLM_TOOL, else dlm_tool beside this script, else /usr/sbin/dlm_tool,
# else dlm_tool on $PATH.
cd "$(dirname "$0")" || exit 1
n=0
failed=0
plan=12

ok() { # ok COND-STATUS NAME
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

skip_all() {
	echo "1..1"
	echo "ok 1 - dlm_tool # SKIP $1"
	exit 4
}

registered() { grep -q " dlm_$1\$" /proc/misc; }

# wait_gone LS: up to 3 s for dlm_LS to leave /proc/misc.
wait_gone() {
	i=0
	while registered "$1" && [ $i -lt 300 ]; do
		usleep 10000
		i=$((i + 1))
	done
	! registered "$1"
}

# mode_of PATH: the octal permission bits of what PATH points to, after up to 2 s.
mode_of() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 200 ]; do
		usleep 10000
		i=$((i + 1))
	done
	stat -L -c %a "$1" 2>/dev/null
}

echo "TAP version 13"
tool=${DLM_TOOL:-}
if [ -z "$tool" ]; then
	for t in ./dlm_tool /usr/sbin/dlm_tool; do
		[ -x "$t" ] && tool=$t && break
	done
fi
[ -n "$tool" ] || tool=$(command -v dlm_tool) || skip_all "dlm_tool not found"
grep -q ' dlm-control$' /proc/misc || skip_all "no DLM loaded"

ls=tooljoin
out=$("$tool" join $ls 2>&1)
st=$?
echo "$out" | sed 's/^/# /'
case "$out" in
*"error 95"* | *"error 107"* | *"error 49"*)
	skip_all "this DLM cannot create lockspaces ($(echo "$out" | tail -1))" ;;
esac
echo "1..$plan"
registered $ls
ok $(( st + $? )) "dlm_tool join $ls exits 0 and the lockspace exists"
m=$(mode_of /dev/misc/dlm_$ls)
[ "$m" = 600 ]
ok $? "the lockspace device has dlm_tool's default mode 0600 (got $m)"

"$tool" join -e 1 $ls >/dev/null 2>&1
[ $? != 0 ]
ok $? "dlm_tool join -e 1 (NEWEXCL) of an existing lockspace fails"

"$tool" join $ls >/dev/null 2>&1
ok $? "dlm_tool join of an existing lockspace without -e joins it (2 references)"

"$tool" leave $ls >/dev/null 2>&1
st=$?
usleep 200000
registered $ls
ok $(( st + $? )) "dlm_tool leave exits 0 and drops one reference: the lockspace stays"

"$tool" leave $ls >/dev/null 2>&1
st=$?
wait_gone $ls
ok $(( st + $? )) "a second dlm_tool leave removes the lockspace"

i=0
while [ -e /dev/misc/dlm_$ls ] && [ $i -lt 300 ]; do usleep 10000; i=$((i + 1)); done
[ ! -e /dev/misc/dlm_$ls ]
ok $? "/dev/misc/dlm_$ls is gone"

"$tool" leave $ls >/dev/null 2>&1
[ $? != 0 ]
ok $? "dlm_tool leave of a lockspace that does not exist fails"

"$tool" join -e 1 -m 0640 $ls >/dev/null 2>&1
st=$?
registered $ls
ok $(( st + $? )) "dlm_tool join -e 1 -m 0640 of a new lockspace"
m=$(mode_of /dev/misc/dlm_$ls)
[ "$m" = 640 ]
ok $? "the lockspace device has mode 0640 (got $m)"

# The lockspace is still usable by libdlm programs: dlm_tool lockdump on it (no locks)
# works only with debugfs; here only the removal counts.
"$tool" leave $ls >/dev/null 2>&1
st=$?
wait_gone $ls
ok $(( st + $? )) "dlm_tool leave removes it"

# ls/status talk to dlm_controld, which the single-node setups do not run.
"$tool" ls >/dev/null 2>&1
st=$?
[ $st != 0 ]
ok $? "dlm_tool ls fails without dlm_controld (exit $st)"

[ $n = $plan ] || { echo "# planned $plan, ran $n"; exit 1; }
[ $failed = 0 ]
