import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { DataError } from './errors.js';

/** True when the string contains glob syntax: `*`, `?`, `[...]` or `{a,b}`. */
export function isGlob(p: string): boolean {
  return /[*?[{]/.test(p);
}

function globToRegExp(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const j = seg.indexOf(']', i + 1);
      if (j < 0) re += '\\[';
      else {
        let cls = seg.slice(i + 1, j);
        if (cls.startsWith('!')) cls = '^' + cls.slice(1);
        re += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = j;
      }
    } else if (c === '{') {
      const j = seg.indexOf('}', i + 1);
      if (j < 0) re += '\\{';
      else {
        re += '(?:' + seg.slice(i + 1, j).split(',').map((s) => s.replace(/[.+^$()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')).join('|') + ')';
        i = j;
      }
    } else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Expands one glob pattern (`*`, `?`, `[abc]`, `{a,b}`, and `**` for any depth) into the sorted
 * list of matching files. Dot files match only when the pattern segment starts with a dot.
 */
export function expandGlob(pattern: string): string[] {
  const abs = isAbsolute(pattern) ? pattern : resolve(pattern);
  const parts = abs.split(sep);
  let i = 0;
  while (i < parts.length && !isGlob(parts[i])) i++;
  const base = parts.slice(0, i).join(sep) || sep;
  const rest = parts.slice(i);
  const out: string[] = [];
  const walk = (dir: string, k: number): void => {
    if (k === rest.length) {
      try {
        if (statSync(dir).isFile()) out.push(dir);
      } catch {
        /* vanished */
      }
      return;
    }
    const seg = rest[k];
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (seg === '**') {
      walk(dir, k + 1);
      for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) walk(join(dir, e.name), k);
      return;
    }
    const re = globToRegExp(seg);
    for (const e of entries) {
      if (e.name.startsWith('.') && !seg.startsWith('.')) continue;
      if (!re.test(e.name)) continue;
      const p = join(dir, e.name);
      if (k === rest.length - 1) {
        if (e.isFile() || (e.isSymbolicLink() && statSync(p).isFile())) out.push(p);
      } else if (e.isDirectory() || e.isSymbolicLink()) walk(p, k + 1);
    }
  };
  walk(base, 0);
  return [...new Set(out)].sort();
}

/**
 * Resolves a path, a list of paths or globs into a sorted, de-duplicated list of files.
 * Throws a DataError (IO) when a glob matches nothing or a plain path does not exist.
 */
export function resolvePaths(input: string | string[]): string[] {
  const list = Array.isArray(input) ? input : [input];
  if (list.length === 0) throw new DataError('ARGUMENT', 'no paths given');
  const out: string[] = [];
  for (const p of list) {
    if (isGlob(p)) {
      const m = expandGlob(p);
      if (m.length === 0) throw new DataError('IO', `glob matched no files`, { file: p });
      out.push(...m);
    } else {
      let st;
      try {
        st = statSync(p);
      } catch (e) {
        throw new DataError('IO', 'no such file', { file: p, cause: e });
      }
      if (st.isDirectory()) throw new DataError('IO', 'is a directory (use a glob such as dir/*.arrow)', { file: p });
      out.push(resolve(p));
    }
  }
  return [...new Set(out)];
}
