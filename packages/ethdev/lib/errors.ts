import { constants } from 'node:os';

/** Every error code the SDK throws; stable across versions (new ones may be added). */
export type HotplugErrorCode =
  // The EAL and the process
  | 'UNSUPPORTED_PLATFORM'
  | 'BINDING_UNAVAILABLE'
  | 'DPDK_NOT_FOUND'
  | 'UNSUPPORTED_DPDK'
  | 'DPDK_ALREADY_LOADED'
  | 'EAL_ALREADY_INITIALIZED'
  | 'EAL_WRONG_THREAD'
  | 'EAL_INIT_FAILED'
  | 'EAL_NOT_INITIALIZED'
  | 'INVALID_OPTION'
  | 'BUSY'
  | 'EAL_WEDGED'
  | 'TIMEOUT'
  | 'ABORTED'
  // Attach
  | 'INVALID_DEVARGS'
  | 'INVALID_PCI_ADDRESS'
  | 'UNKNOWN_DRIVER'
  | 'NOT_A_PORT_DEVICE'
  | 'DEVICE_NOT_FOUND'
  | 'ALREADY_ATTACHED'
  | 'NO_PORT_CREATED'
  | 'ATTACH_FAILED'
  // Ports and detach
  | 'INVALID_PORT'
  | 'PORT_NOT_FOUND'
  | 'PORT_ID_REUSED'
  | 'PORT_STARTED'
  | 'PORT_NOT_CLOSED'
  | 'SIBLING_PORTS_OPEN'
  | 'INVALID_STATE'
  | 'DETACH_NOT_SUPPORTED'
  | 'DETACH_FAILED'
  | 'DETACH_INCOMPLETE'
  | 'LIFECYCLE_FAILED'
  | 'INVALID_ARGUMENT';

/** What a {@link HotplugError} carries besides its code and message. */
export interface HotplugErrorDetails {
  /** The positive errno DPDK returned (as `-errno`), when it gave one. */
  errno?: number;
  /** The device string of the call that failed. */
  devargs?: string;
  /** The option or PMD argument that was refused. */
  key?: string;
  /** The port id the call was about. */
  port?: number;
  /** The device name (PCI address or vdev name) the call was about. */
  device?: string;
  /** What DPDK logged during the failed call, line by line. */
  dpdkLog?: readonly string[];
  /** The underlying error, kept as the standard `Error.cause`. */
  cause?: unknown;
}

const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** `EINVAL` for 22, `errno 1234` for what Linux does not name. */
export function errnoName(errno: number): string {
  return errnoNames.get(Math.abs(errno)) ?? `errno ${Math.abs(errno)}`;
}

/**
 * The one error class of the SDK. `code` is stable and meant for programs; `message` is for
 * people and names the input that was wrong. The DPDK log lines printed during the failed call
 * are attached, because DPDK's return codes alone are often too terse (or misleading) to act on.
 */
export class HotplugError extends Error {
  /** The class's name, as `Error` has it (the subclasses set their own). */
  override name = 'HotplugError';
  /** What went wrong, stable across releases: the field programs branch on. */
  readonly code: HotplugErrorCode;
  /** The positive errno DPDK returned (as `-errno`), when it gave one. */
  readonly errno: number | undefined;
  /** The device string of the call that failed, when it had one. */
  readonly devargs: string | undefined;
  /** The option or PMD argument that was refused, when one was. */
  readonly key: string | undefined;
  /** The port id the call was about, when it had one. */
  readonly port: number | undefined;
  /** The device name (PCI address or vdev name) the call was about, when known. */
  readonly device: string | undefined;
  /** What DPDK logged during the failed call (for a failed init, the usage text it printed). */
  readonly dpdkLog: readonly string[];

  constructor(code: HotplugErrorCode, message: string, details: HotplugErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.errno = details.errno;
    this.devargs = details.devargs;
    this.key = details.key;
    this.port = details.port;
    this.device = details.device;
    this.dpdkLog = details.dpdkLog ?? [];
  }
}

/** The input was wrong before DPDK saw it (devargs, port id, options). */
export class InvalidInputError extends HotplugError {
  /** The class's name, as `Error` has it. */
  override name = 'InvalidInputError';
}

/** The port is not in a state that allows the call (started, not closed, …). */
export class PortStateError extends HotplugError {
  /** The class's name, as `Error` has it. */
  override name = 'PortStateError';
}

/** DPDK returned an error; `errno` and `dpdkLog` say what it said. */
export class DpdkError extends HotplugError {
  /** The class's name, as `Error` has it. */
  override name = 'DpdkError';
}

/** The EAL cannot be used from here: not initialised, cleaned up, another thread, another OS. */
export class EalStateError extends HotplugError {
  /** The class's name, as `Error` has it. */
  override name = 'EalStateError';
}

/** Whether `value` is a HotplugError (of `code`, when given): the type guard for catch blocks. */
export function isHotplugError(value: unknown, code?: HotplugErrorCode): value is HotplugError {
  return value instanceof HotplugError && (code === undefined || value.code === code);
}
