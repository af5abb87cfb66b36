/**
 * The configuration contract. Users' playbooks and tests rely on this shape: extend it,
 * never rename. Unknown keys are errors (z.strictObject) so a typo cannot pass silently.
 */
import { validate as cronValidate } from 'node-cron';
import { z } from 'zod';
import { defaultFacets } from '../collectors/registry.js';
import { FACET_NAMES } from '../core/snapshot.js';

const NodeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
  message: 'a node name is 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit',
});

const ClusterName = NodeName;

/** A network zone (site, segment) that some instances can reach and others cannot. */
const ZoneName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
  message: 'a zone name is 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit',
});

/** Several `driftd serve` sharing one PostgreSQL (README "Several instances"). */
export const InstanceConfig = z.strictObject({
  /** This instance's name in the lease tables; default: the host name. */
  id: NodeName.optional(),
  /** The zones this instance can reach; empty: all of them (and the clusters without a zone). */
  zones: z.array(ZoneName).default([]),
  /** A lease (and the instance's liveness) lasts this long without renewal: a dead instance's clusters move after it. */
  leaseSeconds: z.number().int().min(5).max(3600).default(60),
});
export type InstanceConfig = z.infer<typeof InstanceConfig>;

export const SshOptions = z.strictObject({
  user: z.string().min(1).default('driftd'),
  identityFile: z.string().min(1).optional(),
  /** Use the ssh-agent at SSH_AUTH_SOCK. */
  agent: z.boolean().default(false),
  knownHosts: z.string().min(1).default('/etc/driftd/known_hosts'),
  port: z.number().int().min(1).max(65535).default(22),
  connectTimeoutSeconds: z.number().positive().max(600).default(10),
  commandTimeoutSeconds: z.number().positive().max(3600).default(60),
  keepaliveSeconds: z.number().positive().max(600).default(15),
  /** Per-command output cap; a facet over it is marked truncated. */
  maxOutputBytes: z
    .number()
    .int()
    .min(1024)
    .max(512 * 1024 * 1024)
    .default(32 * 1024 * 1024),
  /** When true, allow-listed commands run under `sudo -n`. */
  sudo: z.boolean().default(false),
});
export type SshOptions = z.infer<typeof SshOptions>;

/** Per-node overrides: every key optional, none defaulted (defaults come from the top level). */
export const SshOverrides = z.strictObject({
  user: z.string().min(1).optional(),
  identityFile: z.string().min(1).optional(),
  agent: z.boolean().optional(),
  knownHosts: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  connectTimeoutSeconds: z.number().positive().max(600).optional(),
  commandTimeoutSeconds: z.number().positive().max(3600).optional(),
  keepaliveSeconds: z.number().positive().max(600).optional(),
  maxOutputBytes: z
    .number()
    .int()
    .min(1024)
    .max(512 * 1024 * 1024)
    .optional(),
  sudo: z.boolean().optional(),
});
export type SshOverrides = z.infer<typeof SshOverrides>;

const Facet = z.enum(FACET_NAMES);

/** Absolute path; `*`, `?` and `[...]` glob on the node. */
const FilePattern = z.string().regex(/^\/[^\0\n]*$/, { message: 'a file pattern is an absolute path (it may contain * ? [...])' });

export const NodeConfig = z
  .strictObject({
    name: NodeName,
    transport: z.enum(['ssh', 'local', 'replay']).default('ssh'),
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    /** replay: directory of recorded outputs, relative to the config file. */
    path: z.string().min(1).optional(),
    /** Pacemaker/config role hint for window planning: which node is the standby. */
    role: z.enum(['primary', 'standby']).optional(),
    ssh: SshOverrides.optional(),
  })
  .superRefine((node, ctx) => {
    if (node.transport === 'ssh' && !node.host) {
      ctx.addIssue({ code: 'custom', path: ['host'], message: 'an ssh node needs a host' });
    }
    if (node.transport === 'replay' && !node.path) {
      ctx.addIssue({ code: 'custom', path: ['path'], message: 'a replay node needs a path to its recorded outputs' });
    }
  });
export type NodeConfig = z.infer<typeof NodeConfig>;

export const ClusterConfig = z
  .strictObject({
    name: ClusterName,
    baseline: NodeName.optional(),
    /** The zone the cluster's nodes are in: only instances that reach it audit the cluster. */
    zone: ZoneName.optional(),
    /** Default: every collector whose file says `defaultEnabled` (src/collectors/registry.ts). */
    facets: z.array(Facet).default(() => defaultFacets()),
    files: z.array(FilePattern).default([]),
    nodes: z.array(NodeConfig).min(1),
  })
  .superRefine((cluster, ctx) => {
    const seen = new Map<string, number>();
    cluster.nodes.forEach((node, index) => {
      const first = seen.get(node.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['nodes', index, 'name'],
          message: `duplicate node name "${node.name}" (first defined at nodes[${first}])`,
        });
      } else {
        seen.set(node.name, index);
      }
    });
    if (cluster.baseline && !seen.has(cluster.baseline)) {
      ctx.addIssue({
        code: 'custom',
        path: ['baseline'],
        message: `baseline "${cluster.baseline}" is not one of this cluster's nodes (${[...seen.keys()].join(', ')})`,
      });
    }
  });
export type ClusterConfig = z.infer<typeof ClusterConfig>;

export const ScoringConfig = z.strictObject({
  /** Deducted per unwaived finding where the node is an outlier, by severity. */
  weights: z
    .strictObject({
      critical: z.number().min(0).max(1).default(0.5),
      warning: z.number().min(0).max(1).default(0.05),
      info: z.number().min(0).max(1).default(0),
    })
    .default({ critical: 0.5, warning: 0.05, info: 0 }),
  /** A snapshot older than this is stale and its node is not ready. */
  staleAfterSeconds: z.number().int().positive().default(3600),
});
export type ScoringConfig = z.infer<typeof ScoringConfig>;

/**
 * Failover simulation in every audit (daemon runs, `check`, window runs): Pacemaker's
 * scheduler (crm_simulate, on the audit host) plays each node failing on the collected CIB.
 */
export const FailoverConfig = z.strictObject({
  /** `auto`: when crm_simulate is installed on this host; `true`: always (unknown when it is not); `false`: never. */
  simulate: z.union([z.literal('auto'), z.boolean()]).default('auto'),
  /** Bound on one crm_simulate run; a run over it is killed and that node's failover is unknown. */
  timeoutSeconds: z.number().positive().max(600).default(30),
  /** The crm_simulate to run; default: the first of /usr/sbin, /usr/bin, /usr/local/sbin. */
  crmSimulate: z.string().min(1).optional(),
});
export type FailoverConfig = z.infer<typeof FailoverConfig>;

export const HttpConfig = z.strictObject({
  /** File holding a bearer token required for everything but /metrics and /healthz. */
  tokenFile: z.string().min(1).optional(),
});

export const RetentionConfig = z.strictObject({
  /** Unchanged snapshots older than this are thinned; changes and findings are kept. */
  keepUnchangedDays: z.number().int().positive().default(30),
});

export const SysctlConfig = z.strictObject({
  allow: z.array(z.string()).default([]),
  deny: z.array(z.string()).default([]),
});

/** A user or group name as useradd/groupadd accept it (and never an option or a number). */
const AccountName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}\$?$/, {
  message: 'an account name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or "_" (a trailing "$" allowed)',
});

/** The users facet: accounts and groups a site names are compared by NSS lookup, critical. */
export const UsersConfig = z.strictObject({
  accounts: z.array(AccountName).default([]),
  groups: z.array(AccountName).default([]),
});

export const DriftdConfig = z
  .strictObject({
    /** A SQLite file path, or postgresql://user@host:port/database (README "PostgreSQL"). */
    database: z.string().min(1).default('./driftd.db'),
    /** PostgreSQL only: a file holding the password (else PGPASSWORD); never in the URL. */
    databasePasswordFile: z.string().min(1).optional(),
    /** PostgreSQL only: TLS to the server (default disable, or the URL's ?sslmode=). */
    databaseSslMode: z.enum(['disable', 'require', 'verify-ca', 'verify-full']).optional(),
    /** PostgreSQL only: the CA bundle (PEM) that signed the server's certificate. */
    databaseSslCaFile: z.string().min(1).optional(),
    listen: z
      .string()
      .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { message: 'listen is HOST:PORT, e.g. 127.0.0.1:10731' })
      .default('127.0.0.1:10731'),
    schedule: z.string().min(1).default('*/15 * * * *'),
    timezone: z.string().min(1).optional(),
    concurrency: z.number().int().min(1).max(1024).default(16),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ssh: SshOptions.default(SshOptions.parse({})),
    rules: z.array(z.string().min(1)).default([]),
    /** Also load the rule packs shipped with driftd (before the user's). */
    defaultRules: z.boolean().default(true),
    scoring: ScoringConfig.default(ScoringConfig.parse({})),
    http: HttpConfig.default({}),
    retention: RetentionConfig.default(RetentionConfig.parse({})),
    sysctl: SysctlConfig.default(SysctlConfig.parse({})),
    users: UsersConfig.default(UsersConfig.parse({})),
    instance: InstanceConfig.default(InstanceConfig.parse({})),
    failover: FailoverConfig.default(FailoverConfig.parse({})),
    /** Cap for file content kept for diffs, in bytes. */
    fileContentMaxBytes: z
      .number()
      .int()
      .min(0)
      .max(16 * 1024 * 1024)
      .default(64 * 1024),
    clusters: z.array(ClusterConfig).min(1),
  })
  .superRefine((config, ctx) => {
    // Everything the daemon's schedule needs is checked here, so `check`, `collect` and a
    // SIGHUP reload refuse it with file:line:col before anything runs.
    if (!cronValidate(config.schedule)) {
      ctx.addIssue({
        code: 'custom',
        path: ['schedule'],
        message: `"${config.schedule}" is not a valid cron expression (5 fields, or 6 with seconds first, node-cron syntax; e.g. "*/15 * * * *")`,
      });
    }
    if (config.timezone !== undefined && !isTimeZone(config.timezone)) {
      ctx.addIssue({
        code: 'custom',
        path: ['timezone'],
        message: `"${config.timezone}" is not a known IANA time zone (e.g. Europe/Berlin, UTC, America/New_York)`,
      });
    }
    const port = Number(config.listen.slice(config.listen.lastIndexOf(':') + 1));
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      ctx.addIssue({ code: 'custom', path: ['listen'], message: `port ${port} is out of range (1-65535)` });
    }
    const seen = new Map<string, string>();
    config.clusters.forEach((cluster, ci) => {
      cluster.nodes.forEach((node, ni) => {
        const other = seen.get(node.name);
        if (other !== undefined && other !== cluster.name) {
          ctx.addIssue({
            code: 'custom',
            path: ['clusters', ci, 'nodes', ni, 'name'],
            message: `node name "${node.name}" is already used in cluster "${other}"; node names are unique across clusters`,
          });
        }
        seen.set(node.name, cluster.name);
      });
    });
  });
export type DriftdConfig = z.infer<typeof DriftdConfig>;

/** True when this runtime knows the IANA zone (the same Intl data node-cron uses). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The ssh options that apply to one node: top-level defaults, then the node's overrides. */
export function effectiveSsh(config: DriftdConfig, node: NodeConfig): SshOptions {
  const merged: SshOptions = { ...config.ssh, ...stripUndefined(node.ssh ?? {}) };
  if (node.port !== undefined) merged.port = node.port;
  return merged;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
