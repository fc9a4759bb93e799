/** Every code a kernel helper throws; stable across versions (new ones may be added). */
export type KernelErrorCode =
  | 'INVALID_PCI_ADDRESS'
  | 'INVALID_ARGUMENT'
  | 'DEVICE_NOT_FOUND'
  | 'DEVICE_ACTIVE'
  | 'DRIVER_UNKNOWN'
  | 'DRIVER_NOT_LOADED'
  | 'IOMMU_UNAVAILABLE'
  | 'NOT_RECORDED'
  | 'SYSFS_WRITE_FAILED'
  | 'BIND_FAILED'
  | 'ROLLBACK_FAILED'
  | 'HUGEPAGES_SHORT'
  | 'MOUNT_FAILED'
  | 'MOUNTED_INSIDE'
  | 'NO_SUCH_SLOT'
  | 'TIMEOUT'
  | 'COMMAND_FAILED'
  | 'NETDEV_FAILED';

export interface KernelErrorDetails {
  /** The PCI address the error is about. */
  device?: string;
  /** The sysfs or procfs file whose write (or read) failed. */
  path?: string;
  /** The errno name Linux gave, e.g. `EBUSY`. */
  errno?: string;
  /** What to do about it, one sentence a person can act on. */
  hint?: string;
  cause?: unknown;
}

/**
 * The one error class of `@dpdk-hotplug/linux`. `code` is for programs; `message` names the
 * device and what was wrong; `hint` says what to run or change. A write that failed carries the
 * path and errno, because "Permission denied" without the file is not actionable.
 */
export class KernelError extends Error {
  override name = 'KernelError';
  readonly code: KernelErrorCode;
  readonly device: string | undefined;
  readonly path: string | undefined;
  readonly errno: string | undefined;
  readonly hint: string | undefined;
  /** What went wrong, without the hint that `message` ends with. */
  readonly reason: string;

  constructor(code: KernelErrorCode, message: string, details: KernelErrorDetails = {}) {
    const full = details.hint ? `${message}: ${details.hint}` : message;
    super(full, details.cause === undefined ? undefined : { cause: details.cause });
    this.reason = message;
    this.code = code;
    this.device = details.device;
    this.path = details.path;
    this.errno = details.errno;
    this.hint = details.hint;
  }
}

/** A bind, unbind or restore that failed; `rolledBack` says whether the original binding is back. */
export class BindError extends KernelError {
  override name = 'BindError';
  readonly rolledBack: boolean;

  constructor(code: KernelErrorCode, message: string, rolledBack: boolean, details: KernelErrorDetails = {}) {
    super(code, message, details);
    this.rolledBack = rolledBack;
  }
}

export function isKernelError(e: unknown, code?: KernelErrorCode): e is KernelError {
  return e instanceof KernelError && (code === undefined || e.code === code);
}

export function isBindError(e: unknown): e is BindError {
  return e instanceof BindError;
}

/** The errno name of a Node fs error (`EACCES`), if it has one. */
export function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/**
 * What to do about a failed write to sysfs or procfs, from its errno: "run as root" only where
 * that is the cause (EACCES or EPERM for a user who is not root); a read-only file system says so.
 * `uid` is the writer's (null where unknown).
 */
export function writeHint(errno: string | undefined, uid: number | null): string {
  switch (errno) {
    case 'EACCES':
    case 'EPERM':
      return uid === 0
        ? 'denied to root too: a container without the capability, or a security module (AppArmor, SELinux), forbids it'
        : 'run as root';
    case 'EROFS':
      return 'read-only file system: sysfs is mounted read-only here (a container?); do it on the host';
    case 'ENODEV':
      return 'the driver does not accept this device (wrong driver, or the device is gone)';
    case 'EBUSY':
      return 'the device or driver is busy; stop whatever uses it';
    case 'ENOENT':
      return 'the file is missing: the driver or the device is gone';
    default:
      return 'see the kernel log (dmesg)';
  }
}

/** Kernel module and driver names: letters, digits, `_` and `-` (no `/`, no `..`), at most 64. */
export const DRIVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function isDriverName(name: string): boolean {
  return DRIVER_NAME.test(name);
}
