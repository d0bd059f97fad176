#!/usr/bin/env bash
# Train one cell under several training recipes (one lever each) for several seeds, on one
# build's cached features: the lever table behind `make film-events-levers`. Runs go JOBS at a
# time (default 2, one torch thread each); a run that finished (its folder holds DONE) is
# skipped, so an interrupted sweep resumes where it stopped.
#   scripts/train_recipes.sh DATA RUNS CELL "0 1 2" "recipe1 recipe2 ..." [extra fit flags...]
# Recipes (README "Which lever teaches the LSTM a long gap?"):
#   default      the config as it is (PyTorch's gate initialisation, whole videos)
#   forget_bias  forget-gate (GRU: update-gate) bias 1
#   chrono       chrono initialisation, T_max = CHRONO_TMAX (default 1500, the build's longest gap)
#   curriculum   windows of 100, 200, 400, 800 frames for 3 epochs each, then whole videos
#   stateful     windows of 200 frames in order, the state carried between them
#   clip         gradient norm clipped at 1
#   batch1       one video per batch: four times the updates per epoch of the configs' 4
#   class_weights  the loss weighted by inverse class frequency (the keys are 1% of the frames)
#   A+B          two levers together (e.g. chrono+stateful)
# FROM=RUNS2 continues each run from RUNS2/RECIPE/sSEED's last checkpoint (e.g. 30 epochs on to
# --trainer.max_epochs 60: the same run as 60 epochs from the start, optimiser and RNG restored).
set -euo pipefail
data=$1 runs=$2 cell=$3 seeds=$4 recipes=$5
shift 5
fl=${FL:-.venv/bin/framelabel}
tmax=${CHRONO_TMAX:-1500}

recipe_flags() {  # each recipe is one lever on top of the same baseline, whatever the config says
  echo --model.gate_init default --data.window 0 --data.stateful false --data.curriculum null \
    --trainer.gradient_clip_val null --data.batch_size 4 --model.class_weights false
  local lever
  for lever in ${1//+/ }; do  # "chrono+stateful": both levers
    case $lever in
      default) ;;
      forget_bias) echo --model.gate_init forget_bias --model.forget_bias 1.0 ;;
      chrono) echo --model.gate_init chrono --model.chrono_tmax "$tmax" ;;
      curriculum) echo --data.curriculum "[100,200,400,800]" --data.curriculum_epochs 3 ;;
      stateful) echo --data.stateful true --data.window 200 ;;
      clip) echo --trainer.gradient_clip_val 1.0 ;;
      batch1) echo --data.batch_size 1 ;;
      class_weights) echo --model.class_weights true ;;
      *) echo "unknown recipe $lever" >&2; return 1 ;;
    esac
  done
}

run_one() {  # recipe seed
  local recipe=$1 seed=$2 dir=$runs/$1/s$2
  if [ -e "$dir/DONE" ]; then
    echo "$recipe seed $seed: done before ($dir)"
    return
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "$recipe seed $seed -> $dir ($(date +%T))"
  local resume=()
  if [ -n "${FROM:-}" ]; then
    resume=(--ckpt_path "$(ls -t "$FROM/$recipe/s$seed"/lightning_logs/*/checkpoints/last.ckpt | head -1)")
  fi
  # shellcheck disable=SC2046,SC2086  # the flags are words without spaces
  OMP_NUM_THREADS=1 "$fl" fit --config "configs/film_events_$cell.yaml" --data.root "$data" \
    --seed_everything "$seed" --trainer.default_root_dir "$dir" \
    --trainer.enable_progress_bar false $extra $(recipe_flags "$recipe") "${resume[@]}" > "$dir/fit.log" 2>&1
  date +%T > "$dir/DONE"
  echo "$recipe seed $seed: finished ($(date +%T))"
}
export -f run_one recipe_flags
extra="$*"  # flags for every run (no spaces inside a flag)
export fl runs cell data tmax extra FROM

for recipe in $recipes; do recipe_flags "$recipe" > /dev/null; done  # fail early on a typo
for seed in $seeds; do
  for recipe in $recipes; do
    printf '%s\0%s\0' "$recipe" "$seed"
  done
done | xargs -0 -n 2 -P "${JOBS:-2}" bash -c 'run_one "$0" "$1"'
