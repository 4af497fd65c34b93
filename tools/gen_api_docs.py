"""Write the API documents committed under docs/: the gateway's OpenAPI document and the bus's AsyncAPI
document, generated from the code (FastAPI's schema; the contracts registry and the protobuf descriptors).

    python tools/gen_api_docs.py          # write docs/openapi.json and docs/asyncapi.yaml
    python tools/gen_api_docs.py --check  # exit 1 when a committed document differs from the code
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml
from opendso_contracts.asyncapi import asyncapi_document
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
OPENAPI = ROOT / "docs" / "openapi.json"
ASYNCAPI = ROOT / "docs" / "asyncapi.yaml"


def openapi() -> dict[str, Any]:
    from opendso_gateway.app import create_app
    from opendso_gateway.settings import Settings

    # A placeholder secret: the document does not depend on it, and nothing is signed.
    app = create_app(Settings(token_secret=SecretStr("documentation-only-" + "0" * 32), trace_exporter="none"))
    return app.openapi()


def render() -> dict[Path, str]:
    return {
        OPENAPI: json.dumps(openapi(), indent=2, sort_keys=True) + "\n",
        ASYNCAPI: yaml.safe_dump(asyncapi_document(), sort_keys=False, allow_unicode=True, width=120),
    }


def main() -> int:
    documents = render()
    if "--check" in sys.argv[1:]:
        stale = [path for path, text in documents.items() if not path.exists() or path.read_text() != text]
        for path in stale:
            print(f"{path.relative_to(ROOT)} differs from the code: run python tools/gen_api_docs.py")
        return 1 if stale else 0
    for path, text in documents.items():
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
