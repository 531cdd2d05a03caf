/**
 * Puts a port behind a dependency's circuit: each named method runs through `circuit.call` (fails
 * fast while the circuit is open; outage failures count towards opening it; every error it throws
 * is an IngestError attributed to the dependency). Other members pass through untouched.
 */
import type { Readable } from 'node:stream';
import type { Circuit } from './circuit.ts';

type AsyncMethodNames<T> = { [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof T] & string;

export interface GuardOptions {
  /** Told of each call that was made and failed, with its arguments (not of calls the open circuit refused). */
  onFailure?: (args: readonly unknown[], err: unknown) => void;
}

export function guard<T extends object>(target: T, circuit: Circuit, methods: readonly AsyncMethodNames<T>[], options: GuardOptions = {}): T {
  const { onFailure } = options;
  const guarded = new Set<string>(methods);
  return new Proxy(target, {
    get(t, property, receiver) {
      const value: unknown = Reflect.get(t, property, receiver);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => Promise<unknown>;
      if (typeof property !== 'string' || !guarded.has(property)) return fn.bind(t);
      const made = onFailure
        ? (args: unknown[]) => fn.apply(t, args).catch((err: unknown) => {
          onFailure(args, err);
          throw err;
        })
        : (args: unknown[]) => fn.apply(t, args);
      return (...args: unknown[]) => circuit.call(() => made(args)).then((result) => watchBody(result, circuit));
    },
  });
}

/**
 * A download's body fails after `get` has returned (a reset in mid-stream): count that failure
 * too, and attribute the stream's error to the dependency so the job's outcome knows where it came from.
 */
function watchBody<R>(result: R, circuit: Circuit): R {
  const body = (result as { body?: unknown } | null | undefined)?.body;
  if (body !== null && typeof body === 'object' && typeof (body as Readable).once === 'function' && typeof (body as Readable).pipe === 'function') {
    (body as Readable).once('error', (err: unknown) => {
      circuit.failure(err);
      if (err !== null && typeof err === 'object' && !('dependency' in err)) Object.assign(err, { dependency: circuit.dependency });
    });
  }
  return result;
}
