import { test } from 'vitest';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { documentId } from '../../../src/adapters/index/document-id.ts';
import { describeMapping, indexBody, MAPPING_VERSION, vectorDimensions, CONTENT_ANALYZER } from '../../../src/adapters/index/mapping.ts';

// Test-only view of the untyped index body.
type Json = Record<string, any>;

test('documentId is the sha256 hex of bucket/key, stable and distinct', () => {
  const expected = createHash('sha256').update('b/dir/ファイル.pdf').digest('hex');
  assert.equal(documentId('b', 'dir/ファイル.pdf'), expected);
  assert.equal(documentId('b', 'dir/ファイル.pdf'), documentId('b', 'dir/ファイル.pdf'));
  assert.notEqual(documentId('b', 'x'), documentId('c', 'x'));
  assert.match(documentId('b', 'x'), /^[0-9a-f]{64}$/);
});

test('indexBody: content analysed by kuromoji with an ngram subfield', () => {
  const body = indexBody({}) as Json;
  const analysis = body.settings.index.analysis;
  const analyzer = analysis.analyzer[CONTENT_ANALYZER];
  assert.equal(analyzer.tokenizer, 'kuromoji_tokenizer');
  // The built-in kuromoji analyser's chain: width folding before the stop list, the long-vowel stemmer.
  assert.deepEqual(analyzer.filter, ['kuromoji_baseform', 'kuromoji_part_of_speech', 'cjk_width', 'ja_stop', 'kuromoji_stemmer', 'lowercase']);
  const content = body.mappings.properties.content;
  assert.equal(content.type, 'text');
  assert.equal(content.analyzer, CONTENT_ANALYZER);
  const ngramAnalyzer = analysis.analyzer[content.fields.ngram.analyzer];
  const tokenizer = analysis.tokenizer[ngramAnalyzer.tokenizer];
  assert.equal(tokenizer.type, 'ngram');
  assert.equal(tokenizer.min_gram, 2);
  assert.equal(tokenizer.max_gram, 3);
});

test('indexBody: field types of the §6 document', () => {
  const props = (indexBody({}) as Json).mappings.properties;
  for (const f of ['bucket', 'key', 'extension', 'content_type', 'text_source', 'sha256', 'etag', 'thumbnail_key', 'warnings']) {
    assert.equal(props[f].type, 'keyword', f);
  }
  for (const f of ['file_name', 'original_path']) {
    assert.equal(props[f].type, 'text', f);
    assert.equal(props[f].fields.keyword.type, 'keyword', f);
  }
  assert.equal(props.modified_at.type, 'date');
  assert.equal(props.indexed_at.type, 'date');
  assert.equal(props.size.type, 'long');
  assert.equal(props.page_count.type, 'integer');
  assert.equal(props.ocr_confidence.type, 'float');
  assert.equal(props.embedding_pending.type, 'boolean');
  assert.equal(props.text_embedding_truncated.type, 'boolean');
});

test('indexBody: unlisted fields are not mapped dynamically; the mapping version is in _meta', () => {
  const mappings = (indexBody({}) as Json).mappings;
  assert.equal(mappings.dynamic, false);
  assert.deepEqual(mappings._meta, { spot_ingest: { mapping_version: MAPPING_VERSION } });
  assert.ok(Number.isInteger(MAPPING_VERSION) && MAPPING_VERSION >= 2);
});

test('describeMapping: indices, dims and mapping version of a _mapping answer (also through an alias)', () => {
  const current = (indexBody({ textEmbeddingDims: 1024 }) as Json).mappings;
  const { _meta, ...older } = (indexBody({ textEmbeddingDims: 256 }) as Json).mappings;
  assert.ok(_meta);
  assert.deepEqual(describeMapping({ 'files-v2': { mappings: current } }), { indices: ['files-v2'], dims: { text: 1024, image: null }, mappingVersion: MAPPING_VERSION });
  assert.deepEqual(describeMapping({ files: { mappings: older } }), { indices: ['files'], dims: { text: 256, image: null }, mappingVersion: 1 });
  assert.deepEqual(describeMapping({ 'files-v9': { mappings: current }, 'files-v1': { mappings: older } }).indices, ['files-v1', 'files-v9']);
  assert.deepEqual(describeMapping({ 'files-v9': { mappings: current }, 'files-v1': { mappings: older } }).dims, { text: 256, image: null }, 'the first, sorted');
  assert.deepEqual(describeMapping(null), { indices: [], dims: { text: null, image: null }, mappingVersion: null });
  assert.equal(describeMapping({ x: { mappings: { _meta: { spot_ingest: { mapping_version: '3' } }, properties: {} } } }).mappingVersion, 3);
});

test('indexBody: knn_vector fields and index.knn only when dimensions are given', () => {
  const plain = indexBody({ textEmbeddingDims: null }) as Json;
  assert.equal(plain.settings.index.knn, undefined);
  assert.equal(plain.mappings.properties.text_embedding, undefined);
  assert.equal(plain.mappings.properties.image_embedding, undefined);

  const both = indexBody({ textEmbeddingDims: 1024, imageEmbeddingDims: 384 }) as Json;
  assert.equal(both.settings.index.knn, true);
  assert.deepEqual(both.mappings.properties.text_embedding.method, {
    name: 'hnsw',
    engine: 'lucene',
    space_type: 'cosinesimil',
    parameters: { ef_construction: 128, m: 16 },
  });
  assert.equal(both.mappings.properties.text_embedding.type, 'knn_vector');
  assert.equal(both.mappings.properties.text_embedding.dimension, 1024);
  assert.equal(both.mappings.properties.image_embedding.dimension, 384);

  const imageOnly = indexBody({ imageEmbeddingDims: 256 }) as Json;
  assert.equal(imageOnly.settings.index.knn, true);
  assert.equal(imageOnly.mappings.properties.text_embedding, undefined);
});

test('indexBody refuses nonsense dimensions', () => {
  assert.throws(() => indexBody({ textEmbeddingDims: 0 }), RangeError);
  assert.throws(() => indexBody({ imageEmbeddingDims: 1.5 }), RangeError);
  assert.throws(() => indexBody({ textEmbeddingDims: 20_000 }), RangeError);
});

test('vectorDimensions reads dims back from a GET _mapping response', () => {
  const mappings = (indexBody({ textEmbeddingDims: 1024, imageEmbeddingDims: 384 }) as Json).mappings;
  assert.deepEqual(vectorDimensions({ 'files-000001': { mappings } }), { text: 1024, image: 384 });
  assert.deepEqual(vectorDimensions({ files: { mappings: (indexBody({}) as Json).mappings } }), { text: null, image: null });
  assert.deepEqual(vectorDimensions({ mappings }), { text: 1024, image: 384 });
  assert.deepEqual(vectorDimensions({ files: { mappings: { properties: { text_embedding: { type: 'knn_vector', dimension: '768' } } } } }), {
    text: 768,
    image: null,
  });
  assert.deepEqual(vectorDimensions(null), { text: null, image: null });
  assert.deepEqual(vectorDimensions({ files: { mappings: {} } }), { text: null, image: null });
});
