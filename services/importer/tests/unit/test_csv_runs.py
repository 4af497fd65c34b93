"""A large CSV is shared out to worker processes in runs of lines: read run by run, the rows must be the
rows of the file read whole, and a run never ends inside a quoted value."""

from __future__ import annotations

import pickle

import pytest
from opendso_importer.domain.tabular import FileRejected, RowError, csv_records, csv_runs, read_table


def _rows_by_runs(data: bytes, run_lines: int) -> tuple[list[tuple[int, tuple[str, ...]]], list[int]]:
    table = read_table(data, "ar.csv")
    assert table.delimiter is not None
    rows: list[tuple[int, tuple[str, ...]]] = []
    starts = []
    for first_line, text in csv_runs(table, run_lines):
        starts.append(first_line)
        rows.extend(csv_records("ar.csv", text, first_line, table.delimiter))
    return rows, starts


def _rows_whole(data: bytes) -> list[tuple[int, tuple[str, ...]]]:
    return list(read_table(data, "ar.csv").rows)


def test_runs_give_the_rows_of_the_whole_file_numbered_alike() -> None:
    data = ("sep=;\nentity;account\n" + "".join(f"FR01;C{n}\n" for n in range(10)) + "\n\nFR01;last\n").encode()
    rows, starts = _rows_by_runs(data, 3)
    assert rows == _rows_whole(data)
    assert starts == [3, 6, 9, 12, 15]  # "sep=" on line 1, the header on line 2
    assert rows[-1] == (15, ("FR01", "last"))  # blank lines are no rows but keep their numbers


def test_a_quoted_value_over_several_lines_is_never_cut() -> None:
    lines = ['FR01;"plain"\n', 'FR01;"two ""quoted"" words"\n', 'FR01;"first line\n', 'second line"\n']
    data = ("entity;name\n" + "".join(lines * 4)).encode()
    rows, starts = _rows_by_runs(data, 1)
    assert rows == _rows_whole(data)
    assert (4, ("FR01", "first line\nsecond line")) in rows
    # Lines with paired quotes are cut anywhere; from the first odd line on, the rest is one run.
    assert starts == [2, 3, 4]


def test_a_file_rejection_raised_in_a_worker_crosses_back_whole() -> None:
    rejected = FileRejected((RowError("ar.csv", 7, None, "unreadable CSV: field larger than field limit"),))
    copied = pickle.loads(pickle.dumps(rejected))
    assert isinstance(copied, FileRejected)
    assert copied.errors == rejected.errors and str(copied) == str(rejected)


def test_only_a_csv_is_read_in_runs() -> None:
    table = read_table(b'[{"entity": "FR01"}]', "ar.json")
    with pytest.raises(ValueError, match="only a CSV"):
        list(csv_runs(table, 10))
