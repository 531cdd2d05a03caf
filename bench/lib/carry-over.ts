/**
 * A benchmark run of some parts only (`--part d`) rewrites the whole report: the parts it did not
 * run are carried over from the previous results file (bench/results/<name>.json), each with the
 * date and revision of the run that measured it, so the report never silently drops a part nor
 * passes old figures off as new. Only a run of the same kind (quick or not) is carried over.
 */
import { readFile } from 'node:fs/promises';
import { RESULTS } from './report.ts';

/** When and on what code a part's figures were measured. */
export interface Provenance {
  date: string;
  revision: string;
}

export interface CarriedParts<R> {
  /** The earlier results of the parts not run now. */
  results: Partial<R>;
  /** Of each carried part: the run that measured it. */
  from: Record<string, Provenance>;
}

interface PreviousFile<R> {
  date?: string;
  revision?: string;
  quick?: boolean;
  results?: Partial<R>;
  /** Set by this helper: parts that file itself had carried over. */
  provenance?: Record<string, Provenance>;
}

export async function carryOver<R extends object>(name: string, notRun: readonly string[], quick: boolean): Promise<CarriedParts<R>> {
  const carried: CarriedParts<R> = { results: {}, from: {} };
  if (notRun.length === 0) return carried;
  let previous: PreviousFile<R>;
  try {
    previous = JSON.parse(await readFile(new URL(`${name}.json`, RESULTS), 'utf8')) as PreviousFile<R>;
  } catch {
    return carried; // no earlier results (or unreadable): the parts are simply absent
  }
  if (previous.quick !== quick || !previous.results) return carried;
  for (const part of notRun) {
    const result = (previous.results as Record<string, unknown>)[part];
    if (result === undefined) continue;
    (carried.results as Record<string, unknown>)[part] = result;
    carried.from[part] = previous.provenance?.[part] ?? { date: previous.date ?? 'unknown', revision: previous.revision ?? 'unknown' };
  }
  return carried;
}
