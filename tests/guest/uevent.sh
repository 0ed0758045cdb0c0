#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Called by busybox `uevent` for every kernel uevent: does for DLM's misc devices what
# udev's 51-dlm.rules does (a /dev/misc/ name, mode 0666 for the control device and
# 0660 for lockspace devices).
case "$DEVNAME" in
dlm-control|dlm-monitor|dlm_plock) mode=0666 ;;
dlm_*) mode=0660 ;;
*) exit 0 ;;
esac
case "$ACTION" in
add)
	i=0
	while [ ! -e "/dev/$DEVNAME" ] && [ $i -lt 100 ]; do
		usleep 10000
		i=$((i + 1))
	done
	chmod "$mode" "/dev/$DEVNAME"
	ln -sf "/dev/$DEVNAME" "/dev/misc/$DEVNAME"
	;;
remove)
	rm -f "/dev/misc/$DEVNAME"
	;;
esac
