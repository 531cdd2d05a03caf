/**
 * Items (pages) in two stages: the first on this thread (read, render, preprocess), the second on
 * another (OCR), with item n+1's first stage running while item n's second stage runs. Second
 * stages run one at a time and in order, so what they record stays in item order; at most one item
 * whose first stage is done waits for its turn (its memory: one prepared page).
 *
 * `prepare(n)` runs item n's first stage and returns its second stage. A second stage that fails
 * fails the whole (its caller turns a page's own failure into a result before it gets here); the
 * items prepared meanwhile are not started.
 */
export type SecondStage = () => Promise<void> | void;

export async function inTwoStages(count: number, prepare: (n: number) => Promise<SecondStage>): Promise<void> {
  let previous: Promise<void> = Promise.resolve();
  for (let n = 1; n <= count; n++) {
    let second: SecondStage;
    try {
      second = await prepare(n);
    } catch (err) {
      await previous;
      throw err;
    }
    await previous;
    previous = Promise.resolve().then(second);
    // handled here so that a failure during the next first stage is not reported as unhandled;
    // it is still thrown by the `await previous` that follows
    previous.catch(() => undefined);
  }
  await previous;
}
