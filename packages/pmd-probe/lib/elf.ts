import { ProbeError } from './errors.js';

/** One section header of an ELF file. */
export interface ElfSection {
  name: string;
  type: number;
  offset: number;
  size: number;
  /** sh_link: for .dynamic, the string table's section index. */
  link: number;
}

export interface Elf {
  bits: 32 | 64;
  littleEndian: boolean;
  sections: ElfSection[];
  /** A section's bytes, or undefined when the file has no such section (or it is NOBITS). */
  section(name: string): Buffer | undefined;
  /** DT_NEEDED entries: the shared libraries it links against. */
  needed(): string[];
}

const SHT_NOBITS = 8;
const DT_NEEDED = 1;

/**
 * A small ELF reader: section headers, section data, and the dynamic section's DT_NEEDED list.
 * 32/64-bit, either byte order. It reads only what PMD_INFO_STRING extraction needs; anything
 * malformed is a NOT_ELF error naming the file, never an out-of-bounds read.
 */
export function readElf(buf: Buffer, file = '<buffer>'): Elf {
  const bad = (why: string) =>
    new ProbeError('NOT_ELF', `${file} is not a readable ELF file: ${why}`, { file });
  if (buf.length < 52 || buf.readUInt32BE(0) !== 0x7f454c46) throw bad('no ELF magic');
  const cls = buf[4];
  const data = buf[5];
  if (cls !== 1 && cls !== 2) throw bad(`unknown class ${cls}`);
  if (data !== 1 && data !== 2) throw bad(`unknown byte order ${data}`);
  const bits: 32 | 64 = cls === 2 ? 64 : 32;
  const le = data === 1;
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const word = (o: number) =>
    bits === 64 ? Number(le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o)) : u32(o);
  const check = (o: number, n: number, what: string) => {
    if (o < 0 || n < 0 || o + n > buf.length) throw bad(`${what} lies outside the file`);
  };
  if (bits === 64 && buf.length < 64) throw bad('truncated header');
  const shoff = bits === 64 ? word(0x28) : u32(0x20);
  const shentsize = u16(bits === 64 ? 0x3a : 0x2e);
  const shnum = u16(bits === 64 ? 0x3c : 0x30);
  const shstrndx = u16(bits === 64 ? 0x3e : 0x32);
  if (shnum === 0)
    return { bits, littleEndian: le, sections: [], section: () => undefined, needed: () => [] };
  check(shoff, shnum * shentsize, 'the section header table');
  const raw = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * shentsize;
    return bits === 64
      ? {
          nameOff: u32(o),
          type: u32(o + 4),
          offset: word(o + 0x18),
          size: word(o + 0x20),
          link: u32(o + 0x28),
        }
      : {
          nameOff: u32(o),
          type: u32(o + 4),
          offset: u32(o + 0x10),
          size: u32(o + 0x14),
          link: u32(o + 0x18),
        };
  });
  const strtab = raw[shstrndx];
  if (!strtab) throw bad('no section name table');
  check(strtab.offset, strtab.size, 'the section name table');
  const cstr = (base: number, end: number, off: number) => {
    const start = base + off;
    if (start >= end) return '';
    const zero = buf.indexOf(0, start);
    return buf.toString('latin1', start, zero < 0 || zero > end ? end : zero);
  };
  const sections: ElfSection[] = raw.map((s) => ({
    name: cstr(strtab.offset, strtab.offset + strtab.size, s.nameOff),
    type: s.type,
    offset: s.offset,
    size: s.size,
    link: s.link,
  }));
  const bytes = (s: ElfSection) => {
    if (s.type === SHT_NOBITS) return undefined;
    check(s.offset, s.size, `section ${s.name}`);
    return buf.subarray(s.offset, s.offset + s.size);
  };
  return {
    bits,
    littleEndian: le,
    sections,
    section(name) {
      const s = sections.find((x) => x.name === name);
      return s && bytes(s);
    },
    needed() {
      const dyn = sections.find((s) => s.name === '.dynamic');
      const dynstr = dyn && sections[dyn.link];
      if (!dyn || !dynstr) return [];
      const d = bytes(dyn);
      const str = bytes(dynstr);
      if (!d || !str) return [];
      const out: string[] = [];
      const size = bits === 64 ? 16 : 8;
      for (let o = 0; o + size <= d.length; o += size) {
        const tag =
          bits === 64
            ? Number(le ? d.readBigInt64LE(o) : d.readBigInt64BE(o))
            : le
              ? d.readInt32LE(o)
              : d.readInt32BE(o);
        if (tag === 0) break;
        if (tag !== DT_NEEDED) continue;
        const val =
          bits === 64
            ? Number(le ? d.readBigUInt64LE(o + 8) : d.readBigUInt64BE(o + 8))
            : le
              ? d.readUInt32LE(o + 4)
              : d.readUInt32BE(o + 4);
        out.push(cstr(dynstr.offset, dynstr.offset + dynstr.size, val));
      }
      return out;
    },
  };
}

// string.printable in Python: digits, letters, punctuation and whitespace (space \t \n \r \x0b \x0c).
const PRINTABLE = new Uint8Array(256);
for (let b = 0x20; b < 0x7f; b++) PRINTABLE[b] = 1;
for (const b of [9, 10, 11, 12, 13]) PRINTABLE[b] = 1;

/**
 * Where a record's prefix may stand in a printable run: at its start only (`s.startswith(prefix)`)
 * or anywhere in it (`s.find(prefix)`). Which one dpdk-pmdinfo.py uses depends on its DPDK
 * release: `pmdInfoPrefixPlacement` in pmdinfo.ts.
 */
export type PrefixPlacement = 'run-start' | 'anywhere';

/**
 * The records in NUL-terminated runs of printable ASCII, what follows `prefix` in each: the rule
 * dpdk-pmdinfo.py applies to .rodata. A run is the longest stretch of printable bytes (begun by
 * the section start or a non-printable byte); it must end in a NUL, or it is dropped. With
 * `run-start` the run must begin with `prefix`; with `anywhere` the text after the prefix's first
 * occurrence in the run is taken (one record per run at most).
 */
export function findStrings(buf: Buffer, prefix: string, placement: PrefixPlacement): string[] {
  const out: string[] = [];
  let runEnd = -1; // the end of the run of the last occurrence looked at
  for (let at = buf.indexOf(prefix, 0, 'latin1'); at >= 0; at = buf.indexOf(prefix, at + 1, 'latin1')) {
    if (at < runEnd) continue; // a later occurrence in a run already looked at
    if (placement === 'run-start' && at > 0 && PRINTABLE[buf[at - 1]!]) continue; // the run began earlier
    let end = at + prefix.length;
    while (end < buf.length && PRINTABLE[buf[end]!]) end++;
    runEnd = end;
    if (end < buf.length && buf[end] === 0) out.push(buf.toString('latin1', at + prefix.length, end));
  }
  return out;
}
