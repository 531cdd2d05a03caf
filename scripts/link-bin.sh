#!/bin/sh
# npm does not link a package's own `bin` into its own node_modules/.bin; do it so that
# `node_modules/.bin/spot-ingest` and `npx spot-ingest` work right after `npm ci`.
set -e
mkdir -p node_modules/.bin
ln -sf ../../bin/spot-ingest node_modules/.bin/spot-ingest
