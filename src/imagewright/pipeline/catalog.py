"""The local catalog of images and components: SQLite in write-ahead-log mode in the state folder.

Kill safety: a build is inserted as `building` with the builder's pid and process start time;
it becomes `available` only in the one transaction that also records its checksummed artifacts.
A `building` row whose process is gone is turned into `failed` by `reap_stale()`, which the next
run (and `imagewright cleanup`) calls before releasing what the dead build left behind.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imagewright.errors import ConfigError, ImagewrightError, Problem
from imagewright.pipeline.versions import BuildVersion, VersionFilter
from imagewright.registry import suggest

SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    major INTEGER NOT NULL, minor INTEGER NOT NULL, patch INTEGER NOT NULL,
    build INTEGER NOT NULL,
    status TEXT NOT NULL,
    recipe TEXT NOT NULL,
    recipe_path TEXT,
    created_at REAL NOT NULL,
    finished_at REAL,
    pid INTEGER,
    pid_start TEXT,
    work_dir TEXT,
    output_dir TEXT,
    log_dir TEXT,
    error TEXT,
    notes TEXT NOT NULL DEFAULT '{}',
    UNIQUE (name, major, minor, patch, build)
);
CREATE TABLE IF NOT EXISTS artifacts (
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    format TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (image_id, format)
);
CREATE TABLE IF NOT EXISTS distributions (
    id INTEGER PRIMARY KEY,
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS components (
    name TEXT NOT NULL,
    major INTEGER NOT NULL, minor INTEGER NOT NULL, patch INTEGER NOT NULL,
    build INTEGER NOT NULL,
    platform TEXT NOT NULL,
    type TEXT NOT NULL,
    description TEXT,
    change_description TEXT,
    document TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (name, major, minor, patch, build)
);
"""


class ImageStatus(enum.StrEnum):
    building = "building"
    available = "available"
    failed = "failed"
    deprecated = "deprecated"


@dataclass(frozen=True, slots=True)
class Artifact:
    format: str
    path: Path
    sha256: str
    size: int

    def as_dict(self) -> dict[str, Any]:
        return {"format": self.format, "path": str(self.path), "sha256": self.sha256,
                "size": self.size}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Distribution:
    target: str
    detail: dict[str, Any]
    created_at: float


@dataclass(frozen=True, slots=True)
class ImageRecord:
    id: int
    name: str
    version: BuildVersion
    status: ImageStatus
    recipe: dict[str, Any]
    recipe_path: str | None
    created_at: float
    finished_at: float | None
    pid: int | None
    work_dir: Path | None
    output_dir: Path | None
    log_dir: Path | None
    error: str | None
    notes: dict[str, Any]
    artifacts: list[Artifact] = field(default_factory=list)
    distributions: list[Distribution] = field(default_factory=list)

    @property
    def reference(self) -> str:
        return f"{self.name}:{self.version}"

    def artifact(self, format: str = "raw") -> Artifact | None:
        return next((a for a in self.artifacts if a.format == format), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": str(self.version),
            "semanticVersion": self.version.semantic,
            "buildNumber": self.version.build,
            "status": self.status.value,
            "createdAt": _iso(self.created_at),
            "finishedAt": _iso(self.finished_at) if self.finished_at else None,
            "recipePath": self.recipe_path,
            "recipe": self.recipe,
            "outputDirectory": str(self.output_dir) if self.output_dir else None,
            "logDirectory": str(self.log_dir) if self.log_dir else None,
            "error": self.error,
            "notes": self.notes,
            "artifacts": [a.as_dict() for a in self.artifacts],
            "distributions": [
                {"target": d.target, "detail": d.detail, "createdAt": _iso(d.created_at)}
                for d in self.distributions
            ],
        }


@dataclass(frozen=True, slots=True)
class StoredComponent:
    name: str
    version: BuildVersion
    platform: str
    type: str
    description: str | None
    change_description: str | None
    document: str
    sha256: str
    created_at: float

    def as_dict(self, *, with_document: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "version": str(self.version),
            "platform": self.platform,
            "type": self.type,
            "description": self.description,
            "changeDescription": self.change_description,
            "sha256": self.sha256,
            "createdAt": _iso(self.created_at),
        }
        if with_document:
            data["data"] = self.document
        return data


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def default_state_directory() -> Path:
    """/var/lib/imagewright as root, $XDG_STATE_HOME/imagewright otherwise."""
    override = os.environ.get("IMAGEWRIGHT_STATE_DIR")
    if override:
        return Path(override)
    if os.geteuid() == 0:
        return Path("/var/lib/imagewright")
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "imagewright"


def process_start_time(pid: int) -> str | None:
    """The kernel's start time of pid (clock ticks since boot), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after its last ')'.
    return stat.rsplit(")", 1)[1].split()[19]


def process_alive(pid: int | None, start: str | None) -> bool:
    return pid is not None and start is not None and process_start_time(pid) == start


def parse_reference(reference: str) -> tuple[str, VersionFilter]:
    """`name:version` (version x.y.z, x.y.z/n or wildcards; omitted: latest) → (name, filter)."""
    name, _, version = reference.rpartition(":")
    if not name:
        name, version = reference, "x.x.x"
    try:
        return name, VersionFilter.parse(version)
    except ValueError as e:
        raise ConfigError(Problem(str(e), field="image reference")) from None


class Catalog:
    """The state folder's catalog. One connection per instance; safe across processes."""

    def __init__(self, state_directory: Path | None = None) -> None:
        # Absolute: work folders below it are mounted and chrooted into from other directories.
        self.state_directory = (state_directory or default_state_directory()).absolute()
        try:
            self.state_directory.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(
                Problem(f"cannot create the state folder: {e.strerror}", file=self.state_directory),
                hint="choose another one with --state-dir",
            ) from e
        self.path = self.state_directory / "catalog.db"
        try:
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as e:
            raise self._unusable(e) from e
        try:
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as e:
            self._db.close()
            raise self._unusable(e) from e

    def _unusable(self, error: sqlite3.Error) -> ConfigError:
        return ConfigError(
            Problem(f"not a usable catalog: {error}", file=self.path),
            hint="move it away, or choose another state folder with --state-dir",
        )

    @property
    def work_root(self) -> Path:
        return self.state_directory / "work"

    @property
    def cache_root(self) -> Path:
        return self.state_directory / "cache"

    @property
    def images_root(self) -> Path:
        return self.state_directory / "images"

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- images ---------------------------------------------------------------------------

    def begin_build(
        self,
        name: str,
        semantic_version: str,
        *,
        recipe: dict[str, Any],
        recipe_path: Path | None,
        work_dir: Path,
    ) -> ImageRecord:
        """Insert a `building` row with the next build number of name x.y.z."""
        major, minor, patch = (int(p) for p in semantic_version.split("."))
        with self._transaction() as db:
            row = db.execute(
                "SELECT COALESCE(MAX(build), 0) FROM images "
                "WHERE name = ? AND major = ? AND minor = ? AND patch = ?",
                (name, major, minor, patch),
            ).fetchone()
            build = int(row[0]) + 1
            pid = os.getpid()
            cursor = db.execute(
                "INSERT INTO images (name, major, minor, patch, build, status, recipe, "
                "recipe_path, created_at, pid, pid_start, work_dir) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, major, minor, patch, build, ImageStatus.building.value,
                 json.dumps(recipe), str(recipe_path) if recipe_path else None, time.time(),
                 pid, process_start_time(pid), str(work_dir)),
            )  # fmt: skip
            image_id = int(cursor.lastrowid or 0)
        return self.get(image_id)

    def set_locations(self, image_id: int, *, output_dir: Path, log_dir: Path) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE images SET output_dir = ?, log_dir = ? WHERE id = ?",
                (str(output_dir), str(log_dir), image_id),
            )

    def add_note(self, image_id: int, key: str, value: Any) -> None:
        with self._transaction() as db:
            row = db.execute("SELECT notes FROM images WHERE id = ?", (image_id,)).fetchone()
            notes = json.loads(row["notes"])
            notes[key] = value
            db.execute("UPDATE images SET notes = ? WHERE id = ?", (json.dumps(notes), image_id))

    def mark_available(self, image_id: int, artifacts: list[Artifact]) -> None:
        """The last step of a build: artifacts and `available` in one transaction."""
        with self._transaction() as db:
            status = db.execute("SELECT status FROM images WHERE id = ?", (image_id,)).fetchone()
            if status is None or status["status"] != ImageStatus.building.value:
                raise ImagewrightError(f"image #{image_id} is no longer being built")
            db.executemany(
                "INSERT OR REPLACE INTO artifacts (image_id, format, path, sha256, size) "
                "VALUES (?, ?, ?, ?, ?)",
                [(image_id, a.format, str(a.path), a.sha256, a.size) for a in artifacts],
            )
            db.execute(
                "UPDATE images SET status = ?, finished_at = ?, pid = NULL WHERE id = ?",
                (ImageStatus.available.value, time.time(), image_id),
            )

    def mark_failed(self, image_id: int, error: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE images SET status = ?, finished_at = ?, error = ?, pid = NULL "
                "WHERE id = ? AND status = ?",
                (ImageStatus.failed.value, time.time(), error, image_id,
                 ImageStatus.building.value),
            )  # fmt: skip

    def set_status(self, image_id: int, status: ImageStatus) -> None:
        with self._transaction() as db:
            db.execute("UPDATE images SET status = ? WHERE id = ?", (status.value, image_id))

    def delete(self, image_id: int) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM images WHERE id = ?", (image_id,))

    def add_distribution(self, image_id: int, target: str, detail: dict[str, Any]) -> None:
        """Record where (and with whom) an image was distributed."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO distributions (image_id, target, detail, created_at) "
                "VALUES (?, ?, ?, ?)",
                (image_id, target, json.dumps(detail), time.time()),
            )

    def reap_stale(self) -> list[ImageRecord]:
        """Mark `building` rows whose builder process is gone as failed; return them."""
        stale: list[int] = []
        with self._transaction() as db:
            rows = db.execute(
                "SELECT id, pid, pid_start FROM images WHERE status = ?",
                (ImageStatus.building.value,),
            ).fetchall()
            for row in rows:
                if process_alive(row["pid"], row["pid_start"]):
                    continue
                db.execute(
                    "UPDATE images SET status = ?, finished_at = ?, error = ?, pid = NULL "
                    "WHERE id = ?",
                    (ImageStatus.failed.value, time.time(),
                     "the build was interrupted (its process is gone)", row["id"]),
                )  # fmt: skip
                stale.append(row["id"])
        return [self.get(image_id) for image_id in stale]

    def active_work_dirs(self) -> set[Path]:
        rows = self._db.execute(
            "SELECT work_dir, pid, pid_start FROM images WHERE status = ?",
            (ImageStatus.building.value,),
        ).fetchall()
        return {
            Path(r["work_dir"])
            for r in rows
            if r["work_dir"] and process_alive(r["pid"], r["pid_start"])
        }

    def get(self, image_id: int) -> ImageRecord:
        row = self._db.execute("SELECT * FROM images WHERE id = ?", (image_id,)).fetchone()
        if row is None:
            raise ImagewrightError(f"image #{image_id} is not in the catalog")
        return self._record(row)

    def images(self, name: str | None = None) -> list[ImageRecord]:
        query = "SELECT * FROM images"
        parameters: tuple[str, ...] = ()
        if name is not None:
            query += " WHERE name = ?"
            parameters = (name,)
        query += " ORDER BY name, major, minor, patch, build"
        return [self._record(row) for row in self._db.execute(query, parameters).fetchall()]

    def find(self, reference: str, *, status: ImageStatus | None = None) -> ImageRecord:
        """The image `name:version` names; a version without /n means its latest build."""
        name, wanted = parse_reference(reference)
        candidates = [
            r for r in self.images(name) if wanted.accepts(r.version) and
            (status is None or r.status == status)
        ]  # fmt: skip
        if not candidates:
            known = sorted({r.name for r in self.images()})
            raise ConfigError(
                Problem(
                    f"no image '{reference}' in the catalog {self.path}",
                    suggestion=None if name in known else suggest(name, known),
                ),
                hint="see 'imagewright images list'",
            )
        return max(candidates, key=lambda r: r.version)

    def _record(self, row: sqlite3.Row) -> ImageRecord:
        artifacts = [
            Artifact(a["format"], Path(a["path"]), a["sha256"], a["size"])
            for a in self._db.execute(
                "SELECT * FROM artifacts WHERE image_id = ? ORDER BY format", (row["id"],)
            )
        ]
        distributions = [
            Distribution(d["target"], json.loads(d["detail"]), d["created_at"])
            for d in self._db.execute(
                "SELECT * FROM distributions WHERE image_id = ? ORDER BY id", (row["id"],)
            )
        ]
        return ImageRecord(
            id=row["id"],
            name=row["name"],
            version=BuildVersion(row["major"], row["minor"], row["patch"], row["build"]),
            status=ImageStatus(row["status"]),
            recipe=json.loads(row["recipe"]),
            recipe_path=row["recipe_path"],
            created_at=row["created_at"],
            finished_at=row["finished_at"],
            pid=row["pid"],
            work_dir=Path(row["work_dir"]) if row["work_dir"] else None,
            output_dir=Path(row["output_dir"]) if row["output_dir"] else None,
            log_dir=Path(row["log_dir"]) if row["log_dir"] else None,
            error=row["error"],
            notes=json.loads(row["notes"]),
            artifacts=artifacts,
            distributions=distributions,
        )

    # -- components -----------------------------------------------------------------------

    def add_component(
        self,
        name: str,
        semantic_version: str,
        *,
        platform: str,
        type: str,
        description: str | None,
        change_description: str | None,
        document: str,
        sha256: str,
    ) -> StoredComponent:
        """Store a component version; its build number counts up per x.y.z."""
        major, minor, patch = (int(p) for p in semantic_version.split("."))
        with self._transaction() as db:
            row = db.execute(
                "SELECT COALESCE(MAX(build), 0) FROM components "
                "WHERE name = ? AND major = ? AND minor = ? AND patch = ?",
                (name, major, minor, patch),
            ).fetchone()
            db.execute(
                "INSERT INTO components VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, major, minor, patch, int(row[0]) + 1, platform, type, description,
                 change_description, document, sha256, time.time()),
            )  # fmt: skip
        return self.find_component(name, f"{semantic_version}/{int(row[0]) + 1}")

    def components(self, name: str | None = None) -> list[StoredComponent]:
        query = "SELECT * FROM components"
        parameters: tuple[str, ...] = ()
        if name is not None:
            query += " WHERE name = ?"
            parameters = (name,)
        query += " ORDER BY name, major, minor, patch, build"
        return [
            StoredComponent(
                name=row["name"],
                version=BuildVersion(row["major"], row["minor"], row["patch"], row["build"]),
                platform=row["platform"],
                type=row["type"],
                description=row["description"],
                change_description=row["change_description"],
                document=row["document"],
                sha256=row["sha256"],
                created_at=row["created_at"],
            )
            for row in self._db.execute(query, parameters).fetchall()
        ]

    def find_component(self, name: str, version: str = "x.x.x") -> StoredComponent:
        try:
            wanted = VersionFilter.parse(version)
        except ValueError as e:
            raise ConfigError(Problem(str(e), field="version")) from None
        versions = self.components(name)
        best = wanted.best(c.version for c in versions)
        if best is None:
            known = sorted({c.name for c in self.components()})
            detail = (
                f"; stored versions: {', '.join(str(c.version) for c in versions)}"
                if versions
                else ""
            )
            raise ConfigError(
                Problem(
                    f"no component '{name}' version {version} in the store{detail}",
                    suggestion=None if name in known else suggest(name, known),
                ),
                hint="add it with 'imagewright components create'",
            )
        return next(c for c in versions if c.version == best)


def find_image(reference: str, state_directory: Path | None = None) -> ImageRecord:
    """The catalog entry of `name:version` (version x.y.z[/n] or wildcards; latest build when
    /n is omitted), with its artifacts (`record.artifact("raw")`)."""
    with Catalog(state_directory) as catalog:
        return catalog.find(reference)
