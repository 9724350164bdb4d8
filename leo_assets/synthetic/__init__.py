"""Synthetic LEO: the real source layout, coherent people, the sources' quirks, injected linkage
faults, and the truth kept apart.

API
---
``generate(settings, config=GeneratorConfig(), target_url=None) -> GenerationSummary``
    Writes every physical view of ``load_catalog(sql, settings).all_views()`` with exactly the
    declared (lower-case) column names and types, empty views included, and the truth.

    * DuckDB (``target_url`` None): one file per source database,
      ``settings.source_dir_path()/<physical db>.duckdb`` (``NPD_i2``, ``LILR_i2``, ``HESA_i2``,
      ``LEO_i2``), tables in schema ``settings.project_schema``: after
      ``ATTACH '.../NPD_i2.duckdb' AS "NPD_i2" (READ_ONLY)`` the name
      ``"NPD_i2"."synthetic"."spring_census_2014"`` resolves as on the SRS server. Truth:
      ``settings.source_dir_path()/leo_truth.duckdb``, schema ``truth``.
    * PostgreSQL (``postgresql+psycopg://...``): one schema per source database named exactly
      as the physical database (what ``catalog.view_table(pv, 'postgres')`` names); truth in
      schema ``leo_truth``.

    Writing is in bulk (Arrow -> ``CREATE TABLE AS SELECT CAST(...)``; PostgreSQL ``COPY``) into a
    temporary file set / temporary schemas that replace the previous output only when complete.
``rate_report(settings, config_or_truth_location) -> list[RateRow]`` and ``format_report(rows)``
    Headline rates (KS4 and longer-term destinations, HE entry, NEET, link rates, earnings by
    age, fault rates) from the truth, and from the views for a DuckDB run, beside published
    targets with tolerances. Pass a :class:`GeneratorConfig` (truth simulated in memory), a
    :class:`GenerationSummary`, a ``leo_truth.duckdb`` path or a PostgreSQL URL.
``GeneratorConfig(pupils_per_cohort=2000, cohorts=None, seed=20261122, faults=FaultRates(),
show_progress=True, quirk_scale=1.0)``
    ``cohorts`` None = ``settings.ks4_cohorts`` (KS4 year = academic-year end of Year 11).
    Same seed and config give identical tables. A cohort's people and identifiers do not depend
    on which other cohorts are generated (except the lookups of an ``overmatch_cohort`` victim,
    which point into the earliest generated cohort). ``quirk_scale`` multiplies the rates of dirty
    values.
``FaultRates``: each rate 0..0.5 (``FaultRates.none()`` = no faults): ``overmatch_pmr``,
    ``overmatch_edukey``, ``undermatch_pmr``, ``undermatch_edukey``, ``unlinked_pmr``,
    ``unlinked_recordid``, ``orphan_edukey``, ``pmr_conflict``, ``overmatch_cohort`` (default 0;
    needs two or more cohorts; see :mod:`.config`).

Truth schema (DuckDB ``truth`` / PostgreSQL ``leo_truth``; never read by the pipeline)
-------------------------------------------------------------------------------------
``truth_run``            config (JSON), seed, reference_date, cohorts (JSON), pupils_per_cohort,
                         generator_version.
``truth_person``         one row per true person: person_id (cohort block + index), cohort (KS4
                         year), sex, birth_date, ethnicity (EthnicGroupMinor), eal, fsm (at KS4),
                         sen (N/K/E), idaci_score, region (GOR code), la_code, lsoa11,
                         secondary_school (laestab_anon), prior_attainment and ks4_attainment
                         (z-scores), level2_em, att8, p8, linked, ae_id (the person's own ae_id;
                         NULL = not linked to DWP/HMRC), n_pmr, n_edukey.
``truth_identifier``     id_type ('pmr', 'edukey', 'ae_id', 'recordid', 'external_id'), id_value
                         (text), person_id (the identifier's true owner), slot (1 = first, 2 =
                         second PMR / EduKey / the extra ae_id of a split person). recordids include
                         the NPD/HESA records of education_records_lookup. An over-matched EduKey
                         belongs to its owner here; the rows of the other person under it are
                         resolved by the record truth.
``truth_fault``          one row per injected fault: fault_id, fault_type, ae_id (the ae_id the
                         faulty link points to), id_type, id_value (the identifier involved),
                         person_id (the victim: whose record is mislinked / split / unlinked),
                         other_person_id (the second person of an over-match or conflict, else
                         NULL).
                         overmatch_pmr: victim's first PMR is under other's ae_id.
                         overmatch_edukey: victim's HMRC/DWP rows are under other's EduKey
                         (id_value); the victim has no EduKey of their own.
                         undermatch_pmr / undermatch_edukey: the victim's second PMR / EduKey is
                         under a new ae_id (ae_id) that belongs to the victim in truth_identifier.
                         unlinked_pmr: victim's first PMR is not in the PMR lookup.
                         unlinked_recordid: an ILR recordid of the victim is not in
                         education_records_lookup.
                         orphan_edukey: the victim's first EduKey has outcome rows but no lookup
                         row.
                         pmr_conflict: victim's first PMR is under their own and other's ae_id.
                         overmatch_cohort: every PMR, EduKey and ILR recordid of the victim (a
                         person of a later cohort) is under the ae_id of other (a person of the
                         earliest generated cohort); id_type 'ae_id', id_value the victim's own
                         ae_id, which is in no lookup.
``truth_fault_rate``     cohort, fault_type, unit ('linked_person' or 'ilr_record'), requested_rate,
                         eligible, injected (injected ~ Binomial(eligible, rate); each person in at
                         most one fault).
``truth_activity_spell`` person_id, activity_type (school, sixth_form, fe, apprenticeship,
                         traineeship, he, employment, self_employment, out_of_work_benefit,
                         in_work_benefit, neet, custody), detail
                         (primary/secondary/special/alternative_provision; school_sixth_form;
                         fe_college/sixth_form_college/adult_fe; intermediate/advanced/standard;
                         first_degree/other_undergraduate/postgraduate; full_time/part_time;
                         active/inactive; the benefit code), start_date and end_date (inclusive,
                         real dates, cut at the reference date), open_at_reference (the spell went
                         on after the reference date).
                         Benefits whose code is in the out-of-work list of derivations section 14
                         are out_of_work_benefit, the rest in_work_benefit.
``truth_earnings``       person_id, taxyear (201415 = 2014/15), paye_earnings,
                         self_employment_earnings (NULL = none), complete tax years to the reference
                         date.
``truth_characteristic`` one row per person: what marts/characteristics recovers (CIN, CLA,
                         fixed and permanent exclusions, AP and PRU in Years 10-11; region at 16,
                         18 and 25), ks5_year and has_plams_aim (issue #16: events drawn in
                         ``needs.py``, recorded in ``views_more.py``).
``truth_record_<source>`` the record-level truth of every source row, one table per source: ``view``
                         (year-split sources), the row's natural key columns named by their stems,
                         person_id.
                         school_census (pupilmatchingrefanonymous, laestab_anon, enrolstatus,
                         recordstatus, yearofbirth, monthofbirth); ks4 (PMR, laestab, natres,
                         endks); nccis (PMR, acadyr, monthno, cohort_status); hesa (PMR, comdate);
                         ilr_learners (external_id); ilr_aims (external_id, learning_aim_id,
                         start_date); pmr_lookup (ae_id, PMR); edukey_lookup (ae_id, edukey);
                         education_records_lookup (ae_id, recordid); employment (edukey, startdate,
                         enddate); benefits (edukey, benefit_type, startdate); earnings and
                         self_assessment (edukey, taxyear) plus ``amount``: one row per person
                         contributing to the summed row (two for an over-matched EduKey). Keys are
                         unique per view (rows with blank identifiers that would repeat a key are
                         not generated); compare NULL key parts with IS NOT DISTINCT FROM.

Source quirks generated (source_views.md section F)
--------------------------------------------------
'' PMRs (census, KS4, HESA), laestab and EduKeys (employment, benefits) on a few rows; 1900-01-01 in
ILR end/achievement dates; -1 codes in ILR fields; 0 upin/ukprn; 9999-12-31 end dates for ongoing
employment and benefit spells and some census leaving dates; uncertain employment starts on 6 April
(uncertainstartdate) and ends on 5 April (uncertainenddate); zero earnings; census duplicates
(recordstatus 101-110/120 beside 1-10/20) and dual registrations (M/S); B/G gender before 2008; a
few birth years after the census year; attained + not-attained KS4 records; ILR aims whose
external_id has no learner row; learner records per provider x year; overlapping and abutting spells
(two EduKeys, FE aims, job changes); NCCIS codes outside the mapping (150, 720, 810-830, legacy
420/510/520/551); HESA instances with NULL end dates; no views after the reference date are
populated.
"""

from .config import FaultRates, GenerationSummary, GeneratorConfig, RateRow
from .generator import generate
from .report import format_report, rate_report

__all__ = [
    "FaultRates",
    "GenerationSummary",
    "GeneratorConfig",
    "RateRow",
    "format_report",
    "generate",
    "rate_report",
]
