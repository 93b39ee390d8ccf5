#!/usr/bin/env bash
# Many kill-during-convert trials (tests/WeightPort.Tests/Cli/ConvertKillTests.cs): a child `weightport convert` of a
# torch-written 177 MB checkpoint is SIGKILLed at a random moment, then every output must be the previous complete
# version, the new complete version, or absent only if it was absent before; the next run must leave no temp file.
# CI runs 24 trials; this runs as many as asked and prints the figures.
#
#   tools/kill_trials.sh [TRIALS=200] [SEED]      (needs /usr/bin/python3 with torch, like the tests)
set -euo pipefail
cd "$(dirname "$0")/.."
trials="${1:-200}"
report=$(mktemp)
trap 'rm -f "$report"' EXIT
export WEIGHTPORT_KILL_TRIALS="$trials" WEIGHTPORT_KILL_REPORT="$report"
if [ -n "${2:-}" ]; then export WEIGHTPORT_KILL_SEED="$2"; fi
dotnet test tests/WeightPort.Tests -c Release \
  --filter "FullyQualifiedName~ConvertKillTests.Convert_KilledAtRandomMoments" --logger "console;verbosity=minimal"
cat "$report"
