export type ProbeErrorCode = 'NOT_ELF' | 'NOT_FOUND' | 'INVALID_ARGUMENT' | 'NO_DPDK' | 'RUNTIME_FAILED';

/** The one error class of `@dpdk-hotplug/pmd-probe`: a stable `code`, the file or input it is about. */
export class ProbeError extends Error {
  override name = 'ProbeError';
  readonly code: ProbeErrorCode;
  readonly file: string | undefined;

  constructor(code: ProbeErrorCode, message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file;
  }
}

export function isProbeError(e: unknown, code?: ProbeErrorCode): e is ProbeError {
  return e instanceof ProbeError && (code === undefined || e.code === code);
}
