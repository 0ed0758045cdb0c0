#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Called by busybox `uevent` for every kernel uevent, one event at a time and in order:
# does for DLM's misc devices what udev's 51-dlm.rules does, a /dev/misc/ node with mode
# 0666 for the control device and 0660 for lockspace devices. The node is made from the
# event's own major and minor, so it never depends on devtmpfs having caught up, and a
# device removed at once never leaves a stale name behind.
case "$DEVNAME" in
dlm-control|dlm-monitor|dlm_plock) mode=0666 ;;
dlm_*) mode=0660 ;;
*) exit 0 ;;
esac
case "$ACTION" in
add)
	mknod -m "$mode" "/dev/misc/.$DEVNAME" c "$MAJOR" "$MINOR" &&
		mv -f "/dev/misc/.$DEVNAME" "/dev/misc/$DEVNAME"
	;;
remove)
	rm -f "/dev/misc/$DEVNAME"
	;;
esac
