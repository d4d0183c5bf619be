/**
 * The parts of an app's tsconfig.json that change how its files run: import elision
 * (`verbatimModuleSyntax`), decorators and JSX. Read once per loader; `extends` is not followed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import JSON5 from 'json5';
import type { TransformOptions } from './transform.js';

interface CompilerOptions {
  verbatimModuleSyntax?: boolean;
  experimentalDecorators?: boolean;
  emitDecoratorMetadata?: boolean;
  jsx?: string;
  jsxImportSource?: string;
  jsxFactory?: string;
  jsxFragmentFactory?: string;
}

/** Transform options implied by `<root>/tsconfig.json`, or `{}` when there is none. */
export function transformOptionsFromTsconfig(root: string): TransformOptions {
  let compilerOptions: CompilerOptions;
  try {
    const parsed = JSON5.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as {
      compilerOptions?: CompilerOptions;
    };
    compilerOptions = parsed.compilerOptions ?? {};
  } catch {
    return {};
  }
  const options: TransformOptions = {};
  if (compilerOptions.verbatimModuleSyntax) options.onlyRemoveTypeImports = true;
  if (compilerOptions.experimentalDecorators) {
    options.legacyDecorators = true;
    if (compilerOptions.emitDecoratorMetadata) options.emitDecoratorMetadata = true;
  }
  const jsx = compilerOptions.jsx;
  if (jsx === 'react') {
    options.jsx = {
      runtime: 'classic',
      ...(compilerOptions.jsxFactory ? { pragma: compilerOptions.jsxFactory } : {}),
      ...(compilerOptions.jsxFragmentFactory
        ? { pragmaFrag: compilerOptions.jsxFragmentFactory }
        : {}),
    };
  } else if (jsx === 'react-jsx' || jsx === 'react-jsxdev') {
    options.jsx = {
      runtime: 'automatic',
      development: jsx === 'react-jsxdev',
      ...(compilerOptions.jsxImportSource ? { importSource: compilerOptions.jsxImportSource } : {}),
    };
  }
  return options;
}
