#!/usr/bin/env bash
# `make breaking`: fails when the contracts in proto/ change in a wire-incompatible way.
#
# What it compares against, first match wins:
#   BREAKING_AGAINST=<git ref>        that ref
#   uncommitted changes under proto/  HEAD (check your edit before you commit it)
#   a branch other than main          its merge base with origin/main
#   otherwise                         the previous commit, HEAD~1
# A shallow clone (CI) is deepened by one commit to find HEAD~1. The old tree is exported to a
# temporary folder beside this checkout's node_modules, because the googleapis protos it
# imports come from npm, not from git.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
buf="$root/node_modules/.bin/buf"

has_commit() { git rev-parse -q --verify "$1^{commit}" >/dev/null 2>&1; }

if ! has_commit HEAD; then
  echo "breaking: no commit yet, so there is no earlier contract to compare with."
  exit 0
fi

against="${BREAKING_AGAINST:-}"
if [ -z "$against" ]; then
  branch=$(git rev-parse --abbrev-ref HEAD)
  if [ -n "$(git status --porcelain -- proto)" ]; then
    against=HEAD
  elif [ "$branch" != main ] && has_commit origin/main; then
    against=$(git merge-base HEAD origin/main)
  else
    if ! has_commit HEAD~1 && [ "$(git rev-parse --is-shallow-repository)" = true ]; then
      git fetch --quiet --deepen=1 origin 2>/dev/null || true
    fi
    if ! has_commit HEAD~1; then
      echo "breaking: HEAD has no parent commit here, so there is no earlier contract to compare with."
      exit 0
    fi
    against=HEAD~1
  fi
fi
has_commit "$against" || { echo "breaking: unknown git ref '$against'" >&2; exit 2; }

before=$(mktemp -d)
trap 'rm -rf "$before"' EXIT
if ! git cat-file -e "$against:proto" 2>/dev/null; then
  echo "breaking: $against has no proto/ folder: nothing to compare with."
  exit 0
fi
# Every local buf module that ref has (its buf.yaml lists them): proto/, Weft's own mesh/proto, the fixtures.
git archive "$against" -- buf.yaml proto \
  $(git cat-file -e "$against:mesh/proto" 2>/dev/null && echo mesh/proto) \
  $(git cat-file -e "$against:mesh/test/proto" 2>/dev/null && echo mesh/test/proto) \
  | tar -x -C "$before"
ln -s "$root/node_modules" "$before/node_modules"

echo "breaking: comparing proto/ with $against ($(git rev-parse --short "$against"))"
"$buf" breaking --against "$before"
echo "breaking: no wire-incompatible change."
