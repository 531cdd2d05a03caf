#!/usr/bin/env bash
# Packer provisioner (runs as root on the builder): unpack the app into /opt/spot-ingest, install
# its production dependencies (OCR language data included: they are npm dependencies, nothing is
# downloaded at run time), check it starts on the system Node 24, install and enable the unit.
# Inputs uploaded by the file provisioner: /tmp/spot-ingest.tgz (npm pack), /tmp/package-lock.json.
set -euo pipefail
export PATH=/usr/local/bin:$PATH

app=/opt/spot-ingest
tarball=/tmp/spot-ingest.tgz
lock=/tmp/package-lock.json
ocr_langs=${OCR_LANGS:-jpn eng}

rm -rf "$app"
install -d -m 0755 -o root -g root "$app"
tar -xzf "$tarball" -C "$app" --strip-components=1 --no-same-owner
install -m 0644 "$lock" "$app/package-lock.json"

cd "$app"
# devDependencies (the pinned `node`, typescript, test servers) are left out: bin/spot-ingest then
# runs the system Node 24 from /usr/local/bin, as intended.
npm ci --omit=dev --no-audit --no-fund
# npm ci runs the package's `prepare` (scripts/link-bin.sh); make sure of the link either way.
[ -e node_modules/.bin/spot-ingest ] || ln -sf ../../bin/spot-ingest node_modules/.bin/spot-ingest
npm cache clean --force >/dev/null 2>&1 || true

# OCR language data: when the app depends on tesseract.js, every language of the default
# INGEST_OCR_LANGS must be installed from its npm package.
if node -e 'process.exit(require("./package.json").dependencies?.["tesseract.js"] ? 0 : 1)'; then
  for lang in $ocr_langs; do
    if ! find -L "node_modules/@tesseract.js-data/$lang" -name "$lang.traineddata*" -print -quit 2>/dev/null | grep -q .; then
      echo "install-app.sh: OCR language data for '$lang' is missing (expected the npm package @tesseract.js-data/$lang)" >&2
      exit 1
    fi
    echo "install-app.sh: OCR language data for $lang: installed"
  done
else
  echo "install-app.sh: no OCR engine among the dependencies yet; nothing to check for OCR data"
fi

# Read-only for the service (DynamicUser=yes runs it as a transient UID): root-owned, world-readable.
chown -R root:root "$app"
chmod -R u+rwX,go+rX,go-w "$app"

# The launcher must start the CLI on this Node (type stripping needs Node >= 22.18 / 24).
./node_modules/.bin/spot-ingest --help >/dev/null
echo "install-app.sh: $app/node_modules/.bin/spot-ingest runs on $(node --version)"

bash "$app/systemd/install.sh"
systemctl is-enabled spot-ingest.service
rm -f "$tarball" "$lock"
