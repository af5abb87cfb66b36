/**
 * What `driftd serve` (start and SIGHUP reload) checks on disk before it commits to a
 * config: the token file, every ssh node's identity file and known_hosts, the database
 * directory. The schema already checked the shape, the schedule, the timezone and the
 * listen address; this is the part that needs the file system. Each problem names the
 * config file, line and column of the setting that points at the file.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { effectiveSsh } from './schema.js';
import { KEY_FILE_MAX_BYTES, readFailure, readRegularFile, readRegularTextFile, TOKEN_FILE_MAX_BYTES } from './files.js';
import { isPostgresDatabase } from './database.js';
import { resolveFromConfig, type ConfigIssue, type LoadedConfig } from './load.js';

/** The bearer token from http.tokenFile (a regular file of at most 64 KiB, trimmed, not empty). */
export function readTokenFile(loaded: LoadedConfig): { token?: string; issue?: ConfigIssue } {
  const file = loaded.config.http.tokenFile;
  if (file === undefined) return {};
  const at = where(loaded, ['http', 'tokenFile']);
  const absolute = resolveFromConfig(loaded, file);
  let token: string;
  try {
    token = readRegularTextFile(absolute, TOKEN_FILE_MAX_BYTES, 'token file').trim();
  } catch (err) {
    return { issue: { ...at, message: `http.tokenFile: cannot read ${absolute} (${readFailure(err)})` } };
  }
  if (!token) return { issue: { ...at, message: `http.tokenFile: ${absolute} is empty; put the API bearer token in it` } };
  if (/[\r\n\0]/.test(token)) {
    return { issue: { ...at, message: `http.tokenFile: ${absolute} holds more than one line; it must hold exactly one token` } };
  }
  return { token };
}

export function preflight(loaded: LoadedConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const token = readTokenFile(loaded);
  if (token.issue) issues.push(token.issue);

  if (isPostgresDatabase(loaded.config.database)) checkPostgresFiles(loaded, issues);
  else checkSqliteDirectory(loaded, issues);

  const seen = new Set<string>();
  loaded.config.clusters.forEach((cluster, ci) => {
    cluster.nodes.forEach((node, ni) => {
      if (node.transport !== 'ssh') return;
      const ssh = effectiveSsh(loaded.config, node);
      const nodePath = ['clusters', ci, 'nodes', ni] as const;
      const settingAt = (key: 'identityFile' | 'knownHosts'): Omit<ConfigIssue, 'message'> =>
        node.ssh?.[key] !== undefined
          ? where(loaded, [...nodePath, 'ssh', key])
          : loaded.config.ssh[key] !== undefined && hasTopLevelSsh(loaded, key)
            ? where(loaded, ['ssh', key])
            : where(loaded, [...nodePath, 'name']);
      if (ssh.identityFile !== undefined) {
        checkKeyFile(loaded, node.name, 'identityFile', ssh.identityFile, settingAt('identityFile'), issues, seen);
      } else if (!ssh.agent) {
        issues.push({
          ...where(loaded, [...nodePath, 'name']),
          message: `node ${node.name}: no credentials: set ssh.identityFile or ssh.agent: true`,
        });
      } else if (!process.env['SSH_AUTH_SOCK']) {
        issues.push({
          ...where(loaded, [...nodePath, 'name']),
          message: `node ${node.name}: ssh.agent is on but SSH_AUTH_SOCK is not set`,
        });
      }
      checkKeyFile(loaded, node.name, 'knownHosts', ssh.knownHosts, settingAt('knownHosts'), issues, seen);
    });
  });
  return issues;
}

function checkKeyFile(
  loaded: LoadedConfig,
  node: string,
  key: 'identityFile' | 'knownHosts',
  raw: string,
  at: Omit<ConfigIssue, 'message'>,
  issues: ConfigIssue[],
  seen: Set<string>,
): void {
  let file: string;
  if (raw.includes('${CREDENTIALS_DIRECTORY}')) {
    const dir = process.env['CREDENTIALS_DIRECTORY'];
    if (!dir) {
      pushOnce(issues, seen, {
        ...at,
        message: `ssh.${key} ${raw} uses \${CREDENTIALS_DIRECTORY}, which is not set (run under systemd with LoadCredential=, or use a plain path)`,
      });
      return;
    }
    file = raw.split('${CREDENTIALS_DIRECTORY}').join(dir);
  } else {
    file = resolveFromConfig(loaded, raw);
  }
  try {
    readRegularFile(file, KEY_FILE_MAX_BYTES, key === 'identityFile' ? 'identity file' : 'known_hosts file');
  } catch (err) {
    const hint =
      key === 'knownHosts' ? "; host keys are always verified: create it with the nodes' checked keys (ssh-keyscan -H HOST >> FILE)" : '';
    pushOnce(issues, seen, { ...at, message: `ssh.${key} of node ${node}: cannot read ${file} (${readFailure(err)})${hint}` });
  }
}

/** One issue per setting and file, not one per node that inherits it. */
function pushOnce(issues: ConfigIssue[], seen: Set<string>, issue: ConfigIssue): void {
  const key = `${issue.line}:${issue.col}:${issue.message.replace(/ of node \S+/, '')}`;
  if (seen.has(key)) return;
  seen.add(key);
  issues.push(issue);
}

function hasTopLevelSsh(loaded: LoadedConfig, key: string): boolean {
  const pos = loaded.positionOf?.(['ssh', key]);
  const parent = loaded.positionOf?.(['ssh']);
  return pos !== undefined && (parent === undefined || pos.line !== parent.line || pos.col !== parent.col);
}

function where(loaded: LoadedConfig, keys: readonly (string | number)[]): Omit<ConfigIssue, 'message'> {
  const pos = loaded.positionOf?.(keys) ?? { line: 1, col: 1 };
  return { file: loaded.file, line: pos.line, col: pos.col };
}

/** The SQLite file's directory must exist and be writable (the file and its WAL go there). */
function checkSqliteDirectory(loaded: LoadedConfig, issues: ConfigIssue[]): void {
  const database = resolveFromConfig(loaded, loaded.config.database);
  const dbDir = path.dirname(database);
  const dbAt = where(loaded, ['database']);
  try {
    if (!statSync(dbDir).isDirectory())
      issues.push({ ...dbAt, message: `database: ${dbDir} (the database's directory) is not a directory` });
    else accessSync(dbDir, constants.W_OK);
  } catch (err) {
    const code = readFailure(err);
    issues.push({
      ...dbAt,
      message:
        code === 'ENOENT'
          ? `database: directory ${dbDir} does not exist; create it (install -d ${dbDir}) or point database at an existing one`
          : `database: directory ${dbDir} is not usable (${code}); driftd needs to write ${path.basename(database)} and its WAL there`,
    });
  }
}

/** PostgreSQL: the password and CA files must be readable (the server itself is asked at open). */
function checkPostgresFiles(loaded: LoadedConfig, issues: ConfigIssue[]): void {
  for (const key of ['databasePasswordFile', 'databaseSslCaFile'] as const) {
    const file = loaded.config[key];
    if (file === undefined) continue;
    const resolved = resolveFromConfig(loaded, file);
    try {
      accessSync(resolved, constants.R_OK);
    } catch (err) {
      issues.push({ ...where(loaded, [key]), message: `${key}: ${resolved} is not readable (${readFailure(err)})` });
    }
  }
}
