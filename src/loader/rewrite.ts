/**
 * Rewrites one ES module (plain JavaScript, types already stripped) into the body of a generator
 * function that the loader instantiates and evaluates itself:
 *
 * ```js
 * return function*(__hs_exports,__hs_imports,__hs_meta,__hs_dynamic){"use strict";
 *   const __hs_i0=__hs_imports[0];__hs_exports({x:()=>x});yield;   <line 1 of the module>
 * ```
 *
 * - Import declarations disappear; every reference to an imported binding becomes a property read
 *   through the dependency's binding cell (`foo` → `__hs_i0.ns.foo`), which is what keeps ES live
 *   bindings, and lets a committed update re-point importers at the new version.
 * - Export declarations lose their keyword; the module hands getters for its exports to the loader
 *   before anything else runs (hoisted functions are callable at that point, as ESM instantiation
 *   demands for cycles), then yields: "instantiate" is the first `next()`, "evaluate" the second.
 * - `import.meta` becomes `__hs_meta`, `import()` becomes `__hs_dynamic()`.
 *
 * Lines are preserved (removed statements keep their newlines), so line numbers survive even when
 * no source map is applied; the magic-string map restores exact columns.
 */
import MagicString from 'magic-string';
import { type Program, parseSync, visitorKeys } from 'oxc-parser';

/** One `import`/`export … from` source of a module, merged per specifier. */
export interface ModuleRequest {
  /** The specifier as written. */
  specifier: string;
  /** Offset of the specifier string in the rewritten module's input, for error locations. */
  start: number;
  /** `with { type: 'json' }` and similar. */
  attributes: Record<string, string>;
  /** Names imported by this module: `default`, a name, or `*` for a namespace import. */
  names: Map<string, number>;
}

/** `export { x as y } from './m'`, `export * as ns from './m'`. */
export interface ReExport {
  exported: string;
  /** An export name of the request, or `*` for the namespace. */
  imported: string;
  request: number;
  start: number;
}

/** What the loader needs to know of a module before running it. */
export interface RewriteResult {
  /** Body of a function that returns the module's generator function (see `compile.ts`). */
  code: string;
  /** Maps the body back to the input text; generated lazily (only errors need it). */
  map: () => import('magic-string').SourceMap;
  /** Static requests, in source order; index = position in `__hs_imports`. */
  requests: ModuleRequest[];
  /** Export names defined by the module itself. */
  localExports: string[];
  reExports: ReExport[];
  /** Requests whose exports are re-exported with `export *`. */
  starExports: number[];
  /** Whether the body awaits at top level (it is compiled as an async generator then). */
  hasTopLevelAwait: boolean;
  /** Syntax errors found by the parser (the module must not run). */
  errors: { message: string; start: number; end: number }[];
}

/** Parameter names of the generated generator function, in order. */
export const wrapperParams = ['__hs_exports', '__hs_imports', '__hs_meta', '__hs_dynamic'] as const;

type Node = { type: string; start: number; end: number; [key: string]: unknown };
type Scope = Set<string>;

interface ImportBinding {
  request: number;
  /** `default`, a name, or `*`. */
  imported: string;
}

interface Reference {
  node: Node;
  parent: Node | undefined;
  scopes: Scope[];
}

const identifierName = /^[A-Za-z_$][\w$]*$/;

function memberAccess(name: string): string {
  return identifierName.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

function cellOf(request: number): string {
  return `__hs_i${request}`;
}

/** The expression that reads an imported binding through its cell. */
function bindingExpression(binding: ImportBinding): string {
  const ns = `${cellOf(binding.request)}.ns`;
  return binding.imported === '*' ? ns : ns + memberAccess(binding.imported);
}

function newlinesIn(code: string, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) if (code.charCodeAt(i) === 10) out += '\n';
  return out;
}

function moduleExportName(node: Node): string {
  return node.type === 'Literal' ? String(node.value) : (node.name as string);
}

/** Collects the names a binding pattern declares, and marks its identifiers as declarations. */
function collectPatternNames(
  pattern: Node | null | undefined,
  out: string[],
  declared: WeakSet<Node>,
): void {
  if (!pattern) return;
  switch (pattern.type) {
    case 'Identifier':
      out.push(pattern.name as string);
      declared.add(pattern);
      return;
    case 'ObjectPattern':
      for (const prop of pattern.properties as Node[]) {
        if (prop.type === 'RestElement') collectPatternNames(prop.argument as Node, out, declared);
        else collectPatternNames(prop.value as Node, out, declared);
      }
      return;
    case 'ArrayPattern':
      for (const element of pattern.elements as (Node | null)[])
        collectPatternNames(element, out, declared);
      return;
    case 'AssignmentPattern':
      collectPatternNames(pattern.left as Node, out, declared);
      return;
    case 'RestElement':
      collectPatternNames(pattern.argument as Node, out, declared);
      return;
  }
}

const functionTypes = new Set([
  'FunctionDeclaration',
  'FunctionExpression',
  'ArrowFunctionExpression',
]);

/**
 * Rewrites `code` (JavaScript, ES module) for the loader's evaluator.
 * @param file used in parser error messages only.
 */
export function rewriteModule(code: string, file: string): RewriteResult {
  const parsed = parseSync(file, code, { sourceType: 'module', lang: 'js' });
  const errors = parsed.errors.map((e) => ({
    message: e.message,
    start: e.labels[0]?.start ?? 0,
    end: e.labels[0]?.end ?? 0,
  }));
  const result: RewriteResult = {
    code: '',
    map: () => {
      throw new Error('no map for a module that failed to parse');
    },
    requests: [],
    localExports: [],
    reExports: [],
    starExports: [],
    hasTopLevelAwait: false,
    errors,
  };
  if (errors.length > 0) return result;

  const program = parsed.program as unknown as Program & Node;
  const s = new MagicString(code);
  const requestIndex = new Map<string, number>();
  const imports = new Map<string, ImportBinding>();
  // exported name → getter source (evaluated inside the module, so it closes over its bindings)
  const exportGetters = new Map<string, string>();
  // exported local names whose getter is resolved after the walk (they may be imports)
  const exportedLocals: [exported: string, local: string][] = [];
  const prologue: string[] = [];

  const requestFor = (source: Node, attributes: Node[] | undefined): number => {
    const specifier = source.value as string;
    let index = requestIndex.get(specifier);
    if (index === undefined) {
      index = result.requests.length;
      requestIndex.set(specifier, index);
      result.requests.push({ specifier, start: source.start, attributes: {}, names: new Map() });
    }
    const request = result.requests[index]!;
    for (const attribute of attributes ?? []) {
      request.attributes[moduleExportName(attribute.key as Node)] = String(
        (attribute.value as Node).value,
      );
    }
    return index;
  };

  const removeStatement = (node: Node): void => {
    s.overwrite(node.start, node.end, newlinesIn(code, node.start, node.end) || ' ');
  };

  // Pass 1: module-level declarations (imports and exports).
  for (const statement of program.body as unknown as Node[]) {
    switch (statement.type) {
      case 'ImportDeclaration': {
        if (statement.importKind === 'type') {
          removeStatement(statement);
          break;
        }
        const request = requestFor(statement.source as Node, statement.attributes as Node[]);
        for (const spec of statement.specifiers as Node[]) {
          const local = (spec.local as Node).name as string;
          const imported =
            spec.type === 'ImportDefaultSpecifier'
              ? 'default'
              : spec.type === 'ImportNamespaceSpecifier'
                ? '*'
                : moduleExportName(spec.imported as Node);
          imports.set(local, { request, imported });
          result.requests[request]!.names.set(imported, spec.start);
        }
        removeStatement(statement);
        break;
      }
      case 'ExportAllDeclaration': {
        const request = requestFor(statement.source as Node, statement.attributes as Node[]);
        if (statement.exported) {
          const exported = moduleExportName(statement.exported as Node);
          result.reExports.push({ exported, imported: '*', request, start: statement.start });
          result.requests[request]!.names.set('*', statement.start);
        } else {
          result.starExports.push(request);
        }
        removeStatement(statement);
        break;
      }
      case 'ExportNamedDeclaration': {
        if (statement.exportKind === 'type') {
          removeStatement(statement);
          break;
        }
        const declaration = statement.declaration as Node | null;
        if (declaration) {
          s.remove(statement.start, declaration.start);
          const names: string[] = [];
          if (declaration.type === 'VariableDeclaration') {
            for (const d of declaration.declarations as Node[])
              collectPatternNames(d.id as Node, names, new WeakSet());
          } else if (declaration.id) {
            names.push((declaration.id as Node).name as string);
          }
          for (const name of names) exportedLocals.push([name, name]);
          break;
        }
        if (statement.source) {
          const request = requestFor(statement.source as Node, statement.attributes as Node[]);
          for (const spec of statement.specifiers as Node[]) {
            const imported = moduleExportName(spec.local as Node);
            const exported = moduleExportName(spec.exported as Node);
            result.reExports.push({ exported, imported, request, start: spec.start });
            result.requests[request]!.names.set(imported, spec.start);
          }
        } else {
          for (const spec of statement.specifiers as Node[]) {
            exportedLocals.push([
              moduleExportName(spec.exported as Node),
              moduleExportName(spec.local as Node),
            ]);
          }
        }
        removeStatement(statement);
        break;
      }
      case 'ExportDefaultDeclaration': {
        const declaration = statement.declaration as Node;
        const isFunction = declaration.type === 'FunctionDeclaration';
        const isClass = declaration.type === 'ClassDeclaration';
        if ((isFunction || isClass) && declaration.id) {
          s.remove(statement.start, declaration.start);
          exportedLocals.push(['default', (declaration.id as Node).name as string]);
        } else if (isFunction) {
          // Hoisted like any function declaration; ESM names it "default".
          s.remove(statement.start, declaration.start);
          const paren = code.indexOf('(', declaration.start);
          s.appendLeft(paren, ' __hs_default');
          prologue.push(
            'Object.defineProperty(__hs_default,"name",{value:"default",configurable:true});',
          );
          exportGetters.set('default', '()=>__hs_default');
        } else if (isClass) {
          s.remove(statement.start, declaration.start);
          s.appendLeft(declaration.start + 'class'.length, ' __hs_default');
          if (!hasStaticName(declaration)) {
            s.appendLeft(
              declaration.end,
              ';Object.defineProperty(__hs_default,"name",{value:"default",configurable:true});',
            );
          }
          exportGetters.set('default', '()=>__hs_default');
        } else {
          s.overwrite(statement.start, declaration.start, 'const __hs_default = ');
          if (isAnonymousFunction(declaration)) {
            // `{ default: f }.default` gives an anonymous function the name "default", as ESM does.
            s.appendLeft(declaration.start, '{ default: ');
            s.appendLeft(declaration.end, ' }.default');
          }
          exportGetters.set('default', '()=>__hs_default');
        }
        break;
      }
    }
  }

  // Pass 2: walk everything else for references to imports, import.meta, import() and TLA.
  const declared = new WeakSet<Node>();
  const references: Reference[] = [];
  const scopes: Scope[] = [new Set()];
  const functionScopes: Scope[] = [scopes[0]!];
  let functionDepth = 0;

  const declareIn = (scope: Scope, pattern: Node | null | undefined): void => {
    const names: string[] = [];
    collectPatternNames(pattern, names, declared);
    for (const name of names) scope.add(name);
  };

  const visit = (node: Node, parent: Node | undefined): void => {
    let pushedScope = false;
    let pushedFunction = false;
    switch (node.type) {
      case 'ImportDeclaration':
      case 'ExportAllDeclaration':
        return;
      case 'ExportNamedDeclaration':
        if (!node.declaration) return;
        break;
      case 'Identifier':
        if (!declared.has(node) && imports.has(node.name as string) && isReference(node, parent)) {
          references.push({ node, parent, scopes: scopes.slice(1) });
        }
        return;
      case 'MetaProperty':
        if ((node.meta as Node).name === 'import') s.overwrite(node.start, node.end, '__hs_meta');
        return;
      case 'ImportExpression':
        s.overwrite(node.start, node.start + 'import'.length, '__hs_dynamic');
        break;
      case 'AwaitExpression':
        if (functionDepth === 0) result.hasTopLevelAwait = true;
        break;
      case 'ForOfStatement':
        if (node.await && functionDepth === 0) result.hasTopLevelAwait = true;
        break;
      case 'VariableDeclaration': {
        const target =
          node.kind === 'var'
            ? functionScopes[functionScopes.length - 1]!
            : scopes[scopes.length - 1]!;
        for (const d of node.declarations as Node[]) declareIn(target, d.id as Node);
        break;
      }
      case 'FunctionDeclaration':
        if (node.id) declareIn(scopes[scopes.length - 1]!, node.id as Node);
        break;
      case 'ClassDeclaration':
        if (node.id) declareIn(scopes[scopes.length - 1]!, node.id as Node);
        break;
    }

    if (functionTypes.has(node.type)) {
      const scope: Scope = new Set();
      if (node.type === 'FunctionExpression' && node.id) declareIn(scope, node.id as Node);
      for (const param of node.params as Node[]) declareIn(scope, param);
      scopes.push(scope);
      functionScopes.push(scope);
      functionDepth++;
      pushedScope = true;
      pushedFunction = true;
    } else if (node.type === 'ClassExpression' && node.id) {
      const scope: Scope = new Set();
      declareIn(scope, node.id as Node);
      scopes.push(scope);
      pushedScope = true;
    } else if (node.type === 'CatchClause') {
      const scope: Scope = new Set();
      declareIn(scope, node.param as Node | null);
      scopes.push(scope);
      pushedScope = true;
    } else if (
      (node.type === 'BlockStatement' && !(parent && functionTypes.has(parent.type))) ||
      node.type === 'ForStatement' ||
      node.type === 'ForInStatement' ||
      node.type === 'ForOfStatement' ||
      node.type === 'SwitchStatement' ||
      node.type === 'StaticBlock'
    ) {
      scopes.push(new Set());
      pushedScope = true;
    }
    if (node.type === 'StaticBlock' || node.type === 'PropertyDefinition') functionDepth++;

    for (const key of childKeys(node)) {
      const child = node[key] as Node | (Node | null)[] | null | undefined;
      if (Array.isArray(child)) {
        for (const c of child) if (c && typeof c.type === 'string') visit(c, node);
      } else if (child && typeof child.type === 'string') {
        visit(child, node);
      }
    }

    if (node.type === 'StaticBlock' || node.type === 'PropertyDefinition') functionDepth--;
    if (pushedScope) scopes.pop();
    if (pushedFunction) {
      functionScopes.pop();
      functionDepth--;
    }
  };

  for (const statement of program.body as unknown as Node[]) visit(statement, program);

  for (const { node, parent, scopes: chain } of references) {
    const name = node.name as string;
    if (chain.some((scope) => scope.has(name))) continue;
    const expression = bindingExpression(imports.get(name)!);
    if (parent?.type === 'Property' && parent.shorthand && parent.value === node) {
      // `{ foo }` → `{ foo: <cell>.foo }`; in a pattern `({ foo } = o)` assigns to the import and throws.
      s.overwrite(node.start, node.end, `${name}: ${expression}`);
    } else if (
      (parent?.type === 'CallExpression' && parent.callee === node) ||
      (parent?.type === 'TaggedTemplateExpression' && parent.tag === node)
    ) {
      // Called without a receiver, as a direct call of the binding would be.
      s.overwrite(node.start, node.end, `(0, ${expression})`);
    } else {
      s.overwrite(node.start, node.end, expression);
    }
  }

  for (const [exported, local] of exportedLocals) {
    const binding = imports.get(local);
    exportGetters.set(exported, `()=>${binding ? bindingExpression(binding) : local}`);
  }
  result.localExports = [...exportGetters.keys()];

  // The compiled function returns the module's generator function: `vm.compileFunction` cannot
  // compile a generator itself, and the returned one is what the loader calls per instance.
  const kind = result.hasTopLevelAwait ? 'async function*' : 'function*';
  const header: string[] = [`return ${kind}(${wrapperParams.join(',')}){"use strict";`];
  for (let i = 0; i < result.requests.length; i++)
    header.push(`const ${cellOf(i)}=__hs_imports[${i}];`);
  const getters = [...exportGetters].map(([name, getter]) => `${JSON.stringify(name)}:${getter}`);
  header.push(`__hs_exports({${getters.join(',')}});`, ...prologue, 'yield;');
  if (code.startsWith('#!')) s.overwrite(0, 2, '//');
  s.prepend(header.join(''));
  s.append('\n}');

  result.code = s.toString();
  result.map = lazyMap(s, file);
  return result;
}

/** A map generator that keeps only the edited text alive, not the rewriter's scope (AST, input). */
function lazyMap(s: MagicString, file: string): () => import('magic-string').SourceMap {
  return () => s.generateMap({ hires: 'boundary', source: file, includeContent: false });
}

function isAnonymousFunction(node: Node): boolean {
  return (
    node.type === 'ArrowFunctionExpression' ||
    ((node.type === 'FunctionExpression' || node.type === 'ClassExpression') && !node.id)
  );
}

function hasStaticName(classNode: Node): boolean {
  const body = (classNode.body as Node).body as Node[];
  return body.some(
    (member) =>
      member.static === true &&
      !member.computed &&
      (member.key as Node | undefined)?.name === 'name',
  );
}

/** Whether an Identifier node is a reference to a binding (not a key, label or member name). */
function isReference(node: Node, parent: Node | undefined): boolean {
  if (!parent) return true;
  switch (parent.type) {
    case 'MemberExpression':
      return parent.object === node || parent.computed === true;
    case 'Property':
      // Shorthand `{ foo }`: the value node is the reference, the key node is not.
      if (parent.key === node) return parent.computed === true;
      return true;
    case 'MethodDefinition':
    case 'PropertyDefinition':
    case 'AccessorProperty':
      return parent.key !== node || parent.computed === true;
    case 'LabeledStatement':
    case 'BreakStatement':
    case 'ContinueStatement':
      return false;
    case 'ExportSpecifier':
    case 'ImportSpecifier':
    case 'ImportDefaultSpecifier':
    case 'ImportNamespaceSpecifier':
      return false;
    default:
      return true;
  }
}

const noKeys: string[] = [];

/** The keys of a node that hold child nodes (oxc's own table of them). */
function childKeys(node: Node): string[] {
  return (visitorKeys as Record<string, string[]>)[node.type] ?? noKeys;
}
