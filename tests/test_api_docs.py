"""The API documents under docs/ are generated from the code and must say what the code does."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from opendso_contracts import registry
from opendso_contracts.asyncapi import asyncapi_document

ROOT = Path(__file__).resolve().parents[1]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_api_docs", ROOT / "tools" / "gen_api_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_api_docs"] = module
    spec.loader.exec_module(module)
    return module


def test_every_subject_and_query_of_the_registry_is_in_the_asyncapi_document() -> None:
    document = asyncapi_document()
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert set(registry.SUBJECTS.values()) <= addresses
    assert {q.subject for q in registry.QUERIES.values()} <= addresses
    ask = document["operations"]["askGetCustomerAccount"]
    assert ask["reply"]["messages"] == [{"$ref": "#/channels/rpcGetCustomerAccount/messages/CustomerAccount"}]
    account = document["components"]["schemas"]["opendso.receivables.v1.CustomerAccount"]["properties"]
    assert account["items"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/opendso.receivables.v1.OpenItem"},
    }


def test_the_committed_documents_are_those_the_code_generates() -> None:
    for path, text in _tool().render().items():
        assert path.read_text() == text, f"{path.name} is stale: run python tools/gen_api_docs.py"
