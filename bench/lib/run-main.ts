/**
 * Run a benchmark's main(): a failure sets exit code 1, and a leak (timer, socket, server, child)
 * that would keep the process alive is reported after 15 s instead of hanging.
 */
export function runMain(main: () => Promise<void>): void {
  main()
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => {
      setTimeout(() => {
        console.error('bench did not exit within 15 s; still active:', process.getActiveResourcesInfo());
        process.exit(2);
      }, 15_000).unref();
    });
}
