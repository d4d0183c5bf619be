/**
 * Which command modules a folder holds: a module file (`hello.ts`) or a subfolder with an index
 * file (`roll/index.ts`) each. Names starting with `_` or `.` are private (shared helpers), and
 * declaration and test files are never commands.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';

/** One command module found on disk. */
export interface CommandSource {
  /** Command name: the file name without extension, or the subfolder's name. */
  readonly name: string;
  /** Absolute path of the module file (the index file for a subfolder). */
  readonly file: string;
}

/** Extensions a command module may have, in the order an index file is looked for. */
export const commandExtensions: readonly string[] = ['.ts', '.mts', '.tsx', '.js', '.mjs', '.jsx'];

const notCommand = /(\.d\.[cm]?ts|\.(test|spec)\.[cm]?[jt]sx?)$/;

/** The command modules of `dirs`, in folder order then name order. A missing folder has none. */
export function listCommandModules(dirs: readonly string[]): CommandSource[] {
  const found: CommandSource[] = [];
  for (const dir of dirs) {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.startsWith('_') || entry.startsWith('.')) continue;
      const path = join(dir, entry);
      let isDir: boolean;
      try {
        isDir = statSync(path).isDirectory();
      } catch {
        continue; // removed while listing
      }
      if (isDir) {
        const index = commandExtensions.map((ext) => join(path, `index${ext}`)).find(existsSync);
        if (index) found.push({ name: entry, file: index });
        continue;
      }
      const ext = extname(entry);
      if (!commandExtensions.includes(ext) || notCommand.test(entry)) continue;
      found.push({ name: entry.slice(0, -ext.length), file: path });
    }
  }
  return found;
}

/** The folders of `dirs` that do not exist (or are not folders). */
export function missingFolders(dirs: readonly string[]): string[] {
  return dirs.filter((dir) => {
    try {
      return !statSync(dir).isDirectory();
    } catch {
      return true;
    }
  });
}
