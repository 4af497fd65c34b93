"""Generate the Python classes of proto/ into the contracts lib.

`make proto` runs this; the output is committed so installing needs no code
generator, and a test regenerates into a temporary folder and compares.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO = ROOT / "proto"
OUT = ROOT / "libs" / "contracts" / "src" / "opendso"


def generate(target_root: Path) -> Path:
    """Write the generated package under ``target_root/opendso`` and return that folder."""
    import grpc_tools
    from grpc_tools import protoc

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    files = sorted(str(p.relative_to(PROTO)) for p in PROTO.rglob("*.proto"))
    args = [
        "protoc",
        f"-I{PROTO}",
        f"-I{well_known}",
        f"--python_out={target_root}",
        f"--mypy_out={target_root}",
        *files,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    package = target_root / "opendso"
    for folder in [package, *[p for p in package.rglob("*") if p.is_dir()]]:
        init = folder / "__init__.py"
        if not init.exists():
            init.write_text("")
    (package / "py.typed").write_text("")
    return package


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        produced = generate(Path(tmp))
        if OUT.exists():
            shutil.rmtree(OUT)
        shutil.copytree(produced, OUT)
    print(f"generated {sum(1 for _ in OUT.rglob('*_pb2.py'))} modules into {OUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
