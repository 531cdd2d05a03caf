'use strict';
/**
 * tesseract.js's own Node worker script, started by OcrEngine through the `workerPath` option, with
 * the three lines its wasm core prints on every start kept out of the daemon's stderr:
 *   Error opening data file ./.traineddata / Please make sure the TESSDATA_PREFIX … / Failed loading language ''
 * They come from a probe the core makes before the configured languages are loaded and mean
 * nothing; any other line passes through. (The core binds console.error when it loads, after this.)
 */
const BENIGN = [/^Error opening data file \.\/\.traineddata/, /^Please make sure the TESSDATA_PREFIX/, /^Failed loading language ''/];
const error = console.error.bind(console);
console.error = (...args) => {
  if (typeof args[0] === 'string' && BENIGN.some((pattern) => pattern.test(args[0]))) return;
  error(...args);
};
require('tesseract.js/src/worker-script/node/index.js');
