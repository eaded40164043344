/** `HOST:PORT` (schema-checked) to what `listen()` takes; `[::1]:5000` and `:5000` included. */
export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host: host || '0.0.0.0', port: Number(listen.slice(i + 1)) };
}
