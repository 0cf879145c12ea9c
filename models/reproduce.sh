#!/bin/bash
# Rebuilds the shipped model (models/README.md) from the shared data, step by step, exactly as
# it was made: the split, the synthetic fakes, training, the float16 copy, the test metrics.
#
#   models/reproduce.sh [DATA_DIR [WORK_DIR]]
#     DATA_DIR  the folder with corpus/ and real_faces/ (default ../shared/data)
#     WORK_DIR  where everything goes (default /work/runs; the absolute paths end up in the
#               checkpoint's provenance, so use the default for the same sha256)
#
# Same inputs, seed (15) and thread count (2) give the same bytes. It takes about 35 minutes
# on the project's idle 2-core VM (Zen 5): the synthetic fakes ~6, face finding ~5, the two
# training stages 8 and 10, the test metrics ~2. Steps already done are skipped (delete
# WORK_DIR to start over).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=$(realpath "${1:-../shared/data}")
WORK=${2:-/work/runs}
BIN=$WORK/bin
mkdir -p "$BIN"

bazel build --jobs=2 //train:train //tools:synth //tools:float16_checkpoint //serve:deepfake
for t in train/train tools/synth tools/float16_checkpoint serve/deepfake; do
  cp -f "bazel-bin/$t" "$BIN/"
done

# 1. The split of the real faces, so that each split's synthetic fakes come from its own people.
python3 tools/corpus_manifest.py --corpus "$DATA/corpus" --real_faces "$DATA/real_faces" \
  --synth_inputs "$WORK/synth_in"

# 2. Synthetic face swaps and self-blends, one //tools:synth run per split.
[ -f "$WORK/synth_train/manifest.json" ] || "$BIN/synth" --input_dir="$WORK/synth_in/train" \
  --output_dir="$WORK/synth_train" --seed=15 --threads=2 \
  --same_person=retalking_face3+sadtalker_WDA_AlexandriaOcasioCortez_000
[ -f "$WORK/synth_val/manifest.json" ] || "$BIN/synth" --input_dir="$WORK/synth_in/val" \
  --output_dir="$WORK/synth_val" --seed=15 --threads=2 \
  --same_person=retalking_face3+sadtalker_WDA_AlexandriaOcasioCortez_000
[ -f "$WORK/synth_test/manifest.json" ] || "$BIN/synth" --input_dir="$WORK/synth_in/test" \
  --output_dir="$WORK/synth_test" --seed=15 --threads=1 --split=1,0,0

# 3. The dataset manifests: training reads split_trainval (train and val only; its test
#    entries are ignored), evaluation reads split (the same plus the test split's synthetic fakes).
python3 tools/corpus_manifest.py --corpus "$DATA/corpus" --real_faces "$DATA/real_faces" \
  --synth "$WORK/synth_train" "$WORK/synth_val" --out "$WORK/split_trainval"
python3 tools/corpus_manifest.py --corpus "$DATA/corpus" --real_faces "$DATA/real_faces" \
  --synth "$WORK/synth_train" "$WORK/synth_val" "$WORK/synth_test" --out "$WORK/split"

# 4. Training in two stages (each resumable: run the same command with --resume).
#    a. Blend-only pretraining: a frame classifier on the training split's real videos alone,
#       half of every draw self-blended on the fly (SBI); validation on the usual val split.
python3 tools/corpus_manifest.py --corpus "$DATA/corpus" --real_faces "$DATA/real_faces" \
  --synth "$WORK/synth_train" "$WORK/synth_val" --train_kinds real --out "$WORK/split_sbireal"
[ -f "$WORK/fsbi1/run.json" ] || "$BIN/train" --manifest "$WORK/split_sbireal/manifest.json" \
  --out_dir "$WORK/fsbi1" --cache_dir "$WORK/face_cache" --preset small \
  --batch_size 64 --sequence_length 1 --samples_per_track 16 --epochs 40 \
  --learning_rate 1e-3 --weight_decay 1e-4 --scheduler cosine --early_stopping_patience 0 \
  --self_blend_ratio 0.5 --augment preset --balance none --seed 15 --threads 2 --workers 2
#    b. Every kind of the training split (real fakes, synthetic fakes, online self-blends),
#       from the pretraining's last epoch; the best validation epoch is shipped.
[ -f "$WORK/fft1/run.json" ] || "$BIN/train" --manifest "$WORK/split_trainval/manifest.json" \
  --out_dir "$WORK/fft1" --cache_dir "$WORK/face_cache" --preset small \
  --init "$WORK/fsbi1/last.safetensors" \
  --batch_size 64 --sequence_length 1 --samples_per_track 16 --epochs 25 \
  --learning_rate 3e-4 --weight_decay 1e-4 --scheduler cosine --early_stopping_patience 0 \
  --self_blend_ratio 0.3 --augment preset --balance oversample --threshold_max_fpr 0.1 \
  --seed 15 --threads 2 --workers 2

# 5. The shipped file: float16 storage of the best epoch.
"$BIN/float16_checkpoint" --input="$WORK/fft1/best.safetensors" \
  --output=models/deepfake_default.safetensors
sha256sum models/deepfake_default.safetensors

# 6. Test metrics, overall and per kind (the card's tables), and the ROC plot.
"$BIN/deepfake" evaluate --model_path models/deepfake_default.safetensors \
  --manifest "$WORK/split/manifest.json" --split test --out_dir "$WORK/eval/all" \
  --cache_dir "$WORK/face_cache" --threads 2 || true
for m in "$WORK"/split/test_*.json; do
  k=$(basename "$m" .json)
  "$BIN/deepfake" evaluate --model_path models/deepfake_default.safetensors --manifest "$m" \
    --split test --out_dir "$WORK/eval/${k#test_}" --cache_dir "$WORK/face_cache" --threads 2 || true
done
cp "$WORK/eval/all/roc.png" models/roc.png
cp "$WORK/fft1/curves.png" models/curves.png
cp "$WORK/fsbi1/curves.png" models/curves_pretraining.png
