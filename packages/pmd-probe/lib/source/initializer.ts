/** One element of a C initializer list: `.a.b = value`, `[3] = value`, or a positional value. */
export interface InitItem {
  /** The designator path (`['pci_drv', 'drv_flags']` for `.pci_drv.drv_flags`), empty when positional. */
  designator: string[];
  /** The value's source text, trimmed; for a nested list, its items instead. */
  value: string;
  items?: InitItem[];
  /** Offset of the value in the cleaned file. */
  offset: number;
}

/** The offset of the `}` that closes the `{` at `open`, or -1. */
export function matchBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      // Skip a literal: braces and commas inside it do not count.
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === ')' || c === ']') {
      depth--;
      if (depth === 0) return c === '}' ? i : -1;
    }
  }
  return -1;
}

/** Parses the list between `{` at `open` and its `}`. */
export function parseInitializer(text: string, open: number): InitItem[] {
  const close = matchBrace(text, open);
  if (close < 0) return [];
  const items: InitItem[] = [];
  let start = open + 1;
  let depth = 0;
  const flush = (end: number) => {
    const raw = text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    const body = raw.trim();
    if (body) {
      const d = /^((?:\s*(?:\.\s*\w+|\[[^\]]*\]))+)\s*=\s*/.exec(body);
      const designator = d
        ? [...d[1]!.matchAll(/\.\s*(\w+)|\[([^\]]*)\]/g)].map((x) => x[1] ?? `[${x[2]}]`)
        : [];
      const valueText = d ? body.slice(d[0].length) : body;
      const valueOffset = start + lead + (d ? d[0].length : 0);
      const item: InitItem = { designator, value: valueText.trim(), offset: valueOffset };
      if (valueText.startsWith('{')) item.items = parseInitializer(text, valueOffset);
      items.push(item);
    }
    start = end + 1;
  };
  for (let i = open + 1; i < close; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      for (i++; i < close && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) flush(i);
  }
  flush(close);
  return items;
}

/** The item a designator path reaches (designated items; a nested list is followed by name). */
export function field(items: InitItem[] | undefined, ...path: string[]): InitItem | undefined {
  let list = items;
  let found: InitItem | undefined;
  for (const name of path) {
    found = undefined;
    for (const item of list ?? []) {
      // `.pci_drv.drv_flags = X` reaches inside directly; `.pci_drv = { ... }` by nesting.
      if (item.designator[0] === name) {
        if (item.designator.length === 1) found = item;
        else if (path.length > 1) {
          const rest = path.slice(path.indexOf(name) + 1);
          if (item.designator.slice(1).join('.') === rest.join('.')) return item;
        }
      }
    }
    if (!found) return undefined;
    list = found.items;
  }
  return found;
}
