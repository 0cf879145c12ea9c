#!/bin/bash
# Real results (result_samples) validate against result_schema.json, and a result with a
# wrong field does not (the validator can fail).
#   result_schema_test.sh RESULT_SAMPLES VALIDATE SCHEMA CLIP...
set -euo pipefail
samples=$1 validate=$2 schema=$3
shift 3
out=${TEST_TMPDIR:-$(mktemp -d)}
"$samples" "$out/results.jsonl" "$@"
/usr/bin/python3 "$validate" "$schema" "$out/results.jsonl"
for field in '"heatmaps"' '"thumbnails"' '"overlay"' '"reason":"no_face"' '"reason":"unreadable"'; do
  grep -q "$field" "$out/results.jsonl" || { echo "FAIL: no sample has $field" >&2; exit 1; }
done

# The same results as a .json array validate too.
/usr/bin/python3 -c 'import json,sys; print(json.dumps([json.loads(l) for l in open(sys.argv[1])]))' \
  "$out/results.jsonl" > "$out/results.json"
/usr/bin/python3 "$validate" "$schema" "$out/results.json"

# Mutations the schema must reject.
for mutation in 'r["verdict"] = "MAYBE"' 'r["surprise"] = 1' 'del r["video"]["sha256"]' \
                'r["schema_version"] = 2' 'r["model"]["sha256"] = "xyz"'; do
  /usr/bin/python3 -c "import json,sys
r = json.loads(open(sys.argv[1]).readline())
$mutation
print(json.dumps(r))" "$out/results.jsonl" > "$out/bad.jsonl"
  if /usr/bin/python3 "$validate" "$schema" "$out/bad.jsonl" 2> "$out/bad.err"; then
    echo "FAIL: the schema accepted a result after: $mutation" >&2
    exit 1
  fi
  grep -q "bad.jsonl:1: /" "$out/bad.err" || { cat "$out/bad.err" >&2; exit 1; }
done
echo PASS
