/**
 * Parses one rule pack. Pure but for the file name used in messages: the reading of
 * files happens in src/rules/load.ts.
 */
import { parseYamlWithSchema } from '../../../config/load.js';
import { RulePackSchema, type RulePack } from './schema.js';

/** Throws ConfigError with file:line:col for every problem in the pack. */
export function parseRulePack(text: string, file: string): RulePack {
  return { ...parseYamlWithSchema(text, file, RulePackSchema), file };
}
