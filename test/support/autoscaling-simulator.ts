/**
 * An EC2 Auto Scaling API stand-in on 127.0.0.1 for AWS_ENDPOINT_URL_AUTO_SCALING: the AWS Query
 * protocol the SDK v3 speaks (POST /, form body Action=…&Version=2011-01-01&…, SigV4-signed) for
 * CompleteLifecycleAction, RecordLifecycleActionHeartbeat and SetInstanceProtection, answering with
 * the XML the SDK's deserializer reads (<XResponse><XResult/><ResponseMetadata>…), or an
 * <ErrorResponse><Error><Type/><Code/><Message/></Error>… when told to fail. Records every call,
 * and as `violations` every request that does not look like the SDK's (missing signature, wrong
 * version, missing or invalid parameters) — those are also answered with a ValidationError.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const ACTIONS = ['CompleteLifecycleAction', 'RecordLifecycleActionHeartbeat', 'SetInstanceProtection'] as const;
export type AutoScalingAction = (typeof ACTIONS)[number];

export interface AutoScalingCall {
  action: string;
  params: Record<string, string>;
  /** The HTTP status answered. */
  status: number;
  at: number;
}

export interface AutoScalingSimulator {
  /** Base URL for AWS_ENDPOINT_URL_AUTO_SCALING. */
  url: string;
  /** Calls so far (those answered with an error too), optionally of one action. */
  calls(action?: AutoScalingAction): AutoScalingCall[];
  /** Successful calls of one action. */
  succeeded(action: AutoScalingAction): AutoScalingCall[];
  /** The ProtectedFromScaleIn values successfully set for an instance, in order. */
  protectionHistory(instanceId: string): boolean[];
  /**
   * Answer the next n requests (of `action`, or any) with this status and error code (default:
   * 400 ValidationError, 500 InternalFailure, 503 ServiceUnavailable).
   */
  failNext(n: number, status: number, options?: { code?: string; message?: string; action?: AutoScalingAction }): void;
  /** Hold every answer this long (0 = off): for timeouts. */
  delay(ms: number): void;
  violations: string[];
  close(): Promise<void>;
}

const NAMESPACE = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';
const DEFAULT_CODES: Record<number, string> = { 400: 'ValidationError', 403: 'AccessDenied', 500: 'InternalFailure', 503: 'ServiceUnavailable' };

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** What each action requires, as the SDK serializes it (lists as Name.member.N). */
function validate(action: AutoScalingAction, p: Record<string, string>): string | undefined {
  const need = (...names: string[]) => names.find((n) => p[n] === undefined || p[n] === '');
  const hookName = /^[A-Za-z0-9\-_/]{1,255}$/;
  switch (action) {
    case 'CompleteLifecycleAction': {
      const missing = need('LifecycleHookName', 'AutoScalingGroupName', 'LifecycleActionResult');
      if (missing) return `${missing} is required`;
      if (!hookName.test(p.LifecycleHookName!)) return 'LifecycleHookName is invalid';
      if (!['CONTINUE', 'ABANDON'].includes(p.LifecycleActionResult!)) return `LifecycleActionResult ${p.LifecycleActionResult} is not CONTINUE or ABANDON`;
      if (p.InstanceId === undefined && p.LifecycleActionToken === undefined) return 'InstanceId or LifecycleActionToken is required';
      return undefined;
    }
    case 'RecordLifecycleActionHeartbeat': {
      const missing = need('LifecycleHookName', 'AutoScalingGroupName');
      if (missing) return `${missing} is required`;
      if (p.InstanceId === undefined && p.LifecycleActionToken === undefined) return 'InstanceId or LifecycleActionToken is required';
      return undefined;
    }
    case 'SetInstanceProtection': {
      const missing = need('AutoScalingGroupName', 'ProtectedFromScaleIn', 'InstanceIds.member.1');
      if (missing) return `${missing} is required`;
      if (!['true', 'false'].includes(p.ProtectedFromScaleIn!)) return `ProtectedFromScaleIn ${p.ProtectedFromScaleIn} is not a boolean`;
      return undefined;
    }
  }
}

export async function startAutoScalingSimulator(): Promise<AutoScalingSimulator> {
  const log: AutoScalingCall[] = [];
  const violations: string[] = [];
  const protection = new Map<string, boolean[]>();
  let failures: { left: number; status: number; code: string | undefined; message: string | undefined; action: AutoScalingAction | undefined } | undefined;
  let delayMs = 0;

  const handle = (req: IncomingMessage, body: string, res: ServerResponse) => {
    const requestId = randomUUID();
    const params = Object.fromEntries(new URLSearchParams(body));
    const action = params.Action ?? '';
    const answer = (status: number, xml: string) => {
      log.push({ action, params, status, at: Date.now() });
      res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
      res.end(`<?xml version="1.0"?>\n${xml}`);
    };
    const error = (status: number, code: string, message: string) =>
      answer(
        status,
        `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${xmlEscape(code)}</Code>` +
          `<Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
    const problem = (() => {
      if (req.method !== 'POST') return `method ${req.method}`;
      if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return `content-type ${req.headers['content-type']}`;
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) return 'no SigV4 Authorization header';
      if (params.Version !== '2011-01-01') return `Version ${params.Version}`;
      if (!(ACTIONS as readonly string[]).includes(action)) return `unknown Action ${action}`;
      return validate(action as AutoScalingAction, params);
    })();
    if (problem !== undefined) {
      violations.push(`${action || '?'}: ${problem}`);
      return error(400, 'ValidationError', problem);
    }
    const act = action as AutoScalingAction;
    if (failures && failures.left > 0 && (failures.action === undefined || failures.action === act)) {
      failures.left -= 1;
      const code = failures.code ?? DEFAULT_CODES[failures.status] ?? 'InternalFailure';
      return error(failures.status, code, failures.message ?? `simulated ${code}`);
    }
    if (act === 'SetInstanceProtection') {
      for (let i = 1; params[`InstanceIds.member.${i}`] !== undefined; i++) {
        const id = params[`InstanceIds.member.${i}`]!;
        protection.set(id, [...(protection.get(id) ?? []), params.ProtectedFromScaleIn === 'true']);
      }
    }
    return answer(200, `<${act}Response xmlns="${NAMESPACE}"><${act}Result/><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${act}Response>`);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (delayMs > 0) setTimeout(() => handle(req, body, res), delayMs).unref();
      else handle(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls: (action) => log.filter((c) => action === undefined || c.action === action),
    succeeded: (action) => log.filter((c) => c.action === action && c.status === 200),
    protectionHistory: (instanceId) => [...(protection.get(instanceId) ?? [])],
    failNext(n, status, options = {}) {
      failures = { left: n, status, code: options.code, message: options.message, action: options.action };
    },
    delay(ms) {
      delayMs = ms;
    },
    violations,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
