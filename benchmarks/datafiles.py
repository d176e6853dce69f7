"""Generate the documents the static server hands out, and the items of the paginated API.

Everything is deterministic (seeded) and written to ``benchmarks/.data/``; a file that
already has the expected size is reused, so only the first run pays for generation.
"""

from __future__ import annotations

import json
import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SMALL_NAME = "small.json"
LARGE_NAME = "large-v1.json"
HUGE_NAME = "huge-v1.json"
HUGE_COPIES = 10
BINARY_NAME = "blob-512m.bin"
BINARY_SIZE = 512 * 1024 * 1024
LARGE_TARGET = 40 * 1000 * 1000
# The streamed --jq selection's document, {"items": [...]}, and the same elements one per line (for
# libjq alone on separate values). 400 MB is the size; a routine run uses this many MB.
ITEMS_MB = int(os.environ.get("APICLI_BENCH_ITEMS_MB", "100"))
ITEMS_NAME = f"items-{ITEMS_MB}mb-v1.json"
ITEM_VALUES_NAME = f"items-{ITEMS_MB}mb-v1.values"

_FIRST = ("Ada", "Grace", "Linus", "Margaret", "José", "Zoë", "Kenji", "Amara", "Søren", "Priya", "Olu")
_LAST = ("Lovelace", "Hopper", "Torvalds", "Hamilton", "Müller", "Okafor", "Tanaka", "Nováková", "Singh")
_CITIES = ("Lisbon", "Zürich", "Lagos", "Osaka", "Montréal", "Kraków", "Pune", "Austin", "Tallinn", "Perth")
_TAGS = ("admin", "beta", "billing", "ops", "trial", "vip", "eu", "us", "apac", "legacy", "sso", "mfa")


@dataclass(frozen=True)
class DataFiles:
    """Paths of the three static documents."""

    small: Path
    large: Path
    binary: Path
    huge: Path
    items: Path
    item_values: Path


def make_record(rng: random.Random, ident: int) -> dict[str, Any]:
    """One user-like API object: nested, mixed types, some non-ASCII text, like real API data."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    login = f"{first}.{last}{ident}".lower()
    return {
        "id": ident,
        "login": login,
        "name": f"{first} {last}",
        "email": f"{login}@example.com",
        "active": rng.random() < 0.8,
        "score": round(rng.uniform(0, 1000), 3),
        "created_at": f"20{rng.randint(10, 25):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z",
        "tags": rng.sample(_TAGS, rng.randint(0, 4)),
        "address": {
            "city": rng.choice(_CITIES),
            "zip": f"{rng.randint(1000, 99999)}",
            "geo": {"lat": round(rng.uniform(-90, 90), 6), "lng": round(rng.uniform(-180, 180), 6)},
        },
        "manager_id": rng.randint(1, ident) if ident > 1 and rng.random() < 0.7 else None,
        "bio": " ".join(rng.choice(_TAGS + _CITIES) for _ in range(rng.randint(3, 12))),
    }


def page_items(page: int, per_page: int, seed: int = 7) -> list[dict[str, Any]]:
    """Items of one page of the paginated API; ids run on across pages."""
    rng = random.Random(seed * 1_000_003 + page)
    first_id = (page - 1) * per_page + 1
    return [make_record(rng, first_id + i) for i in range(per_page)]


def _write_atomically(path: Path, chunks: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
    tmp.replace(path)


def _small_doc() -> bytes:
    rng = random.Random(1)
    doc = {"data": [make_record(rng, i) for i in (1, 2, 3)], "meta": {"page": 1, "total": 3}}
    return json.dumps(doc, ensure_ascii=False).encode()


def _large_chunks() -> Any:
    # Compact, single line, UTF-8: what a JSON API sends.
    rng = random.Random(40)
    written, ident = 1, 0
    yield b"["
    while written < LARGE_TARGET:
        batch = []
        for _ in range(1000):
            ident += 1
            batch.append(json.dumps(make_record(rng, ident), ensure_ascii=False, separators=(",", ":")))
        chunk = (("," if ident > 1000 else "") + ",".join(batch)).encode()
        written += len(chunk)
        yield chunk
    yield b"]"


def _huge_chunks(large: Path) -> Any:
    # The 40 MB array ten times over, one level down: a document far past any in-memory window.
    yield b'{"pages": ['
    for copy in range(HUGE_COPIES):
        if copy:
            yield b","
        with large.open("rb") as source:
            while chunk := source.read(8 * 1024 * 1024):
                yield chunk
    yield b"]}"


def _items_files(items: Path, values: Path) -> None:
    """{"items": [records]} of about ITEMS_MB MB, and the same records a line each."""
    rng = random.Random(400)
    target = ITEMS_MB * 1000 * 1000
    tmp_items, tmp_values = items.with_name(items.name + ".tmp"), values.with_name(values.name + ".tmp")
    with tmp_items.open("wb") as document, tmp_values.open("wb") as lines:
        document.write(b'{"items": [')
        written, ident = 0, 0
        while written < target:
            batch = []
            for _ in range(1000):
                ident += 1
                batch.append(json.dumps(make_record(rng, ident), ensure_ascii=False, separators=(",", ":")).encode())
            chunk = (b"," if ident > 1000 else b"") + b",".join(batch)
            document.write(chunk)
            lines.write(b"\n".join(batch) + b"\n")
            written += len(chunk)
        document.write(b'], "next": null}')
    tmp_values.replace(values)
    tmp_items.replace(items)


def _binary_chunks() -> Any:
    # Random bytes so that nothing on the path can compress or deduplicate them.
    chunk = 8 * 1024 * 1024
    for _ in range(BINARY_SIZE // chunk):
        yield os.urandom(chunk)


def ensure_data_files(data_dir: Path) -> DataFiles:
    """Create whichever of the three documents is missing or truncated."""
    data_dir.mkdir(parents=True, exist_ok=True)
    files = DataFiles(
        data_dir / SMALL_NAME,
        data_dir / LARGE_NAME,
        data_dir / BINARY_NAME,
        data_dir / HUGE_NAME,
        data_dir / ITEMS_NAME,
        data_dir / ITEM_VALUES_NAME,
    )
    small = _small_doc()
    if not files.small.is_file() or files.small.read_bytes() != small:
        files.small.write_bytes(small)
    if not files.large.is_file() or files.large.stat().st_size < LARGE_TARGET:
        print(f"Generating {files.large} (~40 MB) ...", file=sys.stderr, flush=True)
        _write_atomically(files.large, _large_chunks())
    huge_size = HUGE_COPIES * files.large.stat().st_size + HUGE_COPIES - 1 + len(b'{"pages": [') + 2
    if not files.huge.is_file() or files.huge.stat().st_size != huge_size:
        print(f"Generating {files.huge} (~400 MB) ...", file=sys.stderr, flush=True)
        _write_atomically(files.huge, _huge_chunks(files.large))
    if not files.items.is_file() or not files.item_values.is_file():
        print(f"Generating {files.items} (~{ITEMS_MB} MB) ...", file=sys.stderr, flush=True)
        _items_files(files.items, files.item_values)
    if not files.binary.is_file() or files.binary.stat().st_size != BINARY_SIZE:
        print(f"Generating {files.binary} (512 MiB) ...", file=sys.stderr, flush=True)
        _write_atomically(files.binary, _binary_chunks())
    return files
