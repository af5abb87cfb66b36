/**
 * What `driftd init` needs from SSH: a node's host key (the handshake only, nothing sent
 * after it, no authentication), and one command on a node whose key the user confirmed.
 */
import { readFileSync } from 'node:fs';
import { Client } from 'ssh2';
import { fingerprintSha256, keyTypeOfBlob } from '../../transports/known-hosts.js';

export interface ScannedKey {
  host: string;
  port: number;
  type: string;
  blob: Buffer;
  fingerprint: string;
}

const TIMEOUT_MS = 10_000;

/** The host key a node offers; the connection is dropped inside the handshake. */
export function scanHostKey(host: string, port: number): Promise<ScannedKey> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let key: Buffer | null = null;
    const done = (): void => {
      client.end();
      if (key) resolve({ host, port, type: keyTypeOfBlob(key) ?? 'unknown', blob: key, fingerprint: fingerprintSha256(key) });
      else reject(new Error(`${host}:${port}: no host key received`));
    };
    client.once('error', (err: Error) => (key ? done() : reject(new Error(`${host}:${port}: ${err.message}`))));
    client.once('close', () => (key ? done() : reject(new Error(`${host}:${port}: connection closed before a host key`))));
    client.connect({
      host,
      port,
      readyTimeout: TIMEOUT_MS,
      username: 'driftd-init-key-scan',
      // Refusing the key ends the handshake: nothing is authenticated or run.
      hostVerifier: (blob: Buffer): boolean => {
        key = blob;
        return false;
      },
    });
  });
}

/** Runs one command on a node that must offer exactly `pinned`; stdout and the exit code. */
export function runPinned(
  target: { host: string; port: number; user: string; identityFile: string },
  pinned: Buffer,
  command: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once('error', (err: Error) => reject(new Error(`${target.host}:${target.port}: ${err.message}`)));
    client.once('ready', () => {
      client.exec(command, (err, channel) => {
        if (err) {
          client.end();
          reject(err);
          return;
        }
        let stdout = '';
        let stderr = '';
        channel.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
        channel.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
        channel.once('close', (code: number | null) => {
          client.end();
          resolve({ code: code ?? 255, stdout, stderr });
        });
      });
    });
    client.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      privateKey: readFileSync(target.identityFile),
      readyTimeout: TIMEOUT_MS,
      hostVerifier: (blob: Buffer): boolean => blob.equals(pinned),
    });
  });
}
