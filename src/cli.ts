/**
 * spot-ingest command line (docs/design.md §3 process contract): the command runs in this very process.
 * Exit codes: 0 clean stop, 2 bad configuration or usage, 1 anything else.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from './config.ts';
import { runDaemon } from './daemon.ts';
import { registerSearch } from './commands/search.ts';
import { registerSend } from './commands/send.ts';
import { registerDlq } from './commands/dlq.ts';
import { registerReplay } from './commands/replay.ts';
import { registerProcess } from './commands/process.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerReembed } from './commands/reembed.ts';
import { registerSetup } from './commands/setup.ts';
import { pino } from 'pino';
import { StartupError } from './core/errors.ts';
import { createLogger } from './observability/logger.ts';

const program = new Command()
  .name('spot-ingest')
  .description('Turn "file uploaded" queue messages into searchable documents (S3 → text → OpenSearch).')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) });

program
  .command('run')
  .description('consume the queue until SIGTERM / SIGINT, then drain and exit 0')
  .action(async () => {
    const config = loadConfig();
    // local mode keeps stdout for its progress lines; JSON logs go to stderr there
    const logger = createLogger(config.logLevel, config.localMode ? pino.destination({ dest: 2, sync: true }) : undefined);
    process.exitCode = await runDaemon(config, logger);
  });

// Command registrations: each command lives in src/commands/<name>.ts and registers itself here.
registerSetup(program);
registerSend(program);
registerDlq(program);
registerReplay(program);
registerProcess(program);
registerSearch(program);
registerDoctor(program);
registerReembed(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof ConfigError) {
    console.error(`spot-ingest: ${err.message}`);
    process.exitCode = 2;
  } else if (err instanceof StartupError) {
    console.error(`spot-ingest: ${err.message}`);
    process.exitCode = 1;
  } else {
    console.error(`spot-ingest: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  }
}
