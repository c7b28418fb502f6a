"""The benchmark registry. Each area registers its operations in a module of `bench/benchmarks/`:

    from bench.registry import benchmark

    @benchmark("log a segment of 100,000 lines", budget_s={"sqlite": 1.0, "postgresql": 3.0}, scale_min=...)
    def log_segment(ctx):
        # prepare (not timed) ...
        with ctx.timer():
            ...  # the timed part
        # clean up (not timed)

`manage.py bench` imports every module of `bench.benchmarks`, builds the shared data set, runs each registered
operation `ctx.runs` times, and reports the median (and min/max) against the budget.
"""

import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Benchmark:
    name: str
    func: Callable
    budget_s: dict[str, float] = field(default_factory=dict)  # per database vendor: "sqlite", "postgresql"
    unit: str = "s"  # "s" (lower is better) or a rate like "letters/s" (higher is better; budget is a minimum)
    runs: int | None = None  # override the default number of runs (slow operations)
    order: int = 100


REGISTRY: list[Benchmark] = []


def benchmark(name: str, *, budget_s=None, unit: str = "s", runs: int | None = None, order: int = 100):
    def register(func):
        REGISTRY.append(Benchmark(name=name, func=func, budget_s=budget_s or {}, unit=unit, runs=runs, order=order))
        return func

    return register


@dataclass
class BenchContext:
    scale: int  # number of contacts in the data set
    entries: int  # number of log entries in the data set
    runs: int
    vendor: str
    stdout: object
    samples: list[float] = field(default_factory=list)
    rate_samples: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @contextmanager
    def timer(self, items: int | None = None):
        """Time the block. With `items`, the sample is also recorded as a rate (items per second)."""
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
        self.samples.append(elapsed)
        if items:
            self.rate_samples.append(items / elapsed)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def log(self, text: str) -> None:
        self.stdout.write(f"    {text}")


def summarise(samples: list[float]) -> dict[str, float]:
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples), "n": len(samples)}
