#!/usr/bin/env bash
# Install spot-ingest.service (idempotent: safe to run again after an upgrade).
#
#   sudo /opt/spot-ingest/systemd/install.sh [--start]
#
# - copies the unit next to this script to /etc/systemd/system/ (0644 root:root);
# - creates the service account when the unit names one with User= instead of DynamicUser=yes
#   (the shipped unit uses DynamicUser=yes, so nothing to create);
# - creates /etc/spot-ingest (0755) and puts env.example there; never touches an existing env file;
# - systemctl daemon-reload, systemctl enable; --start also (re)starts it now.
# The application itself must already be in APP_DIR (default /opt/spot-ingest), after npm ci.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
unit_name=spot-ingest.service
unit_src="$here/$unit_name"
unit_dir=${UNIT_DIR:-/etc/systemd/system}
conf_dir=${CONF_DIR:-/etc/spot-ingest}
app_dir=${APP_DIR:-/opt/spot-ingest}
start=no

for arg in "$@"; do
  case "$arg" in
    --start) start=yes ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (sudo)" >&2
  exit 1
fi
if [ ! -f "$unit_src" ]; then
  echo "install.sh: $unit_src not found" >&2
  exit 1
fi
if [ ! -x "$app_dir/node_modules/.bin/spot-ingest" ]; then
  echo "install.sh: warning: $app_dir/node_modules/.bin/spot-ingest is missing (run npm ci --omit=dev in $app_dir)" >&2
fi

# A static account only when the unit asks for one (User=name and no DynamicUser=yes).
unit_user=$(sed -n 's/^User=//p' "$unit_src" | tail -n 1)
if grep -q '^DynamicUser=yes' "$unit_src"; then
  echo "install.sh: DynamicUser=yes: no account to create"
elif [ -n "$unit_user" ] && ! id -u "$unit_user" >/dev/null 2>&1; then
  nologin=$(command -v nologin || echo /sbin/nologin)
  useradd --system --user-group --no-create-home --home-dir /var/lib/spot-ingest \
    --shell "$nologin" --comment "spot-ingest daemon" "$unit_user"
  echo "install.sh: created system user $unit_user"
fi

install -d -m 0755 -o root -g root "$conf_dir"
install -m 0644 -o root -g root "$here/env.example" "$conf_dir/env.example"
if [ ! -e "$conf_dir/env" ]; then
  echo "install.sh: $conf_dir/env does not exist yet: the service waits for it (user data writes it;"
  echo "            template: $conf_dir/env.example, mode 0600 root:root)"
fi

install -d -m 0755 "$unit_dir"
if ! cmp -s "$unit_src" "$unit_dir/$unit_name"; then
  install -m 0644 -o root -g root "$unit_src" "$unit_dir/$unit_name"
  echo "install.sh: installed $unit_dir/$unit_name"
fi

systemctl daemon-reload
systemctl enable "$unit_name"
if [ "$start" = yes ]; then
  systemctl restart "$unit_name"
  systemctl --no-pager --lines=0 status "$unit_name" || true
fi
