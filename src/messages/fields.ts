/**
 * Field validation shared by every message format: bucket, key, size, time and the small
 * optional strings. Every failure is a permanent MESSAGE_INVALID_FIELD error whose message
 * names the field as it is spelled in the source format (e.g. `Records[0].s3.object.key`).
 */
import type { z } from 'zod';
import { permanent, type IngestError } from '../core/errors.ts';
import { CODES } from '../core/codes.ts';
import type { MessageFormat } from './file-event.ts';

/** 50 TiB: S3's largest possible object. Anything bigger is a broken producer, not a file. */
export const MAX_OBJECT_SIZE = 50 * 1024 ** 4;
/** S3 object keys are at most 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

/** Which format is being read, for error messages and details. */
export interface FieldContext {
  /** The format being read; 'sns' for the envelope itself. */
  readonly format: MessageFormat | 'sns';
  /** Human name of the format, e.g. "S3 event notification". */
  readonly label: string;
}

export function invalidField(ctx: FieldContext, field: string, problem: string, cause?: unknown): IngestError {
  return permanent(CODES.MESSAGE_INVALID_FIELD, `Invalid ${ctx.label}: field "${field}" ${problem}`, cause, {
    format: ctx.format,
    field,
  });
}

/** A well-formed message of a known format announcing an event this daemon does not handle. */
export function unsupportedEvent(ctx: FieldContext, event: string, explanation: string): IngestError {
  const label = ctx.label.charAt(0).toUpperCase() + ctx.label.slice(1);
  return permanent(CODES.EVENT_UNSUPPORTED, `${label} ${preview(event)} is not handled: ${explanation}`, undefined, {
    format: ctx.format,
    event,
  });
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short, safe rendering of a value for an error message. */
export function preview(value: unknown, max = 120): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${preview(value, 40)}`;
}

/** Joins a path as it reads in the JSON: `Records[0].s3.object.key`. */
export function fieldPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

/**
 * Checks `value` against a zod shape; the first problem becomes a MESSAGE_INVALID_FIELD
 * naming the field (`prefix` + the issue's path), worded for people rather than zod's defaults.
 */
export function parseShape<T>(schema: z.ZodType<T>, value: unknown, ctx: FieldContext, prefix = ''): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw invalidField(ctx, prefix || '(root)', 'is invalid', result.error);
  const field = fieldPath(prefix, issue.path) || '(root)';
  const actual = valueAt(value, issue.path);
  let problem: string;
  if (issue.code === 'invalid_type') {
    if (actual === undefined) problem = 'is missing';
    else {
      const expected = issue.expected === 'object' ? 'an object' : issue.expected === 'array' ? 'an array' : `a ${issue.expected}`;
      problem = `must be ${expected} (got ${describeType(actual)})`;
    }
  } else {
    problem = `is invalid: ${issue.message}`;
  }
  throw invalidField(ctx, field, problem, result.error);
}

/** A bucket name: non-empty, and only the characters S3 (including legacy us-east-1) allows. */
export function readBucket(value: string, field: string, ctx: FieldContext): string {
  if (value === '') throw invalidField(ctx, field, 'is empty');
  if (!/^[A-Za-z0-9._-]{1,255}$/.test(value)) {
    throw invalidField(ctx, field, `is not a valid S3 bucket name: ${preview(value)}`);
  }
  return value;
}

/**
 * An object key. `urlEncoded` is true for S3 event notifications, whose keys are
 * form-encoded (`+` for space); the decoded key is returned. Any other character —
 * spaces, `+`, `%`, `../`, Japanese — is a valid key and comes back unchanged.
 */
export function readKey(value: string, field: string, ctx: FieldContext, urlEncoded: boolean): string {
  if (value === '') throw invalidField(ctx, field, 'is empty');
  let key = value;
  if (urlEncoded) {
    try {
      key = decodeURIComponent(value.replaceAll('+', ' '));
    } catch (err) {
      throw invalidField(ctx, field, `is not a valid URL-encoded key (malformed %-escape): ${preview(value)}`, err);
    }
  }
  if (!key.isWellFormed()) throw invalidField(ctx, field, 'is not valid Unicode (it contains an unpaired surrogate)');
  if (key.includes('\0')) throw invalidField(ctx, field, `contains a NUL character: ${preview(key)}`);
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    throw invalidField(ctx, field, `is ${bytes} bytes long in UTF-8; S3 keys are at most ${MAX_KEY_BYTES} bytes`);
  }
  return key;
}

/** An optional object size in bytes: a number or a string of digits. null/absent ⇒ undefined. */
export function readSize(value: unknown, field: string, ctx: FieldContext): number | undefined {
  if (value === undefined || value === null) return undefined;
  let size: number;
  if (typeof value === 'number') size = value;
  else if (typeof value === 'string' && /^\d+$/.test(value)) size = Number(value);
  else throw invalidField(ctx, field, `must be a number of bytes (got ${describeType(value)})`);
  if (!Number.isFinite(size)) throw invalidField(ctx, field, `must be a finite number of bytes (got ${preview(value)})`);
  if (size < 0) throw invalidField(ctx, field, `must not be negative (got ${size})`);
  if (!Number.isInteger(size)) throw invalidField(ctx, field, `must be a whole number of bytes (got ${size})`);
  if (size > MAX_OBJECT_SIZE) {
    throw invalidField(ctx, field, `is absurdly large (${preview(value)} bytes; the limit is 50 TiB)`);
  }
  return size + 0; // normalises -0
}

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|z|[+-]\d{2}:?\d{2})?)?$/;

function fromEpoch(n: number): number | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
  const ms = n > 1e12 ? n : n * 1000;
  return Number.isNaN(new Date(ms).getTime()) ? undefined : ms;
}

function fromIso(text: string): number | undefined {
  const m = ISO_8601.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, hh, mm, ss, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  if (hh === undefined) return Date.UTC(year, month - 1, day);
  let normalised = `${y}-${mo}-${d}T${hh}:${mm}:${ss ?? '00'}`;
  if (frac !== undefined) normalised += `.${frac.slice(0, 3).padEnd(3, '0')}`;
  // No offset ⇒ UTC (never the host's local time zone).
  if (zone === undefined || zone === 'Z' || zone === 'z') normalised += 'Z';
  else normalised += zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(normalised);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The event time as ISO-8601 (UTC, milliseconds). Accepts an ISO-8601 string or an epoch
 * number (or digit string): milliseconds if > 1e12, else seconds. Absent/null/'' ⇒ receivedAt.
 */
export function readEventTime(value: unknown, field: string, ctx: FieldContext, receivedAt: Date): string {
  if (value === undefined || value === null || value === '') return receivedAt.toISOString();
  let ms: number | undefined;
  if (typeof value === 'number') ms = fromEpoch(value);
  else if (typeof value === 'string') {
    const text = value.trim();
    ms = /^\d+(?:\.\d+)?$/.test(text) ? fromEpoch(Number(text)) : fromIso(text);
  }
  if (ms === undefined) {
    throw invalidField(
      ctx,
      field,
      `is not a valid timestamp (expected ISO-8601 or epoch seconds/milliseconds): ${preview(value)}`,
    );
  }
  return new Date(ms).toISOString();
}

/** An optional free-text field: null, absent or '' ⇒ undefined. */
export function optionalText(value: string | null | undefined): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : value;
}

/** S3 sometimes quotes ETags (`"abc"`); the index and state record want the bare value. */
export function readEtag(value: string | null | undefined): string | undefined {
  const text = optionalText(value);
  if (text === undefined) return undefined;
  const bare = text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
  return bare === '' ? undefined : bare;
}

/** Drops undefined members so events compare and serialise cleanly. */
export function compact<T extends object>(value: T): T {
  for (const k of Object.keys(value) as (keyof T)[]) {
    if (value[k] === undefined) delete value[k];
  }
  return value;
}
