"""The words and number formats of the fleet report, in the service's language.

The words are in ``report_i18n/<language>.json`` (one file per language, editable by a
translator); numbers, percentages and dates follow the language's conventions through
Babel (CLDR): "95,3 %" and "2. Dezember 2026" in German, "%95,3" in Turkish.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date, format_interval
from babel.numbers import format_decimal, format_percent

from dispatch.errors import InputError

LANGUAGES = ("de", "en", "tr", "uk", "ar")
WORDS_DIR = Path(__file__).parent / "report_i18n"


@lru_cache(maxsize=len(LANGUAGES))
def _words(lang: str) -> dict[str, str]:
    words: dict[str, str] = json.loads((WORDS_DIR / f"{lang}.json").read_text("utf-8"))
    return words


def check_language(lang: str) -> str:
    """``lang`` if the report speaks it; else a one-line error naming the choices."""
    if lang not in LANGUAGES:
        raise InputError(f"--language: {lang!r} is not one of {', '.join(LANGUAGES)}")
    return lang


class ReportWords:
    """``words("answer", n=4, share="98 %")``, plus numbers and dates in the language's style."""

    def __init__(self, lang: str) -> None:
        self.lang = check_language(lang)
        self.words = _words(lang)

    def __call__(self, key: str, **values: object) -> str:
        return self.words[key].format(**values)

    @property
    def direction(self) -> str:
        return self.words["_dir"]

    def share(self, value: float) -> str:
        """A share as a percentage with at most one decimal: "95,3 %"."""
        return str(format_percent(round(value, 3), locale=self.lang, decimal_quantization=False))

    def number(self, value: float, decimals: int = 0) -> str:
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return str(format_decimal(round(value, decimals), format=pattern, locale=self.lang))

    def dates(self, days: Sequence[date]) -> str:
        """One day, a run of days ("2.–8. Dez. 2026") or a list of days."""
        ordered = sorted(set(days))
        if not ordered:
            return "–"
        if len(ordered) == 1:
            return str(format_date(ordered[0], "long", locale=self.lang))
        if ordered[-1] - ordered[0] == timedelta(days=len(ordered) - 1):
            return str(format_interval(ordered[0], ordered[-1], "yMMMd", locale=self.lang))
        return ", ".join(str(format_date(d, "medium", locale=self.lang)) for d in ordered)

    def places(self, names: Sequence[str]) -> str:
        return ", ".join(names)
