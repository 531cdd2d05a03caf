/**
 * Puts the runtime's ports behind the gate's circuits (docs/design.md §4 "outages"): the state table
 * (DynamoDB, content records included), the index (OpenSearch) and object storage (S3: downloads, thumbnails, checkpoints)
 * each get one circuit with the runtime's probe. A runtime without probes (local mode: everything
 * in-process) is returned as it is.
 */
import type { CheckpointPort } from '../pipeline/ports/checkpoint.ts';
import type { ContentStore } from '../pipeline/ports/content.ts';
import type { IndexPort } from '../pipeline/ports/index.ts';
import type { StatePort } from '../pipeline/ports/state.ts';
import type { StoragePort } from '../pipeline/ports/storage.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { DependencyGate } from './gate.ts';
import { guard } from './guard.ts';

export function gateRuntime(runtime: Runtime, gate: DependencyGate, defaultBucket: string | undefined): Runtime {
  const probes = runtime.probes;
  if (probes === undefined) return runtime;
  const out: Runtime = { ...runtime };
  if (probes.dynamodb) {
    const circuit = gate.add('dynamodb', probes.dynamodb);
    out.state = guard<StatePort>(runtime.state, circuit, ['claim', 'renew', 'complete', 'fail', 'dropLease', 'markExtracting', 'get']);
    out.contents = guard<ContentStore>(runtime.contents, circuit, ['get', 'keep']);
  }
  if (probes.opensearch) {
    const circuit = gate.add('opensearch', probes.opensearch);
    out.index = guard<IndexPort>(runtime.index, circuit, ['upsert', 'delete', 'get', 'search', 'listPendingEmbeddings']);
  }
  const probeS3 = probes.s3;
  if (probeS3) {
    // the probe asks about the bucket that failed last (downloads), else the thumbnail bucket
    let bucket = defaultBucket;
    const circuit = gate.add('s3', async (signal) => {
      if (bucket !== undefined) await probeS3(bucket, signal);
    });
    const storage = (port: StoragePort): StoragePort => guard<StoragePort>(port, circuit, ['get', 'put', 'delete'], {
      onFailure: ([failed]) => {
        if (typeof failed === 'string') bucket = failed;
      },
    });
    out.storage = storage(runtime.storage);
    if (runtime.thumbnails) out.thumbnails = { ...runtime.thumbnails, storage: storage(runtime.thumbnails.storage) };
    if (runtime.checkpoints) out.checkpoints = guard<CheckpointPort>(runtime.checkpoints, circuit, ['load', 'save', 'clear']);
  }
  return out;
}
