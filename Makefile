# The README's commands. Each creates .venv when it is missing and installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONSTRAINTS := packaging/constraints-cpu.txt
EXAMPLE := resources/examples/night_market.sbproj
DEMO_DIR := out/demo
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: demo test app lint screenshots bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(PIP) -e . -c $(CONSTRAINTS)
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(PIP) -e '.[dev,diffusers,ray]' -c $(CONSTRAINTS)
	touch $@ $(VENV)/.installed-base

system-deps:
	@packaging/install-system-deps.sh

demo: $(VENV)/.installed-base
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	cp -r $(EXAMPLE) $(DEMO_DIR)/
	$(BIN)/storyboard-app render $(DEMO_DIR)/$(notdir $(EXAMPLE)) -o $(DEMO_DIR)/animatic.mp4

test: system-deps $(VENV)/.installed-dev
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check storyboard_app generators tests bench
	$(BIN)/lint-imports

app: system-deps $(VENV)/.installed-base
	$(BIN)/storyboard-app gui $(EXAMPLE)

screenshots: system-deps $(VENV)/.installed-dev
	$(BIN)/python -m storyboard_app.ui.screenshots docs/screenshots
	$(BIN)/python -m storyboard_app.ui.screenshots --tour docs/tour

bench: $(VENV)/.installed-dev
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) out build dist *.egg-info
