import { test, afterAll } from 'vitest';
import { noDocuments } from '../../support/documents.ts';
import assert from 'node:assert/strict';
import { strToU8, zipSync } from 'fflate';
import { extractOffice } from '../../../src/pipeline/extract-office.ts';
import { extractContent } from '../../../src/pipeline/extract.ts';
import { detectType } from '../../../src/pipeline/detect-type.ts';
import { isIngestError } from '../../../src/core/errors.ts';
import { cfb, tempDir } from './support.ts';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n';
const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"';
const A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

function contentTypes(main: string, contentType: string): string {
  return `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
    `<Default Extension="xml" ContentType="application/xml"/><Override PartName="/${main}" ContentType="${contentType}"/></Types>`;
}
const rootRels = (main: string) => `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="${main}"/></Relationships>`;
const rels = (...r: Array<[id: string, type: string, target: string]>) =>
  `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${r.map(([id, type, target]) => `<Relationship Id="${id}" Type="${REL}/${type}" Target="${target}"/>`).join('')}</Relationships>`;

/** A real deflated zip of the parts, in the order given. */
function pkg(parts: Record<string, string>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(parts).map(([name, xml]) => [name, strToU8(xml)])), { level: 6 });
}

const wp = (...runs: string[]) => `<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>${runs.map((r) => `<w:r>${r}</w:r>`).join('')}</w:p>`;

function docxParts(): Record<string, string> {
  return {
    '[Content_Types].xml': contentTypes('word/document.xml', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml'),
    '_rels/.rels': rootRels('word/document.xml'),
    'word/document.xml': `${XML}<w:document ${W}><w:body>` +
      wp('<w:t>会議資料</w:t>') +
      wp('<w:rPr><w:b/></w:rPr><w:t xml:space="preserve">Tom &amp; Jerry </w:t>', '<w:tab/><w:t>&lt;tab&gt;</w:t><w:br/><w:t>&#x65E5;&#26412;</w:t>') +
      '<w:p/>' +
      wp('<w:delText>deleted</w:delText><w:instrText> PAGE </w:instrText><w:t>end</w:t>') +
      '<mc:AlternateContent><mc:Choice Requires="wps">' + wp('<w:t>text box</w:t>') + '</mc:Choice><mc:Fallback>' + wp('<w:t>text box</w:t>') + '</mc:Fallback></mc:AlternateContent>' +
      '<w:sectPr/></w:body></w:document>',
    'word/header1.xml': `${XML}<w:hdr ${W}>${wp('<w:t>ヘッダー</w:t>')}</w:hdr>`,
    'word/footer1.xml': `${XML}<w:ftr ${W}>${wp('<w:t>Page footer</w:t>')}</w:ftr>`,
    'word/footnotes.xml': `${XML}<w:footnotes ${W}><w:footnote w:type="separator" w:id="-1">${wp('<w:separator/>')}</w:footnote>` +
      `<w:footnote w:id="1">${wp('<w:t>注記 &quot;1&quot; &apos;a&apos;</w:t>')}</w:footnote></w:footnotes>`,
    'docProps/app.xml': `${XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Pages>3</Pages><Words>9</Words></Properties>`,
  };
}
const DOCX_TEXT = '会議資料\nTom & Jerry \t<tab>\n日本\n\nend\ntext box\n\nヘッダー\n\nPage footer\n\n注記 "1" \'a\'';

function xlsxParts(): Record<string, string> {
  const S = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
  return {
    '[Content_Types].xml': contentTypes('xl/workbook.xml', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml'),
    '_rels/.rels': rootRels('xl/workbook.xml'),
    'xl/workbook.xml': `${XML}<workbook ${S}><sheets><sheet name="売上" sheetId="1" r:id="rId1"/><sheet name="Notes &amp; Memo" sheetId="2" r:id="rId2"/></sheets></workbook>`,
    'xl/_rels/workbook.xml.rels': rels(['rId2', 'worksheet', 'worksheets/sheet2.xml'], ['rId1', 'worksheet', 'worksheets/sheet1.xml'], ['rId3', 'sharedStrings', 'sharedStrings.xml']),
    'xl/sharedStrings.xml': `${XML}<sst ${S} count="3" uniqueCount="3"><si><t>品名</t></si>` +
      '<si><r><t>東京</t></r><r><rPr><b/></rPr><t xml:space="preserve"> Tower</t></r><rPh sb="0" eb="2"><t>トウキョウ</t></rPh><phoneticPr fontId="1"/></si>' +
      '<si><t>A&amp;B_x000D_</t></si></sst>',
    // sheet2 first in the zip: the workbook's order decides
    'xl/worksheets/sheet2.xml': `${XML}<worksheet ${S}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>memo line</t></is></c><c r="B1" t="e"><v>#DIV/0!</v></c></row></sheetData></worksheet>`,
    'xl/worksheets/sheet1.xml': `${XML}<worksheet ${S}><dimension ref="A1:C4"/><sheetData>` +
      '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>数量</t></is></c><c r="C1" t="str"><f>"合"&amp;"計"</f><v>合計</v></c></row>' +
      '<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2"><v>120</v></c><c r="C2" t="b"><v>1</v></c><c r="D2" s="1"/></row>' +
      '<row r="3"/>' +
      '<row r="4"><c r="A4" t="s"><v>2</v></c><c r="C4"><f>B2/40+0.5</f><v>3.5</v></c></row>' +
      '</sheetData></worksheet>',
  };
}
const XLSX_TEXT = '売上\n品名\t数量\t合計\n東京 Tower\t120\tTRUE\nA&B\t3.5\n\nNotes & Memo\nmemo line\t#DIV/0!';

function slide(...paragraphs: string[]): string {
  return `${XML}<p:sld ${A}><p:cSld><p:spTree><p:sp><p:txBody><a:bodyPr/>${paragraphs.map((p) => `<a:p>${p}</a:p>`).join('')}</p:txBody></p:sp></p:spTree></p:cSld></p:sld>`;
}
const run = (t: string) => `<a:r><a:rPr lang="ja-JP"/><a:t>${t}</a:t></a:r>`;

function pptxParts(): Record<string, string> {
  return {
    '[Content_Types].xml': contentTypes('ppt/presentation.xml', 'application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml'),
    '_rels/.rels': rootRels('ppt/presentation.xml'),
    'ppt/presentation.xml': `${XML}<p:presentation ${A}/>`,
    'ppt/slides/slide10.xml': slide(run('Slide ten &amp; last')),
    'ppt/slides/slide2.xml': slide(run('スライド2'), '<a:endParaRPr/>'),
    'ppt/slides/_rels/slide2.xml.rels': rels(['rId1', 'slideLayout', '../slideLayouts/slideLayout1.xml'], ['rId2', 'notesSlide', '../notesSlides/notesSlide1.xml']),
    'ppt/notesSlides/notesSlide1.xml': slide(run('ノート: 話す内容'), '<a:fld id="{1}" type="slidenum"><a:t>2</a:t></a:fld>'),
    'ppt/slides/slide1.xml': slide(run('Slide one'), `${run('一行目')}<a:br/>${run('二行目')}`),
  };
}
const PPTX_TEXT = 'Slide one\n一行目\n二行目\n\nスライド2\nノート: 話す内容\n\nSlide ten & last';

/** Rewrites the declared uncompressed size of one entry, in its local and central headers. */
function declareSize(zip: Uint8Array, name: string, size: number): Uint8Array {
  const b = Buffer.from(zip);
  const nameBytes = Buffer.from(name, 'utf8');
  for (let i = 0; i + 4 < b.length; i++) {
    const sig = b.readUInt32LE(i);
    if (sig === 0x04034b50 && b.subarray(i + 30, i + 30 + nameBytes.length).equals(nameBytes)) b.writeUInt32LE(size, i + 22);
    if (sig === 0x02014b50 && b.subarray(i + 46, i + 46 + nameBytes.length).equals(nameBytes)) b.writeUInt32LE(size, i + 24);
  }
  return b;
}

const ingestError = (code: string) => (err: unknown) => {
  assert.ok(isIngestError(err), String(err));
  assert.equal(err.code, code, err.message);
  assert.equal(err.retryable, false);
  return true;
};

const files = await tempDir();
afterAll(() => files.cleanup());

test('DOCX: body paragraphs, runs, tabs, breaks, entities, headers, footers, footnotes; pages from app.xml', async () => {
  const path = await files.write('会議資料.docx', pkg(docxParts()));
  assert.deepEqual(await extractOffice(path, DOCX), { text: DOCX_TEXT, pageCount: 3, warnings: [] });
});

test('DOCX without docProps/app.xml has no page count', async () => {
  const parts = docxParts();
  delete parts['docProps/app.xml'];
  const out = await extractOffice(await files.write('no-app.docx', pkg(parts)), DOCX);
  assert.equal(out.pageCount, null);
  assert.equal(out.text, DOCX_TEXT);
});

test('XLSX: shared (rich, phonetic left out), inline, formula, number, boolean, error cells; a header line per sheet in workbook order', async () => {
  const path = await files.write('在庫.xlsx', pkg(xlsxParts()));
  assert.deepEqual(await extractOffice(path, XLSX), { text: XLSX_TEXT, pageCount: 2, warnings: [] });
});

test('PPTX: slides in numeric order (slide10 last), a blank line between slides, speaker notes without the slide number', async () => {
  const path = await files.write('発表.pptx', pkg(pptxParts()));
  assert.deepEqual(await extractOffice(path, PPTX), { text: PPTX_TEXT, pageCount: 3, warnings: [] });
});

test('the kind is taken from the parts when the MIME does not say', async () => {
  const path = await files.write('x.pptx', pkg(pptxParts()));
  assert.equal((await extractOffice(path, 'application/vnd.openxmlformats-officedocument.unknown')).text, PPTX_TEXT);
});

test('a stored (uncompressed) package reads too', async () => {
  const stored = zipSync(Object.fromEntries(Object.entries(docxParts()).map(([n, x]) => [n, strToU8(x)])), { level: 0 });
  assert.equal((await extractOffice(await files.write('stored.docx', stored), DOCX)).text, DOCX_TEXT);
});

test('text over maxChars is cut with TEXT_TRUNCATED', async () => {
  const path = await files.write('long.docx', pkg(docxParts()));
  assert.deepEqual(await extractOffice(path, DOCX, { maxChars: 4 }), { text: '会議資料', pageCount: 3, warnings: ['TEXT_TRUNCATED'] });
});

test('a corrupt zip is OFFICE_CORRUPT (permanent)', async () => {
  await assert.rejects(extractOffice(await files.write('garbage.docx', 'PK\x03\x04 this is not really a zip file at all'), DOCX), ingestError('OFFICE_CORRUPT'));
  const whole = pkg(docxParts());
  await assert.rejects(extractOffice(await files.write('cut.docx', whole.subarray(0, whole.length - 200)), DOCX), ingestError('OFFICE_CORRUPT'));
  // damaged deflate data in the main part
  const damaged = Buffer.from(whole);
  const at = damaged.indexOf(Buffer.from('word/document.xml')) + 'word/document.xml'.length;
  damaged.fill(0xff, at, at + 40);
  await assert.rejects(extractOffice(await files.write('damaged.docx', damaged), DOCX), ingestError('OFFICE_CORRUPT'));
});

test('a DOCX without word/document.xml is OFFICE_CORRUPT', async () => {
  const parts = docxParts();
  delete parts['word/document.xml'];
  await assert.rejects(extractOffice(await files.write('headless.docx', pkg(parts)), DOCX), ingestError('OFFICE_CORRUPT'));
  const x = xlsxParts();
  delete x['xl/workbook.xml'];
  await assert.rejects(extractOffice(await files.write('headless.xlsx', pkg(x)), XLSX), ingestError('OFFICE_CORRUPT'));
});

test('zip bombs: a part declared huge, or at an absurd ratio, is OFFICE_TOO_LARGE before anything inflates', async () => {
  const huge = declareSize(pkg(docxParts()), 'word/document.xml', 300 * 1024 * 1024);
  await assert.rejects(extractOffice(await files.write('huge.docx', huge), DOCX), ingestError('OFFICE_TOO_LARGE'));
  const ratio = declareSize(pkg(docxParts()), 'word/header1.xml', 50 * 1024 * 1024);
  await assert.rejects(extractOffice(await files.write('ratio.docx', ratio), DOCX), ingestError('OFFICE_TOO_LARGE'));
  const over = pkg(docxParts());
  await assert.rejects(extractOffice(await files.write('limit.docx', over), DOCX, { maxPartsBytes: 100 }), ingestError('OFFICE_TOO_LARGE'));
});

test('a part that inflates past its declared size is OFFICE_CORRUPT (the declared sizes are a real bound)', async () => {
  const lying = declareSize(pkg(docxParts()), 'word/document.xml', 10);
  await assert.rejects(extractOffice(await files.write('lying.docx', lying), DOCX), ingestError('OFFICE_CORRUPT'));
});

test('an aborted signal rejects with the abort reason', async () => {
  const path = await files.write('abort.xlsx', pkg(xlsxParts()));
  await assert.rejects(extractOffice(path, XLSX, { signal: AbortSignal.abort() }), { name: 'AbortError' });
  const controller = new AbortController();
  const pending = extractOffice(path, XLSX, { signal: controller.signal });
  controller.abort();
  await assert.rejects(pending, { name: 'AbortError' });
});

test('extractContent: a detected DOCX is text-layer with its page count; an empty one is none; legacy Office is metadata-only', async () => {
  const path = await files.write('資料.docx', pkg(docxParts()));
  const type = await detectType(path, { fileName: '資料.docx' });
  assert.equal(type.category, 'office');
  assert.equal(type.mime, DOCX);
  assert.deepEqual(await extractContent(path, type, { signal: new AbortController().signal, reader: noDocuments, lowConfidence: 60 }), {
    text: DOCX_TEXT, textSource: 'text-layer', pageCount: 3, ocrConfidence: null, encoding: null, warnings: [],
  });

  const emptyParts = docxParts();
  emptyParts['word/document.xml'] = `${XML}<w:document ${W}><w:body><w:p/><w:sectPr/></w:body></w:document>`;
  for (const n of ['word/header1.xml', 'word/footer1.xml', 'word/footnotes.xml']) delete emptyParts[n];
  const empty = await files.write('empty.docx', pkg(emptyParts));
  const emptyOut = await extractContent(empty, await detectType(empty, { fileName: 'empty.docx' }), { signal: new AbortController().signal, reader: noDocuments, lowConfidence: 60 });
  assert.equal(emptyOut.textSource, 'none');
  assert.equal(emptyOut.text, '');

  const doc = await files.write('old.doc', cfb());
  const legacy = await extractContent(doc, await detectType(doc, { fileName: 'old.doc' }), { signal: new AbortController().signal, reader: noDocuments, lowConfidence: 60 });
  assert.equal(legacy.textSource, 'none');
  assert.match(legacy.warnings[0] ?? '', /^METADATA_ONLY: legacy Office format/);
});
