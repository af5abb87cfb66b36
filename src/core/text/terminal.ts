/**
 * Text that came from a node (os-release, hostnames, package fields, file content) is
 * shown to a human on a terminal. Raw control characters there can set the window title,
 * clear the screen or hide lines (ESC/CSI sequences, C1 controls, bidi overrides), so
 * every human-readable renderer passes node-supplied text through `escapeControl`.
 *
 * Pure: no TTY detection here; colouring is the renderer's choice, applied after.
 */

/** C0 controls but TAB, DEL, C1 controls, and the Unicode bidi/line/paragraph overrides. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (ch === '\n') return '\\n';
  if (ch === '\r') return '\\r';
  if (ch === '\u001b') return '\\e';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line of node-supplied text, made safe: every control character shown as an escape. */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/**
 * Multi-line node-supplied text (a unified diff, file content): newlines are kept as
 * line breaks, every other control character escaped.
 */
export function escapeControlLines(text: string): string {
  return text.split('\n').map(escapeControl).join('\n');
}
