/**
 * Per-run CPU profiles of a Lazaret started with --inspect: the harness starts V8's profiler
 * (Chrome DevTools Protocol, Profiler domain) before a timed run and stops it after, so each
 * .cpuprofile holds exactly one scenario on one target. The whole-process --cpu-prof profile
 * mixes in startup and fixture setup.
 */
import { WebSocket } from 'undici';

export class InspectorProfiler {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private socket: WebSocket) {
    socket.addEventListener('message', (event) => {
      const msg = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (msg.id === undefined) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error.message));
      else p.resolve(msg.result);
    });
  }

  static async connect(inspectPort: number): Promise<InspectorProfiler> {
    const list = await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json() as { webSocketDebuggerUrl: string }[];
    const socket = new WebSocket(list[0]!.webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve());
      socket.addEventListener('error', () => reject(new Error('cannot connect to the inspector')));
    });
    const profiler = new InspectorProfiler(socket);
    await profiler.send('Profiler.enable');
    await profiler.send('Profiler.setSamplingInterval', { interval: 200 });
    return profiler;
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  start(): Promise<unknown> {
    return this.send('Profiler.start');
  }

  async stop(): Promise<unknown> {
    const result = await this.send('Profiler.stop') as { profile: unknown };
    return result.profile;
  }

  /** process.memoryUsage() of the profiled process, in MiB: tells V8 heap from native memory. */
  async memoryUsage(): Promise<Record<string, number>> {
    const r = await this.send('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true }) as { result: { value: string } };
    const raw = JSON.parse(r.result.value) as Record<string, number>;
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Math.round(v / 1048576)]));
  }

  close(): void {
    this.socket.close();
  }
}
