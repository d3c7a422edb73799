"""The simulator's planned sentences are ones court accepts (SA 2020 s277, each offence's statutory maximum)."""

from __future__ import annotations

from wja_cli import journeys
from wja_court.domain import sentencing


def test_every_planned_sentence_passes_courts_sentencing_rules():
    plans = [p for p in journeys.plan(3000, seed=7) if p.disposal]
    assert any(p.offence in journeys.SUMMARY_ONLY_MAX_MONTHS and p.custody_months for p in plans)
    assert any(p.custody_months and p.custody_months >= 12 for p in plans)
    for p in plans:
        sentencing.check_term(p.disposal, p.custody_months, None, [p.offence])  # raises Invalid when refused


def test_the_simulators_caps_match_courts_maxima():
    for offence, months in journeys.SUMMARY_ONLY_MAX_MONTHS.items():
        assert sentencing.MAXIMA[offence].length == sentencing.Length(months, "months")
    for offence in set(journeys.OFFENCES) - set(journeys.SUMMARY_ONLY_MAX_MONTHS):
        assert not sentencing.exceeds(
            sentencing.Length(journeys.TERMS_MONTHS[-1], "months"), sentencing.MAXIMA[offence].length
        )
