# SPDX-License-Identifier: GPL-2.0
#
# rdlm: the Linux DLM's user interface and lock core as a Rust kernel module.
#
#   make run               boot the VM, load rdlm and show it working
#   make check             every test: format, clippy, both kernel flavours, all suites
#   make modules           build rdlm.ko for FLAVOUR (fast or debug; default fast)
#   make bootstrap         install the toolchain and build the test kernels (both)
#   make fuzz, make stress long fuzz and stress runs on the debug flavour (INPUTS=N)
#   make bench             rdlm against fs/dlm in one boot: the table of ratios
#   make difftest          the differential tester's short run (FLAVOUR=fast or debug)
#   make difftest-long     its long run: the scenarios and 100 sequences of 1,000 operations
#   make vm ARGS='...'     scripts/vm with arguments, see README.md
#   make clean             remove build/

FLAVOUR ?= fast

INPUTS ?= 1000000

.PHONY: all run check modules bootstrap vm clean fmt fuzz stress bench difftest difftest-long

all: modules

run:
	scripts/run-demo

check:
	scripts/check

modules:
	scripts/build $(FLAVOUR)

bootstrap:
	scripts/bootstrap

fuzz:
	scripts/soak fuzz $(INPUTS)

stress:
	scripts/soak stress $(INPUTS)

bench:
	scripts/bench $(ARGS)

difftest:
	tests/difftest/run-vm --flavour $(FLAVOUR) check

difftest-long:
	tests/difftest/run-vm --flavour $(FLAVOUR) long

vm:
	scripts/vm $(ARGS)

fmt:
	rustfmt --config-path .rustfmt.toml rust/rdlm.rs

clean:
	rm -rf build
