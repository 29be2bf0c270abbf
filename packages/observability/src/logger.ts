import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Field paths that may carry secrets; pino replaces them before a line is written. */
const REDACT = [
  'password', '*.password', 'passphrase', '*.passphrase', 'secret', '*.secret', 'privateKey', '*.privateKey',
  'keyShare', '*.keyShare', 'authorization', '*.authorization', 'req.headers.authorization', 'req.headers.cookie',
];

/** JSON logs, one line per event, with the service name on every line. */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  return pino({
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { service },
    redact: { paths: REDACT, censor: '<redacted>' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    ...options,
  });
}
