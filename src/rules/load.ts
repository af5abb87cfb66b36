/**
 * The I/O edge for rule packs: finds and reads the YAML files, then hands the text to
 * the pure parser and compiler. A broken pack costs only itself: its problems come back
 * as errors (file:line:col) and every other pack still loads.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFailure, readRegularTextFile, RULE_PACK_MAX_BYTES } from '../config/files.js';
import { ConfigError, type ConfigIssue } from '../config/load.js';
import { compileRules, type CompiledRules } from '../core/engine/rules/compile.js';
import { parseRulePack } from './parse.js';
import type { RulePack } from '../core/engine/rules/schema.js';

/** `rules/` at the package root, both from src/rules (tsx) and dist/rules (built). */
export const SHIPPED_RULES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'rules');

export interface LoadedRulePacks {
  rules: CompiledRules;
  packs: RulePack[];
  errors: ConfigIssue[];
  /** Every file read, in load order (shipped packs first). */
  files: string[];
}

export interface LoadOptions {
  /** Load the packs shipped in rules/ before the given paths. */
  includeShipped: boolean;
  /** Where the shipped packs live; tests point it elsewhere. */
  shippedDir?: string;
}

/**
 * Loads packs in order: shipped ones (by file name), then each path as given; a
 * directory contributes its *.yaml / *.yml files by file name. Later rules override
 * earlier ones, so the order is the meaning.
 */
export function loadRulePacks(paths: readonly string[], options: LoadOptions): LoadedRulePacks {
  const errors: ConfigIssue[] = [];
  const files: string[] = [];
  const sources = options.includeShipped ? [options.shippedDir ?? SHIPPED_RULES_DIR, ...paths] : [...paths];
  for (const source of sources) {
    const listed = listPackFiles(source);
    if ('error' in listed) errors.push(listed.error);
    else files.push(...listed.files);
  }
  const packs: RulePack[] = [];
  for (const file of files) {
    const result = readPack(file);
    if ('issues' in result) errors.push(...result.issues);
    else packs.push(result.pack);
  }
  return { rules: compileRules(packs), packs, errors, files };
}

export interface RulePackCheck {
  files: string[];
  packs: { file: string; pack: string; rules: number }[];
  errors: ConfigIssue[];
}

/** `driftd rules check`: validates the given packs (and optionally the shipped ones) without evaluating anything. */
export function checkRulePacks(paths: readonly string[], options: LoadOptions = { includeShipped: false }): RulePackCheck {
  const loaded = loadRulePacks(paths, options);
  return {
    files: loaded.files,
    packs: loaded.packs.map((p) => ({ file: p.file ?? '', pack: p.pack, rules: p.rules.length })),
    errors: loaded.errors,
  };
}

function listPackFiles(source: string): { files: string[] } | { error: ConfigIssue } {
  try {
    if (!statSync(source).isDirectory()) return { files: [source] };
    const names = readdirSync(source)
      .filter((n) => /\.ya?ml$/.test(n))
      .sort();
    return { files: names.map((n) => path.join(source, n)) };
  } catch (err) {
    return { error: { file: source, line: 1, col: 1, message: `cannot read rule pack path (${errorCode(err)})` } };
  }
}

function readPack(file: string): { pack: RulePack } | { issues: ConfigIssue[] } {
  let text: string;
  try {
    // A FIFO, a device or a directory is refused before it is read; so is a pack over the cap.
    text = readRegularTextFile(file, RULE_PACK_MAX_BYTES, 'rule pack');
  } catch (err) {
    return { issues: [{ file, line: 1, col: 1, message: `cannot read rule pack (${readFailure(err)})` }] };
  }
  try {
    return { pack: parseRulePack(text, file) };
  } catch (err) {
    if (err instanceof ConfigError) return { issues: err.issues };
    return { issues: [{ file, line: 1, col: 1, message: `cannot parse rule pack: ${err instanceof Error ? err.message : String(err)}` }] };
  }
}

function errorCode(err: unknown): string {
  return err instanceof Error && 'code' in err ? String((err as NodeJS.ErrnoException).code) : String(err);
}
