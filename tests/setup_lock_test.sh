#!/usr/bin/env bash
# tools/setup.sh --check against altered copies of third_party/debian.lock: a Debian
# revision change is reported and accepted, an upstream change fails unless the package is
# marked floating, a package that is not installed is named. Installs nothing.
set -uo pipefail
setup="$1"
lock="$2"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"

run_check() { SETUP_LOCK_FILE="$1" "$setup" --check 2>&1; }
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$(run_check "$lock") || fail "the committed lock does not match this machine: $out"

# g++ 4:12.2.0-3 -> revision 4:12.2.0-99
sed -E 's/^(g\+\+ [^-]+)-.*/\1-99/' "$lock" >"$tmp/revision.lock"
out=$(run_check "$tmp/revision.lock") || fail "revision change rejected: $out"
grep -q "note: g++ revision changed: locked 4:12.2.0-99" <<<"$out" || fail "not reported: $out"

# libeigen3-dev 3.4.0-4 -> upstream 3.3.9-4
sed -E 's/^libeigen3-dev .*/libeigen3-dev 3.3.9-4/' "$lock" >"$tmp/upstream.lock"
if out=$(run_check "$tmp/upstream.lock"); then fail "upstream change accepted: $out"; fi
grep -q "libeigen3-dev upstream version changed: locked 3.3.9-4, installed 3.4.0-4" \
  <<<"$out" || fail "unclear message: $out"

# A floating package (chromium) at another upstream version: accepted and reported.
sed -E 's/^chromium [^ ]+ floating$/chromium 1.0.0-1 floating/' "$lock" >"$tmp/floating.lock"
grep -q "^chromium 1.0.0-1 floating$" "$tmp/floating.lock" || fail "no floating chromium line"
out=$(run_check "$tmp/floating.lock") || fail "floating package rejected: $out"
grep -q "note: chromium changed: locked 1.0.0-1, installed .* (floating: accepted)" <<<"$out" ||
  fail "floating change not reported: $out"

cp "$lock" "$tmp/missing.lock"
printf 'deepfake-no-such-package 1.0-1\n' >>"$tmp/missing.lock"
if out=$(run_check "$tmp/missing.lock"); then fail "missing package accepted: $out"; fi
grep -q "missing packages: deepfake-no-such-package" <<<"$out" || fail "not named: $out"

echo PASS
