/**
 * OCR language data from the installed @tesseract.js-data packages: parsing INGEST_OCR_LANGS,
 * finding the files, linking them into one directory, and the error for a missing language.
 */
import { test, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readdir, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findLanguageFiles, OCR_MODEL, OcrLanguageError, ocrDataLangs, parseLangs, prepareLanguageDir } from '../../../src/pool/ocr-languages.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spot-ingest-langs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('parseLangs splits on +, trims, and drops empty parts', () => {
  assert.deepEqual(parseLangs('jpn+eng'), ['jpn', 'eng']);
  assert.deepEqual(parseLangs(' jpn + eng '), ['jpn', 'eng']);
  assert.deepEqual(parseLangs('jpn++eng+'), ['jpn', 'eng']);
  assert.deepEqual(parseLangs('jpn'), ['jpn']);
  assert.deepEqual(parseLangs(''), []);
});

test('findLanguageFiles: the package\'s best_int file, or null when the package is not installed', async () => {
  const [jpn, eng, xyz] = findLanguageFiles(['jpn', 'eng', 'xyz']);
  assert.equal(jpn?.lang, 'jpn');
  assert.ok(jpn.path !== null, 'jpn is installed');
  assert.ok(jpn.path.endsWith(join('@tesseract.js-data', 'jpn', OCR_MODEL, 'jpn.traineddata.gz')), jpn.path);
  assert.ok((await stat(jpn.path)).isFile());
  assert.ok(eng?.path?.endsWith(join(OCR_MODEL, 'eng.traineddata.gz')));
  assert.deepEqual(xyz, { lang: 'xyz', path: null });
});

test('with jpn and eng come orientation detection (osd) and vertical Japanese (jpn_vert); without jpn, only osd', () => {
  assert.deepEqual(ocrDataLangs(['jpn', 'eng']), ['jpn', 'eng', 'osd', 'jpn_vert']);
  assert.deepEqual(ocrDataLangs(['eng']), ['eng', 'osd']);
  assert.deepEqual(findLanguageFiles(['eng']).map((f) => f.lang), ['eng', 'osd']);
  for (const file of findLanguageFiles(['jpn'])) assert.ok(file.path !== null && existsSync(file.path), `${file.lang} is installed from npm`);
});

test('prepareLanguageDir links jpn, eng, osd and jpn_vert into <dataDir>/tessdata', async () => {
  const tessdata = await prepareLanguageDir(['jpn', 'eng'], dir);
  assert.equal(tessdata, join(dir, 'tessdata'));
  assert.deepEqual((await readdir(tessdata)).sort(), ['eng.traineddata.gz', 'jpn.traineddata.gz', 'jpn_vert.traineddata.gz', 'osd.traineddata.gz']);
  const files = findLanguageFiles(['jpn', 'eng']);
  for (const file of files) {
    const link = join(tessdata, `${file.lang}.traineddata.gz`);
    assert.ok((await lstat(link)).isSymbolicLink());
    assert.equal(await readlink(link), file.path);
    assert.ok((await stat(link)).size > 1_000_000, `${file.lang} resolves to the real model`); // osd 4.3 MB, jpn_vert 2 MB
  }
});

test('prepareLanguageDir can run again over an existing directory (no temp links left)', async () => {
  await prepareLanguageDir(['jpn', 'eng'], dir);
  const tessdata = await prepareLanguageDir(['eng', 'jpn'], dir);
  assert.deepEqual((await readdir(tessdata)).sort(), ['eng.traineddata.gz', 'jpn.traineddata.gz', 'jpn_vert.traineddata.gz', 'osd.traineddata.gz']);
});

test('an unknown language throws OcrLanguageError naming its package, before touching the directory', async () => {
  await assert.rejects(prepareLanguageDir(['jpn', 'xyz'], dir), (err: unknown) => {
    assert.ok(err instanceof OcrLanguageError);
    assert.equal(err.name, 'OcrLanguageError');
    assert.equal(err.code, 'OCR_LANGUAGE_MISSING');
    assert.equal(err.retryable, false);
    assert.match(err.message, /@tesseract\.js-data\/xyz/);
    assert.match(err.message, /INGEST_OCR_LANGS/);
    assert.doesNotMatch(err.message, /@tesseract\.js-data\/jpn/, 'only the missing one is named');
    return true;
  });
  assert.equal(existsSync(join(dir, 'tessdata')), false);
});

test('every missing language is named at once', async () => {
  await assert.rejects(prepareLanguageDir(['abc', 'eng', 'xyz'], dir), (err: unknown) => {
    assert.ok(err instanceof OcrLanguageError);
    assert.match(err.message, /no OCR data installed for abc, xyz/);
    assert.match(err.message, /@tesseract\.js-data\/abc @tesseract\.js-data\/xyz/);
    return true;
  });
});
