#!/usr/bin/env bash
# The GPU check: conformance on the (torch cuda, engine cupy) pair plus the GPU benchmarks.
#
#   scripts/gpu_check.sh OUTDIR
#
# Needs a machine where torch sees CUDA and CuPy (the `cuda` or `cuda13` extra) sees a GPU.
# Writes into OUTDIR:
#   devices.txt         versions and the GPU found (or why none was usable)
#   conformance/        the conformance report of the CUDA pair (results JSON + HTML)
#   conformance.log     pytest's output
#   bench_gpu.json      engine-on-CuPy vs torch-on-CUDA timings and ratios
#   bench_gpu.txt       the same as a table
# Exits 3 when no GPU pair is usable (nothing is run), otherwise non-zero when the
# conformance run or the benchmark failed. Budget: about 4 minutes in all.
#
#   scripts/gpu_check.sh --bench-selftest OUTDIR   runs the benchmark code on the CPU with tiny
#                                                  sizes (checks the script itself, no GPU needed)
set -uo pipefail

PY=${PYTHON:-python}
CONFORMANCE_TIMEOUT=${GPU_CHECK_CONFORMANCE_TIMEOUT:-200}
BENCH_TIMEOUT=${GPU_CHECK_BENCH_TIMEOUT:-60}
WORKERS=${GPU_CHECK_WORKERS:-4}  # processes sharing the one GPU (CuPy compiles kernels on the CPU)

usage() {
    echo "usage: $0 [--bench-selftest] OUTDIR" >&2
    exit 2
}

# Times engine and torch on one device; argv: device size_elementwise size_matmul repeats json txt
bench() {
    "$PY" - "$@" <<'PYEOF'
import json
import sys
import time

import numpy as np
import torch

import reference_engine as re_torch
from conformance.compare import compare_arrays

device, n_elem, n_mm, repeats, json_path, txt_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]


def sync(ns):
    if device == "cuda":
        ns.cuda.synchronize()  # GPU kernels are asynchronous: time the work, not the launch


def elementwise(ns, x):
    (x.sin() * x.exp() + x * x).sum().backward()


def matmul(ns, ab):
    a, b = ab
    (a @ b).sum().backward()


def inputs(ns, name):
    rng = np.random.default_rng(0)
    if name == "elementwise_4m":
        return ns.tensor(rng.standard_normal(n_elem, dtype=np.float32), device=device, requires_grad=True)
    return tuple(ns.tensor(rng.standard_normal((n_mm, n_mm), dtype=np.float32), device=device, requires_grad=True)
                 for _ in range(2))


def leaves(x):
    return x if isinstance(x, tuple) else (x,)


def best_time(ns, fn, x):
    fn(ns, x)  # warm-up: kernel compilation (CuPy) and allocator caches
    sync(ns)
    best = float("inf")
    for _ in range(repeats):
        for t in leaves(x):
            t.grad = None
        sync(ns)
        start = time.perf_counter()
        fn(ns, x)
        sync(ns)
        best = min(best, time.perf_counter() - start)
    return best


rows = []
for name, fn in (("elementwise_4m", elementwise), ("matmul_2048", matmul)):
    xe, xt = inputs(re_torch, name), inputs(torch, name)
    fn(re_torch, xe)
    fn(torch, xt)
    for te, tt in zip(leaves(xe), leaves(xt)):  # a wrong result must not show up as a fast one
        diff = compare_arrays(te.grad.detach().cpu().numpy(), tt.grad.detach().cpu().numpy())
        if not diff.ok:
            sys.exit(f"{name}: engine and torch grads differ on {device}: {diff.describe()}")
    e, t = best_time(re_torch, fn, xe), best_time(torch, fn, xt)
    rows.append({"workload": name, "engine_s": e, "torch_s": t, "ratio": e / t, "target": 1.5, "ok": e / t <= 1.5})

meta = {"device": device, "torch": torch.__version__, "elements": n_elem, "matmul_n": n_mm, "repeats": repeats}
if device == "cuda":
    import cupy

    meta.update(cupy=cupy.__version__, gpu=torch.cuda.get_device_name(0))
with open(json_path, "w") as f:
    json.dump({"run": meta, "results": rows}, f, indent=2)
lines = [f"{'workload':<16}{'engine':>12}{'torch':>12}{'ratio':>8}{'target':>8}  ok"]
lines += [f"{r['workload']:<16}{r['engine_s'] * 1e3:>10.2f}ms{r['torch_s'] * 1e3:>10.2f}ms{r['ratio']:>8.2f}"
          f"{r['target']:>8.2f}  {'yes' if r['ok'] else 'NO'}" for r in rows]
with open(txt_path, "w") as f:
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
PYEOF
}

selftest=0
if [ "${1:-}" = "--bench-selftest" ]; then
    selftest=1
    shift
fi
[ $# -eq 1 ] || usage
OUT=$1
mkdir -p "$OUT" || { echo "gpu_check: cannot create $OUT" >&2; exit 2; }
OUT=$(cd "$OUT" && pwd)
cd "$(dirname "$0")/.." || exit 2

# The benchmark in a child shell under a time limit; argv as for bench.
run_bench() {
    timeout "$BENCH_TIMEOUT" bash -c "$(declare -f bench); PY='$PY' bench $*"
}

if [ "$selftest" = 1 ]; then
    run_bench cpu 4096 64 2 "'$OUT/bench_gpu.json'" "'$OUT/bench_gpu.txt'"
    exit $?
fi

# Preflight: both sides must see a GPU, or nothing is run.
if ! "$PY" - >"$OUT/devices.txt" 2>&1 <<'PYEOF'
import sys

import torch

from conformance.backends import cuda_available, cuda_skip_reason

print("torch", torch.__version__, "built for CUDA", torch.version.cuda)
if not cuda_available():
    print("no usable GPU pair:", cuda_skip_reason())
    sys.exit(1)
import cupy

print("cupy", cupy.__version__, "sees", cupy.cuda.runtime.getDeviceCount(), "device(s)")
print("gpu", torch.cuda.get_device_name(0))
PYEOF
then
    cat "$OUT/devices.txt" >&2
    echo "gpu_check: FAILED: no GPU visible to both torch and CuPy; nothing was run" >&2
    exit 3
fi
cat "$OUT/devices.txt"

# Every scenario on the CUDA pair (CONFORMANCE_PAIRS overrides the scenarios' own devices).
workers=()
if "$PY" -c "import xdist" 2>/dev/null; then
    workers=(-n "$WORKERS")
fi
echo "gpu_check: conformance on cuda-cupy (limit ${CONFORMANCE_TIMEOUT}s)"
CONFORMANCE_PAIRS=cuda-cupy timeout "$CONFORMANCE_TIMEOUT" "$PY" -m pytest scenarios -q -p no:cacheprovider \
    "${workers[@]}" --conformance-reports "$OUT/conformance" >"$OUT/conformance.log" 2>&1
conformance_rc=$?
tail -n 15 "$OUT/conformance.log"
[ "$conformance_rc" = 124 ] && echo "gpu_check: conformance run hit its ${CONFORMANCE_TIMEOUT}s limit" >&2

echo "gpu_check: benchmarks on the GPU (limit ${BENCH_TIMEOUT}s)"
run_bench cuda 4194304 2048 5 "'$OUT/bench_gpu.json'" "'$OUT/bench_gpu.txt'"
bench_rc=$?

echo "gpu_check: conformance exit $conformance_rc, benchmark exit $bench_rc; outputs in $OUT"
[ "$conformance_rc" = 0 ] && [ "$bench_rc" = 0 ]
