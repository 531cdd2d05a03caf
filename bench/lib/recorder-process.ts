/**
 * The OpenSearch recorder (test/support/opensearch-recorder.ts) as a process of its own, so that a
 * benchmark's client and the server it talks to do not share one event loop. Prints
 * `{"url": "..."}` on stdout once listening; exits when stdin closes. It forgets recorded requests
 * every second (a benchmark sends hundreds of MiB of them).
 */
import { startOpenSearchRecorder } from '../../test/support/opensearch-recorder.ts';

const recorder = await startOpenSearchRecorder();
const forget = setInterval(() => {
  (recorder.requests as unknown[]).length = 0;
}, 1_000);
process.stdout.write(`${JSON.stringify({ url: recorder.url })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  clearInterval(forget);
  void recorder.close().then(() => process.exit(0));
});
