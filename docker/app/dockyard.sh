#!/bin/sh
# The image's entry point. `api`, `worker` and `migrate` run that process, compiled, with plain node
# (it becomes PID 1 and gets the stop signal); none means `api`; any other command runs as given (`sh`).
# The API's and the worker's V8 heap flags are scripts/lib/build.mjs's NODE_HEAP_FLAGS (README, "Memory").
set -e
flags=
case "${1:-api}" in
  api) app=/app/apps/api/dist/main.js; flags="--min-semi-space-size=4 --max-semi-space-size=4 --max-old-space-size=256" ;;
  worker) app=/app/apps/worker/dist/main.js; flags="--min-semi-space-size=4 --max-semi-space-size=4 --max-old-space-size=256" ;;
  migrate) app=/app/packages/shared/dist/migrate.js ;;
  *) exec "$@" ;;
esac
[ "$#" -eq 0 ] || shift
# shellcheck disable=SC2086 # $flags: several words, none with spaces
exec node --enable-source-maps $flags "$app" "$@"
