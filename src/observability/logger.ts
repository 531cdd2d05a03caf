import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout by default (journald keeps them as they are). */
export function createLogger(level: string, destination?: DestinationStream | NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'spot-ingest', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['*.credentials', '*.password', '*.secretAccessKey', '*.authorization'], censor: '[redacted]' },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
