"""Canonical scene paths: one spelling per branch, everything else refused with a reason."""

import pytest

from worlddirector.errors import BadInputError
from worlddirector.world.paths import child_path, format_path, parent_path, parse_path


@pytest.mark.parametrize("text,expected", [("", ()), ("0", (0,)), ("0/2", (0, 2)), ("2/1/0", (2, 1, 0)), ("10", (10,))])
def test_canonical_paths_parse(text, expected):
    assert parse_path(text) == expected
    assert format_path(expected) == text


@pytest.mark.parametrize(
    "text,reason",
    [
        ("00/1", "leading zero"),
        ("0//1", "empty segment"),
        ("abc", "not a choice index"),
        ("-1", "not a choice index"),
        ("/0", "must not start or end"),
        ("0/", "must not start or end"),
        ("0/ 1", "not a choice index"),
        ("٣", "not a choice index"),  # a non-ASCII digit must not alias "3"
        ("1" * 300, "too long"),
        ("/".join(["0"] * 200), "too long"),
        ("1234", "not a valid choice index"),
    ],
)
def test_malformed_paths_rejected_with_reason(text, reason):
    with pytest.raises(BadInputError) as exc:
        parse_path(text)
    assert reason in str(exc.value)


def test_depth_limit():
    assert parse_path("0/1/2", max_depth=3) == (0, 1, 2)
    with pytest.raises(BadInputError, match="depth 2"):
        parse_path("0/1/2", max_depth=2)


def test_parent_and_child():
    assert parent_path("") is None
    assert parent_path("1") == ""
    assert parent_path("1/2/0") == "1/2"
    assert child_path("", 2) == "2"
    assert child_path("1/2", 0) == "1/2/0"
