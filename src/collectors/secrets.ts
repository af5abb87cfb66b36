/**
 * Secrets in cluster-stack configuration (DRBD shared-secret, fence passwords): kept
 * comparable between peers, never stored or shown.
 */
import { sha256Hex } from '../core/snapshot.js';

/** Option and parameter names whose values are secrets (DRBD shared-secret, fence passwords). */
const SECRET_NAME = /(passw(or)?d|secret|(^|[-_])key$|token$|community$)/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * Secrets are kept comparable (a shared-secret that differs between peers is a real
 * fault) but never stored or shown: only a short digest is.
 */
export function redactSecret(value: string): string {
  return `redacted:sha256:${sha256Hex(`driftd-secret\u0000${value}`).slice(0, 16)}`;
}
