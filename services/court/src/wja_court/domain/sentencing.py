"""Custodial terms: the suspended-sentence range, each offence's statutory maximum, and who gets the
Victim Contact Scheme. Sources and what could not be verified: docs/rules.md (Court table).

A term is given in whole months (``custody_months``) or in days (``custody_days``, for the 14-day floor
of a suspended sentence, terms in weeks such as 51 weeks = 357 days, or any term a court pronounces in
days). A month is a calendar month, so 6 months is 181 to 184 days depending on when it starts. A term
breaks a limit only when it does so however the months fall: its shortest reading exceeds the limit's
longest reading (or, for a floor, its longest reading is below the floor). Terms and limits both in
months therefore compare month for month.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from wja_platform.problems import Invalid

CUSTODIAL = frozenset({"custody", "suspended_sentence"})
"""Disposals with a custodial term."""


@dataclass(frozen=True)
class Length:
    """A length of time as the law or the court states it."""

    amount: int
    unit: str  # "days" | "weeks" | "months" | "years"

    def __str__(self) -> str:
        unit = self.unit[:-1] if self.amount == 1 else self.unit
        return f"{self.amount} {unit}"

    def readings(self) -> tuple[int, int]:
        """(shortest, longest) number of days this length can be."""
        if self.unit == "days":
            return self.amount, self.amount
        if self.unit == "weeks":
            return 7 * self.amount, 7 * self.amount
        return _month_span(self.amount * (12 if self.unit == "years" else 1))


@lru_cache(maxsize=256)
def _month_span(months: int) -> tuple[int, int]:
    """Shortest and longest day-count of ``months`` consecutive calendar months (leap years included)."""
    spans = []
    for year in (2023, 2024, 2025, 2026):  # every position in the four-year leap cycle
        for month in range(1, 13):
            end = (month - 1) + months
            spans.append((date(year + end // 12, end % 12 + 1, 1) - date(year, month, 1)).days)
    return min(spans), max(spans)


def exceeds(term: Length, limit: Length) -> bool:
    """The term is longer than the limit however the calendar falls."""
    return term.readings()[0] > limit.readings()[1]


def falls_short(term: Length, floor: Length) -> bool:
    """The term is shorter than the floor however the calendar falls."""
    return term.readings()[1] < floor.readings()[0]


@dataclass(frozen=True)
class Maximum:
    length: Length
    source: str


MAXIMA: dict[str, Maximum] = {
    "common_assault": Maximum(Length(6, "months"), "CJA 1988 s39"),
    "abh": Maximum(Length(5, "years"), "OAPA 1861 s47"),
    "coercive_control": Maximum(Length(5, "years"), "SCA 2015 s76(11)"),
    "strangulation": Maximum(Length(5, "years"), "SCA 2015 s75A(5)(b)"),
    "harassment": Maximum(Length(6, "months"), "PHA 1997 s2(2)"),
    "harassment_fear_of_violence": Maximum(Length(10, "years"), "PHA 1997 s4(4)(a), as amended by PCA 2017 s175"),
    # s2A(4) says 51 weeks, but s2A(5) reads it as six months until CJA 2003 s281(5) is in force
    "stalking": Maximum(Length(6, "months"), "PHA 1997 s2A(4)-(5)"),
    "stalking_fear_of_violence": Maximum(Length(10, "years"), "PHA 1997 s4A(5)(a), as amended by PCA 2017 s175"),
    "breach_restraining_order": Maximum(Length(5, "years"), "SA 2020 s363(2); PHA 1997 s5(6)"),
    "breach_non_molestation_order": Maximum(Length(5, "years"), "FLA 1996 s42A(5)(a)"),
    "criminal_damage": Maximum(Length(10, "years"), "CDA 1971 s4(2)"),
    "threats_to_kill": Maximum(Length(10, "years"), "OAPA 1861 s16"),
}
"""The statutory maximum custodial term of each offence code of journey.md (on indictment where triable so)."""

SUSPENDED_MIN = Length(14, "days")
SUSPENDED_MAX = Length(2, "years")
"""Sentencing Code (SA 2020) s277: a suspended sentence order needs a term of at least 14 days and at most 2 years."""

VIOLENT_OR_SEXUAL = frozenset(
    {"abh", "strangulation", "threats_to_kill", "harassment_fear_of_violence", "stalking_fear_of_violence"}
)
"""The codes that are a "sexual or violent offence" for DVCVA 2004 s35 (s45: murder or a CJA 2003 Schedule 15
offence); none of the twelve codes is a sexual offence. Reasoning per code in docs/rules.md."""

VCS_MIN = Length(12, "months")


def term_of(custody_months: int | None, custody_days: int | None) -> Length | None:
    if custody_months is not None:
        return Length(custody_months, "months")
    if custody_days is not None:
        return Length(custody_days, "days")
    return None


def field_of(custody_months: int | None) -> str:
    return "custody_months" if custody_months is not None else "custody_days"


def maximum_for(offences: Sequence[str]) -> Length | None:
    """The longest term the charged offences allow together (consecutive terms, each within its own maximum);
    None when court does not know the charges (the limit cannot be checked)."""
    known = [MAXIMA[o].length for o in offences if o in MAXIMA]
    if not known or len(known) < len(offences):
        return None
    if len(known) == 1:
        return known[0]
    return Length(sum(length.readings()[1] for length in known), "days")


def describe_maximum(offences: Sequence[str]) -> str:
    return " + ".join(f"{MAXIMA[o].length} ({MAXIMA[o].source})" for o in offences)


def check_term(
    disposal: str, custody_months: int | None, custody_days: int | None, offences: Sequence[str]
) -> Length | None:
    """The custodial term of a sentence, or an Invalid (422) naming the field and the limit it breaks."""
    term = term_of(custody_months, custody_days)
    if custody_months is not None and custody_days is not None:
        raise Invalid("give the custodial term in months or in days, not both", field="custody_days")
    if disposal not in CUSTODIAL:
        if term is not None:
            raise Invalid("only custody and a suspended sentence have a custodial term", field=field_of(custody_months))
        return None
    if term is None:
        raise Invalid("custody needs its term: custody_months or custody_days", field="custody_months")
    field = field_of(custody_months)
    if disposal == "suspended_sentence":
        if falls_short(term, SUSPENDED_MIN):
            raise Invalid(f"a suspended sentence's term is at least {SUSPENDED_MIN} (SA 2020 s277)", field=field)
        if exceeds(term, SUSPENDED_MAX):
            raise Invalid(f"a suspended sentence's term is at most {SUSPENDED_MAX} (SA 2020 s277)", field=field)
    limit = maximum_for(offences)
    if limit is not None and exceeds(term, limit):
        raise Invalid(
            f"the term exceeds the statutory maximum for the offences charged: {describe_maximum(offences)}",
            field=field,
        )
    return term


def vcs_eligible(disposal: str, term: Length | None, offences: Sequence[str]) -> bool:
    """DVCVA 2004 s35: the Victim Contact Scheme is due when an offender is sentenced to imprisonment (immediate
    custody, not a suspended sentence) for 12 months or more for a sexual or violent offence."""
    if disposal != "custody" or term is None:
        return False
    if not any(o in VIOLENT_OR_SEXUAL for o in offences):
        return False
    return term.readings()[0] >= VCS_MIN.readings()[0]
