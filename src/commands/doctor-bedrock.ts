/** The doctor's Bedrock check: each configured embedding model is invoked once (probeModels). */
import type { Config } from '../config.ts';
import { createEmbeddings } from '../runtime/embeddings.ts';
import { probeModels } from '../adapters/embedder/probe-models.ts';

export interface BedrockCheck {
  name: string;
  fix: string;
  run: () => Promise<{ detail: string }>;
}

export function bedrockCheck(config: Config, env: Readonly<NodeJS.ProcessEnv> = config.env): BedrockCheck {
  return {
    name: 'Bedrock embeddings',
    fix: 'enable access to the model in the Bedrock console for this region, allow bedrock:InvokeModel on it (IAM), check AWS_REGION; or set INGEST_TEXT_EMBEDDING_MODEL / INGEST_IMAGE_EMBEDDING_MODEL to "none"',
    run: async () => {
      const embeddings = await createEmbeddings(config, { env });
      try {
        if (embeddings.service === undefined) {
          // local mode switches embeddings off rather than fail; doctor shows why as a failure when Bedrock refused
          if (/Bedrock did not answer/.test(embeddings.description)) throw new Error(embeddings.description);
          return { detail: embeddings.description };
        }
        return { detail: (await probeModels(embeddings.service)).join('; ') };
      } finally {
        await embeddings.close();
      }
    },
  };
}
