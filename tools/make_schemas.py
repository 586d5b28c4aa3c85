"""
Write the JSON Schema of every ``--json`` output to ``schemas/<name>.schema.json``.

The schemas are generated from the typed models in :mod:`dosecalc.json_models`
(pydantic); run this after changing a command's JSON output, and commit the
files it writes. ``--check`` writes nothing and exits 1 when a file differs
from its model.

    python tools/make_schemas.py [--check]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dosecalc.json_models import SCHEMAS, schema_of

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas"


def rendered(name: str) -> str:
    """The text of ``schemas/<name>.schema.json``: indented, keys in the models' order, UTF-8."""
    return json.dumps(schema_of(name), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    check = argv == ["--check"]
    if argv and not check:
        print("usage: " + __doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    stale = []
    for name in SCHEMAS:
        path = SCHEMA_DIR / f"{name}.schema.json"
        text = rendered(name)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path.name)
        if not check:
            path.write_text(text, encoding="utf-8")
    if check and stale:
        print(f"out of date, run python tools/make_schemas.py: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
