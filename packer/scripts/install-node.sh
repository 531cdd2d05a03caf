#!/usr/bin/env bash
# Packer provisioner (runs as root on the Amazon Linux 2023 builder): OS updates, tools, and
# Node.js 24 from the official nodejs.org tarball, SHA-256 checked, into /usr/local.
# bin/spot-ingest falls back to `node` on PATH (/usr/local/bin is on systemd's default PATH)
# because `npm ci --omit=dev` leaves out the project's pinned `node` devDependency.
set -euo pipefail

NODE_VERSION=${NODE_VERSION:-latest-v24.x}

dnf -y upgrade --releasever=latest
dnf -y install tar xz gzip findutils shadow-utils

case "$(uname -m)" in
  x86_64) node_arch=x64 ;;
  aarch64) node_arch=arm64 ;;
  *) echo "install-node.sh: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

case "$NODE_VERSION" in
  latest-v24.x) dist_dir=latest-v24.x ;;
  24.*) dist_dir="v$NODE_VERSION" ;;
  v24.*) dist_dir="$NODE_VERSION" ;;
  *) echo "install-node.sh: NODE_VERSION must be 24.x.y or latest-v24.x (got $NODE_VERSION)" >&2; exit 1 ;;
esac
base="https://nodejs.org/dist/$dist_dir"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl -fsSL --retry 5 -o "$work/SHASUMS256.txt" "$base/SHASUMS256.txt"
tarball=$(awk -v a="linux-$node_arch.tar.xz" '$2 ~ ("^node-v24\\.[0-9]+\\.[0-9]+-" a "$") { print $2 }' "$work/SHASUMS256.txt" | head -n 1)
if [ -z "$tarball" ]; then
  echo "install-node.sh: no linux-$node_arch tarball of Node 24 in $base/SHASUMS256.txt" >&2
  exit 1
fi
curl -fsSL --retry 5 -o "$work/$tarball" "$base/$tarball"
(cd "$work" && grep " $tarball\$" SHASUMS256.txt | sha256sum -c -)

dest=/usr/local/lib/nodejs
rm -rf "$dest"
install -d -m 0755 "$dest"
tar -xJf "$work/$tarball" -C "$dest" --strip-components=1 --no-same-owner
for bin in node npm npx corepack; do
  ln -sf "$dest/bin/$bin" "/usr/local/bin/$bin"
done

node_major=$(/usr/local/bin/node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" != 24 ]; then
  echo "install-node.sh: expected Node 24, got $(/usr/local/bin/node --version)" >&2
  exit 1
fi
echo "install-node.sh: Node $(/usr/local/bin/node --version), npm $(/usr/local/bin/npm --version)"
