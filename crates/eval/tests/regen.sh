#!/bin/sh
# Regenerates the .exp files of tests/cases from real Nix (the oracle).
# Cases with a hand-written .err are left alone (oracle_cases.rs checks
# that Nix fails on them with that text). Usage: tests/regen.sh [name…]
set -eu
cd "$(dirname "$0")/cases"
export NIX_CONFIG='experimental-features = nix-command
substituters ='
if [ $# -eq 0 ]; then set -- $(ls *.nix | sed 's/\.nix$//'); fi
for name in "$@"; do
  [ -e "$name.err" ] && continue
  strict=--strict
  case "$name" in lazy_*) strict= ;; esac
  if out=$(nix-instantiate --eval $strict "$name.nix" 2>/tmp/regen-err); then
    printf '%s\n' "$out" > "$name.exp"
  else
    echo "NIX FAILED on $name: $(head -1 /tmp/regen-err)" >&2
    rm -f "$name.exp"
  fi
done
