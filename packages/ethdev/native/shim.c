/*
 * dpdk-hotplug shim: the few things koffi cannot reach in DPDK 22.11.
 *
 * - rte_eth_rx_burst/tx_burst and rte_pktmbuf_alloc are static inline: the traffic helpers
 *   copy packets between JS buffers and mbufs here.
 * - DPDK's log goes to a FILE*: a fopencookie stream keeps the last bytes in a ring that JS
 *   reads through a memory view, so capturing the log of a failed call costs no FFI call.
 * - Device-removal callbacks run on DPDK's interrupt thread. A koffi callback there would block
 *   that thread until JS runs it, and deadlock if the main thread waits for it inside DPDK.
 *   So callbacks never call JS: they write a fixed-size record to a non-blocking pipe that JS
 *   reads on its event loop.
 * - A few loops (ports of a device, memzones, heap stats) run here to save FFI round-trips.
 * - Every DPDK struct is read here, compiled against that DPDK's headers, and copied into our
 *   own stable structs (dphp_*): DPDK's change between releases (rte_eth_stats: 704 bytes in
 *   22.11, 64 in 25.11), ours do not, and dphp_layout() lets JS check koffi's view of them.
 *
 * Every prototype here is declared once more, as a string, in lib/binding.ts.
 */
#define _GNU_SOURCE
/* rte_dev_event_callback_register is still experimental in 22.11. */
#define ALLOW_EXPERIMENTAL_API
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_version.h>
#include <stddef.h>

#define DPHP_ABI 10

int dphp_abi(void) { return DPHP_ABI; }

/* The DPDK whose headers this shim was compiled against, as year << 16 | month << 8 | minor:
 * JS refuses a shim built for another DPDK than the one it loaded. */
int dphp_built_for(void) { return RTE_VER_YEAR << 16 | RTE_VER_MONTH << 8 | RTE_VER_MINOR; }

/* How rte_delay_us waits, process-wide: `mode` 0 DPDK's busy loop, 1 nanosleep (a PMD's resets
 * and register polls in control calls then leave the CPU to others), -1 unchanged. Returns the
 * mode in force: 0, 1, or 2 for a callback of someone else's. */
int dphp_delays(int mode) {
  if (mode == 0 || mode == 1) rte_delay_us_callback_register(mode ? rte_delay_us_sleep : rte_delay_us_block);
  return rte_delay_us == rte_delay_us_block ? 0 : rte_delay_us == rte_delay_us_sleep ? 1 : 2;
}

/* A call of rte_delay_us, a function pointer koffi cannot call by name: for the tests of dphp_delays. */
void dphp_delay_us(unsigned int us) { rte_delay_us(us); }

/* DPDK belongs to the first JS thread that claims it: the EAL is per process, JS state is per
 * thread. Returns 0 when `thread` owns it (now or already), else the owner. */
static int owner_thread;
int dphp_claim(int thread) {
  int expected = 0;
  if (__atomic_compare_exchange_n(&owner_thread, &expected, thread, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
    return 0;
  return expected == thread ? 0 : expected;
}

/* ---------------------------------------------------------------- log capture */

#define LOG_RING 65536
/* Read by JS through koffi.view: `written` counts every byte ever written (exact as a double
 * up to 2^53), the ring holds the last LOG_RING of them at offset written % LOG_RING. */
struct dphp_log_state {
  double written;
  int echo; /* also copy to stderr, as DPDK does by default */
  int pad;
  char ring[LOG_RING];
};
static struct dphp_log_state log_state;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static ssize_t log_write(void *cookie, const char *buf, size_t len) {
  (void)cookie;
  pthread_mutex_lock(&log_lock);
  for (size_t i = 0; i < len; i++) {
    log_state.ring[(unsigned long long)log_state.written % LOG_RING] = buf[i];
    log_state.written += 1;
  }
  pthread_mutex_unlock(&log_lock);
  if (log_state.echo) {
    ssize_t ignored = write(STDERR_FILENO, buf, len);
    (void)ignored;
  }
  return (ssize_t)len;
}

struct dphp_log_state *dphp_log_state(void) { return &log_state; }

/* Called before rte_eal_init so that EAL's own start-up messages are captured too. */
int dphp_log_install(int echo) {
  static FILE *stream;
  cookie_io_functions_t io = {.write = log_write};
  log_state.echo = echo;
  if (stream == NULL) {
    stream = fopencookie(NULL, "w", io);
    if (stream == NULL) return -errno;
    setvbuf(stream, NULL, _IOLBF, 0);
  }
  return rte_openlog_stream(stream);
}

void dphp_log_echo(int echo) { log_state.echo = echo; }

/* ---------------------------------------------------------------- events */

enum dphp_event_kind { DPHP_EV_ETH = 1, DPHP_EV_DEV = 2 };

struct dphp_event {
  uint32_t kind;  /* dphp_event_kind */
  uint32_t event; /* rte_eth_event_type or rte_dev_event_type */
  uint32_t port;  /* for ETH events */
  char name[68];  /* device name for DEV events */
};

static int ev_pipe[2] = {-1, -1};
static volatile uint64_t ev_dropped;

static void ev_post(const struct dphp_event *ev) {
  /* A record is < PIPE_BUF, so the write is atomic; a full pipe drops and counts. */
  if (ev_pipe[1] < 0 || write(ev_pipe[1], ev, sizeof(*ev)) != (ssize_t)sizeof(*ev))
    __atomic_add_fetch(&ev_dropped, 1, __ATOMIC_RELAXED);
}

static int on_eth_event(uint16_t port, enum rte_eth_event_type type, void *arg, void *ret) {
  (void)arg;
  (void)ret;
  struct dphp_event ev = {.kind = DPHP_EV_ETH, .event = (uint32_t)type, .port = port};
  ev_post(&ev);
  return 0;
}

static void on_dev_event(const char *name, enum rte_dev_event_type type, void *arg) {
  (void)arg;
  struct dphp_event ev = {.kind = DPHP_EV_DEV, .event = (uint32_t)type, .port = UINT32_MAX};
  snprintf(ev.name, sizeof(ev.name), "%s", name ? name : "");
  ev_post(&ev);
}

/* Events that reach JS: a port's device was removed (INTR_RMV) and, once the hotplug monitor
 * is on, kernel add/remove of devices. Returns the read end of the pipe. */
int dphp_events_open(void) {
  if (ev_pipe[0] >= 0) return ev_pipe[0];
  if (pipe2(ev_pipe, O_CLOEXEC) != 0) return -errno;
  fcntl(ev_pipe[1], F_SETFL, O_NONBLOCK);
  int rc = rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_RMV, on_eth_event, NULL);
  if (rc == 0) rc = rte_dev_event_callback_register(NULL, on_dev_event, NULL);
  if (rc != 0) return rc;
  return ev_pipe[0];
}

int dphp_event_size(void) { return (int)sizeof(struct dphp_event); }
double dphp_events_dropped(void) { return (double)ev_dropped; }

void dphp_events_close(void) {
  if (ev_pipe[1] < 0) return;
  rte_eth_dev_callback_unregister(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_RMV, on_eth_event, NULL);
  /* -EAGAIN while a callback runs: it is then finishing its write, which is harmless. */
  rte_dev_event_callback_unregister(NULL, on_dev_event, (void *)-1);
  close(ev_pipe[1]);
  ev_pipe[1] = -1;
  /* The read end belongs to JS, which closes it. */
  ev_pipe[0] = -1;
}

/* ---------------------------------------------------------------- DPDK's own threads */

/* rte_eal_cleanup unmaps DPDK's memory and leaves its interrupt and telemetry threads running
 * (22.11 … 25.11 stop neither). The interrupt thread walks its interrupt sources whenever one of
 * their fds wakes it, and a source whose handle lives in DPDK's memory is then read after the
 * unmap: net_memif never unregisters its server's listener (memif_socket_remove_device frees the
 * socket and its handle, not the EAL's copy of it, made with rte_intr_instance_dup in DPDK's
 * memory), so the next wake after rte_eal_cleanup died with SIGSEGV in rte_intr_fd_get. These
 * end both threads first, through what they already do: the interrupt thread runs a callback
 * of ours on an eventfd that ends it (pthread_exit; the EAL's lock is not held while a callback
 * runs); telemetry's listener threads quit when accept() fails, which a shutdown() of their
 * listening socket makes it do. */

static void sleep_ms(int ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static volatile int intr_thread_tid;

static void end_intr_thread(void *arg) {
  (void)arg;
  __atomic_store_n(&intr_thread_tid, (int)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
  pthread_exit(NULL);
}

static int task_alive(int tid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/task/%d", tid);
  return access(path, F_OK) == 0;
}

/* Ends DPDK's interrupt thread, waiting up to timeout_ms; returns its tid (> 0), -ETIMEDOUT, or
 * rte_intr_callback_register's error. Nothing DPDK does afterwards is woken by an fd. */
int dphp_end_intr_thread(int timeout_ms) {
  int fd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK); /* readable at once */
  if (fd < 0) return -errno;
  struct rte_intr_handle *h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
  if (h == NULL || rte_intr_fd_set(h, fd) != 0 || rte_intr_type_set(h, RTE_INTR_HANDLE_EXT) != 0) {
    close(fd);
    return -ENOMEM;
  }
  int rc = rte_intr_callback_register(h, end_intr_thread, NULL);
  if (rc < 0) {
    rte_intr_instance_free(h);
    close(fd);
    return rc;
  }
  /* The handle and the eventfd stay: the EAL's source names them for good. */
  for (int waited = 0; waited <= timeout_ms; waited++) {
    int tid = __atomic_load_n(&intr_thread_tid, __ATOMIC_SEQ_CST);
    if (tid > 0 && !task_alive(tid)) return tid;
    sleep_ms(1);
  }
  return -ETIMEDOUT;
}

static int telemetry_threads(void) {
  DIR *d = opendir("/proc/self/task");
  if (d == NULL) return -errno;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[300], comm[32] = "";
    snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
    FILE *f = fopen(path, "re");
    if (f == NULL) continue;
    if (fgets(comm, sizeof(comm), f) != NULL &&
        (strncmp(comm, "telemetry-v", 11) == 0 || strncmp(comm, "dpdk-telemet-v", 14) == 0))
      n++;
    fclose(f);
  }
  closedir(d);
  return n;
}

/* Ends telemetry's listener threads (runtime_dir/dpdk_telemetry.v2…, runtime_dir/telemetry):
 * shuts their listening sockets down and waits up to timeout_ms for the threads to go, then
 * closes the sockets. Returns the number of sockets shut down, or -ETIMEDOUT. */
int dphp_end_telemetry(int timeout_ms) {
  const char *dir = rte_eal_get_runtime_dir();
  char v2[sizeof(((struct sockaddr_un *)0)->sun_path)], v1[sizeof(v2)];
  snprintf(v2, sizeof(v2), "%s/dpdk_telemetry.v", dir);
  snprintf(v1, sizeof(v1), "%s/telemetry", dir);
  int fds[8], n = 0;
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL) return -errno;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < 8) {
    int fd = atoi(e->d_name);
    struct sockaddr_un sun;
    socklen_t len = sizeof(sun);
    int listening = 0;
    socklen_t optlen = sizeof(listening);
    if (e->d_name[0] == '.' || fd == dirfd(d)) continue;
    if (getsockname(fd, (struct sockaddr *)&sun, &len) != 0 || sun.sun_family != AF_UNIX) continue;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) != 0 || !listening) continue;
    sun.sun_path[sizeof(sun.sun_path) - 1] = '\0';
    if (strncmp(sun.sun_path, v2, strlen(v2)) == 0 || strcmp(sun.sun_path, v1) == 0) fds[n++] = fd;
  }
  closedir(d);
  if (n == 0) return 0;
  /* Their thread logs "Error with accept, telemetry thread quitting" as it goes: not an error here. */
  int level = rte_log_get_level(rte_log_register("lib.telemetry"));
  rte_log_set_level_pattern("lib.telemetry", RTE_LOG_EMERG);
  for (int i = 0; i < n; i++) shutdown(fds[i], SHUT_RDWR);
  int waited = 0;
  while (telemetry_threads() > 0 && waited++ < timeout_ms) sleep_ms(1);
  if (level > 0) rte_log_set_level_pattern("lib.telemetry", (uint32_t)level);
  if (telemetry_threads() > 0) return -ETIMEDOUT;
  for (int i = 0; i < n; i++) close(fds[i]);
  return n;
}

/* ---------------------------------------------------------------- ports and devices */

/* The ports of the device named `devname`, lowest id first; returns their count. */
int dphp_device_ports(const char *devname, uint16_t *out, int cap) {
  struct rte_eth_dev_info info;
  const struct rte_device *dev = NULL;
  uint16_t p;
  if (rte_eth_dev_get_port_by_name(devname, &p) == 0 && rte_eth_dev_info_get(p, &info) == 0) {
    dev = info.device;
  } else {
    /* Multi-port devices name their ports differently from the device. */
    for (p = rte_eth_find_next(0); p < RTE_MAX_ETHPORTS; p = rte_eth_find_next(p + 1)) {
      if (rte_eth_dev_info_get(p, &info) == 0 && info.device && strcmp(rte_dev_name(info.device), devname) == 0) {
        dev = info.device;
        break;
      }
    }
  }
  if (dev == NULL) return 0;
  int n = 0;
  for (p = rte_eth_find_next_of(0, dev); p < RTE_MAX_ETHPORTS && n < cap; p = rte_eth_find_next_of(p + 1, dev))
    out[n++] = p;
  return n;
}

/* rte_dev_probe, then the device's ports, `before` being DPDK's port count before it. Returns
 * rte_dev_probe's error (< 0) or the number of ports written to `out`. */
static int probe_counted(const char *devargs, const char *devname, uint16_t *out, int cap, uint16_t before) {
  int rc = rte_dev_probe(devargs);
  if (rc < 0) return rc;
  uint16_t p;
  /* One new port named as the device: a single-port device, no scan needed. */
  if (cap > 0 && rte_eth_dev_count_total() == before + 1 && rte_eth_dev_get_port_by_name(devname, &p) == 0) {
    out[0] = p;
    return 1;
  }
  return dphp_device_ports(devname, out, cap);
}

/* Every valid port id (owned ones included); returns the count. */
int dphp_valid_ports(uint16_t *out, int cap) {
  int n = 0;
  for (uint16_t p = rte_eth_find_next(0); p < RTE_MAX_ETHPORTS && n < cap; p = rte_eth_find_next(p + 1))
    out[n++] = p;
  return n;
}

/* A flat, stable view of what JS wants from rte_eth_dev_info and the device. */
struct dphp_port_info {
  char name[64];
  char device[64];
  char bus[32];
  char driver[64];
  int32_t socket;
  uint16_t max_rx_queues;
  uint16_t max_tx_queues;
  uint8_t mac[6];
  uint8_t link_up;
  uint8_t link_duplex;
  uint32_t link_speed;
};

int dphp_port_info(uint16_t port, struct dphp_port_info *out) {
  struct rte_eth_dev_info info;
  struct rte_ether_addr mac;
  struct rte_eth_link link;
  memset(out, 0, sizeof(*out));
  int rc = rte_eth_dev_info_get(port, &info);
  if (rc != 0) return rc;
  rte_eth_dev_get_name_by_port(port, out->name);
  if (info.device) {
    snprintf(out->device, sizeof(out->device), "%s", rte_dev_name(info.device));
    const struct rte_bus *bus = rte_dev_bus(info.device);
    snprintf(out->bus, sizeof(out->bus), "%s", bus ? rte_bus_name(bus) : "");
  }
  snprintf(out->driver, sizeof(out->driver), "%s", info.driver_name ? info.driver_name : "");
  out->socket = rte_eth_dev_socket_id(port);
  out->max_rx_queues = info.max_rx_queues;
  out->max_tx_queues = info.max_tx_queues;
  if (rte_eth_macaddr_get(port, &mac) == 0) memcpy(out->mac, mac.addr_bytes, 6);
  if (rte_eth_link_get_nowait(port, &link) == 0) {
    out->link_up = link.link_status;
    out->link_duplex = link.link_duplex;
    out->link_speed = link.link_speed;
  }
  return 0;
}

/* rte_eth_stats' basic counters; its per-queue arrays (gone in 25.11) are not read. */
struct dphp_stats {
  uint64_t ipackets, opackets, ibytes, obytes, imissed, ierrors, oerrors, rx_nombuf;
};

int dphp_stats(uint16_t port, struct dphp_stats *out) {
  struct rte_eth_stats st;
  memset(out, 0, sizeof(*out));
  int rc = rte_eth_stats_get(port, &st);
  if (rc != 0) return rc;
  out->ipackets = st.ipackets;
  out->opackets = st.opackets;
  out->ibytes = st.ibytes;
  out->obytes = st.obytes;
  out->imissed = st.imissed;
  out->ierrors = st.ierrors;
  out->oerrors = st.oerrors;
  out->rx_nombuf = st.rx_nombuf;
  return 0;
}

/* rte_eth_dev_configure with a zeroed rte_eth_conf: the defaults every PMD accepts. */
int dphp_configure(uint16_t port, uint16_t rxq, uint16_t txq) {
  struct rte_eth_conf conf;
  memset(&conf, 0, sizeof(conf));
  return rte_eth_dev_configure(port, rxq, txq, &conf);
}

/* ---------------------------------------------------------------- resources */

static void count_zone(const struct rte_memzone *mz, void *arg) {
  (void)mz;
  ++*(int *)arg;
}

int dphp_memzone_count(void) {
  int n = 0;
  rte_memzone_walk(count_zone, &n);
  return n;
}

struct zone_names {
  char *buf;
  int len, used;
};

static void name_zone(const struct rte_memzone *mz, void *arg) {
  struct zone_names *z = arg;
  int n = (int)strlen(mz->name) + 1;
  if (z->used + n <= z->len) {
    memcpy(z->buf + z->used, mz->name, (size_t)n - 1);
    z->buf[z->used + n - 1] = '\n';
  }
  z->used += n;
}

/* Every memzone's name followed by a newline, into buf (len bytes); returns the bytes needed,
 * so a caller whose buffer was too small calls again with a bigger one. */
int dphp_memzone_names(char *buf, int len) {
  struct zone_names z = {buf, len, 0};
  rte_memzone_walk(name_zone, &z);
  return z.used;
}

/* DPDK heap bytes in use, over every socket. */
double dphp_heap_in_use(void) {
  double total = 0;
  for (unsigned i = 0; i < rte_socket_count(); i++) {
    struct rte_malloc_socket_stats st;
    if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0) total += (double)st.heap_allocsz_bytes;
  }
  return total;
}

/* ---------------------------------------------------------------- traffic */

/* Each port's mbuf pool, set by JS at configure: tx takes the port, not a pointer (koffi
 * marshals a pointer argument at about the cost of the call itself). */
static struct rte_mempool *port_pools[RTE_MAX_ETHPORTS];

int dphp_port_pool(uint16_t port, struct rte_mempool *mp) {
  if (port >= RTE_MAX_ETHPORTS) return -EINVAL;
  port_pools[port] = mp;
  return 0;
}

/* Sends n packets laid end to end in `data` with lengths `lens`; returns how many the PMD took.
 * Mbufs the PMD did not take are freed here, so nothing leaks. */
static uint16_t dphp_tx_copy(uint16_t port, uint16_t queue, struct rte_mempool *mp, const uint8_t *data,
                      const uint16_t *lens, uint16_t n) {
  struct rte_mbuf *pkts[512];
  if (n > 512) n = 512;
  if (rte_pktmbuf_alloc_bulk(mp, pkts, n) != 0) return 0;
  size_t off = 0;
  for (uint16_t i = 0; i < n; i++) {
    char *dst = rte_pktmbuf_append(pkts[i], lens[i]);
    if (dst == NULL) { /* larger than the mbuf's data room: send what came before */
      rte_pktmbuf_free_bulk(pkts + i, n - i);
      n = i;
      break;
    }
    memcpy(dst, data + off, lens[i]);
    off += lens[i];
  }
  uint16_t sent = rte_eth_tx_burst(port, queue, pkts, n);
  if (sent < n) rte_pktmbuf_free_bulk(pkts + sent, n - sent);
  return sent;
}

/* Receives up to n packets, copied end to end into `buf` (cap bytes) with their lengths in
 * `lens`; a packet that does not fit is dropped (its length reported as 0). */
static uint16_t dphp_rx_copy(uint16_t port, uint16_t queue, uint8_t *buf, uint32_t cap, uint16_t *lens, uint16_t n) {
  struct rte_mbuf *pkts[512];
  if (n > 512) n = 512;
  uint16_t got = rte_eth_rx_burst(port, queue, pkts, n);
  uint32_t off = 0;
  for (uint16_t i = 0; i < got; i++) {
    uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);
    /* rte_pktmbuf_read copies only segmented packets; a contiguous one is returned in place. */
    const void *src = off + len <= cap ? rte_pktmbuf_read(pkts[i], 0, len, buf + off) : NULL;
    if (src != NULL) {
      if (src != buf + off) memcpy(buf + off, src, len);
      lens[i] = (uint16_t)len;
      off += len;
    } else {
      lens[i] = 0;
    }
  }
  if (got) rte_pktmbuf_free_bulk(pkts, got);
  return got;
}

/*
 * An iterator over the devices of `bus` (the filter "bus=<bus>"), initialized once per bus and
 * copied for each walk. rte_dev_iterator_init only parses the filter (the iterator points into
 * it, kept here) and looks up the bus, and every bus is registered before rte_eal_init returns:
 * a copy is what a new init would make, without its parse (most of a detach's proof). One per
 * thread: dphp_detach_area also runs on the SDK's worker thread.
 */
static __thread struct {
  char filter[64];
  struct rte_dev_iterator it;
} bus_walk;

static int bus_iterator(const char *bus, struct rte_dev_iterator *it) {
  if (bus_walk.filter[0] == '\0' || strcmp(bus_walk.filter + 4, bus) != 0) {
    if (snprintf(bus_walk.filter, sizeof(bus_walk.filter), "bus=%s", bus) >= (int)sizeof(bus_walk.filter)) {
      bus_walk.filter[0] = '\0';
      return -EINVAL;
    }
    /* A failed init leaves an iterator that yields nothing, as RTE_DEV_FOREACH's would. */
    rte_dev_iterator_init(&bus_walk.it, bus_walk.filter);
  }
  *it = bus_walk.it;
  return 0;
}

/* Whether a device is on its bus with a driver (probed): 1, else 0; -EINVAL for a bad bus name. */
int dphp_device_probed(const char *bus, const char *name) {
  struct rte_dev_iterator it;
  struct rte_device *dev;
  if (bus_iterator(bus, &it) < 0) return -EINVAL;
  while ((dev = rte_dev_iterator_next(&it)) != NULL) {
    if (strcmp(rte_dev_name(dev), name) == 0) return rte_dev_driver(dev) != NULL;
  }
  return 0;
}

/*
 * What a removal that returned 0 left behind, in one crossing: the device's ethdev ports (their
 * count, ids in `out`), or -1 when it has none but is still probed on its bus (with a driver),
 * or 0 when it is gone. Bus iteration and rte_dev_driver are public on every supported DPDK; a
 * device left on the bus without a driver (26.x keeps the rte_device until cleanup) is gone.
 */
int dphp_device_left(const char *bus, const char *name, uint16_t *out, int cap) {
  /* No port at all (the usual detach): none of the device's, and no scan by name needed. */
  if (rte_eth_find_next(0) < RTE_MAX_ETHPORTS) {
    int n = dphp_device_ports(name, out, cap);
    if (n > 0) return n;
  }
  int probed = dphp_device_probed(bus, name);
  return probed < 0 ? probed : -probed;
}

/* ---------------------------------------------------------------- the hot path's area */

/*
 * Memory JS reads and writes through one koffi.view, so that the calls of the sync hot path
 * (attach, detach, tx and rx bursts) take only numbers and strings: koffi marshals each typed
 * array argument at about the cost of a vdev call. The async attach and detach write it on the
 * SDK's worker thread, read by JS once the answer came: one control call at a time, so nothing
 * else writes it meanwhile.
 */
#define DPHP_PORTS 32
#define DPHP_BURST 512
#define DPHP_PACKET 2048
struct dphp_area {
  uint16_t ports[DPHP_PORTS];  /* port ids a probe made, or a removal left */
  uint16_t before[DPHP_PORTS]; /* the valid ports before a probe, UINT16_MAX after the last */
  int32_t left;                /* dphp_device_left's result after a removal that returned 0 */
  uint16_t lens[DPHP_BURST];  /* packet lengths of a burst */
  uint8_t data[DPHP_BURST * DPHP_PACKET]; /* a burst's packets, end to end */
};
static struct dphp_area area;

struct dphp_area *dphp_area(void) { return &area; }

/*
 * An attach in one crossing: DPDK's valid ports into area.before (the snapshot a failed probe's
 * clean-up needs: every device whose ports appeared since; UINT16_MAX after the last), then the
 * probe and the device's ports into area.ports. Returns rte_dev_probe's error (< 0) or the
 * number of ports.
 */
int dphp_attach_area(const char *devargs, const char *devname) {
  int n = dphp_valid_ports(area.before, DPHP_PORTS);
  for (int i = n; i < DPHP_PORTS; i++) area.before[i] = UINT16_MAX;
  /* The snapshot counted DPDK's ports already (all of them unless it is full). */
  uint16_t count = n < DPHP_PORTS ? (uint16_t)n : rte_eth_dev_count_total();
  return probe_counted(devargs, devname, area.ports, DPHP_PORTS, count);
}

/*
 * A detach in one crossing: rte_eal_hotplug_remove and, when it returned 0, what it left
 * (dphp_device_left into area.left and area.ports), the proof that the PMD's remove finished.
 * Returns remove's rc.
 */
int dphp_detach_area(const char *bus, const char *name) {
  int rc = rte_eal_hotplug_remove(bus, name);
  if (rc == 0) area.left = dphp_device_left(bus, name, area.ports, DPHP_PORTS);
  return rc;
}

/* Sends the area's first n packets (area.lens) with the port's pool; 0 without a pool. */
uint16_t dphp_tx(uint16_t port, uint16_t queue, uint16_t n) {
  if (port >= RTE_MAX_ETHPORTS || port_pools[port] == NULL) return 0;
  return dphp_tx_copy(port, queue, port_pools[port], area.data, area.lens, n);
}

/* Receives up to n packets into the area. */
uint16_t dphp_rx(uint16_t port, uint16_t queue, uint16_t n) {
  return dphp_rx_copy(port, queue, area.data, sizeof(area.data), area.lens, n);
}

/* ---------------------------------------------------------------- layout */

#define DPHP_SIZE(t) {#t, sizeof(struct t)}
#define DPHP_FIELD(t, f) {#t "." #f, offsetof(struct t, f)}
static const struct {
  const char *name;
  size_t value;
} layout[] = {
    DPHP_SIZE(dphp_port_info),
    DPHP_FIELD(dphp_port_info, name),
    DPHP_FIELD(dphp_port_info, device),
    DPHP_FIELD(dphp_port_info, bus),
    DPHP_FIELD(dphp_port_info, driver),
    DPHP_FIELD(dphp_port_info, socket),
    DPHP_FIELD(dphp_port_info, max_rx_queues),
    DPHP_FIELD(dphp_port_info, max_tx_queues),
    DPHP_FIELD(dphp_port_info, mac),
    DPHP_FIELD(dphp_port_info, link_up),
    DPHP_FIELD(dphp_port_info, link_duplex),
    DPHP_FIELD(dphp_port_info, link_speed),
    DPHP_SIZE(dphp_stats),
    DPHP_FIELD(dphp_stats, ipackets),
    DPHP_FIELD(dphp_stats, opackets),
    DPHP_FIELD(dphp_stats, ibytes),
    DPHP_FIELD(dphp_stats, obytes),
    DPHP_FIELD(dphp_stats, imissed),
    DPHP_FIELD(dphp_stats, ierrors),
    DPHP_FIELD(dphp_stats, oerrors),
    DPHP_FIELD(dphp_stats, rx_nombuf),
    DPHP_SIZE(dphp_log_state),
    DPHP_FIELD(dphp_log_state, written),
    DPHP_FIELD(dphp_log_state, ring),
    DPHP_SIZE(dphp_event),
    DPHP_FIELD(dphp_event, kind),
    DPHP_FIELD(dphp_event, event),
    DPHP_FIELD(dphp_event, port),
    DPHP_FIELD(dphp_event, name),
    DPHP_SIZE(dphp_area),
    DPHP_FIELD(dphp_area, ports),
    DPHP_FIELD(dphp_area, before),
    DPHP_FIELD(dphp_area, left),
    DPHP_FIELD(dphp_area, lens),
    DPHP_FIELD(dphp_area, data),
};

/* sizeof (`dphp_stats`) or offsetof (`dphp_stats.ibytes`) of a struct this shim exports, as the
 * compiler laid it out; -1 for a name it does not know. */
long dphp_layout(const char *name) {
  for (size_t i = 0; i < sizeof(layout) / sizeof(layout[0]); i++)
    if (strcmp(layout[i].name, name) == 0) return (long)layout[i].value;
  return -1;
}
