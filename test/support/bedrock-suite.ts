/**
 * A test file's Bedrock stand-in: started before its tests, reset before each, closed after; and
 * the daemon variables that point the embedding models at it.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startBedrockStandIn, type BedrockStandIn } from './bedrock-stand-in.ts';

/** Registers the hooks; call at the top level of a test file. The getter gives the running stand-in. */
export function useBedrockStandIn(): () => BedrockStandIn {
  let bedrock: BedrockStandIn | undefined;
  beforeAll(async () => {
    bedrock = await startBedrockStandIn();
  });
  afterAll(async () => {
    await bedrock?.close();
  });
  beforeEach(() => bedrock?.reset());
  return () => {
    if (!bedrock) throw new Error('the Bedrock stand-in is not running (useBedrockStandIn hooks)');
    return bedrock;
  };
}

/** Titan text v2 and Titan multimodal at 256 dimensions against the stand-in (small vectors, real request shapes). */
export const titanModelsAt = (url: string): Record<string, string> => ({
  AWS_ENDPOINT_URL_BEDROCK_RUNTIME: url,
  INGEST_TEXT_EMBEDDING_MODEL: 'amazon.titan-embed-text-v2:0',
  INGEST_TEXT_EMBEDDING_DIMENSIONS: '256',
  INGEST_IMAGE_EMBEDDING_MODEL: 'amazon.titan-embed-image-v1',
  INGEST_IMAGE_EMBEDDING_DIMENSIONS: '256',
});
