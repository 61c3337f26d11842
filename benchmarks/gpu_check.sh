#!/usr/bin/env bash
# GPU checks of the batched perceptron: the GPU tests (pytest -m gpu) and the quick kernel
# benchmark with the cupy rows, all within 8 minutes. Installs nothing (no network).
#
# Usage: benchmarks/gpu_check.sh [OUTPUT_FILE]
#   OUTPUT_FILE defaults to $OUT/gpu_check.txt when $OUT is set, else ./gpu_check.txt; the
#   benchmark's JSON goes next to it (gpu_check.json). Python: $PYTHON, else .venv/bin/python,
#   else python3. Without CuPy or a GPU every step says SKIP and the script exits 0.
#
# Time budget (seconds): tests 180 + quick benchmark 270 + set-up < 480.
set -uo pipefail
cd "$(dirname "$0")/.."

out="${1:-${OUT:+$OUT/gpu_check.txt}}"
out="${out:-gpu_check.txt}"
mkdir -p "$(dirname "$out")"
json="${out%.txt}.json"
[ "$json" = "$out" ] && json="$out.json"

py="${PYTHON:-}"
if [ -z "$py" ]; then
  if [ -x .venv/bin/python ]; then py=.venv/bin/python; else py=python3; fi
fi
export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1  # never reach for the network
export PYTHONUNBUFFERED=1

main() {
  echo "# ftprop_exact gpu_check, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), python: $py"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader \
    || echo "nvidia-smi: not found"
  echo "cpus: $(nproc 2>/dev/null || echo '?')"

  # Import the package as installed, else from this checkout through a temporary shim that
  # maps solvers/ and benchmarks/ under ftprop_exact (what setup.cfg's package_dir does).
  if ! "$py" -c "import ftprop_exact.solvers, ftprop_exact.benchmarks" 2>/dev/null; then
    shim="$(mktemp -d)"
    mkdir -p "$shim/ftprop_exact"
    for entry in ftprop_exact/*; do ln -s "$PWD/$entry" "$shim/ftprop_exact/"; done
    ln -s "$PWD/solvers" "$shim/ftprop_exact/solvers"
    ln -s "$PWD/benchmarks" "$shim/ftprop_exact/benchmarks"
    export PYTHONPATH="$shim${PYTHONPATH:+:$PYTHONPATH}"
    echo "ftprop_exact not installed: importing this checkout through $shim"
  fi
  if ! "$py" -c "import numpy, scipy, numba, sklearn, ftprop_exact.solvers.learners.auto" 2>&1; then
    echo "SKIP: the CPU dependencies are missing (numpy, scipy, numba, scikit-learn); nothing installed"
    return 0
  fi
  if ! "$py" -c "from ftprop_exact.solvers.kernels.perceptron import load_cupy; cp = load_cupy(); print('cupy', cp.__version__, 'device:', cp.cuda.runtime.getDeviceProperties(0)['name'].decode())" 2>&1; then
    echo "SKIP: no usable CuPy/GPU (see above); GPU tests and cupy rows not run"
    return 0
  fi

  echo "## GPU tests"
  if "$py" -c "import pytest, hypothesis" 2>/dev/null; then
    timeout 180 "$py" -m pytest -q -m gpu -p no:cacheprovider tests/test_perceptron.py
    echo "pytest exit code: $?"
  else
    echo "SKIP: pytest/hypothesis missing"
  fi

  echo "## bench-kernels --quick (with cupy)"
  timeout 270 "$py" -m ftprop_exact.commands.bench_kernels --quick --json >"$json"
  code=$?
  echo "bench-kernels exit code: $code (JSON: $json)"
  if [ -s "$json" ]; then
    "$py" - "$json" <<'EOF'
import json, sys
from ftprop_exact.benchmarks.kernels import format_table
print(format_table(json.load(open(sys.argv[1]))))
EOF
  fi
}

main 2>&1 | tee "$out"
echo "gpu_check: output in $out"
