/**
 * Every relative link and `#anchor` of the repository's Markdown must lead somewhere: a file or
 * folder that exists (a folder's README.md for its anchors) and, in a Markdown page, a heading
 * or an `<a id>`/`<a name>` with that anchor. Anchors are GitHub's: a heading's text, lower-cased,
 * without punctuation, spaces as hyphens, `-1`, `-2` … for repeats (github-slugger's rule).
 * Run: `node tools/docs/links.mjs` (prints each broken link, exit 1); `links.test.mjs` in `npm test`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import MarkdownIt from 'markdown-it';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const md = new MarkdownIt({ html: true });

/** GitHub's anchor of a heading's text (github-slugger: drop what is not a letter, mark, number, `_`, `-` or space). */
export function slug(text) {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** The text GitHub slugs: a heading's inline content with its markup and inline HTML left out. */
function headingText(inline) {
  return inline.children
    .filter((t) => t.type === 'text' || t.type === 'code_inline')
    .map((t) => t.content)
    .join('');
}

/** The anchors of a Markdown page and its links (`href` as written, the source line). */
export function readPage(source) {
  const tokens = md.parse(source, {});
  const anchors = new Set();
  const seen = new Map();
  const links = [];
  const htmlIds = (html) => {
    for (const m of html.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
  };
  tokens.forEach((token, i) => {
    if (token.type === 'heading_open') {
      const base = slug(headingText(tokens[i + 1]));
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    if (token.type === 'html_block') htmlIds(token.content);
    for (const child of token.children ?? []) {
      if (child.type === 'html_inline') htmlIds(child.content);
      const href =
        child.type === 'link_open'
          ? child.attrGet('href')
          : child.type === 'image'
            ? child.attrGet('src')
            : null;
      if (href !== null) links.push({ href, line: (token.map?.[0] ?? 0) + 1 });
    }
  });
  return { anchors, links };
}

/** The repository's Markdown files, tracked or new (not ignored), relative to `root`. */
export function markdownFiles(root = ROOT) {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], {
    cwd: root,
    encoding: 'utf8',
  });
  return [...new Set(out.split('\n').filter(Boolean))].filter((f) => existsSync(join(root, f)));
}

const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i;

/**
 * Every broken relative link of `files` (relative to `root`): `{ file, line, href, why }`.
 * A link into a `dist/` folder is built output (`npm run build`), not in git: its file is not
 * required, and its anchor not read.
 */
export function brokenLinks(root = ROOT, files = markdownFiles(root)) {
  const pages = new Map();
  const page = (path) => {
    if (!pages.has(path)) pages.set(path, readPage(readFileSync(path, 'utf8')));
    return pages.get(path);
  };
  const broken = [];
  for (const file of files) {
    const from = join(root, file);
    for (const { href, line } of page(from).links) {
      if (EXTERNAL.test(href) || href.startsWith('//')) continue;
      const hash = href.indexOf('#');
      const pathPart = decodeURI(hash < 0 ? href : href.slice(0, hash));
      const anchor = hash < 0 ? null : decodeURIComponent(href.slice(hash + 1));
      const bad = (why) => broken.push({ file, line, href, why });
      let target = pathPart === '' ? from : resolve(dirname(from), pathPart.split('?')[0]);
      if (relative(root, target).startsWith('..')) {
        bad('leads outside the repository');
        continue;
      }
      if (`${sep}${relative(root, target)}${sep}`.includes(`${sep}dist${sep}`)) continue;
      if (!existsSync(target)) {
        bad(`no such file or folder: ${relative(root, target)}`);
        continue;
      }
      if (anchor === null || anchor === '') continue;
      if (statSync(target).isDirectory()) {
        target = join(target, 'README.md');
        if (!existsSync(target)) {
          bad(`#${anchor} on a folder without README.md`);
          continue;
        }
      }
      if (!target.endsWith('.md')) continue; // a source file's line anchors (#L10) are GitHub's
      if (!page(target).anchors.has(anchor))
        bad(`no heading or <a id> gives #${anchor} in ${relative(root, target)}`);
    }
  }
  return broken;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const broken = brokenLinks();
  for (const b of broken) console.log(`${b.file}:${b.line}: ${b.href}: ${b.why}`);
  console.log(
    broken.length === 0 ? 'every relative link and anchor resolves' : `${broken.length} broken links`,
  );
  process.exitCode = broken.length === 0 ? 0 : 1;
}
