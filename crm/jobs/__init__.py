"""Background jobs: the one home of the machinery every app's background work shares.

- `backend`: the production task backend (django-tasks-db's database queue) with its worker lease.
- `models`: `BackgroundJob`, the abstract progress row of a job shown on a page (heartbeat, stale detection).
- `heartbeat`: `JobHeartbeat`, a job's progress and heartbeat written every few seconds of work.
- `stale`: jobs nobody works on any more, said and marked failed.
- `registry`: what each app tells the recovery about its tasks and jobs, filled from its `AppConfig.ready()`.
- `recovery`: re-queueing or failing the tasks of dead workers and the registered sweeps, run by
  `manage.py recover_tasks` (crm/management/commands/recover_tasks.py).

This package is at the bottom layer: it imports no app above `crm`. Each app keeps its own tasks (`<app>/tasks.py`)
and the job code they run; see docs/DEPLOY.md for running workers and recovery.
"""
