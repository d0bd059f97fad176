#!/usr/bin/env bash
# Train the film-events cells (frame-only, rnn, gru, lstm) for several seeds on one build's cached
# features, one run at a time: the runs behind `make film-events-cells`. A run that finished
# (its folder holds DONE) is skipped, so an interrupted sweep resumes where it stopped.
# One torch thread per run: on a small recurrent model over long sequences a second thread only
# adds synchronisation at every time step (5-7x slower here on 2 busy cores). The frame-only MLP
# has nothing to learn across frames and trains FRAME_ONLY_EPOCHS (default 20) epochs.
# CELLS="lstm gru" restricts the cells (default all four); two sweeps with other CELLS or seeds
# run side by side, one per core.
#   scripts/train_cells.sh DATA RUNS "0 1 2" [extra framelabel fit flags...]
set -euo pipefail
data=$1 runs=$2 seeds=$3
shift 3
fl=${FL:-.venv/bin/framelabel}
for seed in $seeds; do
  for cell in ${CELLS:-frame_only rnn gru lstm}; do
    dir=$runs/$cell/s$seed
    if [ -e "$dir/DONE" ]; then
      echo "$cell seed $seed: done before ($dir)"
      continue
    fi
    rm -rf "$dir"
    own=()
    if [ "$cell" = frame_only ]; then own=(--trainer.max_epochs "${FRAME_ONLY_EPOCHS:-20}"); fi
    echo "$cell seed $seed -> $dir ($(date +%T))"
    OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} "$fl" fit --config "configs/film_events_$cell.yaml" --data.root "$data" --seed_everything "$seed" \
      --trainer.default_root_dir "$dir" --trainer.enable_progress_bar false "$@" "${own[@]}"
    date +%T > "$dir/DONE"
  done
done
