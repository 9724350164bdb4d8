"""ref_prices is ONS's published CPI index, value by value (issue 17, rule 8).

The published values are held here, not read from the CSV, so a change to either shows.

CPI INDEX 00: ALL ITEMS 2015=100, series D7BT, dataset MM23, annual averages, release of
14 February 2024 (https://www.ons.gov.uk/economy/inflationandpriceindices/timeseries/d7bt/mm23).
Copied from the series download stored at
https://github.com/SussexUCU/USS/blob/86001c16ed2c4664d21f841adb5cc936675fd7ec/data/ons/ons_cpi_index_series_2024_03.csv
("Release date","14-02-2024" in its header).

CPI ANNUAL RATE 00: ALL ITEMS 2015=100, series D7G7, dataset MM23, same release, from the
download stored beside it:
https://github.com/SussexUCU/USS/blob/86001c16ed2c4664d21f841adb5cc936675fd7ec/data/ons/ons_cpi_annual_series_2024_03.csv
"""

import csv
from pathlib import Path

import yaml

REFERENCE = Path(__file__).resolve().parent.parent / "sql" / "reference"

D7BT_ANNUAL = {
    2003: 75.5, 2004: 76.5, 2005: 78.1, 2006: 79.9, 2007: 81.8, 2008: 84.7, 2009: 86.6,
    2010: 89.4, 2011: 93.4, 2012: 96.1, 2013: 98.5, 2014: 100.0, 2015: 100.0, 2016: 100.7,
    2017: 103.4, 2018: 105.9, 2019: 107.8, 2020: 108.7, 2021: 111.6, 2022: 121.7, 2023: 130.5,
}  # fmt: skip

D7G7_ANNUAL = {
    2004: 1.3, 2005: 2.1, 2006: 2.3, 2007: 2.3, 2008: 3.6, 2009: 2.2, 2010: 3.3, 2011: 4.5,
    2012: 2.8, 2013: 2.6, 2014: 1.5, 2015: 0.0, 2016: 0.7, 2017: 2.7, 2018: 2.5, 2019: 1.8,
    2020: 0.9, 2021: 2.6, 2022: 9.1, 2023: 7.3,
}  # fmt: skip


def _csv() -> dict[int, float]:
    with (REFERENCE / "ref_prices.csv").open(newline="") as handle:
        return {int(row["price_year"]): float(row["cpi_index"]) for row in csv.DictReader(handle)}


def test_ref_prices_equals_the_published_d7bt_annual_averages():
    assert _csv() == D7BT_ANNUAL


def test_year_on_year_changes_agree_with_the_published_annual_rate():
    # ONS computes D7G7 from the unrounded index; from the index rounded to 0.1 the change can
    # differ by up to about 0.1 point (2013: 98.5 / 96.1 gives 2.50 where D7G7 says 2.6), plus
    # the rate's own rounding (0.05)
    index = D7BT_ANNUAL
    for year, rate in D7G7_ANNUAL.items():
        change = 100 * (index[year] / index[year - 1] - 1)
        assert abs(change - rate) <= 0.15, (year, round(change, 3), rate)


def test_the_description_cites_the_series_and_the_release():
    described = yaml.safe_load((REFERENCE / "_reference.yml").read_text())["ref_prices"]
    text = " ".join(described["description"].split())
    for cited in ("D7BT", "14 February 2024", "timeseries/d7bt/mm23", "D7G7"):
        assert cited in text, cited
