"""Plain data the report builders read (filled by collect.py, or by a test or a benchmark)."""
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass
class IndicatorRow:
    code: str
    name: str
    unit: str
    value: float | None  # county value
    cv: float | None
    cap: float | None
    ok: bool | None


@dataclass
class IndicatorSection:
    section: str  # 小学 / 初中
    schools: int
    students: int
    rows: list  # [IndicatorRow]
    composite_cv: float | None = None
    composite_cap: float | None = None
    ok: bool | None = None
    short_schools: list = field(default_factory=list)  # [(school name, [codes short], ok)]


@dataclass
class Problem:
    number: int
    part: str  # the standard part's name (资源配置, 政府保障程度, …)
    text: str
    where: str  # school or department ("" for the county)
    indicator: str | None
    evidence: str  # a reference to the record(s) behind it
    key: bool = False


@dataclass
class EvidencePhoto:
    school: str
    item: str
    taken_at: datetime | None
    caption: str
    image: bytes  # JPEG


@dataclass
class ReportData:
    county: str
    title: str
    standard: str
    document: str
    level: str
    start_date: date | None
    end_date: date | None
    team: list  # [(name, role label)]
    groups: list  # [(group name, lead name, [member names], [school names])]
    figures: dict  # schools_drawn, schools_visited, interviews, interviews_by_type, departments, records, photos
    data_year: int | None
    indicators: list  # [IndicatorSection]
    steps: dict  # {"hearing": [lines], "archives": [...], "schools": [...], "departments": [...], "interviews": [...]}
    achievements: list  # [str]
    problems: list  # [Problem], numbered across the report
    requirements: list  # [str]
    vetoes: list  # [(code, name, applies)]
    conclusion: str
    photos: list  # [EvidencePhoto]
    generated_at: datetime


@dataclass
class RectRow:
    problem: str
    measure: str
    deadline: date | None  # to the month


@dataclass
class RectificationData:
    county: str
    filled: date
    schools: list  # [(school name, [RectRow])], one block per physical campus
    county_rows: list  # [RectRow]
