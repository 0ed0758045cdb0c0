#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest job: run the libdlm tests, every program in both flavours (threaded libdlm.so.3
# and non-threaded libdlm_lt.so.3), then the dlm_tool script. Each suite is framed by
# "# rdlm-suite: <flavour>/<prog>" and "# rdlm-exit: <flavour>/<prog> <status>" for
# scripts/tap-summary. Exit status 4 means the program skipped (no usable DLM).
#
#   sh run-all.sh [PROG...]          default: every program, in the order below
#
# Environment:
#   LIBDLM_FLAVOURS   flavours to run (default "pthread lt")
#   LIBDLM_TIMEOUT    seconds before a program is killed (default 300)
#   LIBDLM_N, LIBDLM_M  contend's processes and iterations (default 4 and 200)
#   LIBDLM_SUITE_PREFIX  put before every suite name, e.g. "fsdlm/" (default none)
#   LIBDLM_RETRY      suites run a second time if they fail the first, e.g. "pthread/contend"
#                     (default none; the first run's output stays in the log, marked)
#   DLM_TOOL          the dlm_tool binary (default: ./dlm_tool beside this script, else PATH)
cd "$(dirname "$0")" || exit 1
progs=${*:-"ls_basic lock_sync lock_async lvb deadlock persistent kill contend lockdump"}
flavours=${LIBDLM_FLAVOURS:-"pthread lt"}
limit=${LIBDLM_TIMEOUT:-300}
if [ -z "$DLM_TOOL" ] && [ -x ./dlm_tool ]; then
	DLM_TOOL=$PWD/dlm_tool
fi
export DLM_TOOL

# run SUITE CMD...: one suite between the markers, killed after $limit seconds.
run() {
	suite=${LIBDLM_SUITE_PREFIX:-}$1
	shift
	case " ${LIBDLM_RETRY:-} " in
	*" ${suite#"${LIBDLM_SUITE_PREFIX:-}"} "*)
		out=$(timeout -k 10 "$limit" "$@" 2>&1)
		st=$?
		if [ $st -ne 0 ] && [ $st -ne 4 ]; then
			echo "# first run of $suite failed (status $st), run again:"
			echo "$out" | sed 's/^/#   /'
		else
			echo "# rdlm-suite: $suite"
			echo "$out"
			echo "# rdlm-exit: $suite $st"
			return
		fi
		;;
	esac
	echo "# rdlm-suite: $suite"
	timeout -k 10 "$limit" "$@"
	echo "# rdlm-exit: $suite $?"
}

for f in $flavours; do
	for p in $progs; do
		if [ -x "$f/$p" ]; then
			run "$f/$p" "./$f/$p"
		else
			echo "rdlm-fail: $f/$p is missing"
		fi
	done
done
if [ $# -eq 0 ]; then
	run dlm_tool/join-leave sh ./dlm_tool.sh
fi
exit 0
