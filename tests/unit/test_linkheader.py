"""Link header parsing: the RFC 8288 grammar, the sloppiness servers get away with, and fuzzing."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.errors import ParseError, UsageError
from apicli.pagination.linkheader import Link, find_rel, parse_link_header

BASE = "https://api.example.com/v1/items?page=1"


def test_single_link_with_quoted_rel() -> None:
    links = parse_link_header('<https://api.example.com/v1/items?page=2>; rel="next"', BASE)
    assert links == [Link("https://api.example.com/v1/items?page=2", frozenset({"next"}), {})]


def test_unquoted_rel() -> None:
    links = parse_link_header("<https://api.example.com/p2>; rel=next", BASE)
    assert links[0].rels == {"next"}


def test_several_rel_tokens_in_one_parameter() -> None:
    links = parse_link_header('<https://api.example.com/p9>; rel="next last"', BASE)
    assert links[0].rels == {"next", "last"}
    assert find_rel(links, "next") == find_rel(links, "last") == "https://api.example.com/p9"


def test_rel_tokens_and_parameter_names_are_lowercased() -> None:
    links = parse_link_header('<https://api.example.com/p2>; REL="Next"; Title="Page Two"', BASE)
    assert links[0].rels == {"next"}
    assert links[0].params == {"title": "Page Two"}
    assert find_rel(links, "NEXT") == "https://api.example.com/p2"


def test_several_links_in_one_header() -> None:
    header = (
        '<https://api.example.com/v1/items?page=2>; rel="next", '
        '<https://api.example.com/v1/items?page=5>; rel="last", '
        '<https://api.example.com/v1/items?page=1>; rel="first"'
    )
    links = parse_link_header(header, BASE)
    assert [sorted(link.rels) for link in links] == [["next"], ["last"], ["first"]]
    assert find_rel(links, "last") == "https://api.example.com/v1/items?page=5"


def test_parameters_in_any_order() -> None:
    header = '<https://api.example.com/p2>; title="two"; type="application/json"; rel="next"'
    (link,) = parse_link_header(header, BASE)
    assert link.rels == {"next"}
    assert link.params == {"title": "two", "type": "application/json"}


def test_several_header_values() -> None:
    values = ['<https://api.example.com/p2>; rel="next"', '<https://api.example.com/p1>; rel="prev"']
    links = parse_link_header(values, BASE)
    assert find_rel(links, "next") == "https://api.example.com/p2"
    assert find_rel(links, "prev") == "https://api.example.com/p1"


def test_accepts_any_iterable_of_values() -> None:
    values = (value for value in ['<https://api.example.com/p2>; rel="next"', "  "])
    assert len(parse_link_header(values, BASE)) == 1


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/v1/items?page=2", "https://api.example.com/v1/items?page=2"),
        ("?page=2", "https://api.example.com/v1/items?page=2"),
        ("other?page=2", "https://api.example.com/v1/other?page=2"),
        ("../v2/items", "https://api.example.com/v2/items"),
        ("//mirror.example.com/items", "https://mirror.example.com/items"),
        ("http://127.0.0.1:8080/items", "http://127.0.0.1:8080/items"),
    ],
)
def test_relative_urls_are_resolved_against_the_base(target: str, expected: str) -> None:
    assert parse_link_header(f"<{target}>; rel=next", BASE)[0].url == expected


def test_commas_and_semicolons_inside_the_url_do_not_split() -> None:
    header = '<https://api.example.com/items?ids=1,2,3;x=y>; rel="next", </p9>; rel=last'
    links = parse_link_header(header, BASE)
    assert [link.url for link in links] == [
        "https://api.example.com/items?ids=1,2,3;x=y",
        "https://api.example.com/p9",
    ]


def test_commas_and_semicolons_inside_quoted_values_do_not_split() -> None:
    header = '<https://api.example.com/p2>; title="a, b; c"; rel="next", <https://api.example.com/p3>; rel=x'
    links = parse_link_header(header, BASE)
    assert len(links) == 2
    assert links[0].params["title"] == "a, b; c"


def test_quoted_string_escapes() -> None:
    header = r'<https://api.example.com/p2>; rel="next"; title="say \"hi\" \\ bye"'
    assert parse_link_header(header, BASE)[0].params["title"] == 'say "hi" \\ bye'


@pytest.mark.parametrize("header", ["", "   ", "\t", ",", " , ,, "])
def test_empty_headers_give_no_links(header: str) -> None:
    assert parse_link_header(header, BASE) == []
    assert parse_link_header([], BASE) == []


def test_stray_whitespace_and_empty_elements_are_tolerated() -> None:
    header = ' ,  <https://api.example.com/p2>  ;rel = "next" ;; ,, <https://api.example.com/p1>;rel=prev; , '
    links = parse_link_header(header, BASE)
    assert [(link.url, set(link.rels)) for link in links] == [
        ("https://api.example.com/p2", {"next"}),
        ("https://api.example.com/p1", {"prev"}),
    ]


def test_unknown_and_valueless_parameters_are_kept() -> None:
    (link,) = parse_link_header('<https://api.example.com/p2>; rel=next; crossorigin; x-custom="1"', BASE)
    assert link.params == {"crossorigin": "", "x-custom": "1"}


def test_first_occurrence_of_a_parameter_wins() -> None:
    (link,) = parse_link_header("<https://api.example.com/p2>; rel=next; rel=prev; title=a; title=b", BASE)
    assert link.rels == {"next"}
    assert link.params == {"title": "a"}


def test_link_without_rel_has_no_rels() -> None:
    (link,) = parse_link_header("<https://api.example.com/p2>", BASE)
    assert link.rels == frozenset()
    assert find_rel([link], "next") is None


def test_find_rel_returns_the_first_match() -> None:
    links = parse_link_header("</a>; rel=next, <https://api.example.com/b>; rel=next", BASE)
    assert find_rel(links, "next") == "https://api.example.com/a"
    assert find_rel(links, "prev") is None
    assert find_rel([], "next") is None


def test_links_are_hashable_and_immutable() -> None:
    (link,) = parse_link_header("<https://api.example.com/p2>; rel=next; title=x", BASE)
    assert link in {link}
    with pytest.raises(TypeError):
        link.params["title"] = "y"  # type: ignore[index]


def test_entry_without_angle_brackets_is_rejected() -> None:
    with pytest.raises(ParseError) as excinfo:
        parse_link_header("foo", BASE)
    assert str(excinfo.value) == "malformed Link header: missing '<' in 'foo'"
    assert excinfo.value.hint
    assert isinstance(excinfo.value, UsageError)


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ('https://api.example.com/p2; rel="next"', "missing '<'"),
        ('<https://api.example.com/p2>; rel="next", rel="last"', "missing '<'"),
        ('<https://api.example.com/p2; rel="next"', "missing '>'"),
        ('<https://api.example.com/p2>; rel="next', "unterminated quoted string"),
        ('<https://api.example.com/p2>; rel="next\\"', "unterminated quoted string"),
        ('<https://api.example.com/p2> rel="next"', "expected ';' or ','"),
        ('<https://api.example.com/p2>; rel="next" last', "unexpected text after a quoted value"),
        ("<http://[::1/p2>; rel=next", "invalid link target"),
    ],
)
def test_malformed_headers_raise_parse_error(header: str, fragment: str) -> None:
    with pytest.raises(ParseError, match=r"^malformed Link header: ") as excinfo:
        parse_link_header(header, BASE)
    assert fragment in str(excinfo.value)


def test_long_headers_are_cut_in_messages() -> None:
    with pytest.raises(ParseError) as excinfo:
        parse_link_header("x" * 1000, BASE)
    message = str(excinfo.value)
    assert len(message) < 120
    assert "\n" not in message


# --- properties ---------------------------------------------------------------------------------

_HOSTILE = st.text(alphabet=st.sampled_from('<>;,="\\ \t\nrelnext/:?#[]\x00é'), max_size=60)


@settings(max_examples=500)
@given(header=st.one_of(st.text(max_size=80), _HOSTILE))
def test_arbitrary_text_raises_nothing_but_parse_error(header: str) -> None:
    try:
        links = parse_link_header(header, BASE)
    except ParseError as exc:
        assert "\n" not in str(exc)
    else:
        assert all(isinstance(link, Link) for link in links)


_TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~"
_tokens = st.text(alphabet=_TOKEN_CHARS, min_size=1, max_size=10)
# URL characters without '<', '>' or whitespace, which cannot appear inside <...>.
_url_chars = st.text(alphabet="abcXYZ019-._~/?&=,;:@!$'()*+%", max_size=30)
_urls = st.one_of(
    _url_chars.map(lambda rest: "https://api.example.com/" + rest),
    _url_chars.map(lambda rest: "/" + rest),
    _url_chars,
)
_param_names = _tokens.filter(lambda name: name != "rel")
_param_values = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def _links(draw: st.DrawFn) -> tuple[str, frozenset[str], dict[str, str], str]:
    """A target, its rels, its params and the formatted link-value."""
    target = draw(_urls)
    rels = draw(st.frozensets(_tokens, max_size=3))
    params = draw(st.dictionaries(_param_names, _param_values, max_size=2))
    quote_rel = draw(st.booleans()) or len(rels) != 1
    parts = [f"<{target}>"]
    pieces = [(name, _quote(value)) for name, value in params.items()]
    if rels:
        rel_text = " ".join(sorted(rels))
        pieces.append(("rel", _quote(rel_text) if quote_rel else rel_text))
    rel_spelling = draw(st.sampled_from(["rel", "Rel", "REL"]))
    for name, text in draw(st.permutations(pieces)):
        parts.append(f"{rel_spelling if name == 'rel' else name}={text}")
    separator = draw(st.sampled_from([";", "; ", " ; "]))
    return target, rels, params, separator.join(parts)


@settings(max_examples=500)
@given(entries=st.lists(_links(), max_size=3), split=st.booleans())
def test_well_formed_headers_round_trip(
    entries: list[tuple[str, frozenset[str], dict[str, str], str]], split: bool
) -> None:
    texts = [text for *_, text in entries]
    values: str | list[str] = texts if split else ", ".join(texts)
    links = parse_link_header(values, BASE)
    assert len(links) == len(entries)
    for link, (target, rels, params, _text) in zip(links, entries, strict=True):
        assert link.url == urljoin(BASE, target)
        assert link.rels == rels
        assert dict(link.params) == params
