/** `driftd rules check` and `driftd rules explain`: validate packs, and say why a finding has its severity. */
import { databaseMayHoldHistory } from '../../config/database.js';
import { formatIssue, resolveFromConfig } from '../../config/load.js';
import { explainFinding } from '../../core/engine/index.js';
import { FACET_NAMES, isFacetName } from '../../core/snapshot.js';
import { loadRulesFor } from '../../audit/audit.js';
import { checkRulePacks } from '../../rules/load.js';
import { loadConfigOrExit } from '../context.js';
import { withStore } from '../with-store.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { escapeControl, escapeControlLines } from '../../core/text/terminal.js';

export function runRulesCheck(paths: string[], flags: { config?: string; shipped: boolean }): ExitCode {
  let targets = paths;
  let includeShipped = flags.shipped;
  if (flags.config) {
    const loaded = loadConfigOrExit(flags.config);
    targets = [...loaded.config.rules.map((p) => resolveFromConfig(loaded, p)), ...paths];
    includeShipped = includeShipped && loaded.config.defaultRules;
  }
  const result = checkRulePacks(targets, { includeShipped });
  for (const pack of result.packs) process.stdout.write(`ok  ${pack.file}  pack ${pack.pack}, ${pack.rules} rules\n`);
  for (const issue of result.errors) process.stdout.write(`ERR ${formatIssue(issue)}\n`);
  process.stdout.write(`${result.packs.length} packs valid, ${result.errors.length} problems\n`);
  return result.errors.length > 0 ? EXIT.undecided : EXIT.ok;
}

export async function runRulesExplain(
  finding: string,
  keyArg: string | undefined,
  flags: { config: string; json?: boolean },
): Promise<ExitCode> {
  const loaded = loadConfigOrExit(flags.config);
  const target = await resolveTarget(finding, keyArg, async () => {
    if (!databaseMayHoldHistory(loaded)) return null;
    return withStore(loaded, async (store) => (await store.findingEpisodes({})).find((e) => e.findingId === finding) ?? null);
  });
  const rules = loadRulesFor(loaded);
  for (const issue of rules.errors) process.stderr.write(`warning: ${formatIssue(issue)}\n`);
  const matches = explainFinding(rules.rules, target);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ target, rules: matches }, null, 2)}\n`);
    return EXIT.ok;
  }
  process.stdout.write(`${escapeControl(`${target.facet}/${target.key}`)}\n`);
  if (matches.length === 0) {
    process.stdout.write('  no rule matches: the built-in default applies (a mismatch is a warning)\n');
    return EXIT.ok;
  }
  matches.forEach((m, i) => {
    process.stdout.write(
      escapeControlLines(`  ${i + 1}. ${m.rule} (pack ${m.pack}${m.file ? `, ${m.file}` : ''})\n     sets ${JSON.stringify(m.sets)}\n`),
    );
  });
  process.stdout.write('  Later rules override earlier ones, field by field.\n');
  const last = (field: 'source' | 'remediation'): string | undefined =>
    [...matches].reverse().find((m) => m.sets[field] !== undefined)?.sets[field];
  const source = last('source');
  const remediation = last('remediation');
  if (source !== undefined) process.stdout.write(`  source: ${source}\n`);
  if (remediation !== undefined) process.stdout.write(`  remediation: ${remediation}\n`);
  return EXIT.ok;
}

async function resolveTarget(
  finding: string,
  keyArg: string | undefined,
  lookup: () => Promise<{ facet: string; key: string } | null>,
): Promise<{ facet: string; key: string }> {
  if (keyArg !== undefined) {
    if (!isFacetName(finding)) {
      throw new CliError(`"${escapeControl(finding)}" is not a facet; the facets are ${FACET_NAMES.join(', ')}`, EXIT.undecided);
    }
    return { facet: finding, key: keyArg };
  }
  const slash = finding.indexOf('/');
  if (slash > 0 && isFacetName(finding.slice(0, slash))) return { facet: finding.slice(0, slash), key: finding.slice(slash + 1) };
  const stored = await lookup();
  if (stored) return { facet: stored.facet, key: stored.key };
  if (slash > 0) {
    throw new CliError(
      `"${escapeControl(finding.slice(0, slash))}" (before the /) is not a facet; the facets are ${FACET_NAMES.join(', ')}`,
      EXIT.undecided,
    );
  }
  throw new CliError(
    `"${finding}" is neither FACET/KEY nor a finding id in the store; try e.g. \`driftd rules explain packages openssl\``,
    EXIT.undecided,
  );
}
