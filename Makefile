# Set-up and common jobs. Every target creates .venv on first use; nothing is installed by hand.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CH := $(VENV)/bin/ch
EXTRAS ?= dev

.PHONY: setup test demo bench bench-brevitas bench-text bench-da4ml clean

$(VENV)/.installed-$(EXTRAS): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[$(EXTRAS)]'
	touch $@

setup: $(VENV)/.installed-$(EXTRAS)

# The test suite (what CI runs): lint (ruff: pyflakes, bugbear, complexity), then the tests.
test: setup
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m pytest -q -n 2

# Train a small model on a dataset that needs no download, then test it.
demo: setup
	$(CH) train mlp-s digits --max-epochs 30 --batch-size 32 --project demo
	$(CH) test mlp-s digits --load mase_output/demo/software/training_ckpts/best.ckpt

# Benchmarks get their own venv: the Lightning Trainer baseline pulls torchmetrics, whose import
# lightning_fabric then pays on every start.
bench:
	$(MAKE) setup VENV=.venv-bench EXTRAS=bench
	.venv-bench/bin/python benchmarks/train_epoch.py

# QAT accuracy and step cost side by side with Brevitas (Fashion-MNIST: apt-get install
# dataset-fashion-mnist). Brevitas lives only in this venv, installed against constraints.txt.
bench-brevitas:
	$(MAKE) setup VENV=.venv-brevitas EXTRAS=brevitas
	.venv-brevitas/bin/python benchmarks/brevitas_qat.py

# A text model's training step and start-up against the Hugging Face Trainer (which needs
# accelerate: only in this venv).
bench-text:
	$(MAKE) setup VENV=.venv-text-bench EXTRAS=text-bench
	.venv-text-bench/bin/python benchmarks/text_train_step.py

# machop's Verilog beside da4ml's on the same quantized JSC models: both simulated bit-exact
# against the integer program (Verilator), both synthesized by the same yosys script. da4ml lives
# only in this venv.
bench-da4ml:
	$(MAKE) setup VENV=.venv-da4ml EXTRAS=da4ml-bench
	.venv-da4ml/bin/python benchmarks/da4ml_compare.py

clean:
	rm -rf $(VENV) .venv-bench .venv-brevitas .venv-text-bench .venv-da4ml mase_output .pytest_cache
