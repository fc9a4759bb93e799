// Where the C reference's cycle time goes, call by call (each timed with clock_gettime, so the
// sum is a little above hotplug-loop's figure). Build and run by hand:
//   cc -O2 -o /tmp/call-costs tools/bench/call-costs.c $(pkg-config --cflags --libs libdpdk)
//   /tmp/call-costs -l 0 -m 256 --no-huge --no-pci --no-shconf --file-prefix cc --log-level=4
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
int main(int argc, char **argv) {
  if (rte_eal_init(argc, argv) < 0) return 1;
  double tp = 0, tg = 0, tc = 0, tr = 0; int N = 200000;
  for (int i = 0; i < N + 2000; i++) {
    uint16_t port; double a = now();
    rte_dev_probe("net_null0"); double b = now();
    rte_eth_dev_get_port_by_name("net_null0", &port); double c = now();
    rte_eth_dev_close(port); double d = now();
    rte_eal_hotplug_remove("vdev", "net_null0"); double e = now();
    if (i >= 2000) { tp += b - a; tg += c - b; tc += d - c; tr += e - d; }
  }
  printf("probe %.0f ns, get_port %.0f ns, close %.0f ns, remove %.0f ns, total %.0f ns\n", tp / N, tg / N, tc / N, tr / N, (tp + tg + tc + tr) / N);
  return 0;
}
