/** Reads an expectation file (YAML); errors come back as ConfigError with file:line:col. */
import { readFileSync } from 'node:fs';
import { ConfigError, parseYamlWithSchema } from '../config/load.js';
import { ExpectationFile, toExpectation, type Expectation } from '../core/window/expectation.js';

export function loadExpectationFile(file: string): Expectation {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String((err as NodeJS.ErrnoException).code) : String(err);
    throw new ConfigError([{ file, line: 1, col: 1, message: `cannot read expectation file (${reason})` }]);
  }
  return parseExpectationText(text, file);
}

export function parseExpectationText(text: string, file: string): Expectation {
  return toExpectation(parseYamlWithSchema(text, file, ExpectationFile));
}
