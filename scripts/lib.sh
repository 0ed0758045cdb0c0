# Shared helpers for rdlm's scripts. Source it; do not run it.
# shellcheck shell=bash

RDLM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RDLM_CACHE=${RDLM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rdlm}
KERNEL_SERIES=7.2
LLVM_SUFFIX=-19
BINDGEN_VERSION=0.73.2
export PATH="$HOME/.cargo/bin:$PATH"

_rdlm_t0=${_rdlm_t0:-$(date +%s)}
export _rdlm_t0

# stage NAME: announce a stage with the elapsed time since the first script started.
stage() {
	RDLM_STAGE=$1
	printf '[rdlm %5ss] %s\n' "$(( $(date +%s) - _rdlm_t0 ))" "$1" >&2
}

die() {
	printf '[rdlm] FAILED in stage "%s": %s\n' "${RDLM_STAGE:-setup}" "$*" >&2
	exit 1
}

# run_logged LOG CMD...: run a long command with its output in LOG; on failure show the tail.
run_logged() {
	local log=$1
	shift
	if ! "$@" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "'$*' failed (full log: $log)"
	fi
}

# The kernel version unpacked in the cache (empty before the source is fetched).
kernel_src() {
	local d
	d=$(ls -d "$RDLM_CACHE"/src/linux-source-"$KERNEL_SERIES" 2>/dev/null | head -1)
	echo "$d"
}

toolchain_id() {
	{
		clang$LLVM_SUFFIX --version | head -1
		rustc --version
		bindgen --version
	} 2>/dev/null | sha256sum | cut -c1-12
}

# kbuild_dir FLAVOUR: where the kernel of that flavour is built, keyed by
# kernel version, config fragments and toolchain.
kbuild_dir() {
	local flavour=$1 src key
	src=$(kernel_src)
	key=$( {
		cat "$src/.rdlm-version" 2>/dev/null
		cat "$RDLM_TOP/scripts/config/common.config" "$RDLM_TOP/scripts/config/$flavour.config"
		toolchain_id
	} | sha256sum | cut -c1-16)
	echo "$RDLM_CACHE/kbuild/$flavour-$key"
}

kmake() {
	make -C "$(kernel_src)" ARCH=x86_64 LLVM=$LLVM_SUFFIX "$@"
}
