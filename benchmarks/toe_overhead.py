"""`toe run` overhead per step: a 200-step document of ExecuteBash `true` against plain bash
running the same 200 commands, each as its own `bash script.sh` (what the runner does per step)
and as one script. Also times `imagewright --help` (goal: under 300 ms).

    .venv/bin/python benchmarks/toe_overhead.py [--steps 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from imagewright.executors.host import HostExecutor
from imagewright.toe.document import load
from imagewright.toe.runner import run_documents


def best_of(repeat: int, action: Callable[[], object]) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def write_document(folder: Path, steps: int) -> Path:
    lines = ["schemaVersion: 1.0", "phases:", "  - name: build", "    steps:"]
    for index in range(steps):
        lines += [
            f"      - name: Step{index}",
            "        action: ExecuteBash",
            "        inputs:",
            "          commands: ['true']",
        ]
    path = folder / "bench.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    steps: int = args.steps

    with tempfile.TemporaryDirectory(prefix="imagewright-bench-") as scratch:
        folder = Path(scratch)
        document = write_document(folder, steps)
        script = folder / "input.sh"
        script.write_text("true\n")
        whole = folder / "all.sh"
        whole.write_text("true\n" * steps)

        def imagewright() -> None:
            summary = run_documents(
                [document],
                phases=None,
                parameters={},
                executor=HostExecutor(),
                log_directory=folder / "logs",
            )
            assert summary.executed_step_count == steps and summary.succeeded

        def bash_per_step() -> None:
            for _ in range(steps):
                subprocess.run(["bash", str(script)], check=True)

        def bash_one_script() -> None:
            subprocess.run(["bash", str(whole)], check=True)

        loading = best_of(args.repeat, lambda: load(document))
        ours = best_of(args.repeat, imagewright)
        per_step = best_of(args.repeat, bash_per_step)
        one_script = best_of(args.repeat, bash_one_script)

    help_times = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "imagewright", "--help"], check=True, capture_output=True
        )
        help_times.append(time.perf_counter() - started)

    def per(seconds: float) -> float:
        return seconds / steps * 1000

    print(f"{steps} ExecuteBash steps (best of {args.repeat})")
    print(f"  imagewright toe run       {ours:7.2f} s  {per(ours):6.2f} ms/step")
    print(f"  bash, one process a step  {per_step:7.2f} s  {per(per_step):6.2f} ms/step")
    print(f"  bash, one script          {one_script:7.2f} s  {per(one_script):6.2f} ms/step")
    print(f"  overhead vs bash per step {per(ours) - per(per_step):+6.2f} ms/step (goal <= 5)")
    print(f"  of which loading the YAML {per(loading):6.2f} ms/step (parse with positions, checks)")
    print(f"  ratio vs bash per step    {ours / per_step:6.2f}x")
    print(f"  ratio vs one script       {ours / one_script:6.1f}x")
    median = statistics.median(help_times) * 1000
    print(f"imagewright --help          {median:7.0f} ms median of 5 (goal <= 300)")


if __name__ == "__main__":
    main()
