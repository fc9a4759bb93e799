import type { Host } from './host.js';

/** Names from the pci.ids database, as lspci shows them. */
export interface PciNames {
  vendor?: string;
  device?: string;
  subsystem?: string;
  className?: string;
  subclassName?: string;
}

interface Db {
  vendors: Map<string, string>;
  devices: Map<string, string>; // "vvvv:dddd"
  subsystems: Map<string, string>; // "vvvv:dddd:ssvv:ssdd"
  classes: Map<string, string>; // "cc" and "ccss"
}

const cache = new Map<string, Promise<Db | null>>();

function parse(text: string): Db {
  const db: Db = { vendors: new Map(), devices: new Map(), subsystems: new Map(), classes: new Map() };
  let vendor = '';
  let device = '';
  let cls = '';
  let inClasses = false;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('C ')) {
      inClasses = true;
      cls = line.slice(2, 4).toLowerCase();
      db.classes.set(cls, line.slice(4).trim());
      continue;
    }
    if (!line.startsWith('\t')) {
      // A vendor line, or another section (e.g. "L" languages) that ends the class list.
      inClasses = false;
      const m = /^([0-9a-f]{4})\s+(.*)$/i.exec(line);
      vendor = m ? m[1]!.toLowerCase() : '';
      if (m) db.vendors.set(vendor, m[2]!);
      continue;
    }
    if (inClasses) {
      if (!line.startsWith('\t\t'))
        db.classes.set(cls + line.slice(1, 3).toLowerCase(), line.slice(3).trim());
      continue;
    }
    if (!vendor) continue;
    if (line.startsWith('\t\t')) {
      const m = /^\t\t([0-9a-f]{4})\s+([0-9a-f]{4})\s+(.*)$/i.exec(line);
      if (m && device) db.subsystems.set(`${device}:${m[1]!.toLowerCase()}:${m[2]!.toLowerCase()}`, m[3]!);
      continue;
    }
    const m = /^\t([0-9a-f]{4})\s+(.*)$/i.exec(line);
    device = m ? `${vendor}:${m[1]!.toLowerCase()}` : '';
    if (m) db.devices.set(device, m[2]!);
  }
  return db;
}

async function load(host: Host): Promise<Db | null> {
  for (const path of host.pciIds) {
    let db = cache.get(path);
    if (!db) {
      db = host.io.read(path).then(parse, () => null);
      cache.set(path, db);
    }
    const found = await db;
    if (found) return found;
  }
  return null;
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

/** Vendor, device, subsystem and class names for the ids; fields absent where pci.ids has none. */
export async function pciNames(
  host: Host,
  ids: {
    vendor: number;
    device: number;
    subsystemVendor?: number;
    subsystemDevice?: number;
    classCode?: number;
  },
): Promise<PciNames> {
  const db = await load(host);
  if (!db) return {};
  const v = hex4(ids.vendor);
  const d = `${v}:${hex4(ids.device)}`;
  const names: PciNames = {};
  const vendor = db.vendors.get(v);
  if (vendor) names.vendor = vendor;
  const device = db.devices.get(d);
  if (device) names.device = device;
  if (ids.subsystemVendor !== undefined && ids.subsystemDevice !== undefined) {
    const sub = db.subsystems.get(`${d}:${hex4(ids.subsystemVendor)}:${hex4(ids.subsystemDevice)}`);
    if (sub) names.subsystem = sub;
  }
  if (ids.classCode !== undefined) {
    const cc = (ids.classCode >> 16).toString(16).padStart(2, '0');
    const ss = ((ids.classCode >> 8) & 0xff).toString(16).padStart(2, '0');
    const className = db.classes.get(cc);
    if (className) names.className = className;
    const subclassName = db.classes.get(cc + ss);
    if (subclassName) names.subclassName = subclassName;
  }
  return names;
}
