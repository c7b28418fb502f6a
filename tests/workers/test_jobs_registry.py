"""crm.jobs.registry: what each app told the recovery from its AppConfig.ready() (no string maps to keep in step)."""

from crm.jobs import registry
from interactions.sending import deliver_entries_lost
from interactions.tasks import deliver_entries
from segments.letter_download_job import letter_download_job_lost
from segments.log_job import log_job_lost
from segments.models import LetterDownloadJob, LogJob
from segments.tasks import run_letter_download_job, run_log_job


def test_every_task_of_the_apps_is_registered_with_what_tidies_up_after_a_lost_worker():
    kinds = [registry.task_kind(task.module_path) for task in (deliver_entries, run_log_job, run_letter_download_job)]
    registered = {kind.task_path: (kind.lost_handler, kind.job_model) for kind in kinds}
    assert registered == {
        "interactions.tasks.deliver_entries": (deliver_entries_lost, None),
        "segments.tasks.run_log_job": (log_job_lost, LogJob),
        "segments.tasks.run_letter_download_job": (letter_download_job_lost, LetterDownloadJob),
    }


def test_the_stale_job_sweep_covers_each_job_model_once():
    assert sorted(model.__name__ for model in registry.job_models()) == ["LetterDownloadJob", "LogJob"]


def test_an_unknown_task_path_has_no_kind():
    assert registry.task_kind("somewhere.else.task") is None
