import sharp from 'sharp';
import type { EmbeddingService } from './embedding-service.ts';
import { prepareImage } from './prepare-image.ts';

/**
 * Invokes each model of `service` once with a tiny input (a few tokens, a 64×64 image): proves
 * credentials, region, model access and the vector length in one go. Rejects with the first
 * failure; resolves to one line per model.
 */
export async function probeModels(service: EmbeddingService, signal?: AbortSignal): Promise<string[]> {
  const options = signal ? { signal } : {};
  const lines: string[] = [];
  if (service.text) {
    const r = await service.embedText('spot-ingest', 'query', options);
    lines.push(`${service.text.model.id} answered ${r.vector.length} dims`);
  }
  if (service.image) {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).png().toBuffer();
    const r = await service.embedImage(await prepareImage(png, { maxSide: service.image.model.maxImageSide, ...options }), options);
    lines.push(`${service.image.model.id} answered ${r.vector.length} dims`);
  }
  return lines;
}
