# Entry points for everything a person repeats. `make help` lists them.
.PHONY: help setup test lint main bench full-run

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/:\t/'

setup:  ## create .venv and install dse (+ Debian packages the tests use)
	scripts/setup.sh

test:  ## the README's test command
	scripts/test.sh

lint:  ## ruff
	.venv/bin/ruff check dse tests bench results scripts

main:  ## the README's main job: a small real study on CIFAR-10 and its report
	scripts/main.sh

bench:  ## all benchmarks, results in bench/results/ (needs an idle machine: 2 cores)
	bench/run_all.sh

full-run:  ## the README's recorded result: hps-06-0.5x on all of CIFAR-10, one thread (background)
	OMP_NUM_THREADS=1 nohup .venv/bin/dse train --model hps-06-0.5x --epochs 20 --val-size 0 --device cpu \
	  --out results/hps-06-0.5x-full-20ep > results/hps-06-0.5x-full-20ep.log 2>&1 &
