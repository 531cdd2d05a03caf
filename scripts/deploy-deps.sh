#!/bin/sh
# The CDK app in deploy/ is its own package (so the root `npm ci` stays lean). `npm test` runs its
# tests too: install its dependencies once, when they are missing or older than its lock file.
set -eu
cd "$(dirname "$0")/../deploy"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
