# The two front-door commands: `make demo` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean transitions-table film-events-table bench-vs-scenedetect \
	film-events-cells film-events-levers gates-at-cuts robustness-table film-grammar-table \
	finetune-table

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch/torchvision first, pinned to the pair known to install together on CPU-only machines
	$(BIN)/python -m pip install -q "torch==2.14.1" "torchvision==0.29.1" || $(BIN)/python -m pip install -q torch torchvision
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py --out demo_out

test: $(STAMP)
	OMP_WAIT_POLICY=PASSIVE $(BIN)/python -m pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports  # the layout's contracts in pyproject.toml

clean:
	rm -rf $(VENV) demo_out .pytest_cache

# ---- Reproduce the README's tables (each builds its data under data/ on first use) ----
FL := $(BIN)/framelabel
MODEL ?= pipeline/assets/default.ckpt

TR_VIDEOS = $$(sed 's|^|data/transitions/videos/|; s|$$|.mp4|' data/transitions/splits/$(1).txt)
TR_RUN := runs/transitions
FIT_FLAGS ?=  # e.g. "--model.gate_init chrono --model.chrono_tmax 128" (README "Chrono initialisation")

data/transitions/dataset.json: | $(STAMP)
	$(BIN)/python datasets/transitions/build.py --out data/transitions --videos 250 --cut-videos 24

# Train the default model, tune its event decoding on val, label the held-out splits with it,
# score both tools on the mixed test split and on the hard-cut-only one (the README table).
transitions-table: data/transitions/dataset.json
	$(BIN)/python -m pip install -q "scenedetect>=0.6"  # the baseline it is compared with
	$(FL) fit --config configs/transitions.yaml --data.root data/transitions --trainer.default_root_dir $(TR_RUN) $(FIT_FLAGS)
	cp $$(ls -t $(TR_RUN)/lightning_logs/*/checkpoints/best-*.ckpt | head -1) $(TR_RUN)/model.ckpt
	$(FL) label $(call TR_VIDEOS,val) $(call TR_VIDEOS,test) $(call TR_VIDEOS,cuts) \
		--model $(TR_RUN)/model.ckpt --no-video --quiet --overwrite --out $(TR_RUN)/pred
	$(BIN)/python scripts/eval_transitions.py --data data/transitions --pred $(TR_RUN)/pred \
		--split val --model $(TR_RUN)/model.ckpt --tune --store
	$(BIN)/python scripts/eval_transitions.py --data data/transitions --pred $(TR_RUN)/pred \
		--split test,cuts --model $(TR_RUN)/model.ckpt --scenedetect --json $(TR_RUN)/scores.json
	$(FL) export $(TR_RUN)/model.ckpt $(TR_RUN)/default.ckpt  # what pipeline/assets/default.ckpt is

# The held-out splits re-rendered under each condition of real footage (borders, 720p, CRF 45,
# logo, timecode, grayscale, vertical, grain, 50 fps doubled, 12.5 fps), scored for framelabel
# and PySceneDetect (README "Footage as it comes"); resumes where it stopped.
robustness-table: | $(STAMP)
	$(BIN)/python -m pip install -q "scenedetect>=0.6"
	$(BIN)/python scripts/eval_robustness.py --out data/robust --model $(MODEL) \
		--json runs/robustness.json

# Held-out renders of each kind of film grammar: false alarms per minute on hard negatives,
# recall and transitions per edit on transitions (README "The grammar of films").
film-grammar-table: | $(STAMP)
	$(BIN)/python -m pip install -q "scenedetect>=0.6"
	$(BIN)/python scripts/eval_grammar.py --out data/grammar --model $(MODEL) \
		--json runs/film_grammar.json

# Review, correct, retrain, measured (README "Fix the labels, then train on them"): the default
# model fine-tuned on 1, 3 and 10 corrected vertical-video renders of training sources, scored
# on the held-out vertical renders; resumes where it stopped.
data/ft_vertical/dataset.json: | $(STAMP)
	$(BIN)/python datasets/transitions/build.py --out data/ft_vertical --split train --videos 16 \
		--cut-videos 0 --condition vertical
finetune-table: data/ft_vertical/dataset.json
	$(BIN)/python -m pip install -q "scenedetect>=0.6"
	$(BIN)/python scripts/finetune_loop.py --train-data data/ft_vertical --condition vertical \
		--robust data/robust --ns 1,3,10 --out runs/ft --json runs/finetune.json

# Whole-process speed and memory against PySceneDetect on a 3-minute 720p clip (README).
bench-vs-scenedetect: | $(STAMP)
	$(BIN)/python -m pip install -q "scenedetect>=0.6"
	OMP_WAIT_POLICY=PASSIVE $(BIN)/python scripts/bench_vs_scenedetect.py --runs 3

data/film_events/dataset.json: | $(STAMP)
	$(BIN)/python datasets/film_events/build.py --out data/film_events

film-events-table: data/film_events/dataset.json
	$(FL) fit --config configs/film_events.yaml --data.root data/film_events
	$(FL) fit --config configs/film_events_frame_only.yaml --data.root data/film_events
	$(BIN)/python scripts/eval_film_events.py --data data/film_events \
		--model $$(ls -t runs/film_events/lstm/lightning_logs/*/checkpoints/best-*.ckpt | head -1) \
		--model $$(ls -t runs/film_events/frame_only/lightning_logs/*/checkpoints/best-*.ckpt | head -1)

bench/bbb_720p.mp4: | $(STAMP)
	$(BIN)/python scripts/bench_clips.py --out bench

bench: bench/bbb_720p.mp4  ## throughput table (scripts/bench_memory.py: the memory figures)
	$(BIN)/python scripts/bench_label.py bench/bbb_720p.mp4
	$(BIN)/python scripts/bench_label.py bench/bbb_1080p.mp4

# ---- The LSTM gate by gate: cells by gap, and the gates at a cut (README "Inside the LSTM") ----
PLOTS := $(VENV)/.plots

$(PLOTS): | $(STAMP)
	$(BIN)/python -m pip install -q -e ".[plots]"
	touch $(PLOTS)

# long gaps: each episode's last event comes 200-1500 frames after its key
data/fe_long/dataset.json: | $(STAMP)
	$(BIN)/python datasets/film_events/build.py --out data/fe_long --videos 48 --frames 2400 \
		--size 96x72 --min-gap 200 --max-gap 1500 --seed 3

# the same with twice the videos: the cells-by-gap study trains on this one
data/fe_long96/dataset.json: | $(STAMP)
	$(BIN)/python datasets/film_events/build.py --out data/fe_long96 --videos 96 --frames 2400 \
		--size 96x72 --min-gap 200 --max-gap 1500 --seed 3

# the cells by gap with the recipe the lever table below chose (configs/film_events_*.yaml:
# chrono initialisation, gradient clipping, one video per batch, class weights, 60 epochs,
# 64 px features);
# resumes where it stopped
film-events-cells: data/fe_long96/dataset.json $(PLOTS)
	$(FL) extract --config configs/film_events.yaml --input-size 64 data/fe_long96
	# two sweeps side by side, one per core
	CELLS="lstm rnn" FL=$(FL) scripts/train_cells.sh data/fe_long96 runs/fe_cells "0 1 2" \
		--data.input_size 64 & sweep=$$!; \
	CELLS="gru frame_only" FL=$(FL) scripts/train_cells.sh data/fe_long96 runs/fe_cells "0 1 2" \
		--data.input_size 64 && wait $$sweep
	$(BIN)/python scripts/cells_by_gap.py --data data/fe_long96 --runs runs/fe_cells \
		--plot docs/cells_by_gap.png --json runs/fe_cells/by_gap.json
	$(BIN)/python scripts/gates_at_cues.py --data data/fe_long96 \
		--model $$(ls -t runs/fe_cells/lstm/s0/lightning_logs/*/checkpoints/best-*.ckpt | head -1) \
		--plot docs/gates_at_cues.png --json runs/fe_cells/gates_at_cues.json
	# the units that hold the key: their gates over the gap and at the event
	$(BIN)/python scripts/key_units.py --data data/fe_long96 \
		--model $$(ls -t runs/fe_cells/lstm/s0/lightning_logs/*/checkpoints/best-*.ckpt | head -1)

# Which lever teaches the LSTM a cue past 200 frames? One lever at a time over the PyTorch
# default, 30 epochs, seeds 0-2 (README "Long memory: which lever"); resumes where it stopped.
LEVERS := default forget_bias chrono curriculum stateful clip batch1 class_weights chrono+clip
film-events-levers: data/fe_long/dataset.json $(PLOTS)
	$(FL) extract --config configs/film_events.yaml --input-size 64 data/fe_long
	FL=$(FL) scripts/train_recipes.sh data/fe_long runs/fe_levers lstm "0 1 2" "$(LEVERS)" \
		--data.input_size 64 --trainer.max_epochs 30
	$(BIN)/python scripts/cells_by_gap.py --data data/fe_long --runs runs/fe_levers \
		--kinds $(LEVERS) --json runs/fe_levers/by_gap.json

data/transitions_test/events.csv: | $(STAMP)
	$(BIN)/python datasets/transitions/build.py --out data/transitions_test --split test --videos 100

gates-at-cuts: data/transitions_test/events.csv $(PLOTS)
	$(BIN)/python scripts/gates_at_cuts.py --data data/transitions_test --bikes --model $(MODEL) \
		--plot docs/gates_at_cuts.png --json runs/gates_at_cuts/summary.json
