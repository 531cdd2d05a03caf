'use strict';
/**
 * tesseract.js's own Node worker script, started by OcrEngine through the `workerPath` option, with
 * the three lines its wasm core prints on every start kept out of the daemon's stderr:
 *   Error opening data file ./.traineddata / Please make sure the TESSDATA_PREFIX … / Failed loading language ''
 * (the name between the quotes is sometimes a stray control character instead of empty).
 * They come from a probe the core makes before the configured languages are loaded and mean
 * nothing; any other line passes through. (The core binds console.error when it loads, after this.)
 * Orientation detection's "Too few characters. Skipping this page" is kept out too.
 */
// The probe's language name is empty or a stray control character; a real language's failure
// ("Error opening data file ./jpn.traineddata") still gets through.
const BENIGN = [
  /^Error opening data file \.\/[\x00-\x1f]*\.traineddata/,
  /^Please make sure the TESSDATA_PREFIX/,
  /^Failed loading language '[\x00-\x1f]*'/,
  // orientation detection on a page with little text: the caller gets no answer (null) and reads the page as it is
  /^Too few characters\. Skipping this page/,
];
const error = console.error.bind(console);
console.error = (...args) => {
  if (typeof args[0] === 'string' && BENIGN.some((pattern) => pattern.test(args[0]))) return;
  error(...args);
};
require('tesseract.js/src/worker-script/node/index.js');
