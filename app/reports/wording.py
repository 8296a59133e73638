"""The words of a 反馈意见 (../shared/domain/feedback-report.md): the drafts the app makes from the
records for the team lead to edit — the finding of one problem, the opening paragraph with its
figures, the overall conclusion, the themes of 存在的主要问题, the directions and the closing
request. Plain data in, plain text out (no Flask, no database)."""
import os
import re
from functools import lru_cache

CN_NUM = "一二三四五六七八九十"
SCHOOL_TYPE_ORDER = ("小学", "初中", "九年一贯制学校", "十二年一贯制学校", "完全中学", "教学点", "特殊教育学校")
BASIS = "《中华人民共和国义务教育法》《教育督导条例》"
VERDICT_PHRASE = {"不全": "不全", "缺失": "缺失"}  # archive items: "…台账不全"


def cn_index(n):
    """1 → 一, 11 → 十一, 20 → 二十 (the themes never reach a hundred)."""
    if n <= 10:
        return CN_NUM[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_NUM[tens - 1]) + "十" + (CN_NUM[ones - 1] if ones else "")


def cn_date(d):
    """2026年11月23日: Arabic numerals, full year, no leading zeros (GB/T 9704)."""
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def date_span(start, end):
    if not start:
        return ""
    s = cn_date(start)
    if end and end != start:
        s += "至" + (f"{end.year}年" if end.year != start.year else "") + f"{end.month}月{end.day}日"
    return s


_BRACKETS = re.compile(r"[（(][^（）()]*[）)]")
_BOUNDARY = "，、；：。,;: "


def shorten(text, limit=20):
    """A label cut at a word boundary, never inside a bracket: parenthetical remarks go first,
    then the text is cut at the last punctuation before the limit (or hard at the limit)."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    plain = _BRACKETS.sub("", text).strip()
    if len(plain) <= limit:
        return plain
    cut = max((plain.rfind(ch, 0, limit + 1) for ch in _BOUNDARY), default=-1)
    return (plain[:cut] if cut >= limit // 2 else plain[:limit]).rstrip(_BOUNDARY)


def unit_of(label):
    """'实测面积（㎡）' → ('实测面积', '㎡')."""
    m = re.match(r"^(.*?)[（(]([^）)]*)[）)]\s*$", label or "")
    return (m.group(1), m.group(2)) if m else (label or "", "")


def shortfall(indicator, item=None, verdict=None):
    """The general statement of a problem with an indicator (data: the standard's 'shortfall');
    an archive item judged 不全/缺失 reads '<item>不全'."""
    if item and verdict in VERDICT_PHRASE and not item.get("measure") and "value_label" not in item:
        return shorten(item["text"], 24) + VERDICT_PHRASE[verdict]
    if indicator:
        return indicator.get("shortfall") or f"{indicator['name']}未达到标准要求"
    return shorten(item["text"], 24) if item else "存在问题"


def per_pupil_unit(indicator):
    """'㎡/生' → '㎡', '人/百生' → '人': the unit a per-pupil figure is printed in."""
    return (indicator.get("unit") or "").split("/")[0]


def judged_figure(indicator, values):
    """The figure an indicator is judged by, as a finding prints it: {学段: value} per pupil →
    '生均体育运动场馆面积6.12㎡' (one 学段) or '…小学6.1㎡、初中8.95㎡' (each 学段 its own), with
    enough decimals that it never reads as the other side of its threshold."""
    from ..indicators.metrics import shown

    unit = per_pupil_unit(indicator)
    limits = indicator.get("thresholds") or {}
    parts = [(sec, shown(v, limits.get(sec))) for sec, v in values.items() if v is not None]
    if not parts:
        return ""
    if len(parts) == 1:
        return f"{indicator['name']}{parts[0][1]}{unit}"
    return indicator["name"] + "、".join(f"{sec}{v}{unit}" for sec, v in parts)


def finding(indicator, item, verdict, observed_value="", measurements=None, note="", per_pupil=None):
    """One problem as a finding: the general statement, then what was seen — the failing rows
    measured on site ('五年级二班58人'), else the figure the indicator is judged by (`per_pupil`,
    {学段: value} from the verified count and the school's pupils), else the observed value with
    its label, and the note. No school name (the school is its own column), no checklist
    question, no record number."""
    head = shortfall(indicator, item, verdict)
    details = []
    rows = [r for r in (measurements or []) if r.get("ok") is False]
    unit = ((item or {}).get("measure") or {}).get("unit", "")
    for r in rows:
        details.append(f"{r.get('label', '')}{_num(r.get('value'))}{unit}")
    judged = judged_figure(indicator, per_pupil) if indicator and per_pupil else ""
    if not rows and judged:
        details.append(judged)
    elif not rows and observed_value:
        label, u = unit_of((item or {}).get("value_label", ""))
        details.append(f"{label}{observed_value}{u}" if label else str(observed_value))
    note = (note or "").strip().rstrip("。")
    if note and not any(note in d or d in note for d in details):
        details.append(note)
    return head + ("：" + "，".join(details) if details else "")


def _num(v):
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "" if v is None else str(v)


def detail_of(text, statement):
    """What a finding adds to its theme's statement ('班额超标：五年级二班58人' → '五年级二班58人')."""
    text = (text or "").strip().rstrip("。")
    if text.startswith(statement):
        text = text[len(statement):].lstrip("：:，, ")
    return text


def by_type(counts):
    """{'初中': 2, '小学': 5} → '小学5所、初中2所' in the usual order."""
    order = [t for t in SCHOOL_TYPE_ORDER if counts.get(t)] + sorted(t for t in counts if t not in SCHOOL_TYPE_ORDER and counts[t])
    return "、".join(f"{t}{counts[t]}{'个' if t == '教学点' else '所'}" for t in order)


def opening(county, standard, level, start, end, figures, desk):
    """The opening paragraph (基本情况): dates, basis, principle, the desk review, then the
    fieldwork in exact figures. `desk` is collect.desk_review's list (one dict a 学段)."""
    f = figures or {}
    out = [f"{date_span(start, end)}，{level}检查组依据{BASIS}和《{standard.name}办法》（{standard.document}），"
           f"按照“客观公正、实事求是、注重实效”的原则，对{county}义务教育{standard.short_name}发展情况进行了实地督导检查。"
           .lstrip("，")]
    review = []
    for d in desk:
        if d.get("composite") and d["composite"][0] is not None:
            cv, cap = d["composite"]
            review.append(f"{d['section']}校际综合差异系数为{cv:.3f}，{'低于' if cv <= cap else '高于'}{cap:.2f}的标准")
        elif d.get("indicators"):
            over = [name for name, cv, cap in d["indicators"] if cv > cap]
            n = len(d["indicators"])
            review.append(f"{d['section']}{n}项指标校际差异系数" +
                          (f"中有{len(over)}项高于标准（{'、'.join(over)}）" if over else "均低于标准"))
        if d.get("short"):
            review.append(f"{d['section']}有{d['short']}所学校未达到校校达标要求")
    if review:
        out.append("经对全县义务教育学校填报数据进行测算，" + "；".join(review) + "。")
    field = []
    if f.get("groups"):
        field.append(f"检查组分{f['groups']}个小组")
    drawn, visited = f.get("schools_drawn") or 0, f.get("schools_visited") or 0
    if drawn:
        field.append(f"随机抽取学校{drawn}所")
    if visited:
        types = by_type(f.get("visited_by_type") or {})
        field.append(f"实地检查学校{visited}所" + (f"，其中{types}" if types else ""))
    if f.get("forums"):
        kinds = "、".join(f"{t.replace('/', '、')}座谈会{v[0]}个" for t, v in (f.get("forums_by_type") or {}).items())
        field.append(f"召开座谈会{f['forums']}个" + (f"（{kinds}）" if kinds else "") +
                     (f"，参加座谈{f['forum_people']}人" if f.get("forum_people") else ""))
    interviews = f.get("interviews") or 0
    if interviews:
        kinds = "、".join(f"{t}{n}人" for t, n in (f.get("interviews_by_type") or {}).items())
        field.append(f"随机访谈{interviews}人" + (f"，其中{kinds}" if kinds else ""))
    if f.get("questionnaires"):
        field.append(f"回收调查问卷{f['questionnaires']}份")
    if f.get("hearing_entries"):
        field.append(f"听取县级人民政府陈述答辩并提问{f['hearing_entries']}个")
    deps = f.get("departments") or []
    if deps:
        field.append(f"走访{'、'.join(deps)}等{len(deps)}个部门")
    if f.get("archives_checked"):
        field.append(f"查阅档案资料{f['archives_checked']}项")
    if field:
        out.append("；".join(field) + "。")
    return "".join(out)


CONCLUSION_WORDS = {
    "通过": "{county}义务教育{short}发展达到了国家规定的督导评估标准",
    "整改后复核": "{county}义务教育{short}发展基本达到了国家规定的督导评估标准，但仍存在一些需要整改的问题，整改到位后由检查组复核",
    "不通过": "{county}义务教育{short}发展尚未达到国家规定的督导评估标准",
}


def overall(county, standard, conclusion, vetoes):
    if not conclusion:
        return ""
    text = "检查组认为，" + CONCLUSION_WORDS[conclusion].format(county=county, short=standard.short_name) + "。"
    applies = [name for _c, name, yes in vetoes if yes]
    if applies:
        text += f"检查中发现存在“{'”“'.join(applies)}”的情形。"
    return text


def achievements(lines):
    """（一）… for each strength the groups wrote, as a sentence: a short headline before "：" ends
    with 。 ('政府重视，投入加大：近三年投入…' → '政府重视，投入加大。近三年投入…。'), and every line
    ends as a sentence does (the lead rewrites them further on the feedback page)."""
    out = []
    for n, line in enumerate(lines, start=1):
        numbered = re.match(r"^[（(][一二三四五六七八九十]+[）)]", line)
        head, sep, rest = line.partition("：")
        if sep and rest and len(head) <= 20:
            line = f"{head.rstrip('。')}。{rest}"
        if line[-1] not in "。！？；…":
            line += "。"
        out.append(line if numbered else f"（{cn_index(n)}）{line}")
    return out


def problem_themes(problems, visited):
    """存在的主要问题 by theme. `problems` are dicts with theme (key), statement, part_order, school,
    detail, criterion, county (bool). One paragraph a theme: the general statement, how many of
    the schools visited, which ones, what was measured, then the standard."""
    themes = {}
    for p in problems:
        themes.setdefault(p["theme"], []).append(p)
    ordered = sorted(themes.values(), key=lambda ps: (ps[0]["order"], ps[0]["theme"]))
    out = []
    for n, ps in enumerate(ordered, start=1):
        statement = ps[0]["statement"]
        schools = {}
        others = []
        for p in ps:
            if p["school"]:
                schools.setdefault(p["school"], [])
                if p["detail"]:
                    schools[p["school"]].append(p["detail"])
            elif p["detail"]:
                others.append(p["detail"])
        criterion = (ps[0].get("criterion") or "").rstrip("。")
        below = bool(criterion and ps[0].get("below"))  # a per-pupil figure: "…6.12㎡，低于标准要求（…）"
        if schools:
            few = "部分学校" if len(schools) > 1 else "个别学校"
            head = statement if statement.startswith(("部分", "个别")) else few + statement
            names = "；".join(name + (f"（{'，'.join(dict.fromkeys(d))}）" if d else "") for name, d in schools.items())
            body = (f"实地检查的{visited}所学校中，有{len(schools)}所存在此问题：" if visited else
                    f"有{len(schools)}所学校存在此问题：") + names
            body += f"，低于标准要求（{criterion}）。" if below else "。"
        else:
            head = statement
            body = ""
        if others:
            body += "；".join(dict.fromkeys(others)) + "。"
        if criterion and not (below and schools):
            body += f"标准要求：{criterion}。"
        out.append(f"（{cn_index(n)}）{head}。{body}")
    return out


DIRECTIONS_FILE = os.path.join(os.path.dirname(__file__), "directions.json")
_DIRECTIONS_SCHEMA = {
    "type": "object", "required": ["groups"],
    "properties": {"groups": {"type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["key", "head", "clauses"], "additionalProperties": False,
        "properties": {"key": {"type": "string", "minLength": 1}, "head": {"type": "string", "minLength": 2},
                       "clauses": {"type": "object", "minProperties": 1,
                                   "additionalProperties": {"type": "string", "minLength": 2}}}}}},
}
THEMES = ("~interview", "~hearing", "~other")  # the problems with no indicator


class DirectionsError(ValueError):
    pass


@lru_cache(maxsize=1)
def direction_groups():
    """The directions of 三、督导意见 (directions.json), checked: each theme in exactly one group."""
    from ..standards import read_checked_json

    data, where = read_checked_json(DIRECTIONS_FILE, _DIRECTIONS_SCHEMA, DirectionsError)
    seen = {}
    for g in data["groups"]:
        for code in g["clauses"]:
            if code in seen:
                raise DirectionsError(f"{where}: {code} 同时列在 {seen[code]} 和 {g['key']} 中")
            seen[code] = g["key"]
    missing = [t for t in THEMES if t not in seen]
    if missing:
        raise DirectionsError(f"{where}: 缺少 {'、'.join(missing)}")
    return data["groups"]


def unlisted_codes(standard):
    """The indicator codes of a standard that no direction group lists (must be none)."""
    listed = {code for g in direction_groups() for code in g["clauses"]}
    return [c for c in standard.indicators if c not in listed]


def directions(themes, extra):
    """三、督导意见: one verb-led direction for each group of the problems' themes (indicator codes
    or ~interview/~hearing/~other, in the order of 存在的主要问题), its head then the clauses of the
    themes found, the groups in the order their first theme comes; then what the lead wrote
    before. A theme no group lists joins the last group's direction."""
    themes = list(dict.fromkeys(themes))
    groups = direction_groups()
    group_of = {code: g["key"] for g in groups for code in g["clauses"]}
    unlisted = [t for t in themes if t not in group_of]
    first = {}  # a group comes where its first theme comes in 存在的主要问题
    for n, t in enumerate(themes):
        first.setdefault(group_of.get(t, groups[-1]["key"]), n)
    out = []
    for g in sorted((g for g in groups if g["key"] in first), key=lambda g: first[g["key"]]):
        clauses = [text for code, text in g["clauses"].items() if code in themes]
        if g is groups[-1] and unlisted and "~other" in g["clauses"]:
            clauses.append(g["clauses"]["~other"])
        clauses = list(dict.fromkeys(clauses))
        if clauses:
            out.append(f"（{cn_index(len(out) + 1)}）{g['head']}。" + "；".join(clauses) + "。")
    k = len(out)
    for line in extra:
        k += 1
        out.append(line if re.match(r"^[（(][一二三四五六七八九十]+[）)]", line) else f"（{cn_index(k)}）{line}")
    return out


def closing(addressee_body, issuer):
    who = addressee_body or "县级人民政府"
    return (f"请{who}对照本反馈意见，认真研究制定整改方案，明确责任单位和完成时限，于收到本意见之日起3个月内"
            f"将整改方案报送{issuer}，整改完成后及时报送整改情况报告。{issuer}将适时对照本反馈意见进行复查。")


def default_issuer(level, county_name, province="", city=""):
    if level == "国家督导检查":
        return "国务院教育督导委员会办公室"
    if level == "省级评估" and province:
        return f"{province}人民政府教育督导室"
    if level == "市级复核" and city:
        return f"{city}人民政府教育督导室"
    if level == "县级自评":
        return f"{county_name}人民政府教育督导室"
    return f"{level}检查组"


def title_of(county, standard, level):
    return f"关于{county}义务教育{standard.short_name}发展{level}的反馈意见"


def break_title(title, county, per_line=20):
    """Where a long 2号 title breaks (at most `per_line` characters a line, GB/T 9704 lays the
    title out as a balanced block): at a word boundary, never inside a name. Returns lines."""
    if len(title) <= per_line:
        return [title]
    marks = set()
    for word in ("关于" + county, "义务教育", "发展"):
        i = title.find(word)
        if i >= 0:
            marks.add(i + len(word) if word != "义务教育" else i)
    i = title.rfind("的反馈意见")
    if i > 0:
        marks.add(i)
    fitting = [m for m in marks if 0 < m < len(title) and m <= per_line and len(title) - m <= per_line]
    if not fitting:
        return [title[:per_line], title[per_line:]]
    best = min(fitting, key=lambda m: (abs(len(title) - 2 * m), -m))
    return [title[:best], title[best:]]
