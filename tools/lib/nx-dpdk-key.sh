#!/bin/sh
# nx's cache key for the DPDK in use (nx.json, namedInputs.dpdk, a `runtime` input): the DPDK the
# SDK would load — DPDK_HOTPLUG_DPDK's prefix when set, else pkg-config's libdpdk — by version and
# prefix, and whether the tests run as root. A changed DPDK (upgraded, another prefix, another
# release's chroot) or another user is a cache miss: nx never replays a run made with another.
if [ -n "$DPDK_HOTPLUG_DPDK" ]; then
  for pc in "$DPDK_HOTPLUG_DPDK"/lib/pkgconfig "$DPDK_HOTPLUG_DPDK"/lib64/pkgconfig "$DPDK_HOTPLUG_DPDK"/lib/*/pkgconfig; do
    [ -f "$pc/libdpdk.pc" ] && PKG_CONFIG_PATH="$pc${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  done
  export PKG_CONFIG_PATH
fi
version=$(pkg-config --modversion libdpdk 2>/dev/null || echo none)
prefix=$(pkg-config --variable=prefix libdpdk 2>/dev/null)
echo "DPDK $version at ${prefix:-?} (DPDK_HOTPLUG_DPDK=${DPDK_HOTPLUG_DPDK:-}) uid $(id -u)"
