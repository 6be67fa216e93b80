#!/usr/bin/env bash
# Model-aware attacks on XNLI dev (docs/robustness.md): the e5-small baseline and its xQG
# index (entailed hypotheses as stand-ins, centred), each attacked with code-mixing and with
# character edits, crafted against itself (adaptive) and against the other (transfer), next
# to random character noise; success rates with bootstrap intervals, MRR@10 drops, paired
# tests. Subsets through the environment (defaults in brackets): LANGS [de,th,zh], PREMISES
# (first n premises attacked) [30], BUDGET [2], CANDIDATES (per round) [32]; about an hour on
# 2 CPU cores with the defaults. Reports (JSON, Markdown, PNG) in the printed folder; run it
# again and every finished step is reused.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${XQG_SHARED_DATA:-../shared/data}
export NLTK_DATA=${NLTK_DATA:-$DATA/nltk_data}
LANGS=${LANGS:-de,th,zh}
PREMISES=${PREMISES:-30}
BUDGET=${BUDGET:-2}
CANDIDATES=${CANDIDATES:-32}
OUT=${OUT:-build/xnli-adversarial/${LANGS//,/-}-p$PREMISES-k$BUDGET-c$CANDIDATES}
mkdir -p "$OUT"
X=.venv/bin/xqg
D=(--db "$OUT/xnli.db")
L=(--langs "$LANGS")
start=$(date +%s)
$X robustness build-xnli "$DATA/xnli/xnli.dev.tsv" "${D[@]}"
$X index --collection xnli --name base "${D[@]}"
$X generate heldout --collection xnli --split hypothesis-entailment "${L[@]}" --name entailed "${D[@]}"
$X augment --index base --generations entailed --alpha 0.01 --center --name xqg "${D[@]}"
$X robustness perturb --collection xnli --attack char-noise --strength 0.2 --split premise \
  "${L[@]}" --name char-noise "${D[@]}"
attacks=(char-noise)
for moves in code-mix char; do
  for system in base xqg; do
    $X robustness attack --system "$system" --moves "$moves" --budget "$BUDGET" \
      --candidates "$CANDIDATES" --premises "$PREMISES" "${L[@]}" --name "$moves-$system" "${D[@]}"
    attacks+=("$moves-$system")
  done
done
$X robustness evaluate --systems base,xqg --attacks "$(IFS=,; echo "${attacks[*]}")" "${L[@]}" \
  --measures MRR@10,Recall@1 --name rob-adv \
  --json "$OUT/adv.json" --markdown "$OUT/adv.md" --png "$OUT/adv.png" "${D[@]}"
echo "reports in $OUT; total wall time: $(( $(date +%s) - start )) s"
