"""The example API's fixed data: users, events and the user JSON Schema.

Nothing is random, so every run serves the same bytes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

_FIRST_NAMES = (
    "Ann", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivan", "Jo",
    "Kai", "Lena", "Milo", "Nia", "Otto", "Pia", "Quinn", "Rosa", "Sam", "Tess",
    "Uma", "Vik", "Wren", "Xena", "Yuri", "Zoe", "Abe", "Bea", "Cy", "Dot",
)  # fmt: skip
_LAST_NAMES = ("Archer", "Baker", "Cole", "Diaz", "Evans", "Flores", "Gray", "Hill", "Ito", "Jones")

USERS: list[dict[str, Any]] = [
    {
        "id": number,
        "login": first.lower(),
        "name": f"{first} {_LAST_NAMES[number % len(_LAST_NAMES)]}",
        "email": f"{first.lower()}@example.com",
        "admin": number % 10 == 1,
    }
    for number, first in enumerate(_FIRST_NAMES, start=1)
]

_EVENT_TYPES = ("login", "logout", "push", "comment")
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

EVENTS: list[dict[str, Any]] = [
    {
        "id": number,
        "type": _EVENT_TYPES[number % len(_EVENT_TYPES)],
        "user_id": (number * 7) % len(USERS) + 1,
        "at": (EPOCH + timedelta(minutes=137 * number)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    for number in range(1, 1001)
]

USER_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "User",
    "type": "object",
    "required": ["id", "login", "name", "email", "admin"],
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "login": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$"},
        "name": {"type": "string", "minLength": 1},
        "email": {"type": "string", "format": "email"},
        "admin": {"type": "boolean"},
    },
    "additionalProperties": False,
}
