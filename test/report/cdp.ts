/**
 * Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
 * NUL-terminated JSON on fds 3 and 4, no port, no network), for what the command-line
 * switches cannot tell: the laid-out width of each table at a given viewport, the page's
 * height in print layout, a full-page screenshot and a PDF printed from the same page.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class Browser {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly waiters: { method: string; sessionId: string | undefined; resolve: () => void }[] = [];
  private buffer = '';
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly input: Writable,
    output: Readable,
  ) {
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => this.receive(chunk));
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    child.once('exit', () => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited; stderr:\n${this.stderr.slice(-2000)}`));
      this.pending.clear();
    });
  }

  static launch(executable: string, args: readonly string[], env: NodeJS.ProcessEnv): Browser {
    const child = spawn(executable, [...args, '--remote-debugging-pipe'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
      env,
    });
    const [, , , input, output] = child.stdio as unknown as [null, null, Readable, Writable, Readable];
    return new Browser(child, input, output);
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\0')) >= 0) {
      const message = JSON.parse(this.buffer.slice(0, end)) as {
        id?: number;
        method?: string;
        sessionId?: string;
        result?: unknown;
        error?: { message: string };
      };
      this.buffer = this.buffer.slice(end + 1);
      if (message.id !== undefined) {
        const p = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error) p?.reject(new Error(message.error.message));
        else p?.resolve(message.result);
      } else if (message.method) {
        const i = this.waiters.findIndex((w) => w.method === message.method && w.sessionId === message.sessionId);
        if (i >= 0) this.waiters.splice(i, 1)[0]?.resolve();
      }
    }
  }

  send<T>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    const id = ++this.nextId;
    this.input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    return new Promise<T>((resolve, reject) => this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
  }

  waitFor(method: string, sessionId?: string): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ method, sessionId, resolve }));
  }

  /** A new tab of the given viewport, attached, with the Page domain on. */
  async open(url: string, viewport: { width: number; height: number }): Promise<Page> {
    const { targetId } = await this.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    await this.send('Page.enable', {}, sessionId);
    await this.send('Emulation.setDeviceMetricsOverride', { ...viewport, deviceScaleFactor: 1, mobile: false }, sessionId);
    const loaded = this.waitFor('Page.loadEventFired', sessionId);
    await this.send('Page.navigate', { url }, sessionId);
    await loaded;
    return new Page(this, sessionId);
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.send('Browser.close').catch(() => undefined);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

export class Page {
  constructor(
    private readonly browser: Browser,
    private readonly sessionId: string,
  ) {}

  /** Evaluates a DevTools expression (not a page script: the page's CSP still forbids those). */
  async evaluate<T>(expression: string): Promise<T> {
    const reply = await this.browser.send<{ result: { value: T }; exceptionDetails?: { text: string } }>(
      'Runtime.evaluate',
      { expression, returnByValue: true },
      this.sessionId,
    );
    if (reply.exceptionDetails) throw new Error(`evaluate failed: ${reply.exceptionDetails.text}`);
    return reply.result.value;
  }

  async emulateMedia(media: 'screen' | 'print'): Promise<void> {
    await this.browser.send('Emulation.setEmulatedMedia', { media }, this.sessionId);
  }

  async screenshot(): Promise<Buffer> {
    const { data } = await this.browser.send<{ data: string }>(
      'Page.captureScreenshot',
      { format: 'png', captureBeyondViewport: true },
      this.sessionId,
    );
    return Buffer.from(data, 'base64');
  }

  /** Printed with the page's own @page size and margins, backgrounds on, no header/footer. */
  async pdf(): Promise<Buffer> {
    const { data } = await this.browser.send<{ data: string }>(
      'Page.printToPDF',
      { preferCSSPageSize: true, printBackground: true, displayHeaderFooter: false },
      this.sessionId,
    );
    return Buffer.from(data, 'base64');
  }
}

/** Pages of a PDF as Chromium writes it (one `/Type /Page` object per page, no object streams). */
export function pdfPageCount(pdf: Buffer): number {
  return (pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)/g) ?? []).length;
}
