/**
 * The process logger. JSON lines by default (journald, log shippers: one object per line, with
 * `time`, `level`, `msg` and a `requestId` on request logs); `log.format: pretty`
 * (LAZARET_LOG_FORMAT=pretty) for a terminal, through pino-pretty in pino's worker thread so
 * formatting never runs on the request path. pino-pretty is loaded only in that case.
 */
import pino, { type Logger, type LoggerOptions } from 'pino';
import type { LazaretConfig } from '../config/schema.ts';

export function createLogger(log: LazaretConfig['log'], extra: LoggerOptions = {}): Logger {
  if (log.format === 'pretty') {
    return pino({
      level: log.level,
      ...extra,
      transport: { target: 'pino-pretty', options: { colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino({ level: log.level, ...extra });
}
