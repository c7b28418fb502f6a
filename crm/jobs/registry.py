"""What each app tells the recovery (crm.jobs.recovery) about its background work, from its AppConfig.ready().

- `register(task_path, lost_handler=…, job_model=…)`: a task of the app. `lost_handler` is called as
  handler(*task_args, reason=…, failed=…, dry_run=…) in the transaction that re-queues or fails a task whose worker
  died, to tidy up what the lost run left half-way (entries left "sending", a job row saying "Running").
  `job_model`: the BackgroundJob subclass whose rows track the task's progress; its stale jobs are marked failed.
- `register_sweep(sweep, report=…)`: a function run on every recovery pass as sweep(options) (a RecoveryOptions),
  returning how many rows it put right; `report` is the line printed, e.g. "{count} … {verb} put back to error."

The task path is the dotted path of the @task function that queued rows store: it must not change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "RecoveryOptions",
    "Sweep",
    "TaskKind",
    "register",
    "register_sweep",
    "task_kind",
    "job_models",
    "sweeps",
]


@dataclass(frozen=True)
class RecoveryOptions:
    """The options of one recovery pass (manage.py recover_tasks)."""

    dry_run: bool = False
    # Put back every e-mail entry still "sending" (SQLite, which cannot tell a live sender; see recover_tasks).
    reset_sending: bool = False
    # Leave work started less than this many seconds ago alone: its task may be about to be queued.
    grace: float = 30.0


@dataclass(frozen=True)
class TaskKind:
    task_path: str
    lost_handler: Callable[..., None] | None = None
    job_model: type | None = None


@dataclass(frozen=True)
class Sweep:
    run: Callable[[RecoveryOptions], int]
    report: str


_kinds: dict[str, TaskKind] = {}
_sweeps: dict[str, Sweep] = {}


def register(task_path: str, *, lost_handler: Callable[..., None] | None = None, job_model: type | None = None) -> None:
    """Register a task (by the dotted path queued rows store). Registering the same path again replaces it."""
    _kinds[task_path] = TaskKind(task_path=task_path, lost_handler=lost_handler, job_model=job_model)


def register_sweep(sweep: Callable[[RecoveryOptions], int], *, report: str) -> None:
    """Register a function every recovery pass runs; `report` is formatted with count= and verb= ("were" or
    "would be")."""
    _sweeps[f"{sweep.__module__}.{sweep.__qualname__}"] = Sweep(run=sweep, report=report)


def task_kind(task_path: str) -> TaskKind | None:
    return _kinds.get(task_path)


def job_models() -> list[type]:
    """The registered BackgroundJob subclasses, each once."""
    return list(dict.fromkeys(kind.job_model for kind in _kinds.values() if kind.job_model is not None))


def sweeps() -> list[Sweep]:
    return list(_sweeps.values())
