"""Script to animatic in one call: import, generate and voice at the same time, fit, render.

The order is chosen for speed without giving up correct timing:

1. import the script into the bundle (one undoable command, saved);
2. a voice thread speaks the dialogue (piper, one model load, one onnxruntime thread) in
   ``VOICE_BATCHES`` batches of consecutive shots, while the generation service renders takes
   for the shots *without* dialogue on its worker processes (their length does not depend on
   the voice);
3. as each voice batch lands, its shots are fitted to their voiced lines
   (``timing.fit_to_voice``, one undo step per batch) and generated at their final
   length while the voice speaks the next batch, so a take is never made for a length that then
   changes and the workers never wait for the whole script's voice;
4. ``render_animatic`` (the function ``storyboard-app render`` runs) writes the MP4, finding
   every clip and line in the caches.

``stages`` in the report gives the wall seconds of each step for the benchmark. No Qt.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..model import Document, Project, bundle_path_for
from . import ImportPlan, load_script, plan_import
from .timing import fit_to_voice

if TYPE_CHECKING:
    from ..generation.service import GenerationReport, GenerationService
    from ..render.export import ExportOptions
    from ..render.service import ExportReport

#: progress(stage, fraction, message); stages: "import", "generate", "voice", "render"
Progress = Callable[[str, float, str], None]
STAGES = ("import", "generate", "voice", "render")


def cpu_seconds(children: bool = True) -> float:
    """User + system CPU of this process (and, by default, its reaped children), so far."""
    try:
        import resource
    except ImportError:  # Windows: no rusage; process time of this process only
        return time.process_time()
    own = resource.getrusage(resource.RUSAGE_SELF)
    total = own.ru_utime + own.ru_stime
    if children:
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        total += kids.ru_utime + kids.ru_stime
    return total


@dataclass
class AnimaticReport:
    bundle: Path
    plan: ImportPlan
    export: ExportReport | None = None
    failed: list[tuple[str, str]] = field(default_factory=list)  # (shot number, why)
    voice_errors: list[str] = field(default_factory=list)
    generated: int = 0
    cached: int = 0
    fitted: int = 0
    stages: dict[str, float] = field(default_factory=dict)  # wall seconds per stage
    #: CPU seconds (user + system, this process and the children it reaped: generation workers,
    #: ffmpeg) per stage; "generate" includes the voice thread. On a shared machine these say
    #: what a quiet 2-core machine would need, where wall times say how busy this one was.
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.voice_errors


#: voiced shots are fitted and generated in this many batches, each while the voice thread
#: speaks the next: the generation workers never wait for the whole script's voice
VOICE_BATCHES = 3


def voice_batches(shots: list, count: int = VOICE_BATCHES) -> list[list]:
    """``shots`` (in timeline order) cut into at most ``count`` consecutive batches of about the
    same number of dialogue lines (what the voice spends its time on)."""
    if not shots:
        return []
    total = sum(len(shot.dialogue) for shot in shots)
    batches: list[list] = [[]]
    said = 0
    for shot in shots:
        lines = len(shot.dialogue)
        # a shot whose lines are mostly past this batch's share starts the next batch
        if batches[-1] and len(batches) < count and said + lines / 2 > total * len(batches) / count:
            batches.append([])
        batches[-1].append(shot)
        said += lines
    return batches


def _next_voice_report(reports: queue.Queue, thread: threading.Thread):  # noqa: ANN202 - VoiceReport
    """The voice thread's next batch report (its exception, raised here, if it failed)."""
    while True:
        try:
            item = reports.get(timeout=0.2)
        except queue.Empty:
            if not thread.is_alive() and reports.empty():
                raise RuntimeError("the voice thread stopped without a report") from None
            continue
        if isinstance(item, BaseException):
            raise item
        return item


def _voice_engine(name: str):  # noqa: ANN202 - a VoiceEngine
    """The voice engines of the one-command path: piper on one onnxruntime thread (unless
    ``STORYBOARD_TTS_THREADS`` says otherwise), since the voice runs beside the generation
    workers, which already keep every core busy: a second intra-op thread only adds spinning and
    contention (measured: 14 CPU-s on one thread against 19 on two for the benchmark's lines)."""
    from ..voice.piper_engine import PiperEngine, default_threads_from_env
    from ..voice.registry import get_engine

    if name == PiperEngine.name and default_threads_from_env() is None:
        return _one_thread_piper()
    return get_engine(name)


@functools.cache
def _one_thread_piper():  # noqa: ANN202 - a PiperEngine (imported lazily)
    from ..voice.piper_engine import PiperEngine

    return PiperEngine(threads=1)


def open_or_create(bundle: Path, title: str, width: int | None, height: int | None, fps: int | None) -> Document:
    """The bundle's document, locked for this process; a new empty project if there is none."""
    from ..model.lock import acquire

    root = bundle_path_for(bundle)
    root.mkdir(parents=True, exist_ok=True)
    lock = acquire(root)  # before reading: what this changes is the latest save
    try:
        if (root / "project.json").is_file():
            document = Document.open(root)
        else:
            project = Project(title=title or root.stem)
            project.width, project.height = width or project.width, height or project.height
            project.fps = fps or project.fps
            document = Document(project, root)
    except BaseException:
        lock.release()
        raise
    document.lock = lock
    return document


def script_to_animatic(
    script: Path | str,
    output: Path | str,
    bundle: Path | str,
    *,
    options: ExportOptions | None = None,
    size: tuple[int, int] | None = None,
    fps: int | None = None,
    jobs: int | None = None,
    service: GenerationService | None = None,
    progress: Progress | None = None,
) -> AnimaticReport:
    report_stage = progress or (lambda stage, fraction, message: None)
    began, cpu_began = time.monotonic(), cpu_seconds()
    draft = load_script(script)
    document = open_or_create(Path(bundle), draft.title, *(size or (None, None)), fps)
    try:
        return _run(document, draft, output, options, jobs, service, report_stage, began, cpu_began)
    finally:
        document.release_lock()


def _run(document: Document, draft, output: Path | str, options: ExportOptions | None,  # noqa: ANN001, PLR0913
         jobs: int | None, service: GenerationService | None, report_stage: Progress, began: float,
         cpu_began: float) -> AnimaticReport:
    from ..generation.service import GenerationService, generate_shots
    from ..render.service import render_animatic
    from ..voice import VoiceService

    stages: dict[str, float] = {}
    cpu: dict[str, float] = {}
    project = document.project
    plan = plan_import(project, draft)
    document.apply(plan.command)
    document.save()
    report = AnimaticReport(document.paths.root, plan)
    stages["import"] = time.monotonic() - began
    cpu["import"] = cpu_seconds() - cpu_began
    report_stage("import", 1.0, plan.summary())

    # --- voice (thread) and generation (worker processes), pipelined in batches
    voice = VoiceService(document.paths, engines=_voice_engine)
    snapshot = copy.deepcopy(project)  # the voice thread reads a copy: takes are recorded meanwhile
    all_shots = project.all_shots()
    silent = [shot for shot in all_shots if not shot.dialogue]
    batches = voice_batches([shot for shot in all_shots if shot.dialogue])
    lines_total = sum(len(shot.dialogue) for batch in batches for shot in batch)
    voiced_queue: queue.Queue = queue.Queue()
    stop_voice = threading.Event()

    def run_voice() -> None:
        started, done_before = time.monotonic(), 0
        try:
            for batch in batches:
                def batch_progress(done: int, total: int, what: str, before: int = done_before) -> None:
                    report_stage("voice", (before + done) / max(lines_total, 1), what)

                voiced_queue.put(voice.synthesize(snapshot, [shot.id for shot in batch], progress=batch_progress,
                                                  cancelled=stop_voice.is_set))
                done_before += sum(len(shot.dialogue) for shot in batch)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            voiced_queue.put(exc)
        finally:
            stages["voice"] = time.monotonic() - started

    thread = threading.Thread(target=run_voice, name="animatic-voice", daemon=True)
    own_service = service is None
    service = service or GenerationService(document.paths.root)
    done: set[str] = set()

    def on_event(event) -> None:  # noqa: ANN001
        if event.outcome:
            done.add(event.shot_id)
        report_stage("generate", len(done) / max(len(all_shots), 1), f"shot {event.shot_number}: {event.message}")

    gen_started, gen_cpu = time.monotonic(), cpu_seconds()
    reports: list[GenerationReport] = []
    try:
        thread.start()
        if silent:  # their length does not depend on the voice
            reports.append(generate_shots(document, silent, jobs=jobs, on_event=on_event, service=service))
        timed = plan.timed_shot_ids
        for batch in batches:
            # this batch's lines were voiced while the previous batch generated: fit, then generate
            vreport = _next_voice_report(voiced_queue, thread)
            report.voice_errors.extend(vreport.errors)
            vo = {t.shot_id: t.vo_frames for t in vreport.shots if t.shot_id in timed}
            command = fit_to_voice(project, vo, grow_only=timed - plan.added_shot_ids)
            if command is not None:
                document.apply(command)
                report.fitted += len(getattr(command, "commands", [command]))
            shots = [project.shot(shot.id) for shot in batch]
            reports.append(generate_shots(document, shots, jobs=jobs, on_event=on_event, service=service))
    except KeyboardInterrupt:  # Ctrl-C / SIGTERM: keep the takes that finished, then stop
        stop_voice.set()
        if document.dirty:
            with contextlib.suppress(Exception):
                document.save()
        raise
    except BaseException:
        stop_voice.set()
        raise
    finally:
        if own_service:
            service.shutdown()
    stages["generate"] = time.monotonic() - gen_started
    cpu["generate"] = cpu_seconds() - gen_cpu
    for gen in reports:
        report.generated += gen.generated
        report.cached += gen.cached + gen.up_to_date
        report.failed.extend(gen.failed)
    for shot in all_shots:
        if shot.id not in done and not any(number == shot.number for number, _ in report.failed):
            report.failed.append((shot.number, "generation stopped before this shot finished"))
    if document.dirty:
        document.save()

    # --- render: every clip and line is cached now
    render_started, render_cpu, render_python = time.monotonic(), cpu_seconds(), cpu_seconds(children=False)

    def on_render(stage: str, fraction: float, message: str) -> None:
        if stage == "export":
            report_stage("render", fraction, message)

    report.export = render_animatic(document, output, options=options, progress=on_render, generate=False)
    stages["render"] = time.monotonic() - render_started
    cpu["render"] = cpu_seconds() - render_cpu
    cpu["render_python"] = cpu_seconds(children=False) - render_python  # frame building; the rest is ffmpeg
    stages["total"] = time.monotonic() - began
    cpu["total"] = cpu_seconds() - cpu_began
    report.stages, report.cpu = stages, cpu
    report_stage("render", 1.0, "done")
    return report
