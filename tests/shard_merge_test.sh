#!/usr/bin/env bash
# Sharded batch detection as an array job runs it (the real binary, a random-weight tiny
# checkpoint, fixture clips plus a damaged file): an unsharded run; 3 shards merged with
# `deepfake merge-results` give the unsharded results (apart from times_ms); a re-run of a
# shard skips what it did; a shard killed with SIGKILL mid-run and re-run redoes none of the
# videos in its journal and ends complete; bad --shard values and conflicting merges fail
# with exit codes and messages naming the flag or the files; the Slurm array script runs
# (tasks and merge) with the binary; the Kubernetes manifest parses.
set -euo pipefail
deepfake="$1" make_model="$2" landmarks="$3" validate="$4" schema="$5" sbatch="$6" k8s="$7"
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp="$TEST_TMPDIR"
py=/usr/bin/python3
model="$tmp/tiny.safetensors"
"$make_model" "$model" tiny 5 0.5 >/dev/null
common=(--model_path "$model" --landmark_model "$landmarks" --threads 1 --device cpu)

# run EXPECTED_STATUS COMMAND ARGS...: `deepfake COMMAND ARGS`, stdout in $out, stderr in $err.
run() {
  local expected="$1"; shift
  local status=0
  "$deepfake" "$@" >"$tmp/out" 2>"$tmp/err" || status=$?
  out="$(cat "$tmp/out")" err="$(cat "$tmp/err")"
  [[ $status -eq $expected ]] ||
    fail "exit $status (expected $expected) for $*:"$'\n'"$out"$'\n'"$err"
}

# same A B: the result files hold the same results apart from times_ms (and, as text, the
# same bytes once times_ms is blanked out).
same() {
  "$py" - "$1" "$2" <<'EOF' || fail "$1 and $2 differ"
import json, re, sys
def load(path):
    text = open(path).read()
    items = [json.loads(l) for l in text.splitlines() if l.strip()] if path.endswith(".jsonl") \
        else json.loads(text)
    for item in items:
        item.pop("times_ms")
    return items, re.sub(r"\"times_ms\": ?\{[^}]*\}", "times_ms", text)
(a, ta), (b, tb) = load(sys.argv[1]), load(sys.argv[2])
if a != b:
    print("different results:", [x["path"] for x in a], [x["path"] for x in b], file=sys.stderr)
    sys.exit(1)
if sys.argv[1][-5:] == sys.argv[2][-5:] and ta != tb:
    print("same results, different bytes", file=sys.stderr)
    sys.exit(1)
EOF
}
count() { grep -c . "$1" || true; }

# The batch: 8 fixture clips under two folders and a damaged file.
v="$tmp/videos"
mkdir -p "$v/real" "$v/fake"
clips=train/testdata/videos
for c in face1 face2 face4 face5; do
  cp "$clips/real_retalking_$c.mp4" "$v/real/$c.mp4"
  cp "$clips/fake_retalking_$c.mp4" "$v/fake/$c.mp4"
done
head -c 3000 "$clips/fake_retalking_face2.mp4" >"$v/fake/damaged.mp4"

# Unsharded: exit 3 (the damaged file), every video in the file.
run 3 detect "${common[@]}" --batch_dir "$v" --output_file "$tmp/all.json"
[[ $("$py" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/all.json") -eq 9 ]] ||
  fail "unsharded: expected 9 results"
echo "ok: unsharded run"

# Three shards, then the merge: the unsharded results.
total=0
for i in 0 1 2; do
  status=0
  "$deepfake" detect "${common[@]}" --batch_dir "$v" --shard "$i/3" \
    --output_file "$tmp/shard$i.jsonl" >"$tmp/out" 2>"$tmp/err" || status=$?
  [[ $status -eq 0 || $status -eq 1 || $status -eq 3 ]] || fail "shard $i/3: exit $status: $(cat "$tmp/err")"
  grep -q "^shard $i/3: $(count "$tmp/shard$i.jsonl") of 9 video(s)" "$tmp/err" ||
    fail "shard $i/3: no shard line: $(cat "$tmp/err")"
  [[ ! -e "$tmp/shard$i.jsonl.partial" ]] || fail "shard $i/3 left its journal behind"
  total=$((total + $(count "$tmp/shard$i.jsonl")))
done
[[ $total -eq 9 ]] || fail "the shards hold $total results, not 9"
run 0 merge-results --batch_dir "$v" --output_file "$tmp/merged.json" "$tmp"/shard{0,1,2}.jsonl
[[ "$out" == "merged 3 file(s): 9 video(s), "*" undetermined -> $tmp/merged.json" ]] ||
  fail "merge summary: $out"
grep -q ", 1 undetermined" <<<"$out" || fail "merge summary counts: $out"
same "$tmp/merged.json" "$tmp/all.json"
"$py" "$validate" "$schema" "$tmp/merged.json" "$tmp"/shard{0,1,2}.jsonl || fail "schema"
echo "ok: 3 shards merge to the unsharded results: $out"
run 0 merge-results --output_file "$tmp/merged.csv" "$tmp"/shard{0,1,2}.jsonl
[[ $(count "$tmp/merged.csv") -eq 10 && "$(head -1 "$tmp/merged.csv")" == path,verdict,* ]] ||
  fail "merged CSV: $(cat "$tmp/merged.csv")"

# The largest shard is the one re-run and killed below.
big=0
for i in 1 2; do
  (($(count "$tmp/shard$i.jsonl") > $(count "$tmp/shard$big.jsonl"))) && big=$i
done
n_big=$(count "$tmp/shard$big.jsonl")
damaged_in_big=$(grep -c '"damaged"' "$tmp/shard$big.jsonl" || true)
((n_big >= 3)) || fail "shard $big/3 has only $n_big videos; the kill test needs 3"

# Re-run: everything but the damaged file (retried) is skipped; the same results.
cp "$tmp/shard$big.jsonl" "$tmp/before.jsonl"
status=0
"$deepfake" detect "${common[@]}" --batch_dir "$v" --shard "$big/3" \
  --output_file "$tmp/shard$big.jsonl" >"$tmp/out" 2>"$tmp/err" || status=$?
grep -q "resume: skipped $((n_big - damaged_in_big)) already done" "$tmp/err" ||
  fail "re-run did not skip: $(cat "$tmp/err")"
[[ $(count "$tmp/out") -eq $damaged_in_big ]] || fail "re-run analysed again: $(cat "$tmp/out")"
same "$tmp/shard$big.jsonl" "$tmp/before.jsonl"
echo "ok: re-run of shard $big/3 skipped $((n_big - damaged_in_big)) of $n_big"

# Killed mid-run: a shard of a batch of 16 copies of the clips (large enough to be still
# running when its journal first holds a result) is killed with SIGKILL, then re-run: the
# journal's videos are not analysed again (their results, timings included, are kept), and
# the shard ends complete, every copy with its clip's result.
k="$tmp/copies"
mkdir -p "$k"
for n in 1 2 3 4; do
  for c in face1 face2 face4 face5; do cp "$clips/real_retalking_$c.mp4" "$k/copy${n}_$c.mp4"; done
done
out_k="$tmp/copies.jsonl"
journal="$out_k.partial"
"$deepfake" detect "${common[@]}" --batch_dir "$k" --shard 0/2 --output_file "$out_k" \
  >"$tmp/killed.out" 2>"$tmp/killed.err" &
pid=$!
for _ in $(seq 1 3000); do
  [[ -s "$journal" ]] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.01
done
kill -KILL "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
n_k=$(sed -n 's/^shard 0\/2: \([0-9]*\) of 16 video(s)$/\1/p' "$tmp/killed.err")
[[ -n "$n_k" ]] || fail "no shard line: $(cat "$tmp/killed.err")"
[[ ! -e "$out_k" ]] || fail "the shard finished before it could be killed"
[[ -s "$journal" ]] || fail "no journal after the kill: $(cat "$tmp/killed.err")"
cp "$journal" "$tmp/journal_at_kill.jsonl"
done_at_kill=$(count "$journal")
((done_at_kill < n_k)) || fail "the killed run had journaled all $n_k videos"
run 1 detect "${common[@]}" --batch_dir "$k" --shard 0/2 --output_file "$out_k"
grep -q "resume: skipped $done_at_kill already done (in $out_k), $((n_k - done_at_kill)) to analyse" \
  <<<"$err" || fail "after the kill: $err"
[[ $(count "$tmp/out") -eq $((n_k - done_at_kill)) ]] || fail "after the kill, analysed: $out"
[[ ! -e "$journal" ]] || fail "the journal was not removed"
"$py" - "$tmp/journal_at_kill.jsonl" "$out_k" "$n_k" <<'EOF' || fail "resumed shard"
import json, sys
kept = {r["path"]: r for r in map(json.loads, open(sys.argv[1]))}
final = [json.loads(l) for l in open(sys.argv[2])]
assert len(final) == int(sys.argv[3]), f"{len(final)} results, expected {sys.argv[3]}"
assert [r["path"] for r in final] == sorted(r["path"] for r in final), "not in path order"
by_path = {r["path"]: r for r in final}
assert kept and all(by_path[p] == r for p, r in kept.items()), "a journaled result changed"
def essence(r):  # what copies of one clip share
    r = dict(r, path=None, times_ms=None, video=dict(r["video"], path=None))
    return json.dumps(r, sort_keys=True)
clips = {}
for r in final:
    clips.setdefault(r["path"].rsplit("_", 1)[1], set()).add(essence(r))
assert all(len(v) == 1 for v in clips.values()), "copies of a clip got different results"
EOF
echo "ok: killed after $done_at_kill of $n_k videos; the re-run skipped them and completed"

# Usage errors: exit 2, the flag named.
for bad in 3/3 -1/3 0/0 1 a/3; do
  run 2 detect "${common[@]}" --batch_dir "$v" --shard "$bad" --output_file "$tmp/x.jsonl"
  grep -q "^deepfake detect: --shard '$bad': .*(expected I/N" <<<"$err" || fail "--shard $bad: $err"
done
run 2 detect "${common[@]}" --video_path "$v/real/face1.mp4" --shard 0/2 --output_file "$tmp/x.jsonl"
grep -q -- "--shard is for a batch of video files: give --batch_dir" <<<"$err" || fail "$err"
run 2 detect "${common[@]}" --batch_dir "$v" --shard 0/2
grep -q -- "--shard needs --output_file ending in .jsonl or .json" <<<"$err" || fail "$err"
run 2 detect "${common[@]}" --batch_dir "$v" --shard 0/2 --output_file "$tmp/x.csv"
grep -q -- "--shard needs --output_file ending in .jsonl or .json" <<<"$err" || fail "$err"
echo "not results" >"$tmp/junk.jsonl"
run 2 detect "${common[@]}" --batch_dir "$v" --shard 0/2 --output_file "$tmp/junk.jsonl"
grep -q "junk.jsonl holds earlier results that cannot be read back.*junk.jsonl:1: not JSON" \
  <<<"$err" || fail "$err"
[[ "$(cat "$tmp/junk.jsonl")" == "not results" ]] || fail "the junk file was overwritten"
echo "ok: usage errors"

# Merge errors: conflicting results (both files named), a missing shard, a CSV input, usage.
"$py" - "$tmp/shard0.jsonl" "$tmp/conflict.jsonl" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
first = lines[0]
first["verdict"] = "FAKE" if first["verdict"] != "FAKE" else "REAL"
open(sys.argv[2], "w").write(json.dumps(first) + "\n")
EOF
run 1 merge-results --output_file "$tmp/bad.json" "$tmp/shard0.jsonl" "$tmp/conflict.jsonl"
grep -q "conflicting results for $v/.*: $tmp/shard0.jsonl says .*, $tmp/conflict.jsonl says" \
  <<<"$err" || fail "conflict message: $err"
[[ ! -e "$tmp/bad.json" ]] || fail "a conflicting merge wrote its output"
run 3 merge-results --batch_dir "$v" --output_file "$tmp/part.json" "$tmp/shard0.jsonl" "$tmp/shard1.jsonl"
grep -q "$(count "$tmp/shard2.jsonl") of 9 video(s) under $v have no result" <<<"$err" ||
  fail "missing shard: $err"
run 1 merge-results --output_file "$tmp/bad.json" "$tmp/merged.csv"
grep -q "merged.csv: CSV holds no face tracks" <<<"$err" || fail "CSV input: $err"
run 2 merge-results --output_file "$tmp/bad.json"
grep -q "no input files" <<<"$err" || fail "no inputs: $err"
run 2 merge-results --output_file "$tmp/bad.xml" "$tmp/shard0.jsonl"
grep -q "unknown format '.xml'" <<<"$err" || fail "output format: $err"
"$deepfake" help | grep -q "^ *merge-results " || fail "deepfake help does not list merge-results"
"$deepfake" help merge-results | grep -q "Exit codes: 0 merged; 1" || fail "merge-results help"
echo "ok: merge errors"

# The deployment examples: the Slurm script runs its tasks and merge with this binary (with
# the variables Slurm sets), the Kubernetes manifest parses and shards by the completion index.
# The tasks find the shards done above in OUT (as after a requeue), so they only retry the
# damaged file: the script's resume path, at a fraction of the time.
mkdir -p "$tmp/slurm/out"
cp "$tmp"/shard{0,1,2}.jsonl "$tmp/slurm/out/"
for i in 0 1 2; do
  (SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=3 SLURM_CPUS_PER_TASK=1 \
    VIDEOS="$v" OUT="$tmp/slurm/out" MODEL="$model" DEEPFAKE="$deepfake" \
    DETECT_FLAGS="--landmark_model $landmarks --device cpu" bash "$sbatch" >"$tmp/out" 2>&1) ||
    fail "Slurm task $i failed: $(cat "$tmp/out")"
  grep -q "^resume: skipped [0-9]* already done" "$tmp/out" || fail "Slurm task $i: $(cat "$tmp/out")"
done
(MERGE=1 VIDEOS="$v" OUT="$tmp/slurm/out" DEEPFAKE="$deepfake" \
  bash "$sbatch" >/dev/null) || fail "Slurm merge failed"
same "$tmp/slurm/out/all.json" "$tmp/all.json"
"$py" - "$k8s" <<'EOF' || fail "Kubernetes manifest"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
jobs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Job"}
detect = jobs["deepfake-detect"]["spec"]
assert detect["completionMode"] == "Indexed", detect
script = detect["template"]["spec"]["containers"][0]["args"][0]
assert f'--shard "$JOB_COMPLETION_INDEX/{detect["completions"]}"' in script, script
assert "merge-results" in jobs["deepfake-merge"]["spec"]["template"]["spec"]["containers"][0]["args"][0]
EOF
echo "ok: deploy/slurm/detect_array.sbatch ran; deploy/kubernetes manifest parses"
