"""Which jq programs may run in this process, and on inputs up to what size.

libjq holds the GIL while it evaluates, so a program that computes for minutes would leave
--max-time and Ctrl-C no way in; that is why jq normally runs in a forked child (jqworker.py).
The fork costs milliseconds, which matters for --until's checks on small bodies, so a program
whose cost is provably small on a small input runs here instead.

"Provably small" is a bound, not a guess. The program is parsed (a subset of jq's grammar;
anything outside it goes to the child) and each expression gets a cost as a function of the
size m of its input, as polynomials: how many outputs it can produce, how large each one can be,
their total size, and the work done. Composition follows jq's evaluation: `A | B` runs B once
per output of A; `A + B`, `{a: A, b: B}`, `if A then …`, `select(A)` and the arguments of
builtins combine every output of one side with every output of the other (a product). A
program whose work, output or count grows faster than linearly (`.[] as $a | .[] as $b`,
`select(.[] > 1)`, `(.[]) + (.[])`) is never brief; one that grows by a large factor
(`tojson | tojson | …`, string growth in formats) is brief only below the input size where
its bound stays under the budget. A wrong "no" only costs the fork.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .jqvars import RESPONSE_VARIABLES

# Work an in-process evaluation may cost, in bytes of input parsed (the unit: each result costs
# RESULT_WORK more, for libjq's dump and Python's handling of it). libjq 1.7 parses about 5-20 MB
# a second, so this is tens of milliseconds on a quiet machine: as long as Ctrl-C or --max-time
# may have to wait. The bound is pessimistic, so most programs finish well within it.
WORK_BUDGET = 2 * 1024 * 1024
RESULT_WORK = 32
# Bytes of results an in-process evaluation may hold (apicli's own memory stays small).
VOLUME_BUDGET = 8 * 1024 * 1024
_MAX_PROGRAM = 4096  # longer programs go to the child without being read
_MAX_NESTING = 48  # parentheses, brackets and calls inside each other
_MAX_DEGREE = 4
_MAX_COEFFICIENT = 1e15


class _NotBrief(Exception):
    """The program may cost more than linear time, or the scan cannot tell."""


class Poly:
    """A polynomial in the input size m with non-negative coefficients, lowest degree first."""

    __slots__ = ("coefficients",)

    def __init__(self, *coefficients: float) -> None:
        trimmed = list(coefficients)
        while trimmed and trimmed[-1] == 0:
            trimmed.pop()
        if len(trimmed) > _MAX_DEGREE + 1 or any(c > _MAX_COEFFICIENT for c in trimmed):
            raise _NotBrief  # growth no input of any size could afford
        self.coefficients = tuple(trimmed)

    def __repr__(self) -> str:
        return f"Poly{self.coefficients}"

    @property
    def degree(self) -> int:
        return len(self.coefficients) - 1

    def term(self, degree: int) -> float:
        return self.coefficients[degree] if degree < len(self.coefficients) else 0.0

    def __add__(self, other: Poly) -> Poly:
        longest = max(len(self.coefficients), len(other.coefficients))
        return Poly(*(self.term(i) + other.term(i) for i in range(longest)))

    def __mul__(self, other: Poly | float) -> Poly:
        if not isinstance(other, Poly):
            return Poly(*(c * other for c in self.coefficients))
        if not self.coefficients or not other.coefficients:
            return ZERO
        product = [0.0] * (len(self.coefficients) + len(other.coefficients) - 1)
        for i, a in enumerate(self.coefficients):
            for j, b in enumerate(other.coefficients):
                product[i + j] += a * b
        return Poly(*product)

    def __pow__(self, exponent: int) -> Poly:
        result = ONE
        for _ in range(exponent):
            result = result * self
        return result

    def at(self, m: float) -> float:
        """The polynomial's value for an input of `m` bytes."""
        return sum(c * m**i for i, c in enumerate(self.coefficients))

    def of(self, inner: Poly) -> Poly:
        """This polynomial with `inner` put in for m."""
        result = ZERO
        power = ONE
        for coefficient in self.coefficients:
            result = result + power * coefficient
            power = power * inner
        return result

    def summed(self, runs: Poly, sizes: Poly, total: Poly) -> Poly:
        """A bound on this polynomial summed over `runs` inputs, each at most `sizes`, adding up to
        `total`: the sum of m**k is at most sizes**(k-1) times total."""
        result = runs * self.term(0)
        for degree in range(1, len(self.coefficients)):
            result = result + (sizes ** (degree - 1)) * total * self.coefficients[degree]
        return result


ZERO = Poly()
ONE = Poly(1)
M = Poly(0, 1)


def _const(value: float) -> Poly:
    return Poly(value)


def _linear(slope: float, offset: float = 0.0) -> Poly:
    return Poly(offset, slope)


@dataclass(frozen=True)
class Cost:
    """What an expression costs on an input of size m: its outputs (how many, each how large, all
    together) and its work, each bounded by a polynomial in m. Sizes are of JSON text."""

    count: Poly
    size: Poly
    volume: Poly
    work: Poly

    def then(self, after: Cost) -> Cost:
        """`self | after`: `after` runs once on each output of `self`."""
        return Cost(
            count=after.count.summed(self.count, self.size, self.volume),
            size=after.size.of(self.size),
            volume=after.volume.summed(self.count, self.size, self.volume),
            work=self.work + after.work.summed(self.count, self.size, self.volume),
        )


def _single(size: Poly, work: Poly, count: Poly = ONE) -> Cost:
    return Cost(count, size, count * size, work)


IDENTITY = Cost(ONE, M, M, ZERO)
ITERATE = Cost(M, M, M, M)  # `.[]`: at most m outputs, together no larger than the input
FIELD = _single(M, _const(1))


def _literal(length: int) -> Cost:
    return _single(_const(length), _const(length))


def product(parts: Sequence[Cost], size: Callable[[list[Poly]], Poly], step: Callable[[list[Poly]], Poly]) -> Cost:
    """Every output of each part with every output of the others, as jq combines the operands of
    `+`, the entries of `{…}`, a condition and its branches or a builtin's arguments. `size` and
    `step` give one combination's output size and work from the parts' output sizes."""
    count = ONE
    for part in parts:
        count = count * part.count
    work = ZERO
    for index, part in enumerate(parts):
        others = ONE
        for other_index, other in enumerate(parts):
            if other_index != index:
                others = others * other.count
        work = work + others * part.work  # a part is run again for each combination of the others
    sizes = [part.size for part in parts]
    one_size = size(sizes)
    return Cost(count, one_size, count * one_size, work + count * step(sizes))


def _total(sizes: list[Poly]) -> Poly:
    result = ZERO
    for size in sizes:
        result = result + size
    return result


def _small(_sizes: list[Poly]) -> Poly:
    return _const(32)


def alternatives(*parts: Cost) -> Cost:
    """`A, B` (and the bound used for `A // B` and `try A catch B`): the outputs of each, in turn."""
    count = size = volume = work = ZERO
    for part in parts:
        count, size, volume, work = count + part.count, size + part.size, volume + part.volume, work + part.work
    return Cost(count, size, volume, work)


def collected(inner: Cost) -> Cost:
    """`[A]`: one array of every output."""
    size = inner.volume + inner.count + _const(2)
    return Cost(ONE, size, size, inner.work + size)


# Builtins without arguments: (size of the output, work), as polynomials in the input size m,
# and whether they may produce no output. Sizes are of JSON text: `tojson` escapes each `"` and
# `\\` again (2m), `explode` writes up to 8 bytes per input byte, `to_entries` wraps each entry.
_SCALAR = (_const(32), _const(1))
_SIZE_OF_INPUT = (M, _linear(1, 1))
_BUILTINS: dict[str, tuple[Poly, Poly]] = {
    **dict.fromkeys(("true", "false", "null", "nan", "infinite", "now", "not", "type"), _SCALAR),
    **dict.fromkeys(("isnan", "isinfinite", "isnormal", "floor", "ceil", "round", "sqrt", "fabs"), _SCALAR),
    **dict.fromkeys(("fromdate", "fromdateiso8601", "todate", "todateiso8601"), _SCALAR),
    **dict.fromkeys(("length", "utf8bytelength", "any", "all"), (_const(32), _linear(1, 1))),
    **dict.fromkeys(("values", "arrays", "objects", "iterables", "booleans", "numbers", "strings"), _SIZE_OF_INPUT),
    **dict.fromkeys(("nulls", "scalars", "first", "last", "min", "max", "reverse"), _SIZE_OF_INPUT),
    **dict.fromkeys(("ascii_downcase", "ascii_upcase", "implode", "tonumber"), (_linear(3, 32), _linear(3, 1))),
    **dict.fromkeys(("keys", "keys_unsorted", "sort", "unique"), (M, _linear(4, 1))),
    **dict.fromkeys(("tostring", "tojson", "@json", "@text"), (_linear(2, 2), _linear(2, 1))),
    "fromjson": (M, _linear(2, 1)),
    "explode": (_linear(8, 2), _linear(8, 1)),
    "to_entries": (_linear(6, 2), _linear(6, 1)),
    # Formats: base64 grows by 4/3, URI escapes by 3, HTML by 5 (`'` is `&#39;`), sh by 4.
    "@base64": (_linear(2, 2), _linear(2, 1)),
    "@base64d": (M, _linear(1, 1)),
    "@base32": (_linear(2, 2), _linear(2, 1)),
    "@base32d": (M, _linear(1, 1)),
    "@uri": (_linear(3, 2), _linear(3, 1)),
    "@csv": (_linear(3, 2), _linear(3, 1)),
    "@tsv": (_linear(3, 2), _linear(3, 1)),
    "@html": (_linear(5, 2), _linear(5, 1)),
    "@sh": (_linear(4, 2), _linear(4, 1)),
}
_NO_OUTPUT = frozenset({"empty", "error"})
# One-argument builtins that run their argument on each element (as `map(f)` is `[.[] | f]`),
# and the size of their own output.
_PER_ELEMENT: dict[str, Poly] = {
    **dict.fromkeys(("map", "sort_by", "unique_by", "min_by", "max_by"), M),  # map: its collected size
    **dict.fromkeys(("any", "all"), _const(32)),
    "group_by": _linear(2, 2),
}
# Builtins whose arguments run on the input itself, combined with it as a product.
_ON_INPUT: dict[str, Poly] = {
    **dict.fromkeys(("has", "in", "startswith", "endswith"), _const(32)),
    **dict.fromkeys(("ltrimstr", "rtrimstr", "getpath"), M),
    "error": ZERO,
}


_TOKEN = re.compile(
    r"""
    (?P<space>\s+|\#[^\n]*)
    |(?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
    |(?P<field>\.[A-Za-z_][A-Za-z0-9_]*)
    |(?P<format>@[A-Za-z0-9_]+)
    |(?P<variable>\$(?:__loc__|[A-Za-z_][A-Za-z0-9_]*))
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)
    |(?P<operator>\?//|//=|\|=|\+=|-=|\*=|/=|%=|==|!=|<=|>=|//|\.\.|[.|,+\-*/%<>=()\[\]{}:;?"])
    """,
    re.VERBOSE,
)
_KEYWORDS = frozenset({"if", "then", "elif", "else", "end", "try", "catch", "and", "or", "as", "def", "reduce"})
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})


class _Parser:
    """Reads a program and returns its Cost; raises _NotBrief for anything outside its subset."""

    def __init__(self, text: str, bound_size: int = 0) -> None:
        self.text = text
        # The size of the program's bound arguments (jqargs.py): a variable is at most that big.
        self.bound_size = bound_size
        self.position = 0
        self.nesting = 0

    # -- tokens --------------------------------------------------------------------------------

    def _next(self) -> tuple[str, str, int]:
        """The next token's kind, text and end; ("end", "") at the end of the program."""
        position = self.position
        while position < len(self.text):
            match = _TOKEN.match(self.text, position)
            if match is None:
                raise _NotBrief
            if match.lastgroup != "space":
                return (match.lastgroup or "", match.group(), match.end())
            position = match.end()
        return ("end", "", position)

    def peek(self) -> tuple[str, str]:
        kind, token, _end = self._next()
        return (kind, token)

    def take(self) -> tuple[str, str]:
        kind, token, self.position = self._next()
        return (kind, token)

    def expect(self, text: str) -> None:
        if self.take()[1] != text:
            raise _NotBrief

    def at(self, text: str) -> bool:
        kind, token = self.peek()
        return token == text and kind in ("operator", "name")

    def enter(self) -> None:
        self.nesting += 1
        if self.nesting > _MAX_NESTING:
            raise _NotBrief

    # -- grammar, loosest binding first ---------------------------------------------------------

    def pipe(self, *, commas: bool = True) -> Cost:
        cost = self.comma() if commas else self.alternative()
        if self.at("as"):
            raise _NotBrief  # a binding runs the rest once per output, on the same input
        if self.at("|"):
            self.take()
            cost = cost.then(self.pipe(commas=commas))
        return cost

    def comma(self) -> Cost:
        cost = self.alternative()
        while self.at(","):
            self.take()
            cost = alternatives(cost, self.alternative())
        return cost

    def alternative(self) -> Cost:
        cost = self.disjunction()
        if self.at("//"):
            self.take()
            cost = alternatives(cost, self.alternative())
        kind, token = self.peek()
        if kind == "operator" and ((token.endswith("=") and token not in _COMPARISONS) or token == "?//"):
            raise _NotBrief  # assignments update path by path, each maybe a copy
        return cost

    def disjunction(self) -> Cost:
        cost = self.conjunction()
        while self.at("or"):
            self.take()
            cost = product([cost, self.conjunction()], _small, _total)
        return cost

    def conjunction(self) -> Cost:
        cost = self.comparison()
        while self.at("and"):
            self.take()
            cost = product([cost, self.comparison()], _small, _total)
        return cost

    def comparison(self) -> Cost:
        cost = self.addition()
        if self.peek()[1] in _COMPARISONS:
            self.take()
            cost = product([cost, self.addition()], _small, _total)  # deep equality reads both
        return cost

    def addition(self) -> Cost:
        cost = self.multiplication()
        while self.at("+"):
            self.take()
            cost = product([cost, self.multiplication()], _total, _total)
        if self.peek()[1] == "-":
            raise _NotBrief  # array difference compares every pair
        return cost

    def multiplication(self) -> Cost:
        cost = self.postfix()
        while self.at("%"):
            self.take()
            cost = product([cost, self.postfix()], _small, _small)
        if self.peek()[1] in ("*", "/"):
            raise _NotBrief  # string repetition, object merging, splitting
        return cost

    def postfix(self) -> Cost:
        cost = self.term()
        while True:
            kind, token = self.peek()
            if kind == "field":
                self.take()
                cost = cost.then(FIELD)
            elif token == "?":
                self.take()
            elif token == "." and self.text[self.position :].lstrip()[1:2] in ('"', "["):
                self.take()
                cost = self.suffix(cost)
            elif token in ("[", '"') and kind == "operator":
                cost = self.suffix(cost)
            else:
                return cost

    def suffix(self, cost: Cost) -> Cost:
        """`."name"`, `[]`, `[e]`, `[e:f]` after a term."""
        if self.peek()[1] == '"':
            self.string()  # a quoted field name: no outputs of its own to combine
            return cost.then(FIELD)
        self.expect("[")
        if self.at("]"):
            self.take()
            return cost.then(ITERATE)
        self.enter()
        parts = [cost]
        if not self.at(":"):
            parts.append(self.pipe())
        sliced = self.at(":")
        if sliced:
            self.take()
            if not self.at("]"):
                parts.append(self.pipe())
        self.expect("]")
        self.nesting -= 1
        first_size = parts[0].size
        return product(parts, lambda _sizes: first_size, lambda _sizes: first_size if sliced else _const(1))

    def term(self) -> Cost:
        kind, token = self.take()
        if kind == "number":
            return _literal(len(token))
        if kind == "field":
            return FIELD
        if kind == "variable":
            return self.variable(token)
        if kind == "format":
            if token not in _BUILTINS:
                raise _NotBrief
            if self.peek()[1] == '"':
                return self.string(token)
            return _builtin(token)
        if kind == "name":
            return self.call(token)
        if token == ".":
            if self.peek()[1] in ('"', "[") and self.text[self.position : self.position + 1] in ('"', "["):
                return self.suffix(IDENTITY)
            return IDENTITY
        if token == '"':
            self.position -= 1
            return self.string()
        if token == "(":
            self.enter()
            cost = self.pipe()
            self.expect(")")
            self.nesting -= 1
            return cost
        if token == "[":
            self.enter()
            if self.at("]"):
                self.take()
                self.nesting -= 1
                return _literal(2)
            cost = collected(self.pipe())
            self.expect("]")
            self.nesting -= 1
            return cost
        if token == "{":
            return self.object()
        raise _NotBrief  # `..`, unary minus, and everything else

    def call(self, name: str) -> Cost:
        if name == "if":
            return self.conditional()
        if name == "try":
            body = self.postfix()
            if self.at("catch"):
                self.take()
                # The handler's input is an error message: a value the body built or was given.
                handler = self.postfix()
                message = Cost(ONE, M + body.work, M + body.work, ZERO)
                return alternatives(body, message.then(handler))
            return body
        if name in _KEYWORDS:
            raise _NotBrief
        arguments = self.arguments()
        if not arguments:
            if name in _NO_OUTPUT:
                return Cost(ZERO, ZERO, ZERO, _const(1))
            return _builtin(name)
        if len(arguments) != 1:
            raise _NotBrief
        (argument,) = arguments
        if name == "select":
            return product([argument, _single(M, ZERO)], lambda sizes: sizes[1], _small)
        if name in ("first", "last"):
            return Cost(ONE, argument.size, argument.size, argument.work)
        if name in _PER_ELEMENT:
            each = ITERATE.then(argument)
            keys = collected(each)
            if name == "map":
                return keys
            size = _PER_ELEMENT[name]
            return Cost(ONE, size, size, keys.work + _linear(4, 1))
        if name in _ON_INPUT:
            size = _ON_INPUT[name]
            cost = product([argument, _single(M, ZERO)], lambda _sizes: size, _total)
            if name == "error":
                return Cost(ZERO, ZERO, ZERO, cost.work)
            return cost
        raise _NotBrief

    def arguments(self) -> list[Cost]:
        if not self.at("("):
            return []
        self.take()
        self.enter()
        found = [self.pipe()]
        while self.at(";"):
            self.take()
            found.append(self.pipe())
        self.expect(")")
        self.nesting -= 1
        return found

    def conditional(self) -> Cost:
        """`if C then A (elif C then A)* (else B)? end`: each output of C picks a branch, on the same input."""
        self.enter()
        condition = self.pipe()
        self.expect("then")
        branch = self.pipe()
        if self.at("elif"):
            self.take()
            rest = self.conditional()
            self.nesting -= 1
            return product([condition, alternatives(branch, rest)], lambda sizes: sizes[1], _small)
        otherwise = IDENTITY
        if self.at("else"):
            self.take()
            otherwise = self.pipe()
        self.expect("end")
        self.nesting -= 1
        return product([condition, alternatives(branch, otherwise)], lambda sizes: sizes[1], _small)

    def variable(self, token: str) -> Cost:
        """`$__loc__`; a response variable, which is part of the input (jqvars.py); a bound argument."""
        if token == "$__loc__":
            return _literal(32)
        if token[1:] in RESPONSE_VARIABLES:
            return FIELD
        if self.bound_size:
            return _literal(self.bound_size)
        raise _NotBrief

    def object(self) -> Cost:
        """`{a: A, "b": B, (k): C, d}`: every combination of the entries' outputs."""
        self.enter()
        parts: list[Cost] = []
        while not self.at("}"):
            kind, token = self.peek()
            if kind in ("name", "variable"):
                self.take()
                parts.append(self.variable(token) if kind == "variable" else _literal(len(token)))
                key_is_value = True
            elif token == '"':
                parts.append(self.string())
                key_is_value = True
            elif token == "(":
                self.take()
                parts.append(self.pipe())
                self.expect(")")
                key_is_value = False
            else:
                raise _NotBrief
            if self.at(":"):
                self.take()
                parts.append(self.pipe(commas=False))
            elif key_is_value:
                parts.append(FIELD)  # `{a}` is `{a: .a}`
            else:
                raise _NotBrief
            if not self.at(","):
                break
            self.take()
        self.expect("}")
        self.nesting -= 1
        return product(parts, lambda sizes: _total(sizes) + _const(len(sizes) * 2 + 2), _total)

    def string(self, format_name: str | None = None) -> Cost:
        """A string literal from its quote; each `\\(…)` is code, combined as a product."""
        self.expect('"')
        grow = _BUILTINS[format_name or "tostring"][0]
        length = 2
        parts: list[Cost] = []
        text = self.text
        while True:
            if self.position >= len(text):
                raise _NotBrief
            char = text[self.position]
            if char == '"':
                self.position += 1
                break
            if char == "\\" and text[self.position + 1 : self.position + 2] == "(":
                self.position += 2
                self.enter()
                parts.append(self.pipe().then(_single(grow, grow)))
                self.expect(")")
                self.nesting -= 1
            else:
                self.position += 2 if char == "\\" else 1
                length += 1
        if not parts:
            return _literal(length)
        return product(parts, lambda sizes: _total(sizes) + _const(length), _total)


def _builtin(name: str) -> Cost:
    if name not in _BUILTINS:
        raise _NotBrief
    size, work = _BUILTINS[name]
    return _single(size, work)


def program_cost(program: str, bound_size: int = 0) -> Cost | None:
    """The cost bounds of `program`, or None when the scan cannot bound it."""
    if len(program) > _MAX_PROGRAM:
        return None
    parser = _Parser(program, bound_size)
    try:
        cost = parser.pipe() if parser.peek()[0] != "end" else IDENTITY
        if parser.peek()[0] != "end":
            raise _NotBrief
    except (_NotBrief, RecursionError):
        return None
    return cost


def brief_input_limit(program: str, ceiling: int, bound_size: int = 0) -> int:
    """The input size (bytes, at most `ceiling`) below which `program` may run in this process: 0
    when its cost is not linear in its input or cannot be bounded; else the largest size at which
    its bounded work (parsing, evaluating, writing every result) and results fit the budgets.
    `bound_size`: the size of the arguments bound to the program's variables, if any."""
    cost = program_cost(program, bound_size)
    if cost is None:
        return 0
    total = M + cost.work + cost.volume + cost.count * RESULT_WORK  # reading, evaluating, writing each result
    if max(total.degree, cost.volume.degree, cost.size.degree) > 1:
        return 0
    limit = ceiling
    for bound, budget in ((total, WORK_BUDGET), (cost.volume, VOLUME_BUDGET)):
        slope, offset = bound.term(1), bound.term(0)
        if offset >= budget:
            return 0
        if slope > 0:
            limit = min(limit, int((budget - offset) / slope))
    return max(limit, 0)


def runs_briefly(program: str, size: int = 1024 * 1024) -> bool:
    """True when `program` may run in this process on an input of `size` bytes."""
    return brief_input_limit(program, size) >= size
