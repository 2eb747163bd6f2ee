"""Fixtures for the EnergyPlus backend tests: every simulation runs the real engine.

Annual runs take one to two seconds each, so identical simulations are run once
per session (:func:`simulated` caches by parameter set) and shared by the tests
that only read their results.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from purelms_energyplus_single_zone import (
    EnergyPlusOutputs,
    EnergyPlusParameters,
    simulate,
)
from purelms_runtime import RunContext, StagedFile
from purelms_shared import InputFileRole, Message, MessageLevel


class EventRecorder:
    """Stands in for the runtime's event pipe: keeps what the backend reported."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def send(self, event: tuple[Any, ...]) -> None:
        self.events.append(event)

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        return [event[1:] for event in self.events if event[0] == kind]

    @property
    def messages(self) -> list[Message]:
        return [event[0] for event in self.of("message")]

    @property
    def artifacts(self) -> list[str]:
        return [event[0] for event in self.of("artifact")]

    @property
    def progress(self) -> list[tuple[int, str]]:
        return [(event[0], event[1]) for event in self.of("progress")]


@dataclass
class Run:
    """A context for one simulate() call, with its directories and recorded events."""

    root: Path
    recorder: EventRecorder = field(default_factory=EventRecorder)
    input_files: Sequence[StagedFile] = ()

    def __post_init__(self) -> None:
        for name in ("input", "output", "work"):
            (self.root / name).mkdir(parents=True, exist_ok=True)

    @property
    def output_dir(self) -> Path:
        return self.root / "output"

    @property
    def work_dir(self) -> Path:
        return self.root / "work"

    def context(self) -> RunContext:
        return RunContext(
            run_id=uuid4(),
            input_dir=self.root / "input",
            output_dir=self.output_dir,
            work_dir=self.work_dir,
            input_files=self.input_files,
            events=self.recorder,  # type: ignore[arg-type]
        )

    def stage_weather(self, source: Path, name: str = "weather.epw") -> None:
        """Put ``source`` in the input folder as the verified 'weather' file."""
        target = self.root / "input" / name
        shutil.copyfile(source, target)
        data = target.read_bytes()
        self.input_files = (
            StagedFile(
                role=InputFileRole.WEATHER,
                filename=name,
                path=target,
                sha256=hashlib.sha256(data).hexdigest(),
                size_bytes=len(data),
                mime_type="text/plain",
            ),
        )


@dataclass(frozen=True)
class Case:
    """A finished simulation: its parameters, outputs, events and files."""

    params: EnergyPlusParameters
    outputs: EnergyPlusOutputs
    run: Run
    seconds: float

    @property
    def messages(self) -> list[Message]:
        return self.run.recorder.messages

    def errors(self) -> list[Message]:
        return [m for m in self.messages if m.level is MessageLevel.ERROR]

    @property
    def sql(self) -> Path:
        return self.run.output_dir / "eplusout.sql"

    def query(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(self.sql)) as db:
            db.text_factory = lambda raw: raw.decode("utf-8", errors="replace")
            return db.execute(sql, args).fetchall()

    def table(self, report: str, table: str, row: str, column: str) -> str:
        rows = self.query(
            "SELECT Value FROM TabularDataWithStrings WHERE ReportName = ? AND TableName = ? "
            "AND RowName = ? AND ColumnName = ?",
            report,
            table,
            row,
            column,
        )
        assert rows, (report, table, row, column)
        return str(rows[0][0]).strip()


RunCase = Callable[..., Case]


def _run_case(root: Path, params: EnergyPlusParameters, run: Run | None = None) -> Case:
    run = run or Run(root)
    started = time.monotonic()
    outputs = simulate(params, run.context())
    return Case(params=params, outputs=outputs, run=run, seconds=time.monotonic() - started)


@pytest.fixture(scope="session")
def run_case(tmp_path_factory: pytest.TempPathFactory) -> RunCase:
    """Run one simulation in fresh directories (not cached)."""

    def run(run: Run | None = None, **parameters: Any) -> Case:
        root = run.root if run else tmp_path_factory.mktemp("eplus-run")
        return _run_case(root, EnergyPlusParameters(**parameters), run)

    return run


@pytest.fixture(scope="session")
def simulated(run_case: RunCase) -> RunCase:
    """Like run_case, but each distinct parameter set runs once per session."""
    cache: dict[EnergyPlusParameters, Case] = {}

    def get(**parameters: Any) -> Case:
        params = EnergyPlusParameters(**parameters)
        if params not in cache:
            cache[params] = run_case(**parameters)
        return cache[params]

    return get


@pytest.fixture
def new_run(tmp_path: Path) -> Run:
    return Run(tmp_path)
