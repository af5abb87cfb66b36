/**
 * Parses one rule pack. Pure but for the file name used in messages: the reading of
 * files happens in src/rules/load.ts. It lives at the edge, beside the loader, because
 * it uses the config loader's YAML-with-positions parser; the core only compiles packs.
 */
import { ConfigError, parseYamlWithSchema } from '../config/load.js';
import { RulePackSchema, type RulePack } from '../core/engine/rules/schema.js';

/** Throws ConfigError with file:line:col for every problem in the pack. */
export function parseRulePack(text: string, file: string): RulePack {
  try {
    return { ...parseYamlWithSchema(text, file, RulePackSchema), file };
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    // The yaml library can still throw while resolving the document (an unresolved
    // alias such as `*-`); a broken pack must come back as a pack error, never a crash.
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ConfigError([{ file, line: 1, col: 1, message: `YAML: ${message}` }]);
  }
}
