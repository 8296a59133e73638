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
class ProblemLine:
    """One line of the 问题清单 (attachment 1): a confirmed problem, its school or unit and item."""
    number: int
    where: str  # school, department or the county government
    item: str  # the indicator (or item) it falls under
    text: str  # the finding as the team lead worded it


@dataclass
class EvidencePhoto:
    school: str
    item: str
    taken_at: datetime | None  # local time (the app's TIMEZONE), naive
    caption: str
    image: bytes  # JPEG


@dataclass
class ReportData:
    """The feedback opinion as it prints: every text is what the team lead edited, or the draft."""
    county: str
    title: str
    title_lines: list  # the title broken at a word boundary
    addressee: str  # 主送, e.g. 示范县人民政府
    issuer: str  # 落款
    sign_date: date  # 成文日期: the sign-off date (today while a draft)
    team: list  # [(name, role label)]
    opening: list  # [paragraph]
    overall: list  # [paragraph]
    achievements: list  # [paragraph]: 一、主要成效
    problems: list  # [paragraph]: 二、存在的主要问题
    requirements: list  # [paragraph]: 三、督导意见
    closing: list  # [paragraph]
    problem_list: list  # [ProblemLine]: attachment 1
    photos: list  # [EvidencePhoto]: attachment 2
    generated_at: datetime
    signed: bool = False
    figures: dict = field(default_factory=dict)
    indicators: list = field(default_factory=list)  # [IndicatorSection] (the desk review behind the opening)
    data_year: int | None = None

    @property
    def attachments(self):
        """The attachments in order: [(number, name)]."""
        names = []
        if self.problem_list:
            names.append("问题清单")
        if self.photos:
            names.append("证据照片")
        return list(enumerate(names, start=1))


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
