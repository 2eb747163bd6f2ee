"""Reading eplusout.sql: its two concurrent queries fail as one error and leave no thread.

The numbers themselves are checked against the engine's own reports and the ASHRAE 140
ranges in test_eplus_physics.py and test_eplus_validation.py (real runs).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from purelms_energyplus_single_zone._results import ResultsError, read_results


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match=r"eplusout\.sql does not exist"):
        read_results(tmp_path / "eplusout.sql")


def test_a_database_without_results_fails_once_and_leaves_no_thread(tmp_path: Path) -> None:
    sql = tmp_path / "eplusout.sql"
    with sqlite3.connect(sql) as db:
        db.execute("CREATE TABLE Unrelated (x)")
    db.close()
    before = set(threading.enumerate())
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        read_results(sql)
    assert set(threading.enumerate()) == before


def test_results_missing_rows_are_a_results_error(tmp_path: Path) -> None:
    """Tables present, the facility's rows absent: the main query's error is the one raised."""
    sql = tmp_path / "eplusout.sql"
    with sqlite3.connect(sql) as db:
        db.execute(
            "CREATE TABLE TabularDataWithStrings "
            "(ReportName, ReportForString, TableName, RowName, ColumnName, Value, Units)"
        )
        db.execute("CREATE TABLE ReportData (ReportDataDictionaryIndex, TimeIndex, Value)")
    db.close()
    before = set(threading.enumerate())
    with pytest.raises(ResultsError, match="not found"):
        read_results(sql)
    assert set(threading.enumerate()) == before
