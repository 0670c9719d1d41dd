"""Ray's executor carries an accepted remote job too (on its progress poll), so a batch run on a
cluster records the job on the take before it finishes, like worker processes do."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from remote_fakes import FakeFal  # noqa: E402
from test_remote_jobs_survive import make_document  # noqa: E402

from storyboard_app.generation.ray_executor import RayExecutor, _keeping_sigterm_handler  # noqa: E402
from storyboard_app.generation.service import GenerationService, generate_shots  # noqa: E402
from storyboard_app.model import TakeStatus  # noqa: E402

pytestmark = [pytest.mark.timeout(240), pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[3]
KEY = "fal-ray-test-key-4242"


@pytest.fixture(scope="module")
def fal_on_ray():
    fake = FakeFal(KEY)
    saved = dict(os.environ)
    # the actors inherit the environment Ray starts with: the worktree, the fake's URL, the key
    os.environ.update(PYTHONPATH=str(ROOT), STORYBOARD_FAL_BASE_URL=fake.url, FAL_KEY=KEY,
                      PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    with _keeping_sigterm_handler():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield fake
    finally:
        ray.shutdown()
        os.environ.clear()
        os.environ.update(saved)
        fake.close()


def test_the_accepted_job_reaches_the_take_through_ray(fal_on_ray, fal_generator, tmp_path):
    doc = make_document(tmp_path / "p.sbproj", shots=1)
    fal_on_ray.hold = True
    accepted = []

    def on_accepted(event) -> None:  # noqa: ANN001
        accepted.append(event.take)
        fal_on_ray.hold = False

    with GenerationService(doc.paths.root, executor_factory=RayExecutor) as service:
        report = generate_shots(doc, service=service, on_remote_accepted=on_accepted)
    assert report.generated == 1, report.failed
    (take,) = doc.project.all_shots()[0].takes
    assert accepted and accepted[0].status == TakeStatus.RUNNING and accepted[0].id == take.id
    assert take.status == TakeStatus.DONE and take.remote_job["job_id"] in fal_on_ray.jobs
    assert len(fal_on_ray.submissions) == 1
