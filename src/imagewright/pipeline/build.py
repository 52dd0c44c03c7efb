"""One image build, the way an Image Builder pipeline runs it, on this machine.

recipe → base disk (cached) → build instance → build and validate phases per component →
mandatory clean-up → image taken into a fresh file system, residue checked → test instance →
test phases (+ boot test) → scan → exports with checksums → gate and distribution →
catalog entry made `available` last.

Every stage is a `BuildContext.stage`; a failure stops the build, keeps its logs, releases every
mount and loop device, and records the build as failed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from imagewright.config.recipe import OutputFormat, Recipe, load_recipe
from imagewright.config.yamlload import position
from imagewright.errors import CommandError, ConfigError, ImagewrightError, Problem
from imagewright.pipeline.bases import ParentImage, base_disk, copy_disk, parse_parent
from imagewright.pipeline.bootloader import install_bootloader
from imagewright.pipeline.boottest import boot_test
from imagewright.pipeline.catalog import Artifact, Catalog, ImageRecord
from imagewright.pipeline.cleanup import CleanupReport, release_folder, release_stale
from imagewright.pipeline.events import Events
from imagewright.pipeline.junit import TestCase, TestSuite, write_junit

if TYPE_CHECKING:
    from imagewright.executors.base import Executor
    from imagewright.findings import Report
    from imagewright.images.disk import ExportFormat
    from imagewright.images.residue import Fingerprints
    from imagewright.paths import ImageRoot
    from imagewright.policy.policyfile import Policy

log = logging.getLogger(__name__)

USER_DATA_FILE = "imagewright-user-data"
PERFORM_CLEANUP = "perform_cleanup"
NO_SPACE = "No space left on device"  # strerror(ENOSPC) in the messages of failed commands
BUILD_PHASES = ["build", "validate"]
TEST_PHASES = ["test"]
DISK_FORMATS: dict[OutputFormat, ExportFormat] = {
    OutputFormat.qcow2: "qcow2",
    OutputFormat.vmdk: "vmdk",
    OutputFormat.vhd: "vhd",
}


class BuildFailed(ImagewrightError):
    """The build stopped; it is recorded as failed with its logs."""


@dataclass(frozen=True, slots=True)
class ResolvedComponent:
    """A recipe component ready to run: its document on disk, parameters, and phases."""

    label: str  # what messages call it: the file name or name/version
    path: Path  # for a stored component: where materialize() writes it
    parameters: dict[str, str]
    phases: frozenset[str]
    stored_text: str | None = None  # the document of a stored component


def materialize(components: list[ResolvedComponent], work_dir: Path) -> list[ResolvedComponent]:
    """Write stored components' documents into the build's work folder."""
    ready = []
    for component in components:
        if component.stored_text is not None:
            path = work_dir / "components" / component.path.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(component.stored_text)
            component = ResolvedComponent(component.label, path, component.parameters,
                                          component.phases)  # fmt: skip
        ready.append(component)
    return ready


@dataclass
class BuildContext:
    """Runtime state of one build (the recipe itself stays immutable)."""

    recipe: Recipe
    recipe_path: Path
    components: list[ResolvedComponent]
    parent: ParentImage
    catalog: Catalog
    record: ImageRecord
    work_dir: Path
    output_dir: Path
    log_dir: Path
    events: Events
    policy: Policy | None = None
    test_suites: list[TestSuite] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)

    @property
    def stem(self) -> str:
        return file_stem(self.recipe.name, self.record)

    @property
    def junit_path(self) -> Path:
        return self.output_dir / f"{self.stem}.tests.xml"

    @property
    def scan_path(self) -> Path:
        return self.output_dir / f"{self.stem}.scan.json"

    @property
    def checksums_path(self) -> Path:
        return self.output_dir / f"{self.stem}.SHA256SUMS"

    def stage(self, title: str) -> AbstractContextManager[None]:
        return self.events.stage(title)

    def note(self, key: str, value: Any) -> None:
        self.catalog.add_note(self.record.id, key, value)


@dataclass(frozen=True, slots=True)
class BuildResult:
    record: ImageRecord
    output_dir: Path
    log_dir: Path
    junit: Path | None
    scan: Path
    timings: list[tuple[str, float, str]]


def file_stem(name: str, record: ImageRecord) -> str:
    """NAME-x.y.z-n: every file of one build in the output folder starts with it."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    return f"{safe}-{record.version.semantic}-{record.version.build}"


# -- preflight: everything that can be checked before anything is made ---------------------


def resolve_components(
    recipe: Recipe, recipe_path: Path, tree: Any, catalog: Catalog
) -> list[ResolvedComponent]:
    """Find and validate every component; errors name the recipe's line."""
    from imagewright.toe.actions import Platform
    from imagewright.toe.document import check_text
    from imagewright.toe.document import load as load_document

    resolved: list[ResolvedComponent] = []
    problems: list[Problem] = []
    for index, component in enumerate(recipe.components):
        loc: list[str | int] = ["components", index]
        line, column = position(tree, loc)
        stored = component.store_name_and_version()
        try:
            if stored is None:
                path = (recipe_path.parent / (component.path or "")).resolve()
                if not path.is_file():
                    problems.append(
                        Problem(
                            f"component document {path} does not exist",
                            file=recipe_path, line=line, column=column,
                            field=f"components[{index}].path",
                        )
                    )  # fmt: skip
                    continue
                label, text = path.name, None
                document = load_document(path, platform=Platform.linux).document
            else:
                found = catalog.find_component(*stored)
                label, text = f"{found.name}/{found.version}", found.document
                path = Path(f"{found.name}-{found.version.semantic}-{found.version.build}.yml")
                document = check_text(text, label, Platform.linux)
        except ConfigError as error:
            for problem in error.problems:
                where = f" (components[{index}] at {recipe_path}:{line})"
                problems.append(
                    Problem(
                        problem.message + where,
                        file=problem.file or recipe_path,
                        line=problem.line if problem.file else line,
                        column=problem.column if problem.file else column,
                        field=problem.field,
                        suggestion=problem.suggestion,
                    )
                )
            continue
        phases = frozenset(p.name for p in document.phases)
        resolved.append(ResolvedComponent(label, path, component.parameter_values(), phases, text))
    if problems:
        raise ConfigError(problems)
    return resolved


def _parent(recipe: Recipe, recipe_path: Path, tree: Any) -> ParentImage:
    try:
        return parse_parent(recipe.parent_image, recipe_path.parent)
    except ConfigError as error:
        line, column = position(tree, ["parentImage"])
        located = [
            Problem(p.message, file=recipe_path, line=line, column=column, field=p.field)
            for p in error.problems
        ]
        raise ConfigError(located, hint=error.hint) from error


def _check_tools(recipe: Recipe, parent: ParentImage) -> None:
    """Every program the build will need, before anything is made or recorded."""
    from imagewright.run import require_tool

    needed = ["unshare", "losetup", "mount", "sfdisk", "grub-mkimage", f"mkfs.{recipe.file_system}"]
    if parent.suite is not None:
        needed.append("mmdebstrap")
    if recipe.boot_mode.value == "uefi":
        needed += ["mkfs.vfat", "mcopy", "mmd"]
    if set(recipe.output_formats) & set(DISK_FORMATS):
        needed.append("qemu-img")
    if recipe.tests.boot:
        needed.append("qemu-system-x86_64")
    for program in needed:
        require_tool(program)


def _check_output_dir(output_dir: Path) -> None:
    """The output folder exists or can be made: its nearest existing ancestor is a folder."""
    existing = next(p for p in (output_dir, *output_dir.absolute().parents) if p.exists())
    if not existing.is_dir():
        why = "it is not a folder" if existing == output_dir else f"{existing} is not a folder"
        raise ConfigError(Problem(f"cannot be the output folder: {why}", file=output_dir))


def _check_sanitize_profile(recipe: Recipe, recipe_path: Path, tree: Any) -> None:
    from imagewright.sanitize import Profile

    names = [p.value for p in Profile]
    if recipe.sanitize_profile not in names:
        from imagewright.registry import suggest

        line, column = position(tree, ["sanitizeProfile"])
        raise ConfigError(
            Problem(
                f"unknown sanitize profile; expected one of: {', '.join(names)}",
                file=recipe_path, line=line, column=column, field="sanitizeProfile",
                suggestion=suggest(recipe.sanitize_profile, names),
            )
        )  # fmt: skip


# -- the stages ----------------------------------------------------------------------------


def _run_user_data(ctx: BuildContext, root: ImageRoot, executor: Executor) -> None:
    """Image Builder's build instance runs its user data at launch: the default creates
    `perform_cleanup`; an override runs instead (and may create it itself)."""
    working = PurePosixPath(ctx.recipe.working_directory)
    root.resolve(working).mkdir(parents=True, exist_ok=True)
    additional = ctx.recipe.additional_instance_configuration
    user_data = additional.user_data() if additional else None
    if user_data is None:
        root.write_text(working / PERFORM_CLEANUP, "")
        return
    script = working / USER_DATA_FILE
    root.write_bytes(script, user_data, mode=0o700)
    result = executor.run(
        [str(script)] if user_data.startswith(b"#!") else ["/bin/sh", str(script)],
        check=False,
        timeout=3600,
        cwd=str(working),
    )
    (ctx.log_dir / "user-data.log").write_text(result.stdout + result.stderr)
    root.resolve(script, follow_final=False).unlink(missing_ok=True)
    if result.returncode != 0:
        raise BuildFailed(
            f"the userDataOverride script failed with exit code {result.returncode}",
            hint=f"see {ctx.log_dir / 'user-data.log'}",
        )


def _run_phases(
    ctx: BuildContext,
    root: ImageRoot,
    executor: Executor,
    component: ResolvedComponent,
    phases: list[str],
    log_kind: str,
) -> None:
    """Run phases of one component; its TOE_* log folder is also kept in the build's logs."""
    from imagewright.toe.runner import run_documents

    working = root.resolve(ctx.recipe.working_directory)
    summary = run_documents(
        [component.path],
        phases=phases,
        parameters=component.parameters,
        executor=executor,
        log_directory=working,
        variables={
            "IMAGE_VERSION": ctx.record.version.semantic,
            "IMAGE_BUILD_VERSION": str(ctx.record.version.build),
            "IMAGE_PHASE": "TESTING" if log_kind == "test" else "BUILDING",
        },
    )
    # The service keeps TOE_* inside the instance (the clean-up removes them); keep a copy.
    kept = ctx.log_dir / log_kind
    number = len(list(kept.iterdir())) + 1 if kept.is_dir() else 1
    destination = kept / f"{number:02d}-{component.path.stem}"
    shutil.copytree(summary.log_folder, destination / summary.log_folder.name, symlinks=True)
    if not summary.succeeded:
        raise BuildFailed(
            f"component {component.label} failed in its {'/'.join(phases)} phase: "
            f"{summary.failure_message or summary.status}",
            hint=f"see the logs in {destination}",
        )


def _build_instance(ctx: BuildContext, base: Path, fingerprints: Fingerprints) -> Path:
    """Build and validate phases, then the clean-up; returns the taken image (raw)."""
    from imagewright.executors.chroot import ChrootExecutor
    from imagewright.images.disk import make_disk
    from imagewright.images.target import open_target

    recipe = ctx.recipe
    with ctx.stage("Launching the build instance"):
        instance = copy_disk(base, ctx.work_dir / "build-instance.raw")
    with open_target(instance, writable=True, work_dir=ctx.work_dir) as opened:
        executor = ChrootExecutor(opened.root.root)
        with ctx.stage("Running the instance's user data"):
            _run_user_data(ctx, opened.root, executor)
        for component in ctx.components:
            if not component.phases & set(BUILD_PHASES):
                continue
            with ctx.stage(f"Build and validate: {component.label}"):
                _run_phases(ctx, opened.root, executor, component, BUILD_PHASES, "build")
        with ctx.stage(f"Clean-up ({recipe.sanitize_profile})"):
            _sanitize(ctx, opened.root, fingerprints)
        with ctx.stage("Taking the image into a fresh file system"):
            image = ctx.work_dir / "image.raw"
            layout = make_disk(
                opened.root.root,
                image,
                fstype=recipe.file_system.value,
                size_bytes=recipe.root_size_bytes(),
                boot=recipe.boot_mode.value,
                work_dir=ctx.work_dir,
            )
    (ctx.work_dir / "build-instance.raw").unlink()
    with ctx.stage("Installing the bootloader"):
        install_bootloader(layout, recipe.boot_mode, work_dir=ctx.work_dir)
    return image


def _sanitize(ctx: BuildContext, root: ImageRoot, fingerprints: Fingerprints) -> None:
    from imagewright.sanitize.engine import SanitizeFailed, sanitize_root

    additional = ctx.recipe.additional_instance_configuration
    override = bool(additional and additional.user_data_override)

    def remember(fd: int, image_path: str) -> None:
        chunks = []
        os.lseek(fd, 0, os.SEEK_SET)
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        fingerprints.add_bytes(b"".join(chunks), image_path)

    report = sanitize_root(
        root,
        profile=ctx.recipe.sanitize_profile,
        working_directory=ctx.recipe.working_directory,
        user_data_override=override,
        on_content=remember,
    )
    (ctx.log_dir / "sanitize.json").write_text(report.to_json())
    # The seed's script deletes its trigger before it starts; the image must not keep it.
    marker = PurePosixPath(ctx.recipe.working_directory) / PERFORM_CLEANUP
    root.resolve(marker, follow_final=False).unlink(missing_ok=True)
    skipped = {
        op.name: op.reason for op in report.operations if op.status == "skipped" and op.reason
    }
    if skipped:
        log.warning("The clean-up skipped %d operations: %s", len(skipped), skipped)
        ctx.note("cleanupSkipped", skipped)
    if report.failures():
        raise SanitizeFailed(report)


def _check_residue(ctx: BuildContext, image: Path, fingerprints: Fingerprints) -> None:
    from imagewright.images.residue import find_residue

    with ctx.stage("Checking the image for removed content"):
        hits = find_residue(image, fingerprints)
        ctx.note("residueCheck", {"fingerprintedBlocks": len(fingerprints), "found": len(hits)})
        if hits:
            shown = ", ".join(f"{h.image_path} at byte {h.offset}" for h in hits[:5])
            raise BuildFailed(f"removed content is still on the taken image: {shown}")


def _test_instance(ctx: BuildContext, image: Path) -> None:
    from imagewright.executors.chroot import ChrootExecutor
    from imagewright.images.target import open_target

    testable = [c for c in ctx.components if "test" in c.phases]
    if not ctx.recipe.tests.enabled or not testable:
        return
    with ctx.stage("Launching the test instance"):
        instance = copy_disk(image, ctx.work_dir / "test-instance.raw")
    suite = TestSuite("components")
    ctx.test_suites.append(suite)
    try:
        with open_target(instance, writable=True, work_dir=ctx.work_dir) as opened:
            executor = ChrootExecutor(opened.root.root)
            opened.root.resolve(ctx.recipe.working_directory).mkdir(parents=True, exist_ok=True)
            for component in testable:
                with ctx.stage(f"Test: {component.label}"):
                    started = time.monotonic()
                    try:
                        _run_phases(ctx, opened.root, executor, component, TEST_PHASES, "test")
                    except BuildFailed as failure:
                        suite.cases.append(
                            TestCase(component.label, time.monotonic() - started, str(failure))
                        )
                        raise
                    suite.cases.append(TestCase(component.label, time.monotonic() - started))
    finally:
        instance.unlink(missing_ok=True)


def _boot_test(ctx: BuildContext, image: Path) -> None:
    tests = ctx.recipe.tests
    if not tests.boot:
        return
    with ctx.stage(f"Boot test (qemu, {ctx.recipe.boot_mode.value})"):
        result = boot_test(
            image,
            boot=ctx.recipe.boot_mode,
            timeout=tests.boot_timeout_seconds,
            work_dir=ctx.work_dir / "boot-test",
        )
        shutil.copyfile(result.console_log, ctx.log_dir / "boot-console.log")
        ctx.test_suites.append(
            TestSuite(
                "boot",
                [TestCase("login-prompt", result.seconds,
                          None if result.passed else result.message, result.message)],
            )
        )  # fmt: skip
        if not result.passed:
            raise BuildFailed(
                f"the boot test failed: {result.message.splitlines()[0]}",
                hint=f"see the serial console in {ctx.log_dir / 'boot-console.log'}",
            )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _export(ctx: BuildContext, image: Path) -> None:
    from imagewright.images import archive
    from imagewright.images.disk import export
    from imagewright.images.target import open_target

    ctx.output_dir.mkdir(parents=True, exist_ok=True)
    # raw last: it is the work image itself, moved instead of copied where possible.
    formats = sorted(ctx.recipe.output_formats, key=lambda f: f == OutputFormat.raw)
    for output_format in formats:
        with ctx.stage(f"Exporting {output_format.value}"):
            target = ctx.output_dir / f"{ctx.stem}.{output_format.value}"
            if output_format == OutputFormat.tar:
                with open_target(image, writable=False, work_dir=ctx.work_dir) as opened:
                    archive.pack(opened.root.root, target)
            elif output_format == OutputFormat.raw:
                _move_or_copy(image, target)
            else:
                export(image, target, format=DISK_FORMATS[output_format])
            ctx.artifacts.append(
                Artifact(output_format.value, target, sha256_of(target), target.stat().st_size)
            )
    sums = "".join(f"{a.sha256}  {a.path.name}\n" for a in ctx.artifacts)
    ctx.checksums_path.write_text(sums)


def _move_or_copy(source: Path, destination: Path) -> None:
    from imagewright.images.disk import export

    try:
        source.replace(destination)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        export(source, destination, format="raw")  # never leaves a partial copy behind


def _scan(ctx: BuildContext, image: Path) -> Report:
    """Secrets, deleted data, hygiene and pending patches of the taken image (for the gate)."""
    from imagewright.images.probe import regions
    from imagewright.images.target import open_target
    from imagewright.reports import render
    from imagewright.scan.engine import scan_image

    with (
        ctx.stage("Scanning the image"),
        open_target(image, writable=False, work_dir=ctx.work_dir) as opened,
    ):
        result = scan_image(
            opened.root, target=ctx.record.reference, raw_disk=image, regions=regions(image)
        )
    report = result.report
    ctx.scan_path.write_text(render(report, "json"))
    counts: dict[str, int] = {}
    for finding in report.findings:
        counts[finding.severity.value] = counts.get(finding.severity.value, 0) + 1
    ctx.note("scanFindings", counts)
    if report.findings:
        log.warning("The scan found %s (see %s.scan.json)", counts, ctx.stem)
    return report


def _distribute(ctx: BuildContext, report: Report) -> None:
    """The gate, then every target of the distribution configuration; recorded in the catalog."""
    from imagewright.pipeline.distribute import distribute, record_distribution
    from imagewright.policy.policyfile import Policy

    recipe = ctx.recipe
    if recipe.distribution_configuration is None:
        return
    folder = ctx.recipe_path.parent
    configs = [ctx.recipe_path]
    if recipe.infrastructure_configuration is not None:
        configs.append(folder / recipe.infrastructure_configuration)
    with ctx.stage("Gate and distribution"):
        record = distribute(
            [a.path for a in ctx.artifacts],
            report,
            folder / recipe.distribution_configuration,
            ctx.policy or Policy(),
            image_name=ctx.stem,
            configs=configs,
            checksums={a.path.name: a.sha256 for a in ctx.artifacts},
        )
        record_distribution(ctx.catalog, ctx.record.id, record)


# -- orchestration -------------------------------------------------------------------------


@contextmanager
def _build_log(path: Path) -> Iterator[None]:
    """Everything logged during the build (debug included) also goes to build.log."""
    handler = logging.FileHandler(path)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("imagewright")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    for other in logger.handlers:
        if other is not handler and other.level == logging.NOTSET:
            other.setLevel(previous)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        handler.close()


def _failure_message(error: BaseException) -> str:
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    return str(error) or type(error).__name__


def build(
    recipe_path: Path,
    *,
    state_directory: Path | None = None,
    output_dir: Path | None = None,
    events: Events | None = None,
    keep_work: bool = False,
    policy: Policy | None = None,
) -> BuildResult:
    """Run the whole pipeline for one recipe. Raises ConfigError (bad recipe, nothing recorded)
    or BuildFailed and other ImagewrightErrors (recorded as a failed build with its logs)."""
    events = events or Events()
    recipe, tree = load_recipe(recipe_path)
    recipe_path = recipe_path.resolve()
    if output_dir is not None:
        _check_output_dir(output_dir)
    with Catalog(state_directory) as catalog:
        cleaned = release_stale(catalog)
        _report_cleanup(cleaned)
        parent = _parent(recipe, recipe_path, tree)
        _check_tools(recipe, parent)
        _check_sanitize_profile(recipe, recipe_path, tree)
        components = resolve_components(recipe, recipe_path, tree, catalog)
        work_dir = catalog.work_root / f"build-{uuid.uuid4().hex[:12]}"
        record = catalog.begin_build(
            recipe.name,
            recipe.semantic_version,
            recipe=recipe.model_dump(mode="json", by_alias=True, exclude_none=True),
            recipe_path=recipe_path,
            work_dir=work_dir,
        )
        out = (
            output_dir
            or catalog.images_root
            / recipe.name
            / recipe.semantic_version
            / str(record.version.build)
        ).resolve()
        log_dir = out / f"{file_stem(recipe.name, record)}.logs"
        catalog.set_locations(record.id, output_dir=out, log_dir=log_dir)
        ctx = BuildContext(
            recipe, recipe_path, components, parent, catalog, record, work_dir, out, log_dir,
            events, policy,
        )  # fmt: skip
        events.emit("build-started", image=recipe.name, version=str(record.version),
                    output=str(out))  # fmt: skip
        try:
            work_dir.mkdir(parents=True, exist_ok=True)
            log_dir.mkdir(parents=True, exist_ok=True)
            ctx.components = materialize(components, work_dir)
            with _build_log(log_dir / "build.log"):
                _pipeline(ctx)
        except BaseException as error:
            shown = _as_build_failure(error, out, catalog.state_directory)
            message = _failure_message(shown or error)
            catalog.mark_failed(record.id, message)
            with contextlib.suppress(OSError):
                (log_dir / "error.txt").write_text(message + "\n")
            events.emit("build-finished", status="failed", error=message)
            if shown is not None:
                raise shown from error
            raise
        finally:
            with contextlib.suppress(OSError):
                _write_timings(ctx)
            if not keep_work:
                release_folder(work_dir, CleanupReport())
        record = catalog.get(record.id)
        events.emit("build-finished", status="available", image=record.reference,
                    artifacts=[a.as_dict() for a in record.artifacts])  # fmt: skip
        junit = ctx.junit_path if ctx.junit_path.exists() else None
        return BuildResult(record, out, log_dir, junit, ctx.scan_path, events.timings)


def _pipeline(ctx: BuildContext) -> None:
    from imagewright.images.residue import Fingerprints

    recipe = ctx.recipe
    (ctx.log_dir / "recipe.json").write_text(
        json.dumps(recipe.model_dump(mode="json", by_alias=True, exclude_none=True), indent=2)
    )
    with ctx.stage(f"Preparing the base image ({ctx.parent.describe()})"):
        base = base_disk(
            ctx.parent,
            cache=ctx.catalog.cache_root,
            fstype=recipe.file_system,
            size_bytes=recipe.root_size_bytes(),
            boot=recipe.boot_mode,
            work_dir=ctx.work_dir,
        )
    fingerprints = Fingerprints()
    image = _build_instance(ctx, base, fingerprints)
    _check_residue(ctx, image, fingerprints)
    try:
        _test_instance(ctx, image)
        _boot_test(ctx, image)
    finally:
        if ctx.test_suites:
            ctx.output_dir.mkdir(parents=True, exist_ok=True)
            write_junit(ctx.test_suites, ctx.junit_path)
    report = _scan(ctx, image)
    _export(ctx, image)
    _distribute(ctx, report)
    with ctx.stage("Recording the image as available"):
        ctx.catalog.mark_available(ctx.record.id, ctx.artifacts)


def _write_timings(ctx: BuildContext) -> None:
    timings = [{"stage": t, "seconds": s, "status": st} for t, s, st in ctx.events.timings]
    (ctx.log_dir / "timings.json").write_text(json.dumps(timings, indent=2))


def _as_build_failure(
    error: BaseException, output_dir: Path, state_directory: Path
) -> BuildFailed | None:
    """The message a failed build shows, where the error itself would not be clear."""
    # BuildFailed quotes a component's own output: a full disk there is the image's, not ours.
    if (isinstance(error, OSError) and error.errno == errno.ENOSPC) or (
        isinstance(error, ImagewrightError)
        and not isinstance(error, BuildFailed)
        and NO_SPACE in str(error)
    ):
        return _no_space(error, output_dir, state_directory)
    if isinstance(error, OSError):
        return BuildFailed(f"{error.strerror or error}: {error.filename or ''}".rstrip(": "))
    if isinstance(error, ImagewrightError) and error.exit_code == 2:
        # After the preflight every problem is a failed build (exit 1), not bad input.
        return BuildFailed(error.message, hint=error.hint)
    return None


def _no_space(error: BaseException, output_dir: Path, state_directory: Path) -> BuildFailed:
    """Name the full folder: the one the error mentions, else the one with less free space."""
    folders = {output_dir: "--output-dir", state_directory: "--state-dir"}
    if isinstance(error, OSError):
        text = str(error.filename or "")
    else:  # a command's own words name the file it wrote; its argv names every folder
        text = error.stderr if isinstance(error, CommandError) else str(error)
    named = [f for f in folders if f"{f}/" in f"{text}/"]
    if named:
        full = max(named, key=lambda f: len(str(f)))  # the deeper one, if one holds the other
    else:
        full = min(folders, key=lambda f: shutil.disk_usage(f).free if f.exists() else 0)
    kind = "output" if full == output_dir else "state"
    return BuildFailed(
        f"no space left on the device: the {kind} folder {full} is full",
        hint=f"free space there, or choose another folder with {folders[full]}",
    )


def _report_cleanup(report: CleanupReport) -> None:
    if report.failed_builds:
        log.warning("Interrupted builds marked failed: %s", ", ".join(report.failed_builds))
    if report.unmounted or report.loop_devices or report.removed:
        log.warning(
            "Released leftovers of interrupted builds: %d mounts, %d loop devices, %d folders",
            len(report.unmounted), len(report.loop_devices), len(report.removed),
        )  # fmt: skip
