#!/usr/bin/env bash
# One process against two (DDP, gloo) on the small film-events set; prints each run's test scores.
set -e
cd "$(dirname "$0")/.."
B=.venv/bin
[ -d data/fe_small ] || $B/python datasets/film_events/build.py --out data/fe_small --videos 16 --frames 300 --size 96x72 --min-gap 60 --max-gap 120
$B/framelabel extract --config configs/film_events.yaml data/fe_small --input-size 64
for n in 1 2; do
  rm -rf runs/ddp_compare/p$n && mkdir -p runs/ddp_compare
  /usr/bin/time -f "fit p$n %e s" $B/framelabel fit --config configs/film_events.yaml --data.root data/fe_small --data.input_size 64 --trainer.max_epochs 25 --trainer.default_root_dir runs/ddp_compare/p$n --trainer.enable_progress_bar false --trainer.accelerator cpu --trainer.strategy ddp --trainer.devices $n > runs/ddp_compare/fit_p$n.log 2>&1
  ck=$(ls runs/ddp_compare/p$n/lightning_logs/*/checkpoints/best-*.ckpt | head -1)
  $B/framelabel test --config configs/film_events.yaml --data.root data/fe_small --data.input_size 64 --ckpt_path $ck --trainer.enable_progress_bar false --trainer.devices 1 2>&1 | grep -E "test/" | tee runs/ddp_compare/test_p$n.txt
done
echo done
