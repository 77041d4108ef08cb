#!/usr/bin/env bash
# Runs every CodeRunner test: unit, sandbox (real bubblewrap + python3), integration (real SQLite),
# HTTP and browser (Debian Chromium); then the data-layer, API and main browser classes again on PostgreSQL (a throwaway cluster
# started here, [Trait("Postgres", "yes")]). Installs the Debian packages the tests need when missing.
set -euo pipefail
cd "$(dirname "$0")"

packages=(bubblewrap time chromium fonts-wqy-microhei curl python3 python3-venv python3-pip python3-numpy python3-matplotlib python3-requests postgresql)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing missing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

dotnet build CodeRunner.sln -c Release -nologo -v quiet

# A throwaway PostgreSQL cluster (stopped and deleted on exit): the PostgreSQL tests fail without it, never skip.
# shellcheck source=tools/throwaway-postgres.sh
source tools/throwaway-postgres.sh
log=$(mktemp)
trap 'stop_throwaway_postgres; rm -f "$log"' EXIT

set +e
dotnet test CodeRunner.sln -c Release --no-build -nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
echo "=== PostgreSQL pass: the data-layer, API and main browser classes again, each app on its own PostgreSQL database ==="
CODERUNNER_TEST_DATABASE=postgres dotnet test CodeRunner.Tests -c Release --no-build -nologo --logger "console;verbosity=normal" \
  --filter "Postgres=yes&SqliteOnly!=yes" 2>&1 | tee -a "$log"
pg_status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] && status=$pg_status
set -e
passed=$( { grep -E '^\s+Passed:\s+[0-9]+' "$log" || true; } | awk '{s+=$2} END {print s+0}')
# No "Failed:" line on a green run: grep's exit 1 must not end the script under pipefail.
failed=$( { grep -E '^\s+Failed:\s+[0-9]+' "$log" || true; } | awk '{s+=$2} END {print s+0}')
echo "$passed passed, $failed failed"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "no test ran" >&2
  exit 1
fi
exit "$status"
