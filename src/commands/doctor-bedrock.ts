/**
 * The doctor's Bedrock check: each configured embedding model is invoked once with a tiny input
 * (a few tokens, a 64×64 image), which proves model access, credentials, region and the vector
 * dimension in one go.
 */
import sharp from 'sharp';
import type { Config } from '../config.ts';
import { createEmbeddings } from '../adapters/embedder/create-embeddings.ts';
import { prepareImage } from '../adapters/embedder/prepare-image.ts';

export interface BedrockCheck {
  name: string;
  fix: string;
  run: () => Promise<{ detail: string }>;
}

export function bedrockCheck(config: Config, env: NodeJS.ProcessEnv = process.env): BedrockCheck {
  return {
    name: 'Bedrock embeddings',
    fix: 'enable access to the model in the Bedrock console for this region, allow bedrock:InvokeModel on it (IAM), check AWS_REGION; or set INGEST_TEXT_EMBEDDING_MODEL / INGEST_IMAGE_EMBEDDING_MODEL to "none"',
    run: async () => {
      const embeddings = await createEmbeddings(config, { env });
      const service = embeddings.service;
      try {
        if (service === undefined) return { detail: embeddings.description };
        const parts: string[] = [];
        if (service.text) {
          const r = await service.embedText('spot-ingest doctor', 'query', {});
          parts.push(`${service.text.model.id} answered ${r.vector.length} dims`);
        }
        if (service.image) {
          const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).png().toBuffer();
          const r = await service.embedImage(await prepareImage(png, { maxSide: service.image.model.maxImageSide }), {});
          parts.push(`${service.image.model.id} answered ${r.vector.length} dims`);
        }
        return { detail: parts.join('; ') };
      } finally {
        await embeddings.close();
      }
    },
  };
}
