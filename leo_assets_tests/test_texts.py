"""Every description and rule text a researcher reads is whole: none stops mid-sentence."""

import re

import pytest

from leo_assets.disclosure import DisclosureRules

# A sentence cannot end on one of these words: a text ending so was cut short.
DANGLING = {
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "if", "in", "is", "its",
    "of", "on", "or", "than", "that", "the", "their", "to", "when", "where", "which", "with",
}  # fmt: skip


def cut_short(text: str) -> str | None:
    """Why ``text`` looks cut short, or None when it ends whole."""
    text = text.strip()
    if not text:
        return "empty"
    if text.count("(") != text.count(")"):
        return "unbalanced parentheses"
    words = re.findall(r"[A-Za-z_]+", text)
    if words and words[-1].lower() in DANGLING and not text.endswith((".", ")", "'", '"')):
        return f"ends on {words[-1]!r}"
    if text.endswith((",", ";", ":", "-", "…")):
        return f"ends on {text[-1]!r}"
    return None


@pytest.mark.parametrize(
    "text, bad",
    [
        ("suppressed when their numerator or denominator is", True),
        ("suppressed when their numerator or denominator is suppressed", False),
        ("One row per person (the cohort", True),
        ("counts are rounded to 5;", True),
        ("One row per person.", False),
    ],
)
def test_cut_short_catches_truncation(text, bad):
    assert (cut_short(text) is not None) == bad


def test_every_rule_text_is_whole():
    for rule, text in DisclosureRules().describe():
        assert cut_short(text) is None, f"rule {rule!r}: {cut_short(text)}: {text!r}"


def test_every_asset_and_check_description_is_whole(tmp_path):
    from leo_assets.definitions import build_definitions
    from leo_assets.settings import load_settings

    defs = build_definitions(load_settings())
    graph = defs.resolve_asset_graph()
    problems = []
    for key in graph.get_all_asset_keys():
        text = graph.get(key).description or ""
        if cut_short(text):
            problems.append(f"{key.to_user_string()}: {cut_short(text)}: …{text[-80:]!r}")
    for check_key in graph.asset_check_keys:
        text = graph.get_check_spec(check_key).description or ""
        if text and cut_short(text):
            problems.append(f"{check_key}: {cut_short(text)}: …{text[-80:]!r}")
    assert not problems, "\n".join(problems)
