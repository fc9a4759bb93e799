export type LabErrorCode =
  | 'NOT_SUPPORTED'
  | 'PREPARE_FAILED'
  | 'BOOT_FAILED'
  | 'QMP_ERROR'
  | 'TIMEOUT'
  | 'GUEST_FAILED'
  | 'PF_LOST'
  | 'INVALID_INVENTORY'
  | 'INVALID_ARGUMENT';

/** The one error class of `@dpdk-hotplug/hil`: a stable `code`, and what to do in `hint`. */
export class LabError extends Error {
  override name = 'LabError';
  readonly code: LabErrorCode;
  readonly hint: string | undefined;

  constructor(code: LabErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(
      options.hint ? `${message}: ${options.hint}` : message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.hint = options.hint;
  }
}

export function isLabError(e: unknown, code?: LabErrorCode): e is LabError {
  return e instanceof LabError && (code === undefined || e.code === code);
}
