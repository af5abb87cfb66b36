/**
 * The CIB with its status section, kept beside the normalised configuration for failover
 * simulation (`driftd simulate`, src/core/simulate): Pacemaker's scheduler needs both the
 * configuration and where every resource runs now. Written back as compact XML from the
 * parsed tree, with:
 * - the value of every nvpair whose name looks like a secret (passwd, password, key,
 *   token...) redacted as the items are (crm_simulate runs no agent, so it needs none);
 * - the `<cib>` attributes that only say who wrote it when (cib-last-written,
 *   update-origin, update-client, update-user) left out. Epochs, have-quorum, dc-uuid and
 *   crm_feature_set stay: the scheduler reads them.
 * Only a CIB whose status has at least one node_state is kept: the copy on disk (the
 * fallback when the cluster stack is stopped) has an empty status and says nothing about
 * where resources run.
 */
import type { XmlElement } from './pacemaker-xml.js';
import { isSecretName, redactSecret } from './secrets.js';

const DROPPED_CIB_ATTRIBUTES: ReadonlySet<string> = new Set(['cib-last-written', 'update-origin', 'update-client', 'update-user']);

function escapeAttribute(value: string): string {
  return value.replace(/[&<>"\n\r\t]/g, (ch) => {
    switch (ch) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case '\n':
        return '&#10;';
      case '\r':
        return '&#13;';
      default:
        return '&#9;';
    }
  });
}

function startTag(element: XmlElement, isRoot: boolean): string {
  let text = `<${element.name}`;
  const secret = element.name === 'nvpair' && isSecretName(element.attrs.name ?? '');
  for (const [name, raw] of Object.entries(element.attrs)) {
    if (isRoot && DROPPED_CIB_ATTRIBUTES.has(name)) continue;
    const value = secret && name === 'value' ? redactSecret(raw) : raw;
    text += ` ${name}="${escapeAttribute(value)}"`;
  }
  return text;
}

/** The element tree as XML, secrets redacted; iterative, so a deep tree cannot blow the stack. */
export function serialiseCib(root: XmlElement): string {
  const out: string[] = [];
  const stack: { element: XmlElement; next: number }[] = [{ element: root, next: -1 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { element: XmlElement; next: number };
    const { element } = top;
    if (top.next === -1) {
      const tag = startTag(element, element === root);
      if (element.children.length === 0) {
        out.push(`${tag}/>`);
        stack.pop();
        continue;
      }
      out.push(`${tag}>`);
      top.next = 0;
    }
    const child = element.children[top.next];
    if (child) {
      top.next++;
      stack.push({ element: child, next: -1 });
    } else {
      out.push(`</${element.name}>`);
      stack.pop();
    }
  }
  return out.join('');
}

/** Whether the CIB says where resources run: a `status` with at least one node_state. */
export function hasStatus(root: XmlElement): boolean {
  const status = root.children.find((c) => c.name === 'status');
  return status !== undefined && status.children.some((c) => c.name === 'node_state');
}

/** The CIB to keep for simulation, or undefined when it carries no status. */
export function cibForSimulation(root: XmlElement): string | undefined {
  return hasStatus(root) ? serialiseCib(root) : undefined;
}
