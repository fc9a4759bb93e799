import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import { dpdk, STRUCTS, structTypes } from './binding.js';

// Offsets JS reads by hand (dpdk-log.ts, event-pipe.ts), as those files hard-code them.
const BY_HAND: Record<string, number> = {
  'dphp_log_state.written': 0,
  'dphp_log_state.ring': 16,
  dphp_log_state: 16 + 65536,
  'dphp_event.kind': 0,
  'dphp_event.event': 4,
  'dphp_event.port': 8,
  'dphp_event.name': 12,
};

describe("the shim's structs, as the C compiler and koffi lay them out", () => {
  /**
   * Steps: ask the shim (compiled against this DPDK's headers) for sizeof and offsetof of every
   * struct it exports, and koffi for its view of the same structs declared in binding.ts.
   * Verify: every size and every field offset agree, as koffi's own fixture tests check.
   */
  it('agree field by field for the koffi-declared structs', () => {
    const b = dpdk();
    const types = structTypes();
    for (const [name, fields] of Object.entries(STRUCTS) as [keyof typeof STRUCTS, object][]) {
      expect(koffi.sizeof(types[name]), name).toBe(b.dphp_layout(name));
      for (const field of Object.keys(fields)) {
        expect(koffi.offsetof(types[name], field), `${name}.${field}`).toBe(
          b.dphp_layout(`${name}.${field}`),
        );
      }
    }
  });

  it('agree for the records JS reads through memory views', () => {
    const b = dpdk();
    for (const [name, value] of Object.entries(BY_HAND)) expect(b.dphp_layout(name), name).toBe(value);
    expect(b.dphp_layout('dphp_event')).toBe(b.dphp_event_size());
    expect(b.dphp_layout('rte_eth_stats')).toBe(-1);
    // binding.ts takes the area's offsets from dphp_layout itself: each field must be there.
    for (const field of ['ports', 'left', 'lens', 'data']) {
      expect(b.dphp_layout(`dphp_area.${field}`), field).toBeGreaterThanOrEqual(0);
    }
  });
});
