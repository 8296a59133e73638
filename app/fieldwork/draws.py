"""Provable random draws (随机抽取): schools to visit, people to interview, class seats.

No Flask, no database: everything here takes and returns plain JSON-serialisable data, so a
stored ``Draw`` record (population, rule, seed, result, algorithm) can be re-run by anyone
(复核) with :func:`verify` and must give the same ``selected`` list.

Randomness (algorithm "v1")
---------------------------
Nothing uses Python's ``random`` module. A :class:`SeededStream` is keyed by ``(seed, label)``;
block ``i`` of the stream is ``sha256(f"{seed}:{label}:{i}")`` (UTF-8), read as a 256-bit
big-endian integer. ``randbelow(n)`` takes the top ``k = n.bit_length()`` bits of the next block
and rejects values ``>= n`` (unbiased; ``randbelow(1)`` is 0 and consumes nothing). Samples are
a partial Fisher–Yates shuffle: for ``i`` in ``0..k-1`` swap position ``i`` with
``i + randbelow(n - i)``; the first ``k`` items, in that order, are the draw order. Each part
of a draw has its own label (e.g. ``"require:教学点"``, ``"stratum:小学·乡村"``), so one part does
not shift the numbers of another. Populations are sorted by ``str(id)`` before sampling, so the
order in which they were given does not matter.

School allocation (draw_schools, v1)
------------------------------------
1. Schools whose 办学类型 is in ``exclude_types`` (default 特殊教育学校) are removed.
2. For each ``require`` entry in order ("教学点": 办学类型 教学点; "一贯制": 九年一贯制学校 or
   十二年一贯制学校) one school is drawn from that subset (unless one already drawn satisfies
   it). A missing subset is skipped with a note.
3. Strata: the key is the school's value for each dimension in ``strata``, in the rule's
   order, joined by "·". For 学段 a school whose ``sections`` holds both 小学 and 初中 goes to
   the combined stratum value "一贯制" (it is neither a 小学 nor a 初中 school to visit);
   otherwise its single section. With ``strata == []`` there is one stratum "全部".
4. Allocation (largest remainder with minimums): ``N = min(count, eligible schools)``; each
   stratum ``i`` (size ``s_i``, share ``q_i = N·s_i/S``) starts at its minimum: the number of
   required schools already drawn in it, raised to 1 for every non-empty stratum while ``N``
   allows (if ``N`` is smaller than the number of strata, the strata without a required school
   get their 1 in order of size, larger first, ties in canonical order). Each remaining seat
   goes, one at a time, to the stratum with the largest ``q_i − a_i`` among those not full
   (``a_i < s_i``); ties go to the larger stratum, then canonical order. Without binding
   minimums this is exactly Hamilton's largest-remainder method. Exact fractions, no floats.
5. Within each stratum (canonical order: 小学, 初中, 一贯制; 城区, 镇区, 乡村) the remaining
   ``a_i − r_i`` schools are sampled from those not yet drawn.

``selected`` lists the required schools first, then each stratum's schools in draw order.
"""
from __future__ import annotations

import math
from fractions import Fraction

from .draw_basics import (
    DrawError, SeededStream, _check_population_list, _check_rule_keys, _positive_int, _string_list,
)

ALGORITHM = "v1"
ALGORITHMS = (ALGORITHM,)
KINDS = ("schools", "interviewees", "seats")

SCHOOL_TYPES = ("小学", "初中", "九年一贯制学校", "十二年一贯制学校", "完全中学", "教学点", "特殊教育学校")
AREA_TYPES = ("城区", "镇区", "乡村")
SECTIONS = ("小学", "初中")
COMBINED_SECTION = "一贯制"
STRATA_DIMENSIONS = ("学段", "城乡类型")
REQUIREMENTS = {
    "教学点": ("教学点",),
    "一贯制": ("九年一贯制学校", "十二年一贯制学校"),
}
DEFAULT_SCHOOL_RULE = {
    "count": 10,
    "strata": ["学段", "城乡类型"],
    "require": ["教学点", "一贯制"],
    "exclude_types": ["特殊教育学校"],
}
ALL_STRATUM = "全部"
_DIMENSION_ORDER = {
    "学段": ("小学", "初中", COMBINED_SECTION),
    "城乡类型": AREA_TYPES,
}


# --------------------------------------------------------------------------- schools


def normalize_school_rule(rule) -> dict:
    """The rule with v1 defaults filled in; DrawError if anything is invalid."""
    rule = _check_rule_keys(rule, DEFAULT_SCHOOL_RULE, "抽取学校")
    out = {
        "count": _positive_int(rule.get("count", DEFAULT_SCHOOL_RULE["count"]), "抽取学校数"),
        "strata": _string_list(rule.get("strata", DEFAULT_SCHOOL_RULE["strata"]), "分层依据"),
        "require": _string_list(rule.get("require", DEFAULT_SCHOOL_RULE["require"]), "必抽类型"),
        "exclude_types": _string_list(rule.get("exclude_types", DEFAULT_SCHOOL_RULE["exclude_types"]), "排除类型"),
    }
    for name in out["strata"]:
        if name not in STRATA_DIMENSIONS:
            raise DrawError(f"未知的分层依据「{name}」，只能是 学段 或 城乡类型")
    for name in out["require"]:
        if name not in REQUIREMENTS:
            raise DrawError(f"未知的必抽类型「{name}」，只能是 教学点 或 一贯制")
    for name in out["exclude_types"]:
        if name not in SCHOOL_TYPES:
            raise DrawError(f"未知的办学类型「{name}」")
    return out


def _check_school(item: dict) -> None:
    label = item.get("name") or item.get("code") or item["id"]
    if item.get("school_type") not in SCHOOL_TYPES:
        raise DrawError(f"学校「{label}」的办学类型「{item.get('school_type')}」无效")
    if item.get("area_type") not in AREA_TYPES:
        raise DrawError(f"学校「{label}」的城乡类型「{item.get('area_type')}」无效，只能是 城区、镇区 或 乡村")
    sections = item.get("sections")
    if (
        not isinstance(sections, (list, tuple))
        or not sections
        or any(s not in SECTIONS for s in sections)
        or len(set(sections)) != len(sections)
    ):
        raise DrawError(f"学校「{label}」的学段 {sections!r} 无效，只能是 小学、初中 或两者")
    students = item.get("students", 0)
    if isinstance(students, bool) or not isinstance(students, int) or students < 0:
        raise DrawError(f"学校「{label}」的在校生数 {students!r} 无效")


def school_section_key(item: dict) -> str:
    """小学 / 初中 for a one-section school, 一贯制 for a school with both sections."""
    sections = item["sections"]
    return sections[0] if len(sections) == 1 else COMBINED_SECTION


def _stratum_of(item: dict, strata: list) -> tuple:
    values = []
    for dim in strata:
        values.append(school_section_key(item) if dim == "学段" else item["area_type"])
    return tuple(values)


def _stratum_sort_key(values: tuple, strata: list) -> tuple:
    return tuple(_DIMENSION_ORDER[dim].index(v) for dim, v in zip(strata, values))


def _stratum_label(values: tuple) -> str:
    return "·".join(values) if values else ALL_STRATUM


def allocate(sizes: list[int], minimums: list[int], total: int) -> list[int]:
    """Largest remainder with minimums (see module docstring, step 4).

    ``sizes`` and ``minimums`` are in canonical stratum order; ``minimums`` already include the
    required schools; the "at least one per non-empty stratum" rule is applied here.
    """
    n = len(sizes)
    population = sum(sizes)
    if total > population:
        raise DrawError("抽取数量超过可抽范围")
    alloc = list(minimums)
    spare = total - sum(alloc)
    if spare < 0:
        raise DrawError("必抽学校数超过抽取数量")
    # at least one per non-empty stratum, larger strata first while seats allow
    order = sorted(range(n), key=lambda i: (-sizes[i], i))
    for i in order:
        if spare == 0:
            break
        if sizes[i] > 0 and alloc[i] == 0:
            alloc[i] = 1
            spare -= 1
    quotas = [Fraction(total * s, population) if population else Fraction(0) for s in sizes]
    while spare > 0:
        candidates = [i for i in range(n) if alloc[i] < sizes[i]]
        best = max(candidates, key=lambda i: (quotas[i] - alloc[i], sizes[i], -i))
        alloc[best] += 1
        spare -= 1
    return alloc


def draw_schools(population: list[dict], rule: dict, seed: str) -> dict:
    """Draw schools to visit; see the module docstring for the v1 rule."""
    seed = _check_seed(seed)
    rule = normalize_school_rule(rule)
    schools = _check_population_list(population, "学校")
    if not schools:
        raise DrawError("学校名单为空，无法抽取")
    for item in schools:
        _check_school(item)
    notes: list[str] = []

    excluded = [s for s in schools if s["school_type"] in rule["exclude_types"]]
    eligible = [s for s in schools if s["school_type"] not in rule["exclude_types"]]
    if excluded:
        counts = {}
        for s in excluded:
            counts[s["school_type"]] = counts.get(s["school_type"], 0) + 1
        notes.append("已排除" + "、".join(f"{t} {c} 所" for t, c in counts.items()))
    if not eligible:
        raise DrawError("排除后没有可抽取的学校")

    count = rule["count"]
    if count >= len(eligible):
        if count > len(eligible):
            notes.append(f"可抽学校只有 {len(eligible)} 所，少于要求的 {count} 所，全部抽取")
        count = len(eligible)

    selected: list = []
    chosen: set = set()
    for name in rule["require"]:
        types = REQUIREMENTS[name]
        subset = [s for s in eligible if s["school_type"] in types]
        if not subset:
            notes.append(f"本县无{name}学校，未抽取{name}" if name == "一贯制" else f"本县无{name}，未抽取{name}")
            continue
        if any(str(s["id"]) in chosen for s in subset):
            continue  # an earlier requirement already drew one
        if len(selected) >= count:
            notes.append(f"抽取数量不足，未能满足必抽{name}的要求")
            continue
        pick = SeededStream(seed, f"require:{name}").sample(subset, 1)[0]
        selected.append(pick["id"])
        chosen.add(str(pick["id"]))

    strata = rule["strata"]
    groups: dict[tuple, list] = {}
    for s in eligible:
        groups.setdefault(_stratum_of(s, strata), []).append(s)
    keys = sorted(groups, key=lambda k: _stratum_sort_key(k, strata))
    sizes = [len(groups[k]) for k in keys]
    minimums = [sum(1 for s in groups[k] if str(s["id"]) in chosen) for k in keys]
    alloc = allocate(sizes, minimums, count)

    summary = {}
    for key, size, already, want in zip(keys, sizes, minimums, alloc):
        label = _stratum_label(key)
        remaining = [s for s in groups[key] if str(s["id"]) not in chosen]
        picks = SeededStream(seed, f"stratum:{label}").sample(remaining, want - already)
        for s in picks:
            selected.append(s["id"])
            chosen.add(str(s["id"]))
        summary[label] = {"population": size, "drawn": want}
    return {"algorithm": ALGORITHM, "selected": selected, "strata": summary, "notes": notes}


# --------------------------------------------------------------------------- interviewees


def draw_interviewees(population: list[dict], rule: dict, seed: str) -> dict:
    """Draw people to interview.

    Rule ``{"count": n, "per_type": {type: k}}``. With ``per_type`` each listed type (in the
    order given) gets ``k`` people drawn from that type (all of them, with a note, if fewer);
    if ``count`` is larger than the sum, the rest is drawn from everyone not yet drawn.
    ``count`` defaults to the sum of ``per_type`` and may not be smaller than it.
    """
    seed = _check_seed(seed)
    rule = _check_rule_keys(rule, ("count", "per_type"), "抽取访谈对象")
    people = _check_population_list(population, "访谈对象")
    if not people:
        raise DrawError("访谈对象名单为空，无法抽取")
    per_type = rule.get("per_type") or {}
    if not isinstance(per_type, dict):
        raise DrawError("各类对象人数格式不正确")
    for t, k in per_type.items():
        _positive_int(k, f"「{t}」抽取人数")
    type_total = sum(per_type.values())
    if "count" in rule:
        count = _positive_int(rule["count"], "抽取人数")
    elif per_type:
        count = type_total
    else:
        raise DrawError("请填写抽取人数")
    if count < type_total:
        raise DrawError(f"抽取人数 {count} 少于各类对象人数之和 {type_total}")

    notes: list[str] = []
    selected: list = []
    chosen: set = set()
    for t, k in per_type.items():
        subset = [p for p in people if p.get("type", "") == t]
        if not subset:
            notes.append(f"名单中没有{t}，未抽取{t}")
            continue
        if k > len(subset):
            notes.append(f"{t}只有 {len(subset)} 人，少于要求的 {k} 人，全部抽取")
            k = len(subset)
        for p in SeededStream(seed, f"type:{t}").sample(subset, k):
            selected.append(p["id"])
            chosen.add(str(p["id"]))
    rest = count - type_total  # per_type is honoured as given; the rest comes from anyone
    remaining = [p for p in people if str(p["id"]) not in chosen]
    if rest > len(remaining):
        if not per_type:
            notes.append(f"名单只有 {len(people)} 人，少于要求的 {count} 人，全部抽取")
        else:
            notes.append(f"名单中其余人员只有 {len(remaining)} 人，全部抽取")
        rest = len(remaining)
    if rest > 0:
        for p in SeededStream(seed, "rest").sample(remaining, rest):
            selected.append(p["id"])
    return {"algorithm": ALGORITHM, "selected": selected, "notes": notes}


# --------------------------------------------------------------------------- seats


def _seat_classes(classes) -> list[str]:
    if isinstance(classes, dict):
        unknown = sorted(set(classes) - {"grades", "classes_per_grade"})
        if unknown:
            raise DrawError(f"班级设置中有未知项：{'、'.join(unknown)}")
        grades = _string_list(classes.get("grades", []), "年级")
        if not grades:
            raise DrawError("请填写年级")
        per_grade = _positive_int(classes.get("classes_per_grade"), "每个年级的班级数")
        return [f"{g}{i}班" for g in grades for i in range(1, per_grade + 1)]
    names = _string_list(classes if classes is not None else [], "班级")
    names = [n.strip() for n in names]
    if any(not n for n in names):
        raise DrawError("班级名称不能为空")
    if len(set(names)) != len(names):
        raise DrawError("班级中有重复项")
    return names


def draw_seats(rule: dict, seed: str) -> dict:
    """Draw by class and seat number, without a roster.

    Rule ``{"classes": [...] or {"grades": [...], "classes_per_grade": n}, "seats": 45,
    "count": 6, "per_class": 1}``. ``ceil(count / per_class)`` classes are drawn; each gets
    ``per_class`` distinct seats in 1..seats, except the last drawn class, which gets what is
    left of ``count``. ``selected`` is ``[{"class": ..., "seat": ...}]`` in draw order.
    """
    seed = _check_seed(seed)
    rule = _check_rule_keys(rule, ("classes", "seats", "count", "per_class"), "抽取座号")
    classes = _seat_classes(rule.get("classes"))
    if not classes:
        raise DrawError("请填写班级")
    seats = _positive_int(rule.get("seats", 45), "最大座号")
    count = _positive_int(rule.get("count"), "抽取人数")
    per_class = _positive_int(rule.get("per_class", 1), "每班抽取人数")
    if per_class > seats:
        raise DrawError(f"每班抽取人数 {per_class} 超过最大座号 {seats}")
    if count > len(classes) * per_class:
        raise DrawError(f"抽取人数 {count} 超过班级数 {len(classes)} × 每班 {per_class} 人")
    n_classes = math.ceil(count / per_class)
    drawn_classes = SeededStream(seed, "classes").sample(sorted(classes), n_classes)
    selected = []
    left = count
    for name in drawn_classes:
        k = min(per_class, left)
        for seat in SeededStream(seed, f"seats:{name}").sample(list(range(1, seats + 1)), k):
            selected.append({"class": name, "seat": seat})
        left -= k
    return {"algorithm": ALGORITHM, "selected": selected, "notes": []}


# --------------------------------------------------------------------------- run / verify


def _check_seed(seed) -> str:
    if not isinstance(seed, str) or not seed.strip():
        raise DrawError("随机种子不能为空")
    if len(seed) > 64:
        raise DrawError("随机种子不能超过 64 个字符")
    return seed


def run(kind: str, population, rule, seed: str) -> dict:
    """Run a draw of ``kind`` ('schools' / 'interviewees' / 'seats'; seats take no population)."""
    if kind == "schools":
        return draw_schools(population, rule, seed)
    if kind == "interviewees":
        return draw_interviewees(population, rule, seed)
    if kind == "seats":
        if population:
            raise DrawError("按座号抽取不需要名单")
        return draw_seats(rule, seed)
    raise DrawError(f"未知的抽取类型「{kind}」")


def verify(record: dict) -> tuple[bool, dict]:
    """复核: re-run a stored draw; (True, rerun) when ``selected`` matches the stored result."""
    if not isinstance(record, dict):
        raise DrawError("抽取记录格式不正确")
    algorithm = record.get("algorithm") or (record.get("result") or {}).get("algorithm") or ALGORITHM
    if algorithm not in ALGORITHMS:
        raise DrawError(f"无法复核：不认识的抽取算法版本「{algorithm}」")
    result = record.get("result")
    if not isinstance(result, dict) or "selected" not in result:
        raise DrawError("抽取记录中没有抽取结果，无法复核")
    rerun = run(record.get("kind"), record.get("population"), record.get("rule"), record.get("seed"))
    return rerun["selected"] == result["selected"], rerun
