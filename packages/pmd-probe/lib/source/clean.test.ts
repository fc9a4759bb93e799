import { describe, expect, it } from 'vitest';
import { cleanSource, defines } from './clean.js';
import { field, parseInitializer } from './initializer.js';

describe('C cleaning', () => {
  it('blanks comments and #if 0 blocks but keeps strings, #else branches and line numbers', () => {
    const src = [
      'const char *s = "/* not a comment */"; // a comment',
      '#if 0',
      '#ifdef X',
      'dead1;',
      '#endif',
      'dead2;',
      '#else',
      'live;',
      '#endif',
      '/* multi',
      '   line */ after;',
    ].join('\n');
    const c = cleanSource('x.c', src);
    expect(c.text).toContain('"/* not a comment */"');
    expect(c.text).not.toContain('a comment\n');
    expect(c.text).not.toMatch(/dead1|dead2/);
    expect(c.text).toContain('live;');
    expect(c.text.length).toBe(src.length);
    expect(c.line(c.text.indexOf('after'))).toBe(11);
  });

  it('reads #defines with continuation lines', () => {
    expect(defines('#define A (B | \\\n  C) /* why */\n#define F(x) ((x) | D)\n').get('A')).toBe(
      '(B |    C)',
    );
  });

  it('parses nested, designated and positional initializers', () => {
    const text = 'x = { .a = { .b = 1, "x,y" }, [2] = f(1, 2), .c.d = {0}, tail }';
    const items = parseInitializer(text, text.indexOf('{'));
    expect(items.map((i) => i.designator.join('.'))).toEqual(['a', '[2]', 'c.d', '']);
    expect(field(items, 'a', 'b')?.value).toBe('1');
    expect(items[0]!.items![1]!.value).toBe('"x,y"');
    expect(items[1]!.value).toBe('f(1, 2)');
    expect(field(items, 'c', 'd')?.value).toBe('{0}');
  });
});
