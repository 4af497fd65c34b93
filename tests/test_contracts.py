"""The bus contracts hold together: generated code matches proto/, buf lint passes, every durable
message carries the envelope and lives in exactly one stream, and enums start at _UNSPECIFIED."""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FileDescriptor
from opendso_contracts import registry

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS_SRC = ROOT / "libs" / "contracts" / "src"
GENERATED = CONTRACTS_SRC / "opendso"
ENVELOPE = "opendso.common.v1.EventMeta"
# Durable commands documented as carrying no envelope, by full name. None do today.
WITHOUT_ENVELOPE: frozenset[str] = frozenset()


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def test_generated_contracts_match_the_protos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # protoc finds the protoc-gen-mypy plugin on PATH; it is installed next to this interpreter.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    spec = importlib.util.spec_from_file_location("gen_contracts", ROOT / "tools" / "gen_contracts.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)

    fresh = _files(gen.generate(tmp_path))
    committed = _files(GENERATED)

    assert sorted(fresh) == sorted(committed), "run `make proto`: the generated files differ from proto/"
    stale = sorted(name for name in fresh if fresh[name] != committed[name])
    assert not stale, f"run `make proto`: stale generated files {stale}"


def test_buf_lint_passes(tmp_path: Path) -> None:
    buf = Path(sys.executable).parent / "buf"
    assert buf.is_file(), f"{buf} missing: the buf-bin dev dependency is not installed"
    result = subprocess.run(
        [str(buf), "lint"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "BUF_CACHE_DIR": str(tmp_path / "buf-cache")},
        check=False,
    )
    assert result.returncode == 0, f"buf lint failed:\n{result.stdout}{result.stderr}"


def test_every_durable_message_carries_the_envelope() -> None:
    for message_type in registry.DURABLE:
        name = message_type.DESCRIPTOR.full_name
        if name in WITHOUT_ENVELOPE:
            continue
        meta = message_type.DESCRIPTOR.fields_by_name.get("meta")
        assert meta is not None, f"{name} has no meta field"
        assert meta.message_type is not None and meta.message_type.full_name == ENVELOPE, (
            f"{name}.meta is not a {ENVELOPE}"
        )


def _nats_match(pattern: str, subject: str) -> bool:
    """NATS subject matching: ``*`` is one token, a final ``>`` one or more."""
    want, got = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(got) > i
        if i >= len(got) or (token != "*" and token != got[i]):
            return False
    return len(want) == len(got)


def _capturing(subject: str) -> list[str]:
    return [s.name for s in registry.STREAMS if any(_nats_match(p, subject) for p in s.subjects)]


def test_nats_match_follows_wildcard_rules() -> None:
    assert _nats_match("opendso.receivables.v1.>", "opendso.receivables.v1.item_opened")
    assert not _nats_match("opendso.receivables.v1.>", "opendso.receivables.v1")
    assert _nats_match("opendso.*.v1.x", "opendso.fx.v1.x")
    assert not _nats_match("opendso.*.v1.x", "opendso.fx.v1.x.y")


def test_every_durable_subject_is_captured_by_exactly_one_stream() -> None:
    assert set(registry.SUBJECTS) == set(registry.DURABLE)
    for message_type, subject in registry.SUBJECTS.items():
        streams = _capturing(subject)
        assert len(streams) == 1, f"{subject} ({message_type.DESCRIPTOR.full_name}) is captured by {streams}"
        assert registry.stream_for(subject).name == streams[0]


def test_no_stream_captures_a_query_subject() -> None:
    subjects = [q.subject for q in registry.QUERIES.values()] + [registry.health_subject("matching")]
    for subject in subjects:
        assert subject.startswith("opendso.rpc."), subject
        assert not _capturing(subject), f"query subject {subject} is captured by {_capturing(subject)}"


def _generated_files() -> Iterator[FileDescriptor]:
    for path in sorted(GENERATED.rglob("*_pb2.py")):
        module = ".".join(path.relative_to(CONTRACTS_SRC).with_suffix("").parts)
        yield importlib.import_module(module).DESCRIPTOR


def _enums(messages: list[Descriptor]) -> Iterator[EnumDescriptor]:
    for message in messages:
        yield from message.enum_types
        yield from _enums(list(message.nested_types))


def _upper_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def test_every_enum_starts_with_unspecified_zero() -> None:
    enums = []
    for file in _generated_files():
        enums += list(file.enum_types_by_name.values())
        enums += list(_enums(list(file.message_types_by_name.values())))
    assert enums, "no enum found in the generated contracts"
    for enum in enums:
        first = enum.values[0]
        expected = f"{_upper_snake(enum.name)}_UNSPECIFIED"
        assert (first.name, first.number) == (expected, 0), (
            f"{enum.full_name} starts with {first.name} = {first.number}"
        )
