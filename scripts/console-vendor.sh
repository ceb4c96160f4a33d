#!/usr/bin/env bash
# Vendor the console's browser modules from npm (the committed package-lock.json, `npm ci`):
# copies the exact ES-module files into services/agent_api/console/vendor/ and axe-core's
# axe.min.js into tests/vendor/, then records every file's sha256 in VENDOR.sha256.
# Only needed when the versions change: `make run` serves the committed files, no Node.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
console="$root/services/agent_api/console"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$console/package.json" "$console/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
nm="$work/node_modules"
vendor="$console/vendor"
mkdir -p "$vendor" "$root/tests/vendor"
cp "$nm/preact/dist/preact.module.js" "$vendor/preact.module.js"
cp "$nm/preact/hooks/dist/hooks.module.js" "$vendor/hooks.module.js"
cp "$nm/htm/dist/htm.module.js" "$vendor/htm.module.js"
cp "$nm/@preact/signals/dist/signals.module.js" "$vendor/signals.module.js"
cp "$nm/@preact/signals-core/dist/signals-core.module.js" "$vendor/signals-core.module.js"
cp "$nm/axe-core/axe.min.js" "$root/tests/vendor/axe.min.js"
for license in preact htm @preact/signals @preact/signals-core; do
    cp "$nm/$license/LICENSE" "$vendor/LICENSE.$(basename "$license")" 2>/dev/null || true
done
cd "$root"
sha256sum services/agent_api/console/vendor/*.js tests/vendor/axe.min.js > services/agent_api/console/VENDOR.sha256
echo "vendored: $(wc -l < services/agent_api/console/VENDOR.sha256) files, see services/agent_api/console/VENDOR.sha256"
