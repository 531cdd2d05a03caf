/**
 * A CloudWatch Logs stand-in on 127.0.0.1 for AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: the AWS JSON 1.1
 * protocol the SDK v3 speaks (POST /, `X-Amz-Target: Logs_20140328.<Action>`, JSON body, SigV4
 * signed) for CreateLogStream and PutLogEvents, answering as the service does
 * (`{"__type":"ResourceNotFoundException",…}` with status 400 for a missing group or stream,
 * ResourceAlreadyExistsException for a stream that exists). Groups exist when created here.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LogEvent {
  group: string;
  stream: string;
  timestamp: number;
  message: string;
}

export interface LogsStandIn {
  url: string;
  createGroup(name: string): void;
  deleteStream(group: string, stream: string): void;
  events(group?: string): LogEvent[];
  streams(group: string): string[];
  /** Requests that did not look like the SDK's (no signature, unknown action, bad body). */
  violations: string[];
  close(): Promise<void>;
}

export async function startLogsStandIn(): Promise<LogsStandIn> {
  const groups = new Map<string, Set<string>>();
  const events: LogEvent[] = [];
  const violations: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (status: number, body: object) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
      };
      const fail = (type: string, message: string) => answer(400, { __type: type, message });
      const target = String(req.headers['x-amz-target'] ?? '');
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) violations.push(`${target}: not signed`);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        violations.push(`${target}: body is not JSON`);
        return fail('InvalidParameterException', 'body is not JSON');
      }
      const group = String(body.logGroupName ?? '');
      const stream = String(body.logStreamName ?? '');
      const streams = groups.get(group);
      switch (target) {
        case 'Logs_20140328.CreateLogStream':
          if (!streams) return fail('ResourceNotFoundException', 'The specified log group does not exist.');
          if (streams.has(stream)) return fail('ResourceAlreadyExistsException', 'The specified log stream already exists');
          streams.add(stream);
          return answer(200, {});
        case 'Logs_20140328.PutLogEvents': {
          if (!streams) return fail('ResourceNotFoundException', 'The specified log group does not exist.');
          if (!streams.has(stream)) return fail('ResourceNotFoundException', 'The specified log stream does not exist.');
          const logEvents = body.logEvents as Array<{ timestamp: number; message: string }> | undefined;
          if (!Array.isArray(logEvents) || logEvents.length === 0) {
            violations.push('PutLogEvents without logEvents');
            return fail('InvalidParameterException', 'logEvents is required');
          }
          for (const e of logEvents) events.push({ group, stream, timestamp: e.timestamp, message: e.message });
          return answer(200, { nextSequenceToken: String(events.length) });
        }
        default:
          violations.push(`unknown action ${target}`);
          return fail('UnknownOperationException', target);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    createGroup: (name) => void groups.set(name, groups.get(name) ?? new Set()),
    deleteStream: (group, stream) => void groups.get(group)?.delete(stream),
    events: (group) => events.filter((e) => group === undefined || e.group === group),
    streams: (group) => [...(groups.get(group) ?? [])],
    violations,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
