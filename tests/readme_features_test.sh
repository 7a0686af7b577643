#!/usr/bin/env bash
# The README's protocol table must be exactly what `xmqd version --features`
# prints: the list comes from the modules' declarations, not from a hand-kept copy.
set -euo pipefail
xmqd="$1"
readme="$2"
expected=$("$xmqd" version --features | grep '^| ')
actual=$(sed -n '/<!-- features:begin -->/,/<!-- features:end -->/p' "$readme" | grep '^| ' | grep -v '^| spec |')
if [ "$expected" != "$actual" ]; then
  echo "README.md's features table differs from 'xmqd version --features':"
  diff <(echo "$expected") <(echo "$actual") || true
  exit 1
fi
echo "README features table matches the binary"
