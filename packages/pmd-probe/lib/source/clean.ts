/**
 * C source with comments and `#if 0` blocks blanked out (spaces, newlines kept), so that offsets
 * and line numbers stay those of the original file and regexes see only live code.
 */
export interface CleanSource {
  file: string;
  text: string;
  /** 1-based line of an offset. */
  line(offset: number): number;
}

function blank(s: string): string {
  return s.includes('\n') ? s.replace(/[^\n]+/g, (run) => ' '.repeat(run.length)) : ' '.repeat(s.length);
}

/** Comments and string/char literals are recognised together, so `"/*"` in a string is no comment. */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\[\s\S]|[^"\\\n])*"|'(?:\\[\s\S]|[^'\\\n])*'/g, (m) =>
    m.startsWith('/') ? blank(m) : m,
  );
}

/** Blanks `#if 0` … `#else`/`#endif` (nesting respected); keeps the `#else` branch. */
function stripIfZero(src: string): string {
  const lines = src.split('\n');
  let depth = 0; // nesting of conditionals inside a dead block
  let dead = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const d = /^\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b(.*)$/.exec(l);
    if (!dead) {
      if (d && d[1] === 'if' && /^\s*(0|\(0\))\s*$/.test(d[2]!)) {
        dead = true;
        depth = 0;
        lines[i] = blank(l);
      }
      continue;
    }
    lines[i] = blank(l);
    if (!d) continue;
    if (d[1]!.startsWith('if')) depth++;
    else if (d[1] === 'endif') {
      if (depth === 0) dead = false;
      else depth--;
    } else if (depth === 0 && (d[1] === 'else' || d[1] === 'elif')) {
      // `#else` of `#if 0` is live code; an `#elif` is taken as live too (we cannot evaluate it).
      dead = false;
    }
  }
  return lines.join('\n');
}

export function cleanSource(file: string, src: string): CleanSource {
  const text = stripIfZero(stripComments(src));
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return {
    file,
    text,
    line(offset) {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid]! <= offset) lo = mid;
        else hi = mid - 1;
      }
      return lo + 1;
    },
  };
}

/** Object-like and function-like `#define`s (continuation lines joined): name → body. */
export function defines(text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!text.includes('define')) return out;
  const re = /^[ \t]*#[ \t]*define[ \t]+(\w+)(\([^)]*\))?((?:[^\n\\]|\\\n|\\)*)/gm;
  for (const m of text.matchAll(re))
    out.set(
      m[1]!,
      m[3]!
        .replace(/\\\n/g, ' ')
        .replace(/\/\*.*?\*\/|\/\/.*$/g, '')
        .trim(),
    );
  return out;
}

/** The text with preprocessor lines blanked, so macro bodies are not mistaken for code. */
export function withoutDirectives(text: string): string {
  return text.replace(/^[ \t]*#(?:[^\n\\]|\\\n|\\)*/gm, blank);
}
