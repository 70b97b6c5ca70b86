"""gallery.sources.dates: the date forms of real catalogues (most of them from the Met sample's objectDate)."""

import pytest

from gallery.sources.dates import iso_year, resolve_years, year_number, year_range


@pytest.mark.parametrize(("text", "expected"), [
    ("1863", (1863, 1863)),
    ("c. 1665–67", (1665, 1667)),
    ("ca. 1665-1667", (1665, 1667)),
    ("ca.1763", (1763, 1763)),
    ("circa 1665—1667", (1665, 1667)),  # em dash
    ("1892–93", (1892, 1893)),
    ("ca. 1707–8", (1707, 1708)),
    ("1898–02", (1898, 1902)),
    ("1457/58–1504", (1457, 1504)),
    ("1811–ca. 1813", (1811, 1813)),
    ("1849-50.", (1849, 1850)),
    ("1870s", (1870, 1879)),
    ("1880's", (1880, 1889)),
    ("early 1540s", (1540, 1543)),
    ("mid-1750s", (1753, 1757)),
    ("late 1480s", (1487, 1489)),
    ("18th century", (1700, 1799)),
    ("14th century (?)", (1300, 1399)),
    ("late 16th century", (1567, 1599)),
    ("early 15th century", (1400, 1432)),
    ("mid-13th century", (1233, 1266)),
    ("first half of 16th century", (1500, 1549)),
    ("second half of the 19th century", (1850, 1899)),
    ("first quarter of the14th century", (1300, 1324)),  # sic, in the Met's data
    ("17th century (first half)", (1600, 1649)),
    ("13th–14th century", (1200, 1399)),
    ("late 15th–early 16th century", (1467, 1532)),
    ("late 17th century–early 18th century", (1667, 1732)),
    ("mid- to late 14th century", (1333, 1399)),
    ("1834, 1838", (1834, 1838)),
    ("1653 or 1655", (1653, 1655)),
    ("dated 1674 and 1677", (1674, 1677)),
    ("1894–98 (verso); 1900–06 (recto)", (1894, 1906)),
    ("dated Spring 1643", (1643, 1643)),
    ("August 27, 1781", (1781, 1781)),
    ("2021-04-30 15:09:38", (2021, 2021)),
    ("French, 1718–1719", (1718, 1719)),
    ("ca. 900", (900, 900)),
    ("before 1500", (None, 1500)),
    ("1690 or slightly earlier", (None, 1690)),
    ("after 1754", (1754, None)),
    ("1540 after", (1540, None)),
    ("300–200 B.C.", (-300, -200)),
    ("100 B.C.–A.D. 100", (-100, 100)),
    ("5th century BCE", (-500, -401)),
    ("n.d.", (None, None)),
    ("undated", (None, None)),
    ("", (None, None)),
    (None, (None, None)),
])
def test_year_range(text, expected):
    assert year_range(text) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (1863, 1863), ("1863", 1863), ("1863.0", 1863), (1863.0, 1863), ("-500", -500), ("1840      |1850", 1840),
    (0, None), ("0", None), ("", None), (None, None), ("unknown", None), (True, None),
])
def test_year_number(value, expected):
    assert year_number(value) == expected


def test_resolve_years_lets_the_exports_numbers_win():
    assert resolve_years("1870s", 1870, 1870) == (1870, 1870)  # the Met's own numbers for "1870s"
    assert resolve_years("1870s", 0, 0) == (1870, 1879)  # 0: unknown, the text decides
    assert resolve_years("ca. 1665–67", "", "") == (1665, 1667)
    assert resolve_years("1665", 1660, None) == (1660, 1665)  # each bound on its own
    assert resolve_years("", 1893, 1811) == (1811, 1893)  # reversed export years are put in order
    assert resolve_years("n.d.") == (None, None)


@pytest.mark.parametrize(("text", "year", "timestamp_year"), [
    ("1606-07-15T00:00:00.000Z", 1606, 1606),  # SMK's date of birth
    ("-0500-01-01T00:00:00Z", -500, -500),  # Wikidata's inception of a work made 500 BCE
    ("1889-05-01", 1889, None),  # a plain day: no timestamp
    ("1503", None, None), ("c. 1503-1506", None, None), (None, None, None), (1503, None, None),
])
def test_the_year_of_an_iso_day_or_timestamp(text, year, timestamp_year):
    assert (iso_year(text), iso_year(text, timestamp=True)) == (year, timestamp_year)
