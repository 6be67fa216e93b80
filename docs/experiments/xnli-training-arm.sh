#!/usr/bin/env bash
# The training arm of the XNLI robustness study (docs/robustness.md, issue 13): XNLI dev split
# by promptID into a train and a test half; e5-small zero-shot, fine-tuned on the original
# pairs of the train half (premise in a language -> its English premise, the study's own
# queries and relevance), and fine-tuned on those plus stand-in generated queries for the
# train premises (their entailed hypotheses in the chosen languages); each evaluated on the
# test half with and without xQG at index time (stand-ins for the test premises, centred),
# clean, under random character noise and under code-mix and character attacks crafted
# against each system (adaptive) and replayed on the others (transfer); success rates with
# bootstrap intervals, MRR@10 drops, paired tests. Subsets and budgets through the
# environment (defaults in brackets): LANGS [de,th,zh], PROMPTS (promptIDs per half) [150],
# ATTACKED (first n test premises attacked) [40], MOVES [code-mix,char], BUDGET [2],
# CANDIDATES [16], STEPS (training steps) [40], EPOCHS [1], BATCH [8], NEGATIVES [1],
# LR [2e-5], FREEZE (1: word embeddings frozen, 0: trained) [1], SEED (of the split) [1].
# 65 minutes on 2 CPU cores shared with other work, with the defaults.
# Reports (JSON, Markdown, PNG) in the printed folder; run it again and every finished step
# is reused.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${XQG_SHARED_DATA:-../shared/data}
export NLTK_DATA=${NLTK_DATA:-$DATA/nltk_data}
LANGS=${LANGS:-de,th,zh}
PROMPTS=${PROMPTS:-150}
ATTACKED=${ATTACKED:-40}
MOVES=${MOVES:-code-mix,char}
BUDGET=${BUDGET:-2}
CANDIDATES=${CANDIDATES:-16}
STEPS=${STEPS:-40}
EPOCHS=${EPOCHS:-1}
BATCH=${BATCH:-8}
NEGATIVES=${NEGATIVES:-1}
LR=${LR:-2e-5}
FREEZE=${FREEZE:-1}
SEED=${SEED:-1}
X=${XQG:-.venv/bin/xqg}
OUT=${OUT:-build/xnli-training-arm/${LANGS//,/-}-p$PROMPTS-a$ATTACKED-s$STEPS-seed$SEED}
mkdir -p "$OUT"
D=(--db "$OUT/xnli.db")
L=(--langs "$LANGS")
E5=$OUT/e5-small
# How e5-small encodes (mean pooling, unit vectors, its prefixes): the same for every system.
HOW=(--pooling mean --query-prefix "query: " --passage-prefix "passage: ")
start=$(date +%s)
$X ingest xnli "$DATA/xnli/xnli.dev.tsv" --split-by-prompt --seed "$SEED" \
  --max-prompts "$PROMPTS" --name split "${D[@]}"
[ -f "$E5/config.json" ] || $X models import-e5-small "$E5"
# Train half: stand-ins, and the zero-shot index that gives the hard negatives.
$X index --collection xnli-train --encoder "hf:$E5" "${HOW[@]}" --normalize --name train-zs "${D[@]}"
$X generate heldout --collection xnli-train --split hypothesis-entailment "${L[@]}" \
  --name gen-train "${D[@]}"
TRAIN=(--collection xnli-train --model "$E5" "${HOW[@]}" --similarity cos --temperature 0.01
  "${L[@]}" --train-split premise --dev-fraction 0 --negatives-from train-zs
  --negative-depth 10 --negatives "$NEGATIVES" --batch-size "$BATCH" --epochs "$EPOCHS"
  --max-steps "$STEPS" --lr "$LR" --keep-checkpoints 1)
[ "$FREEZE" = 1 ] && TRAIN+=(--freeze-embeddings)
$X train encoder "${TRAIN[@]}" --name ft-orig "${D[@]}"
$X train encoder "${TRAIN[@]}" --with-generations gen-train --name ft-gen "${D[@]}"
# Test half: the three encoders, each with and without xQG at index time.
$X generate heldout --collection xnli-test --split hypothesis-entailment "${L[@]}" \
  --name gen-test "${D[@]}"
declare -A MODEL=([zs]="$E5" [orig]="$OUT/xnli.models/ft-orig/model" [gen]="$OUT/xnli.models/ft-gen/model")
systems=()
for arm in zs orig gen; do
  $X index --collection xnli-test --encoder "hf:${MODEL[$arm]}" "${HOW[@]}" --normalize \
    --name "$arm" "${D[@]}"
  $X augment --index "$arm" --generations gen-test --alpha 0.01 --center --name "$arm-xqg" "${D[@]}"
  systems+=("$arm" "$arm-xqg")
done
$X robustness perturb --collection xnli-test --attack char-noise --strength 0.2 --split premise \
  "${L[@]}" --name char-noise "${D[@]}"
attacks=(char-noise)
for moves in ${MOVES//,/ }; do
  for system in "${systems[@]}"; do
    $X robustness attack --system "$system" --moves "$moves" --budget "$BUDGET" \
      --candidates "$CANDIDATES" --premises "$ATTACKED" "${L[@]}" --name "$moves-$system" "${D[@]}"
    attacks+=("$moves-$system")
  done
done
$X robustness evaluate --systems "$(IFS=,; echo "${systems[*]}")" \
  --attacks "$(IFS=,; echo "${attacks[*]}")" "${L[@]}" --measures MRR@10,Recall@1 \
  --name training-arm --json "$OUT/training-arm.json" --markdown "$OUT/training-arm.md" \
  --png "$OUT/training-arm.png" "${D[@]}"
echo "reports in $OUT; total wall time: $(( $(date +%s) - start )) s"
