/**
 * A throwaway app folder on real disk: write files, edit them like an editor does, remove it.
 */
import {
  mkdirSync,
  mkdtempSync,
  realpathSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Under the repo (git-ignored), so an app's package imports resolve to the project's node_modules.
const base = join(dirname(fileURLToPath(import.meta.url)), '..', '.work', 'apps');

/** A temporary app folder. */
export interface AppDir {
  /** Absolute, symlink-free path of the folder. */
  readonly root: string;
  /** Absolute path of a file in the folder. */
  path(file: string): string;
  /** Writes (creates or replaces) files; folders are made as needed. */
  write(files: Record<string, string>): void;
  /** Saves like many editors: write a temporary file, then rename it over the target. */
  saveByRename(file: string, content: string): void;
  remove(file: string): void;
  /** Deletes the whole folder. */
  cleanup(): void;
}

/** Creates an app folder with `files` in it. */
export function createAppDir(files: Record<string, string> = {}, prefix = 'hotswap-'): AppDir {
  mkdirSync(base, { recursive: true });
  const root = realpathSync(mkdtempSync(join(base, prefix)));
  const path = (file: string): string => join(root, file);
  const dir: AppDir = {
    root,
    path,
    write(more) {
      for (const [file, content] of Object.entries(more)) {
        mkdirSync(dirname(path(file)), { recursive: true });
        writeFileSync(path(file), content);
      }
    },
    saveByRename(file, content) {
      const tmp = `${path(file)}.tmp-${process.pid}`;
      writeFileSync(tmp, content);
      renameSync(tmp, path(file));
    },
    remove(file) {
      unlinkSync(path(file));
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
  dir.write(files);
  return dir;
}
