/* ---- mp-remove: a primary and a secondary of one DPDK instance (hugepages: REPRO_HUGE_DIR);
 * the primary attaches the device (the secondary probes it too), then removes it without closing
 * its port first, as a primary must for its secondaries to stay consistent. The defect: the
 * primary dies in that removal (net_failsafe on 22.11: "free(): invalid pointer", SIGABRT). The
 * program supervises the primary in a child process, so a crash is reported, not suffered. ---- */
#include <signal.h>
#include <sys/wait.h>

static const char *huge_dir(void) {
  return getenv("REPRO_HUGE_DIR") ? getenv("REPRO_HUGE_DIR") : "/dev/hugepages";
}

/* The instance's file prefix: REPRO_MP_PREFIX and the supervisor's pid (REPRO_PREFIX_PID), so a
 * run never meets a crashed run's sockets. */
static const char *mp_prefix(void) {
  static char prefix[96];
  snprintf(prefix, sizeof(prefix), "%s-%s", REPRO_MP_PREFIX, getenv("REPRO_PREFIX_PID"));
  return prefix;
}

static void start_mp_eal(const char *role) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  char type[32];
  snprintf(type, sizeof(type), "--proc-type=%s", role);
  char *argv[] = {"repro", type, "--file-prefix", (char *)mp_prefix(), "--huge-dir", (char *)huge_dir(),
                  "--no-pci", strcmp(role, "primary") == 0 ? "-m" : NULL, "64", NULL};
  int argc = 0;
  while (argv[argc] != NULL) argc++;
  if (rte_eal_init(argc, argv) < 0) {
    fprintf(stderr, "%s: rte_eal_init failed: %s\n", role, rte_strerror(rte_errno));
    exit(NOT_RUN);
  }
}

/* The secondary: says it is ready, then answers "ports" with the devices it lists, until EOF. */
static int secondary(void) {
  start_mp_eal("secondary");
  printf("ready\n");
  char line[64];
  while (fgets(line, sizeof(line), stdin) != NULL) {
    uint16_t id;
    printf("ports:");
    RTE_ETH_FOREACH_DEV(id) {
      char name[RTE_ETH_NAME_MAX_LEN];
      if (rte_eth_dev_get_name_by_port(id, name) == 0) printf(" %s", name);
    }
    printf("\n");
  }
  return 0; /* no rte_eal_cleanup: the primary may be gone */
}

static FILE *to_secondary, *from_secondary;

/* What the secondary lists now, printed. */
static void secondary_sees(const char *when) {
  char line[512] = "";
  fprintf(to_secondary, "ports\n");
  fflush(to_secondary);
  if (fgets(line, sizeof(line), from_secondary) == NULL) strcpy(line, "(no answer: the secondary died)\n");
  printf("  the secondary, %s: %s", when, line);
}

static void start_secondary(void) {
  int down[2], up[2];
  if (pipe(down) < 0 || pipe(up) < 0) exit(NOT_RUN);
  pid_t pid = fork();
  if (pid < 0) exit(NOT_RUN);
  if (pid == 0) {
    dup2(down[0], 0);
    dup2(up[1], 1);
    close(down[1]);
    close(up[0]);
    execl("/proc/self/exe", "repro", "secondary", (char *)NULL);
    _exit(NOT_RUN);
  }
  close(down[0]);
  close(up[1]);
  to_secondary = fdopen(down[1], "w");
  from_secondary = fdopen(up[0], "r");
  char line[64];
  if (fgets(line, sizeof(line), from_secondary) == NULL || strcmp(line, "ready\n") != 0) {
    printf("the secondary did not start (hugepages in %s?)\n", huge_dir());
    exit(NOT_RUN);
  }
  printf("secondary started\n");
}

/* The primary: the steps; exits NOT_RUN when one before the removal fails. */
static int primary(void) {
  start_mp_eal("primary");
  printf("%s, primary\n", rte_version());
  start_secondary();
  const char *helpers[] = {REPRO_HELPERS NULL};
  for (int i = 0; helpers[i] != NULL; i++) {
    uint16_t port;
    int rc = attach(expand(helpers[i], 0), &port);
    printf("helper port %s: rte_dev_probe %d\n", helpers[i], rc);
    if (rc < 0) return NOT_RUN;
  }
  const char *devargs = expand(REPRO_DEVARGS, 0);
  uint16_t port;
  int rc = attach(devargs, &port);
  printf("attach in the primary (%s): %d, port %u\n", devargs, rc, port);
  if (rc < 0) return NOT_RUN;
  secondary_sees("after the attach");
  struct rte_eth_dev_info info;
  if ((rc = rte_eth_dev_info_get(port, &info)) < 0) return NOT_RUN;
  printf("rte_dev_remove of the unclosed port's device in the primary...\n");
  rc = rte_dev_remove(info.device);
  printf("rte_dev_remove: %d (%s)\n", rc, rc < 0 ? rte_strerror(-rc) : "ok");
  secondary_sees("after the removal");
  fclose(to_secondary);
  return rc < 0 ? DEFECT_PRESENT : DEFECT_ABSENT;
}

/* Removes the files of `dir` whose names start with `start`. */
static void remove_files(const char *dir, const char *start) {
  char path[600];
  DIR *d = opendir(dir);
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.' || strncmp(e->d_name, start, strlen(start)) != 0) continue;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    unlink(path);
  }
  if (d) closedir(d);
}

/* Removes what a primary that died leaves: its runtime folder (DPDK's: /var/run/dpdk as root) and
 * its hugepage files; the secondary ends at its pipe's end first. */
static void clean_up(void) {
  usleep(300 * 1000);
  char folder[300];
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  if (getuid() == 0) snprintf(folder, sizeof(folder), "/var/run/dpdk/%s", mp_prefix());
  else snprintf(folder, sizeof(folder), "%s/dpdk/%s", xdg ? xdg : "/tmp", mp_prefix());
  remove_files(folder, "");
  rmdir(folder);
  remove_files(huge_dir(), mp_prefix());
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "secondary") == 0) return secondary();
  if (argc > 1 && strcmp(argv[1], "primary") == 0) return primary();
  /* The supervisor: runs the primary in a process of its own and judges how it ended. */
  setvbuf(stdout, NULL, _IOLBF, 0);
  char pid_text[16];
  snprintf(pid_text, sizeof(pid_text), "%d", (int)getpid());
  setenv("REPRO_PREFIX_PID", pid_text, 1);
  pid_t pid = fork();
  if (pid < 0) return NOT_RUN;
  if (pid == 0) {
    execl("/proc/self/exe", "repro", "primary", (char *)NULL);
    _exit(NOT_RUN);
  }
  int status;
  waitpid(pid, &status, 0);
  clean_up();
  if (WIFSIGNALED(status)) {
    printf("DEFECT PRESENT: the primary died of %s removing the unclosed port's device\n",
           strsignal(WTERMSIG(status)));
    return DEFECT_PRESENT;
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : NOT_RUN;
  printf("%s\n", code == DEFECT_PRESENT ? "DEFECT PRESENT: the removal failed"
                 : code == DEFECT_ABSENT ? "defect absent: the primary removed the device and lives"
                                         : "could not be tried here");
  return code;
}
