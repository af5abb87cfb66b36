/**
 * The expectation file of a maintenance window: the change the operator intends to make
 * (`packages: {openssl: ">=3.0.15-1~deb12u1"}`, `kernel: {release: "6.1.0-28-amd64"}`),
 * and whether one node's snapshot now matches it. Pure: the edge reads the YAML.
 *
 * Constraint grammar, one string per item: `absent`, `present`, a bare value (exact, taken
 * whole), or one or more comma-separated clauses `OP VALUE` with OP in >=, >, =, <=, <. Ordering
 * uses the node's package format (packages meta `format`: deb or rpm; deb when unknown),
 * so `3.0.15-1~deb12u1 < 3.0.15-1` holds as dpkg says it does.
 */
import { z } from 'zod';
import { compileKeyPattern } from '../engine/rules/match.js';
import { FACET_NAMES, type FacetName, type FacetSnapshot, type NodeSnapshot } from '../snapshot.js';
import { compareVersions, type VersionFormat } from '../versions/index.js';

export const CONSTRAINT_OPERATORS = ['>=', '>', '=', '<=', '<'] as const;
export type ConstraintOperator = (typeof CONSTRAINT_OPERATORS)[number];

export interface ConstraintClause {
  op: ConstraintOperator;
  value: string;
}

export type Constraint =
  { kind: 'absent'; text: string } | { kind: 'present'; text: string } | { kind: 'compare'; text: string; clauses: ConstraintClause[] };

export class ConstraintParseError extends Error {
  override readonly name = 'ConstraintParseError';
}

/** Parses one constraint string; returns an error instead of throwing. */
export function parseConstraint(input: string): Constraint | ConstraintParseError {
  const text = input.trim();
  if (text === '') return new ConstraintParseError('empty constraint: write a version, "absent", "present" or ">= VERSION"');
  if (text === 'absent') return { kind: 'absent', text };
  if (text === 'present') return { kind: 'present', text };
  // A bare value is taken whole, spaces and commas included (sysctl `4096 16384 4194304`).
  if (!/^[<>=]/.test(text)) return { kind: 'compare', text, clauses: [{ op: '=', value: text }] };
  const clauses: ConstraintClause[] = [];
  for (const part of text.split(',')) {
    const clause = /^\s*(>=|<=|>|<|=)\s*(\S+)\s*$/.exec(part);
    const value = clause?.[2];
    if (!clause || value === undefined) {
      return new ConstraintParseError(
        `"${part.trim()}" is not a constraint: write OP VERSION with OP one of ${CONSTRAINT_OPERATORS.join(' ')} (e.g. ">=3.0.15-1~deb12u1"), "absent" or "present"`,
      );
    }
    if (/^[<>=]/.test(value)) return new ConstraintParseError(`"${part.trim()}": unknown operator (use ${CONSTRAINT_OPERATORS.join(' ')})`);
    clauses.push({ op: clause[1] as ConstraintOperator, value });
  }
  return { kind: 'compare', text, clauses };
}

const ConstraintText = z
  .union([z.string(), z.number(), z.boolean()])
  .transform((v) => String(v))
  .superRefine((text, ctx) => {
    const parsed = parseConstraint(text);
    if (parsed instanceof ConstraintParseError) ctx.addIssue({ code: 'custom', message: parsed.message });
  });

const FacetConstraints = z.record(z.string().min(1), ConstraintText);

export const AllowedChange = z.strictObject({
  facet: z.enum(FACET_NAMES),
  /** Glob (`linux-image-*`) or `/regex/`, as in rule packs. */
  key: z
    .string()
    .min(1)
    .superRefine((key, ctx) => {
      try {
        compileKeyPattern(key);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `not a key pattern: ${err instanceof Error ? err.message : String(err)}` });
      }
    }),
});
export type AllowedChange = z.infer<typeof AllowedChange>;

export const ExpectationFile = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  os: FacetConstraints.optional(),
  kernel: FacetConstraints.optional(),
  packages: FacetConstraints.optional(),
  modules: FacetConstraints.optional(),
  sysctl: FacetConstraints.optional(),
  services: FacetConstraints.optional(),
  files: FacetConstraints.optional(),
  corosync: FacetConstraints.optional(),
  pacemaker: FacetConstraints.optional(),
  drbd: FacetConstraints.optional(),
  users: FacetConstraints.optional(),
  mounts: FacetConstraints.optional(),
  time: FacetConstraints.optional(),
  security: FacetConstraints.optional(),
  identity: FacetConstraints.optional(),
  network: FacetConstraints.optional(),
  drivers: FacetConstraints.optional(),
  multipath: FacetConstraints.optional(),
  /** Further changes the window may bring, with no constraint on their value. */
  allow: z.array(AllowedChange).default([]),
});
export type ExpectationFile = z.infer<typeof ExpectationFile>;

export interface ExpectedItem {
  facet: FacetName;
  /** As written: a package name may leave out its `:arch` / `.arch` suffix. */
  name: string;
  constraint: Constraint;
}

/** The parsed expectation, as stored with the window. */
export interface Expectation {
  name?: string;
  items: ExpectedItem[];
  allow: AllowedChange[];
}

export const NO_EXPECTATION: Expectation = { items: [], allow: [] };

export function toExpectation(file: ExpectationFile): Expectation {
  const items: ExpectedItem[] = [];
  for (const facet of FACET_NAMES) {
    for (const [name, text] of Object.entries(file[facet] ?? {})) {
      const constraint = parseConstraint(text);
      // The schema refused unparsable text already; this keeps the type honest.
      if (constraint instanceof ConstraintParseError) throw constraint;
      items.push({ facet, name, constraint });
    }
  }
  return { ...(file.name !== undefined ? { name: file.name } : {}), items, allow: file.allow };
}

/** Architecture suffixes a package key may carry when several arches are installed. */
const ARCH_SUFFIX = /^[:.](amd64|i386|i686|x86_64|arm64|aarch64|armhf|armel|armv7hl|ppc64el|ppc64le|s390x|riscv64|mips64el|noarch|all)$/;

/** Whether a snapshot key is the item `name` of the expectation names (packages: with or without arch). */
export function keyMatchesName(facet: FacetName, name: string, key: string): boolean {
  if (key === name) return true;
  return facet === 'packages' && key.startsWith(name) && ARCH_SUFFIX.test(key.slice(name.length));
}

export function versionFormatOf(snapshot: NodeSnapshot): VersionFormat {
  return snapshot.facets.packages?.meta?.format === 'rpm' ? 'rpm' : 'deb';
}

/** Facets whose values are versions: `=` compares by version ordering there, exact text elsewhere. */
const VERSIONED_FACETS: ReadonlySet<FacetName> = new Set(['packages', 'kernel']);

/** Whether one value (null: item absent) satisfies the constraint. */
export function satisfies(constraint: Constraint, value: string | null, format: VersionFormat, facet: FacetName = 'packages'): boolean {
  if (constraint.kind === 'absent') return value === null;
  if (value === null) return false;
  if (constraint.kind === 'present') return true;
  // rpm may list several installed versions of one name (kernel): any one may satisfy.
  const candidates = facet === 'packages' ? value.split(' ') : [value];
  return candidates.some((candidate) => constraint.clauses.every((clause) => clauseHolds(clause, candidate, format, facet)));
}

function clauseHolds(clause: ConstraintClause, value: string, format: VersionFormat, facet: FacetName): boolean {
  if (clause.op === '=' && !VERSIONED_FACETS.has(facet)) return value === clause.value;
  const order = compareVersions(format, value, clause.value);
  switch (clause.op) {
    case '>=':
      return order >= 0;
    case '>':
      return order > 0;
    case '=':
      return order === 0;
    case '<=':
      return order <= 0;
    case '<':
      return order < 0;
  }
}

export interface ItemCheck {
  facet: FacetName;
  name: string;
  constraint: string;
  /** Snapshot keys the name stands for on this node (empty when absent). */
  keys: string[];
  /** Key -> value on the node; empty when absent. */
  actual: Record<string, string>;
  ok: boolean;
  /** Set when ok is false. */
  reason?: string;
}

/** Each expected item checked against one node's snapshot. */
export function checkExpectation(snapshot: NodeSnapshot, expectation: Expectation): ItemCheck[] {
  const format = versionFormatOf(snapshot);
  return expectation.items.map((item) => checkItem(snapshot, item, format));
}

function checkItem(snapshot: NodeSnapshot, item: ExpectedItem, format: VersionFormat): ItemCheck {
  const base = { facet: item.facet, name: item.name, constraint: item.constraint.text };
  const facet: FacetSnapshot | undefined = snapshot.error === undefined ? snapshot.facets[item.facet] : undefined;
  if (facet?.status !== 'ok') {
    const why =
      snapshot.error !== undefined ? `node unreachable: ${snapshot.error}` : `facet ${item.facet} is ${facet?.status ?? 'not collected'}`;
    return { ...base, keys: [], actual: {}, ok: false, reason: `cannot tell: ${why}` };
  }
  const keys = Object.keys(facet.items)
    .filter((k) => keyMatchesName(item.facet, item.name, k))
    .sort();
  const actual = Object.fromEntries(keys.map((k) => [k, facet.items[k]?.value ?? '']));
  if (keys.length === 0) {
    const ok = satisfies(item.constraint, null, format, item.facet);
    return ok
      ? { ...base, keys, actual, ok }
      : { ...base, keys, actual, ok, reason: `${item.name} is absent, expected ${item.constraint.text}` };
  }
  const failing = keys.filter((k) => !satisfies(item.constraint, actual[k] ?? null, format, item.facet));
  if (failing.length === 0) return { ...base, keys, actual, ok: true };
  return {
    ...base,
    keys,
    actual,
    ok: false,
    reason: failing.map((k) => `${k} is ${actual[k]}, expected ${item.constraint.text}`).join('; '),
  };
}

/** The expected item (if any) that covers one snapshot key. */
export function expectedItemFor(expectation: Expectation, facet: FacetName, key: string): ExpectedItem | undefined {
  return expectation.items.find((item) => item.facet === facet && keyMatchesName(facet, item.name, key));
}

/**
 * Changes that come with a declared kernel release and need no constraint of their own:
 * the kernel facet's derived items and the kernel's packages.
 */
const KERNEL_COMPANIONS: readonly AllowedChange[] = [
  { facet: 'kernel', key: 'build' },
  { facet: 'kernel', key: 'installed.*' },
  { facet: 'kernel', key: 'newest_installed' },
  { facet: 'kernel', key: 'reboot_required' },
  {
    facet: 'packages',
    key: '/^(linux-image|linux-headers|linux-modules|linux-kbuild|kernel|kernel-core|kernel-modules)(-.*)?([:.][a-z0-9_]+)?$/',
  },
];

/** Whether a change of (facet, key) is allowed without a constraint (allow list, kernel companions). */
export function isAllowedChange(expectation: Expectation, facet: FacetName, key: string): boolean {
  const declaresKernel = expectation.items.some((i) => i.facet === 'kernel' && i.name === 'release');
  const allowed = declaresKernel ? [...expectation.allow, ...KERNEL_COMPANIONS] : expectation.allow;
  return allowed.some((a) => a.facet === facet && compileKeyPattern(a.key)(key));
}
