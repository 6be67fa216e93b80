#!/usr/bin/env bash
# The full XNLI dev robustness experiment of the README: e5-small baseline against xQG
# (entailed hypotheses as stand-ins, centred), six attacks on the premises, then the
# hypotheses of two labels as queries. About an hour on 2 CPU cores; reports in build/xnli/.
# Run it again and every finished step is reused.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${XQG_SHARED_DATA:-../shared/data}
export NLTK_DATA=${NLTK_DATA:-$DATA/nltk_data}
OUT=build/xnli
mkdir -p "$OUT"
X=.venv/bin/xqg
D=(--db "$OUT/xnli.db")
start=$(date +%s)
$X robustness build-xnli "$DATA/xnli/xnli.dev.tsv" "${D[@]}"
$X index --collection xnli --name base "${D[@]}"
$X generate heldout --collection xnli --split hypothesis-entailment --name entailed "${D[@]}"
$X augment --index base --generations entailed --alpha 0.01 --center --name xqg "${D[@]}"
ATTACKS=(char-noise:0.2 diacritics:1 punctuation:0.3 shuffle:0.5 code-switch:0.3 contradiction:1)
names=()
for attack in "${ATTACKS[@]}"; do
  $X robustness perturb --collection xnli --attack "${attack%%:*}" --strength "${attack##*:}" \
    --split premise --name "${attack%%:*}" "${D[@]}"
  names+=("${attack%%:*}")
done
$X robustness evaluate --systems base,xqg --attacks "$(IFS=,; echo "${names[*]}")" \
  --measures MRR@10,Recall@1 --name rob-premise \
  --json "$OUT/rob.json" --markdown "$OUT/rob.md" --png "$OUT/rob.png" "${D[@]}"
for label in neutral contradiction; do
  $X robustness evaluate --systems base,xqg --split "hypothesis-$label" \
    --measures MRR@10,Recall@1 --name "rob-hyp-$label" \
    --json "$OUT/hyp-$label.json" --markdown "$OUT/hyp-$label.md" "${D[@]}"
done
echo "total wall time: $(( $(date +%s) - start )) s"
