#!/bin/sh
# The fuzzer's sandbox: run by the runner as
#   prlimit --core=0 -- unshare --mount --net --fork --propagation private -- sh sandbox.sh REPO CMD...
# Every mount below is made in that private mount namespace and is gone when its last process
# ends; nothing is mounted, unmounted or removed on the host. It refuses to run anywhere else.
set -eu

repo=$1
shift

# Not in a mount namespace of its own (run by hand, or unshare missing): do nothing at all.
if [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/1/ns/mnt)" ] ||
  [ "$(readlink /proc/self/ns/net)" = "$(readlink /proc/1/ns/net)" ]; then
  echo "sandbox.sh: not in private mount and network namespaces; refusing to mount anything" >&2
  exit 97
fi
mount --make-rprivate /
# The checkout may live below a folder covered next (a clone in /tmp): this shell's working
# folder keeps the checkout's own directory reachable, to be bound back over the cover below.
cd "$repo"
repo_id=$(stat -c %d:%i .)

# No hugetlbfs in here (first, before /tmp is covered): an init that asks for hugepages fails
# instead of leaving files on the host's hugetlbfs.
# Another process may unmount one on the host meanwhile ("no mount point specified"): what
# counts is that none is left here.
awk '$3 == "hugetlbfs" { print $2 }' /proc/self/mounts | while read -r dir; do umount -l "$dir" 2>/dev/null || :; done
if awk '$3 == "hugetlbfs"' /proc/self/mounts | grep -q .; then
  echo "sandbox.sh: a hugetlbfs mount is still here; refusing to run" >&2
  exit 98
fi

# Private, empty, writable: the runtime folders (/var/run is /run on Debian), /tmp and /dev/shm.
mount -t tmpfs -o mode=0755,size=64m fuzz-run /run
mount -t tmpfs -o mode=1777,size=256m fuzz-tmp /tmp
mount -t tmpfs -o mode=1777,size=64m fuzz-shm /dev/shm
# This network namespace's own interfaces in /sys/class/net.
mount -t sysfs fuzz-sys /sys

# The checkout hidden by a cover above: an empty folder of that name in the cover, and the
# checkout itself bound onto it (through this shell's working folder).
if [ "$(stat -c %d:%i "$repo" 2>/dev/null)" != "$repo_id" ]; then
  mkdir -p "$repo"
  mount --no-canonicalize --rbind /proc/self/cwd "$repo"
fi

# Read-only here: what the child never needs to write (the repository too).
for dir in /usr /etc /boot /home /root /opt /srv /var /work "$repo"; do
  [ -d "$dir" ] || continue
  mount --rbind "$dir" "$dir"
  mount -o remount,bind,ro "$dir"
done

ip link set lo up
# The child starts in its private /tmp, not in the checkout (its working folder until here).
cd /tmp
exec "$@"
