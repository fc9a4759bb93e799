import type { DpdkBinding } from './dpdk-binding.js';

// Layout of struct dphp_log_state in native/shim.c.
const RING = 65536;
const RING_OFFSET = 16;

/**
 * DPDK's log, captured by the shim into a ring that is read here through a memory view: marking
 * where a call starts is one typed-array read, not an FFI call, so the hot path pays nothing.
 */
export class DpdkLog {
  readonly #written: Float64Array;
  readonly #ring: Uint8Array;
  readonly #dpdk: DpdkBinding;

  constructor(dpdk: DpdkBinding, echo: boolean) {
    this.#dpdk = dpdk;
    const rc = dpdk.dphp_log_install(echo ? 1 : 0);
    if (rc !== 0) throw new Error(`rte_openlog_stream failed (${rc})`);
    const state = dpdk.logView(RING_OFFSET + RING);
    this.#written = new Float64Array(state, 0, 1);
    this.#ring = new Uint8Array(state, RING_OFFSET, RING);
  }

  /** A position in the log; pass it to `since` after the call. */
  mark(): number {
    return this.#written[0]!;
  }

  /** The lines DPDK logged since `mark` (the last 64 KiB at most). */
  since(mark: number): string[] {
    const end = this.#written[0]!;
    const start = Math.max(mark, end - RING);
    if (end <= start) return [];
    const bytes = Buffer.alloc(end - start);
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.#ring[(start + i) % RING]!;
    return bytes
      .toString('utf8')
      .split('\n')
      .map((line) => line.trimEnd())
      .filter((line) => line !== '');
  }

  set echo(on: boolean) {
    this.#dpdk.dphp_log_echo(on ? 1 : 0);
  }
}
