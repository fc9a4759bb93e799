/* ---- common: EAL start, attach, port set-up, detach, resource counts ---- */
/* Each program uses part of these helpers: no warning for the others. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_version.h>

/* Exit codes: the defect is absent (0), present (1), or could not be tried here (2). */
enum { DEFECT_ABSENT = 0, DEFECT_PRESENT = 1, NOT_RUN = 2 };

static char repro_dir[64];

/* A pcap file of one 64-byte frame in the private folder, for PMDs that read one (net_pcap's
 * rx_pcap={dir}/rx.pcap). */
static void write_rx_pcap(const char *dir) {
  char path[128];
  snprintf(path, sizeof(path), "%s/rx.pcap", dir);
  FILE *f = fopen(path, "wb");
  if (f == NULL) return;
  const uint32_t header[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1}; /* version 2.4, Ethernet */
  const uint32_t record[4] = {0, 0, 64, 64};
  uint8_t frame[64];
  memset(frame, 0xff, sizeof(frame));
  fwrite(header, sizeof(header), 1, f);
  fwrite(record, sizeof(record), 1, f);
  fwrite(frame, sizeof(frame), 1, f);
  fclose(f);
}

/* The devargs with the placeholders filled in: {dir} a private folder this program makes
 * (a fresh one when `fresh_dir`), {iface} the interface named by REPRO_IFACE (default
 * REPRO_DEFAULT_IFACE). */
static const char *expand(const char *tmpl, int fresh_dir) {
  static char out[4][512];
  static int next;
  char *o = out[next++ % 4];
  const char *iface = getenv("REPRO_IFACE") ? getenv("REPRO_IFACE") : REPRO_DEFAULT_IFACE;
  /* A process this program started uses its folder (REPRO_DIR), not one of its own. */
  if (repro_dir[0] == 0 && !fresh_dir && getenv("REPRO_DIR")) snprintf(repro_dir, sizeof(repro_dir), "%s", getenv("REPRO_DIR"));
  if (strstr(tmpl, "{dir}") && (fresh_dir || repro_dir[0] == 0)) {
    strcpy(repro_dir, "/tmp/dpdk-hotplug-repro-XXXXXX");
    if (mkdtemp(repro_dir) == NULL) {
      perror("mkdtemp");
      exit(NOT_RUN);
    }
    write_rx_pcap(repro_dir);
  }
  size_t n = 0;
  for (const char *p = tmpl; *p && n < 500;) {
    const char *with = NULL;
    size_t skip = 0;
    if (strncmp(p, "{dir}", 5) == 0) with = repro_dir, skip = 5;
    else if (strncmp(p, "{iface}", 7) == 0) with = iface, skip = 7;
    if (with) {
      n += (size_t)snprintf(o + n, 511 - n, "%s", with);
      p += skip;
    } else {
      o[n++] = *p++;
    }
  }
  o[n] = 0;
  return o;
}

static int attach(const char *devargs, uint16_t *port);
static struct rte_mempool *make_pool(const char *name, unsigned mbufs);
static int port_up(uint16_t port, struct rte_mempool *mp, const char **step);

static void start_eal(void) {
  setvbuf(stdout, NULL, _IOLBF, 0); /* each line as it happens, also before a crash */
  char *argv[] = {"repro", REPRO_EAL_ARGS, NULL};
  int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;
  if (rte_eal_init(argc, argv) < 0) {
    fprintf(stderr, "rte_eal_init failed: %s\n", rte_strerror(rte_errno));
    exit(NOT_RUN);
  }
  printf("%s\n", rte_version());
  /* The helper ports the device needs (a vhost backend, bonding's members), probed first; a
   * vhost backend is started too (its socket listens from then on). */
  const char *helpers[] = {REPRO_HELPERS NULL};
  for (int i = 0; helpers[i] != NULL; i++) {
    const char *devargs = expand(helpers[i], 0);
    uint16_t port;
    int rc = attach(devargs, &port);
    printf("helper port %s: rte_dev_probe %d\n", devargs, rc);
    if (rc < 0) exit(NOT_RUN);
    if (strncmp(devargs, "net_vhost", 9) == 0) {
      const char *step;
      if ((rc = port_up(port, make_pool("helper_pool", 2048), &step)) < 0) {
        printf("helper port %s: %s %d\n", devargs, step, rc);
        exit(NOT_RUN);
      }
    }
  }
}

/* rte_dev_probe, then the port of the device (its name is the devargs up to the first comma). */
static int attach(const char *devargs, uint16_t *port) {
  char name[RTE_DEV_NAME_MAX_LEN];
  snprintf(name, sizeof(name), "%.*s", (int)strcspn(devargs, ","), devargs);
  int rc = rte_dev_probe(devargs);
  if (rc < 0) return rc;
  return rte_eth_dev_get_port_by_name(name, port);
}

static struct rte_mempool *make_pool(const char *name, unsigned mbufs) {
  struct rte_mempool *mp =
      rte_pktmbuf_pool_create(name, mbufs, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
  if (mp == NULL) {
    fprintf(stderr, "rte_pktmbuf_pool_create(%u): %s\n", mbufs, rte_strerror(rte_errno));
    exit(NOT_RUN);
  }
  return mp;
}

/* configure one rx and one tx queue, set them up, start. Returns the first failure, naming it. */
static int port_up(uint16_t port, struct rte_mempool *mp, const char **step) {
  struct rte_eth_conf conf;
  memset(&conf, 0, sizeof(conf));
  int rc;
  if ((rc = rte_eth_dev_configure(port, 1, 1, &conf)) < 0) return *step = "rte_eth_dev_configure", rc;
  int socket = rte_eth_dev_socket_id(port);
  if (socket < 0) socket = 0;
  if ((rc = rte_eth_rx_queue_setup(port, 0, REPRO_DESCRIPTORS, (unsigned)socket, NULL, mp)) < 0)
    return *step = "rte_eth_rx_queue_setup", rc;
  if ((rc = rte_eth_tx_queue_setup(port, 0, REPRO_DESCRIPTORS, (unsigned)socket, NULL)) < 0)
    return *step = "rte_eth_tx_queue_setup", rc;
  if ((rc = rte_eth_dev_start(port)) < 0) return *step = "rte_eth_dev_start", rc;
  return 0;
}

/* stop, close, remove the device. Returns the first failure, naming it. */
static int port_down(uint16_t port, const char **step) {
  struct rte_eth_dev_info info;
  int rc = rte_eth_dev_info_get(port, &info);
  if (rc < 0) return *step = "rte_eth_dev_info_get", rc;
  struct rte_device *dev = info.device;
  if ((rc = rte_eth_dev_stop(port)) < 0) return *step = "rte_eth_dev_stop", rc;
  if ((rc = rte_eth_dev_close(port)) < 0) return *step = "rte_eth_dev_close", rc;
  if ((rc = rte_dev_remove(dev)) < 0) return *step = "rte_dev_remove", rc;
  return 0;
}

/* DPDK heap in use, summed over sockets (as rte_malloc_dump_stats counts it). */
static double heap_bytes(void) {
  double total = 0;
  for (unsigned i = 0; i < rte_socket_count(); i++) {
    struct rte_malloc_socket_stats st;
    if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0) total += (double)st.heap_allocsz_bytes;
  }
  return total;
}

static void count_zone(const struct rte_memzone *mz, void *arg) {
  (void)mz;
  ++*(int *)arg;
}

static int memzones(void) {
  int n = 0;
  rte_memzone_walk(count_zone, &n);
  return n;
}

/* ---- what a process holds, by name, to say what a detach left behind ---- */
#define MAX_NAMES 512
struct names {
  int n;
  char name[MAX_NAMES][96];
};

static void add_name(struct names *s, const char *kind, const char *name) {
  if (s->n < MAX_NAMES) snprintf(s->name[s->n++], sizeof(s->name[0]), "%s %s", kind, name);
}

static void zone_name(const struct rte_memzone *mz, void *arg) {
  /* ethdev's shared port data: made at the first port, kept for the process's life by design. */
  if (strcmp(mz->name, "rte_eth_dev_data") != 0) add_name(arg, "memzone", mz->name);
}

/* Memzones (rte_memzone_walk), fds (what each points to), network interfaces, threads (by name). */
static void held(struct names *s) {
  s->n = 0;
  rte_memzone_walk(zone_name, s);
  char path[300], target[256];
  DIR *d = opendir("/proc/self/fd");
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n <= 0) continue;
    target[n] = 0;
    if (strncmp(target, "/proc/", 6) != 0) add_name(s, "fd", target); /* not opendir's own */
  }
  if (d) closedir(d);
  if ((d = opendir("/sys/class/net")) != NULL) {
    for (struct dirent *e; (e = readdir(d)) != NULL;)
      if (e->d_name[0] != '.') add_name(s, "netdev", e->d_name);
    closedir(d);
  }
  if ((d = opendir("/proc/self/task")) != NULL) {
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
      if (e->d_name[0] == '.') continue;
      snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
      FILE *f = fopen(path, "r");
      if (f && fgets(target, sizeof(target), f)) {
        target[strcspn(target, "\n")] = 0;
        add_name(s, "thread", target);
      }
      if (f) fclose(f);
    }
    closedir(d);
  }
}

/* Prints what `now` holds that `before` did not (a name held twice counts twice); returns how many. */
static int print_left_behind(const struct names *before, const struct names *now) {
  static char used[MAX_NAMES];
  memset(used, 0, sizeof(used));
  int left = 0;
  for (int i = 0; i < now->n; i++) {
    int found = 0;
    for (int j = 0; j < before->n && !found; j++)
      if (!used[j] && strcmp(now->name[i], before->name[j]) == 0) used[j] = found = 1;
    if (!found) {
      if (left < 20) printf("  left behind: %s\n", now->name[i]);
      left++;
    }
  }
  if (left > 20) printf("  … and %d more\n", left - 20);
  if (left) {
    const char *kinds[] = {"memzone", "fd", "netdev", "thread"};
    printf("  in all:");
    for (int k = 0; k < 4; k++) {
      int n = 0;
      for (int i = 0; i < now->n; i++) n += strncmp(now->name[i], kinds[k], strlen(kinds[k])) == 0;
      for (int j = 0; j < before->n; j++) n -= strncmp(before->name[j], kinds[k], strlen(kinds[k])) == 0;
      printf(" %+d %s%s", n, kinds[k], k < 3 ? "," : "\n");
    }
  }
  return left;
}

static int open_fds(void) {
  int n = 0;
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL) return -1;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1; /* the directory's own */
}
