#!/usr/bin/env bash
# go-replaces.sh GOMOD: prints the module-level replace directives of GOMOD, one
# "replace OLD => NEW" line each, local-path ones left out. A module's replaces apply only in its
# own module, so a throw-away module that builds one of its commands (test/e2e/build.sh,
# test/tools/prometheus.sh) carries them over with this.
set -euo pipefail
awk '
  /^replace \(/ {blk=1; next}
  blk && /^\)/ {blk=0; next}
  blk {print "replace " $0; next}
  /^replace / {print}
' "${1:?usage: go-replaces.sh GOMOD}" | grep -v '=> *\.' | sed 's/^replace[[:space:]]*/replace /' || true
