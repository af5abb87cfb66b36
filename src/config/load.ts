/**
 * Reads a YAML file and validates it against a zod schema, turning every problem into
 * `file:line:col: what is wrong`. Shared by the config file and rule packs.
 */
import path from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { CONFIG_FILE_MAX_BYTES, readFailure, readRegularTextFile } from './files.js';
import { DriftdConfig } from './schema.js';

export interface ConfigIssue {
  file: string;
  line: number;
  col: number;
  message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.col}: ${issue.message}`;
}

/** Parses YAML text and validates it; throws ConfigError with positions. Pure but for the name. */
export function parseYamlWithSchema<S extends z.ZodType>(text: string, file: string, schema: S): z.infer<S> {
  return parseYamlWithPositions(text, file, schema).data;
}

/** Where a value of the document is (line and column of its key), for later checks. */
export type PositionOf = (keys: readonly (string | number)[]) => { line: number; col: number };

/** Like parseYamlWithSchema, and also says where each value is, for checks made after parsing. */
export function parseYamlWithPositions<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
): { data: z.infer<S>; positionOf: PositionOf } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((err) => {
        const pos = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0]);
        return { file, line: pos.line, col: pos.col, message: `YAML: ${err.message.split('\n')[0]}` };
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // An unresolved alias (`*name` with no anchor) or an alias bomb surfaces here.
    throw new ConfigError([{ file, line: 1, col: 1, message: `YAML: ${err instanceof Error ? err.message : String(err)}` }]);
  }
  const result = schema.safeParse(data ?? {});
  if (result.success) {
    const positionOf: PositionOf = (keys) => {
      const { line, col } = locate(doc, lineCounter, keys);
      return { line, col };
    };
    return { data: result.data, positionOf };
  }
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const { line, col, path: where } = locate(doc, lineCounter, issue.path, issue.code === 'unrecognized_keys' ? issue.keys : undefined);
      return { file, line, col, message: describe(issue, where, valueAt(data, issue.path)) };
    }),
  );
}

function locate(
  doc: Document,
  lineCounter: LineCounter,
  issuePath: readonly PropertyKey[],
  unknownKeys?: readonly string[],
): { line: number; col: number; path: string } {
  const keys = issuePath.map((k): string | number => (typeof k === 'symbol' ? String(k) : k));
  const target = unknownKeys?.[0] !== undefined ? [...keys, unknownKeys[0]] : keys;
  // Walk down as far as the document goes; point at the key when we can, else the value.
  for (let depth = target.length; depth >= 0; depth--) {
    const prefix = target.slice(0, depth);
    const parentPath = prefix.slice(0, -1);
    const last = prefix[prefix.length - 1];
    const parent = depth === 0 ? doc.contents : doc.getIn(parentPath, true);
    let offset: number | undefined;
    if (depth > 0 && parent && isNode(parent) && 'items' in parent && Array.isArray(parent.items)) {
      for (const pair of parent.items as unknown[]) {
        if (pair && typeof pair === 'object' && 'key' in pair) {
          const key = pair.key;
          const keyValue = key && typeof key === 'object' && 'value' in key ? key.value : key;
          if (keyValue === last && isNode(key) && key.range) offset = key.range[0];
        }
      }
    }
    if (offset === undefined) {
      const node = depth === 0 ? doc.contents : doc.getIn(prefix, true);
      if (node && isNode(node) && node.range) offset = node.range[0];
    }
    if (offset !== undefined) {
      const pos = lineCounter.linePos(offset);
      return { line: pos.line, col: pos.col, path: formatPath(target) };
    }
  }
  return { line: 1, col: 1, path: formatPath(target) };
}

function formatPath(keys: readonly (string | number)[]): string {
  return keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('') || '(top level)';
}

function valueAt(data: unknown, keys: readonly PropertyKey[]): unknown {
  let current: unknown = data;
  for (const key of keys) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describe(issue: z.core.$ZodIssue, where: string, input: unknown): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')} in ${formatPath(issue.path as (string | number)[])} (check the spelling; see README "Configuration")`;
    case 'invalid_type':
      return `${where}: expected ${issue.expected}${input !== undefined ? `, got ${typeName(input)}` : ' (missing)'}`;
    case 'invalid_value':
      return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${where}: ${issue.message}`;
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

export interface LoadedConfig {
  config: DriftdConfig;
  /** Absolute path of the file; relative paths inside it resolve against its folder. */
  file: string;
  dir: string;
  /** Line and column of a value in the file (its key), for errors found after parsing. */
  positionOf?: PositionOf;
}

export function loadConfig(file: string): LoadedConfig {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = readRegularTextFile(absolute, CONFIG_FILE_MAX_BYTES, 'config file');
  } catch (err) {
    const reason = readFailure(err);
    throw new ConfigError([{ file: absolute, line: 1, col: 1, message: `cannot read config file (${reason})` }]);
  }
  const { data: config, positionOf } = parseYamlWithPositions(text, file, DriftdConfig);
  return { config, file: absolute, dir: path.dirname(absolute), positionOf };
}

/** Resolves a path from the config against the config file's directory. */
export function resolveFromConfig(loaded: LoadedConfig, p: string): string {
  return path.isAbsolute(p) ? p : path.resolve(loaded.dir, p);
}
