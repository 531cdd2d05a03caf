/**
 * The cost model of docs/capacity.md: instance time from measured per-core rates (bench/rates.ts),
 * priced per instance type (on-demand list price, spot as a share of it), plus Bedrock per token and
 * per image. Pure functions, so the numbers in the report can be recomputed from rates.json.
 */

/** Seconds of one core per unit of each kind of work (bench/results/rates.json). */
export interface CoreSeconds {
  textLayerPage: number;
  ocrPage: number;
  imagePage: number;
  officeFile: number;
  textFile: number;
}

export interface InstanceType {
  name: string;
  vcpus: number;
  /** On-demand list price, USD per hour (us-east-1, Linux): an input to replace with today's. */
  onDemandUsdPerHour: number;
}

/** Two-vCPU and larger types of the CDK stack's families; prices to check against the current price list. */
export const INSTANCE_TYPES: readonly InstanceType[] = [
  { name: 'c7i.large', vcpus: 2, onDemandUsdPerHour: 0.08925 },
  { name: 'c6i.large', vcpus: 2, onDemandUsdPerHour: 0.085 },
  { name: 'm7i.large', vcpus: 2, onDemandUsdPerHour: 0.1008 },
  { name: 'c7i.xlarge', vcpus: 4, onDemandUsdPerHour: 0.1785 },
  { name: 'c7i.2xlarge', vcpus: 8, onDemandUsdPerHour: 0.357 },
];

/** Spot price as a share of on-demand (a parameter: spot prices move; ~0.3–0.5 is common for these families). */
export const DEFAULT_SPOT_SHARE = 0.4;
/** Share of the cores kept busy with extraction (bench:consumer measured 98.7 % of slots busy; the rest is I/O, start-up, drains). */
export const DEFAULT_UTILISATION = 0.9;

/** Bedrock list prices (src/adapters/embedder/models.ts): Titan Text v2 per 1000 tokens, Titan Multimodal per image. */
export const BEDROCK = { usdPer1kTextTokens: 0.00002, usdPerImage: 0.00006, maxTextTokens: 8_192 };

/** A mix of files: how many of each, and their units. */
export interface Mix {
  name: string;
  files: number;
  textLayerPages: number;
  ocrPages: number;
  imagePages: number;
  officeFiles: number;
  textFiles: number;
  /** Documents that get a text embedding, their mean tokens, and images that get an image embedding. */
  textEmbeddings: number;
  tokensPerDocument: number;
  imageEmbeddings: number;
}

export interface Cost {
  coreHours: number;
  instanceHours: number;
  onDemandUsd: number;
  spotUsd: number;
  bedrockUsd: number;
}

export function cost(mix: Mix, rates: CoreSeconds, type: InstanceType, spotShare = DEFAULT_SPOT_SHARE, utilisation = DEFAULT_UTILISATION): Cost {
  const coreSeconds = mix.textLayerPages * rates.textLayerPage + mix.ocrPages * rates.ocrPage + mix.imagePages * rates.imagePage
    + mix.officeFiles * rates.officeFile + mix.textFiles * rates.textFile;
  const coreHours = coreSeconds / 3600;
  const instanceHours = coreHours / (type.vcpus * utilisation);
  const tokens = Math.min(mix.tokensPerDocument, BEDROCK.maxTextTokens);
  const bedrockUsd = (mix.textEmbeddings * tokens * BEDROCK.usdPer1kTextTokens) / 1000 + mix.imageEmbeddings * BEDROCK.usdPerImage;
  return {
    coreHours,
    instanceHours,
    onDemandUsd: instanceHours * type.onDemandUsdPerHour,
    spotUsd: instanceHours * type.onDemandUsdPerHour * spotShare,
    bedrockUsd,
  };
}

/** 1000 units of one kind of work (for the per-kind table). */
export function perThousand(kind: keyof CoreSeconds): Mix {
  const base: Mix = { name: kind, files: 1000, textLayerPages: 0, ocrPages: 0, imagePages: 0, officeFiles: 0, textFiles: 0, textEmbeddings: 0, tokensPerDocument: 0, imageEmbeddings: 0 };
  switch (kind) {
    case 'textLayerPage': return { ...base, textLayerPages: 1000, textEmbeddings: 1000 / 5, tokensPerDocument: 5 * 1_000 };
    case 'ocrPage': return { ...base, ocrPages: 1000, textEmbeddings: 1000, tokensPerDocument: 1_000 };
    case 'imagePage': return { ...base, imagePages: 1000, textEmbeddings: 1000, tokensPerDocument: 100, imageEmbeddings: 1000 };
    case 'officeFile': return { ...base, officeFiles: 1000, textEmbeddings: 1000, tokensPerDocument: 1_500 };
    case 'textFile': return { ...base, textFiles: 1000, textEmbeddings: 1000, tokensPerDocument: 3_000 };
  }
}

/**
 * The pipeline benchmark's mix (bench/pipeline.ts, 20 files): 50 text-layer PDF pages in 8 PDFs,
 * 4 OCR pages in 3 scanned or mixed PDFs, 4 image pages in 3 images, 3 Office and 4 text files;
 * scaled to `files`.
 */
export function pipelineMix(files: number): Mix {
  const k = files / 20;
  return {
    name: `${files} files, the pipeline benchmark's mix`,
    files,
    textLayerPages: 50 * k,
    ocrPages: 4 * k,
    imagePages: 4 * k,
    officeFiles: 3 * k,
    textFiles: 4 * k,
    textEmbeddings: 20 * k,
    tokensPerDocument: 4_000,
    imageEmbeddings: 3 * k,
  };
}
