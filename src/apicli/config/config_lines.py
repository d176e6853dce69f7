"""Finding the line of a TOML file that defines a key: tomllib reports positions only for syntax errors."""

from __future__ import annotations


def find_key_line(text: str, keys: tuple[str, ...]) -> int | None:
    """The line that defines the longest prefix of `keys`: tomllib reports no positions for values.

    A best effort over table headers and `key = value` lines (dotted and quoted keys included);
    multi-line strings can fool it, which costs only a less precise line number.
    """
    best: tuple[int, int] | None = None  # (matched length, line)
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            inner = stripped[2:] if stripped.startswith("[[") else stripped[1:]
            end = _find_outside_quotes(inner, "]")
            table = _split_dotted(inner[:end]) if end >= 0 else ()
            path = table
        else:
            equals = _find_outside_quotes(stripped, "=")
            if equals < 0:
                continue
            path = table + _split_dotted(stripped[:equals])
        matched = _common_prefix(path, keys)
        if matched == len(path) and (best is None or matched > best[0]):
            best = (matched, number)
    return best[1] if best else None


def _common_prefix(path: tuple[str, ...], keys: tuple[str, ...]) -> int:
    count = 0
    for left, right in zip(path, keys, strict=False):
        if left != right:
            break
        count += 1
    return count


def _find_outside_quotes(text: str, target: str) -> int:
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == target:
            return index
        index += 1
    return -1


def _split_dotted(text: str) -> tuple[str, ...]:
    parts: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in " \t.":
            index += 1
        elif char in "\"'":
            end = index + 1
            while end < len(text) and text[end] != char:
                end += 2 if char == '"' and text[end] == "\\" else 1
            raw = text[index + 1 : end]
            parts.append(raw.encode("utf-8").decode("unicode_escape") if char == '"' and "\\" in raw else raw)
            index = end + 1
        else:
            end = index
            while end < len(text) and text[end] not in " \t.":
                end += 1
            parts.append(text[index:end])
            index = end
    return tuple(parts)
