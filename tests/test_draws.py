"""Random draws (app/draws.py): reproducible, order-independent, stratified, verifiable. No Flask app."""
import io
import json
import math
from collections import Counter
from fractions import Fraction

import pytest
from openpyxl import Workbook

from app.fieldwork import draw_basics, draws
from app.fieldwork.roster import parse_roster
from app.fieldwork.draws import DrawError

PINNED_SHUFFLE = [5, 7, 4, 3, 1, 6, 9, 2, 0, 8]  # v1, computed once; must never change
SEEDS = [f"seed{i:02d}" for i in range(12)]

# 3 area types × 2 sections, unequal strata: (area, section) -> number of schools; total 30
SIZES = {
    ("城区", "小学"): 8,
    ("城区", "初中"): 4,
    ("镇区", "小学"): 6,
    ("镇区", "初中"): 3,
    ("乡村", "小学"): 7,
    ("乡村", "初中"): 2,
}


def school(i, area, section, school_type=None, sections=None):
    return {
        "id": i,
        "code": f"51010{i:05d}",
        "name": f"第{i}学校",
        "school_type": school_type or section,
        "area_type": area,
        "sections": sections or [section],
        "students": 100 + i,
    }


def county(teaching_points=True):
    """30 single-section schools in 6 strata; two 乡村 小学 are 教学点 (if asked); no 一贯制."""
    pop, i = [], 0
    for (area, section), n in SIZES.items():
        for _ in range(n):
            i += 1
            pop.append(school(i, area, section))
    if teaching_points:
        rural_primary = [s for s in pop if s["area_type"] == "乡村" and s["sections"] == ["小学"]]
        for s in rural_primary[:2]:
            s["school_type"] = "教学点"
    return pop


def county_with_combined():
    pop = county()
    pop.append(school(31, "镇区", None, "九年一贯制学校", ["小学", "初中"]))
    pop.append(school(32, "城区", None, "十二年一贯制学校", ["小学", "初中"]))
    pop.append(school(33, "城区", "小学", "特殊教育学校"))
    return pop


def by_id(pop):
    return {s["id"]: s for s in pop}


# ----------------------------------------------------------------------------- randomness


def test_randbelow_is_roughly_uniform():
    stream = draw_basics.SeededStream("uniform-check", "dice")
    counts = Counter(stream.randbelow(6) for _ in range(6000))
    assert set(counts) == set(range(6))
    for bucket in range(6):
        assert 850 <= counts[bucket] <= 1150, counts


def test_randbelow_range_and_determinism():
    a = [draw_basics.SeededStream("s", "x").randbelow(1000) for _ in range(1)]
    b = [draw_basics.SeededStream("s", "x").randbelow(1000) for _ in range(1)]
    assert a == b
    stream = draw_basics.SeededStream("s", "x")
    values = [stream.randbelow(7) for _ in range(500)]
    assert min(values) == 0 and max(values) == 6
    assert draw_basics.SeededStream("s").randbelow(1) == 0
    with pytest.raises(DrawError):
        draw_basics.SeededStream("s").randbelow(0)


def test_stream_is_sha256_based_and_fixed():
    """The v1 stream is pinned: a change to it would silently break 复核 of stored draws."""
    import hashlib

    def reference(seed, label, n, how_many):
        out, counter, k = [], 0, n.bit_length()
        while len(out) < how_many:
            block = int.from_bytes(hashlib.sha256(f"{seed}:{label}:{counter}".encode()).digest(), "big")
            counter += 1
            if block >> (256 - k) < n:
                out.append(block >> (256 - k))
        return out

    stream = draw_basics.SeededStream("abc", "lbl")
    assert [stream.randbelow(1000) for _ in range(50)] == reference("abc", "lbl", 1000, 50)
    stream = draw_basics.SeededStream("abc", "lbl")
    assert [stream.randbelow(5) for _ in range(50)] == reference("abc", "lbl", 5, 50)
    assert draw_basics.SeededStream("pinned", "t").sample(list(range(10)), 10) == PINNED_SHUFFLE


def test_sample_is_a_permutation_prefix():
    items = list(range(20))
    picked = draw_basics.SeededStream("p").sample(items, 20)
    assert sorted(picked) == items
    assert picked != items  # a 20! chance of the identity
    assert items == list(range(20))  # input not mutated


def test_new_seed():
    seeds = {draw_basics.new_seed() for _ in range(50)}
    assert len(seeds) == 50
    for s in seeds:
        assert len(s) == 16 and int(s, 16) >= 0


# ----------------------------------------------------------------------------- schools


def test_same_record_verifies_and_tampered_does_not():
    pop = county_with_combined()
    rule = {"count": 10}
    seed = draw_basics.new_seed()
    result = draws.run("schools", pop, rule, seed)
    record = json.loads(json.dumps(
        {"kind": "schools", "population": pop, "rule": rule, "seed": seed, "result": result, "algorithm": "v1"}
    ))  # as stored in the DB: through JSON
    ok, rerun = draws.verify(record)
    assert ok and rerun == result

    tampered = json.loads(json.dumps(record))
    outsider = next(s["id"] for s in pop if s["id"] not in result["selected"] and s["school_type"] != "特殊教育学校")
    tampered["result"]["selected"][-1] = outsider
    ok, _ = draws.verify(tampered)
    assert not ok

    reordered = json.loads(json.dumps(record))
    reordered["result"]["selected"] = list(reversed(result["selected"]))
    assert not draws.verify(reordered)[0]

    other_seed = dict(record, seed=record["seed"] + "x")
    assert not draws.verify(other_seed)[0]


def test_verify_refuses_unknown_algorithm():
    pop = county()
    result = draws.draw_schools(pop, {}, "s")
    with pytest.raises(DrawError, match="算法"):
        draws.verify({"kind": "schools", "population": pop, "rule": {}, "seed": "s", "result": result, "algorithm": "v2"})


def test_input_order_does_not_matter():
    pop = county_with_combined()
    for seed in SEEDS[:4]:
        a = draws.draw_schools(pop, {"count": 10}, seed)
        b = draws.draw_schools(list(reversed(pop)), {"count": 10}, seed)
        c = draws.draw_schools(sorted(pop, key=lambda s: s["name"]), {"count": 10}, seed)
        assert a == b == c


@pytest.mark.parametrize("count", [6, 10, 12, 17])
def test_strata_and_counts(count):
    pop = county(teaching_points=False)
    schools = by_id(pop)
    for seed in SEEDS:
        result = draws.draw_schools(pop, {"count": count, "require": []}, seed)
        selected = result["selected"]
        assert len(selected) == count == len(set(selected))
        drawn = Counter((schools[i]["sections"][0], schools[i]["area_type"]) for i in selected)
        assert len(result["strata"]) == 6
        for (area, section), size in SIZES.items():
            label = f"{section}·{area}"
            assert result["strata"][label] == {"population": size, "drawn": drawn[(section, area)]}
            assert drawn[(section, area)] >= 1
            quota = Fraction(count * size, 30)
            assert abs(drawn[(section, area)] - quota) <= 1, (label, drawn, quota)
        assert sum(v["drawn"] for v in result["strata"].values()) == count


def test_largest_remainder_exact():
    # quotas 10*8/30=2.67, 1.33, 2, 1, 2.33, 0.67 -> floors 2,1,2,1,2,0 (8) + min 1 for the last (9)
    # + one more seat to the largest remainder 2.67 -> [3,1,2,1,2,1]
    assert draws.allocate([8, 4, 6, 3, 7, 2], [0] * 6, 10) == [3, 1, 2, 1, 2, 1]
    # fewer seats than strata: larger strata first
    assert draws.allocate([8, 4, 6, 3, 7, 2], [0] * 6, 3) == [1, 0, 1, 0, 1, 0]
    # required schools count against their stratum
    assert draws.allocate([8, 4, 6, 3, 7, 2], [0, 0, 0, 0, 0, 2], 10) == [2, 1, 2, 1, 2, 2]
    # a small stratum is never given more than it has
    assert draws.allocate([1, 9], [0, 0], 9) == [1, 8]


def test_strata_by_one_dimension_or_none():
    pop = county(teaching_points=False)
    schools = by_id(pop)
    r = draws.draw_schools(pop, {"count": 9, "strata": ["城乡类型"], "require": []}, "a")
    assert set(r["strata"]) == {"城区", "镇区", "乡村"}
    drawn = Counter(schools[i]["area_type"] for i in r["selected"])
    # quotas 3.6 / 2.7 / 2.7 -> floors 3, 2, 2; the two spare seats go to the .7 remainders
    assert drawn == Counter({"城区": 3, "镇区": 3, "乡村": 3})
    assert sum(drawn.values()) == 9

    r = draws.draw_schools(pop, {"count": 5, "strata": ["学段"], "require": []}, "a")
    assert set(r["strata"]) == {"小学", "初中"}
    assert r["strata"]["小学"]["population"] == 21 and r["strata"]["初中"]["population"] == 9

    r = draws.draw_schools(pop, {"count": 5, "strata": [], "require": []}, "a")
    assert r["strata"] == {"全部": {"population": 30, "drawn": 5}}


def test_combined_schools_form_their_own_stratum_and_special_schools_are_excluded():
    pop = county_with_combined()
    for seed in SEEDS:
        r = draws.draw_schools(pop, {}, seed)
        assert 33 not in r["selected"]
        assert "一贯制·镇区" in r["strata"] and "一贯制·城区" in r["strata"]
        assert any("特殊教育学校 1 所" in n for n in r["notes"])
        assert len(r["selected"]) == 10


def test_require_teaching_point_and_combined_school():
    pop = county_with_combined()
    schools = by_id(pop)
    for seed in SEEDS:
        r = draws.draw_schools(pop, {"count": 8}, seed)
        types = [schools[i]["school_type"] for i in r["selected"]]
        assert "教学点" in types
        assert "九年一贯制学校" in types or "十二年一贯制学校" in types
        assert types[0] == "教学点"  # required draws come first
        assert len(r["selected"]) == 8 and r["notes"] == ["已排除特殊教育学校 1 所"]


def test_require_is_a_real_constraint():
    """Without `require`, some seeds do miss the only 2 教学点 — so the previous test can fail."""
    pop = county_with_combined()
    schools = by_id(pop)
    misses = 0
    for seed in [f"r{i}" for i in range(40)]:
        r = draws.draw_schools(pop, {"count": 8, "require": []}, seed)
        if "教学点" not in [schools[i]["school_type"] for i in r["selected"]]:
            misses += 1
    assert misses > 0


def test_county_without_teaching_points_still_draws():
    pop = county(teaching_points=False)
    r = draws.draw_schools(pop, {"count": 10}, "x")
    assert len(r["selected"]) == 10
    assert "本县无教学点，未抽取教学点" in r["notes"]
    assert any("一贯制" in n for n in r["notes"])


def test_changing_the_seed_changes_the_result():
    pop = county_with_combined()
    results = [tuple(draws.draw_schools(pop, {}, s)["selected"]) for s in SEEDS]
    assert len(set(results)) >= len(SEEDS) - 1  # at most one collision in 12
    sets = [frozenset(r) for r in results]
    assert len(set(sets)) >= len(SEEDS) // 2


def test_count_above_population_draws_everyone():
    pop = county_with_combined()
    r = draws.draw_schools(pop, {"count": 50}, "x")
    eligible = [s["id"] for s in pop if s["school_type"] != "特殊教育学校"]
    assert sorted(r["selected"]) == sorted(eligible)
    assert any("全部抽取" in n for n in r["notes"])
    assert sum(v["drawn"] for v in r["strata"].values()) == len(eligible)


def test_small_count_with_requirements():
    pop = county_with_combined()
    schools = by_id(pop)
    r = draws.draw_schools(pop, {"count": 1}, "x")
    assert len(r["selected"]) == 1 and schools[r["selected"][0]]["school_type"] == "教学点"
    assert any("未能满足" in n for n in r["notes"])


@pytest.mark.parametrize(
    "rule, message",
    [
        ({"count": 0}, "正整数"),
        ({"count": -3}, "正整数"),
        ({"count": 2.5}, "正整数"),
        ({"count": "10"}, "正整数"),
        ({"count": True}, "正整数"),
        ({"strata": ["学区"]}, "未知的分层依据"),
        ({"strata": ["学段", "学段"]}, "重复"),
        ({"require": ["完全中学"]}, "未知的必抽类型"),
        ({"exclude_types": ["职高"]}, "未知的办学类型"),
        ({"cuont": 10}, "未知项"),
    ],
)
def test_invalid_school_rules(rule, message):
    with pytest.raises(DrawError, match=message):
        draws.draw_schools(county(), rule, "s")


def test_invalid_school_populations():
    good = county()
    with pytest.raises(DrawError, match="为空"):
        draws.draw_schools([], {}, "s")
    with pytest.raises(DrawError, match="重复"):
        draws.draw_schools(good + [dict(good[0])], {}, "s")
    bad = [dict(s) for s in good]
    bad[3]["area_type"] = "郊区"
    with pytest.raises(DrawError, match="城乡类型"):
        draws.draw_schools(bad, {}, "s")
    bad = [dict(s) for s in good]
    bad[3]["sections"] = ["高中"]
    with pytest.raises(DrawError, match="学段"):
        draws.draw_schools(bad, {}, "s")
    bad = [dict(s) for s in good]
    bad[3]["school_type"] = "幼儿园"
    with pytest.raises(DrawError, match="办学类型"):
        draws.draw_schools(bad, {}, "s")
    with pytest.raises(DrawError, match="种子"):
        draws.draw_schools(good, {}, "")
    with pytest.raises(DrawError, match="64"):
        draws.draw_schools(good, {}, "x" * 65)


def test_results_are_json_serialisable():
    pop = county_with_combined()
    r = draws.draw_schools(pop, {}, "j")
    assert json.loads(json.dumps(r, ensure_ascii=False)) == r


# ----------------------------------------------------------------------------- interviewees


def people():
    pop = []
    for kind, n in (("教师", 10), ("学生", 20), ("家长", 8)):
        for i in range(n):
            pop.append({"id": f"p{len(pop) + 1}", "label": f"{kind}{i}", "type": kind})
    return pop


def test_interviewees_per_type_and_verify():
    pop = people()
    types = {p["id"]: p["type"] for p in pop}
    rule = {"count": 8, "per_type": {"教师": 2, "学生": 3, "家长": 1}}
    for seed in SEEDS:
        r = draws.draw_interviewees(pop, rule, seed)
        assert len(r["selected"]) == 8 == len(set(r["selected"]))
        c = Counter(types[i] for i in r["selected"][:6])
        assert c == Counter({"教师": 2, "学生": 3, "家长": 1})
        record = {"kind": "interviewees", "population": pop, "rule": rule, "seed": seed, "result": r, "algorithm": "v1"}
        assert draws.verify(record)[0]
        assert r == draws.draw_interviewees(list(reversed(pop)), rule, seed)


def test_interviewees_plain_count_and_shortfalls():
    pop = people()
    r = draws.draw_interviewees(pop, {"count": 5}, "s")
    assert len(set(r["selected"])) == 5 and r["notes"] == []
    r = draws.draw_interviewees(pop, {"count": 100}, "s")
    assert sorted(r["selected"]) == sorted(p["id"] for p in pop) and r["notes"]
    r = draws.draw_interviewees(pop, {"per_type": {"校长": 1, "家长": 9}}, "s")
    assert len(r["selected"]) == 8
    assert any("校长" in n for n in r["notes"]) and any("家长只有 8 人" in n for n in r["notes"])
    with pytest.raises(DrawError, match="少于"):
        draws.draw_interviewees(pop, {"count": 2, "per_type": {"教师": 3}}, "s")
    with pytest.raises(DrawError, match="抽取人数"):
        draws.draw_interviewees(pop, {}, "s")
    with pytest.raises(DrawError, match="为空"):
        draws.draw_interviewees([], {"count": 1}, "s")


# ----------------------------------------------------------------------------- seats


def test_draw_seats_per_class_range_and_no_duplicates():
    rule = {"classes": {"grades": ["三年级", "五年级"], "classes_per_grade": 4}, "seats": 45, "count": 6, "per_class": 1}
    for seed in SEEDS:
        r = draws.draw_seats(rule, seed)
        sel = r["selected"]
        assert len(sel) == 6
        assert len({s["class"] for s in sel}) == 6  # one per class
        assert all(1 <= s["seat"] <= 45 for s in sel)
        assert all(s["class"][:3] in ("三年级", "五年级") and s["class"].endswith("班") for s in sel)
        assert draws.verify({"kind": "seats", "population": None, "rule": rule, "seed": seed, "result": r})[0]

    rule = {"classes": ["一班", "二班", "三班"], "seats": 5, "count": 7, "per_class": 3}
    seen_seats = set()
    for seed in SEEDS:
        sel = draws.draw_seats(rule, seed)["selected"]
        assert len(sel) == 7
        per = Counter(s["class"] for s in sel)
        assert sorted(per.values()) == [1, 3, 3]
        pairs = [(s["class"], s["seat"]) for s in sel]
        assert len(set(pairs)) == 7
        assert all(1 <= s["seat"] <= 5 for s in sel)
        seen_seats |= {s["seat"] for s in sel}
    assert seen_seats == {1, 2, 3, 4, 5}


def test_draw_seats_errors():
    with pytest.raises(DrawError, match="超过班级数"):
        draws.draw_seats({"classes": ["一班"], "count": 2}, "s")
    with pytest.raises(DrawError, match="最大座号"):
        draws.draw_seats({"classes": ["一班"], "seats": 2, "count": 3, "per_class": 3}, "s")
    with pytest.raises(DrawError, match="重复"):
        draws.draw_seats({"classes": ["一班", "一班"], "count": 1}, "s")
    with pytest.raises(DrawError, match="正整数"):
        draws.draw_seats({"classes": ["一班"], "count": 0}, "s")
    with pytest.raises(DrawError, match="不需要名单"):
        draws.run("seats", [{"id": 1}], {"classes": ["一班"], "count": 1}, "s")
    with pytest.raises(DrawError, match="未知的抽取类型"):
        draws.run("teachers", [], {}, "s")


# ----------------------------------------------------------------------------- rosters


def test_parse_roster_text():
    text = "姓名,类型\n张三,教师\n\n李四，学生\n王五\t家长\n  赵六 校长 \n钱七\n张三,教师\n"
    roster = parse_roster(text=text, default_type="群众")
    assert [p["id"] for p in roster] == ["p1", "p2", "p3", "p4", "p5", "p6"]
    assert [(p["label"], p["type"]) for p in roster] == [
        ("张三", "教师"), ("李四", "学生"), ("王五", "家长"), ("赵六", "校长"), ("钱七", "群众"), ("张三", "教师"),
    ]
    # the roster feeds a draw directly
    r = draws.draw_interviewees(roster, {"count": 2, "per_type": {"教师": 2}}, "s")
    assert sorted(r["selected"]) == ["p1", "p6"]


def test_parse_roster_xlsx_and_csv():
    wb = Workbook()
    ws = wb.active
    ws.append(["某县教师访谈名单"])  # a title row above the header
    ws.append(["序号", "姓名", "身份", "班级"])
    ws.append([1, "张三", "教师", "三年级1班"])
    ws.append([2, "李四", None, None])
    ws.append([3, None, "学生", None])  # no name: skipped
    ws.append([4, "王五", "学生", "五年级2班"])
    buf = io.BytesIO()
    wb.save(buf)
    roster = parse_roster(file_bytes=buf.getvalue(), filename="名单.xlsx", default_type="教师")
    assert roster == [
        {"id": "p1", "label": "张三", "type": "教师", "class": "三年级1班"},
        {"id": "p2", "label": "李四", "type": "教师"},
        {"id": "p3", "label": "王五", "type": "学生", "class": "五年级2班"},
    ]
    csv_bytes = "姓名,类型\n张三,家长\n李四,学生\n".encode("gb18030")
    roster = parse_roster(file_bytes=csv_bytes, filename="a.CSV")
    assert [(p["label"], p["type"]) for p in roster] == [("张三", "家长"), ("李四", "学生")]


def test_parse_roster_errors():
    with pytest.raises(DrawError, match="名单为空"):
        parse_roster(text="\n  \n")
    with pytest.raises(DrawError, match="名单为空"):
        parse_roster()
    wb = Workbook()
    wb.active.append(["名字", "类型"])
    wb.active.append(["张三", "教师"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(DrawError, match="姓名"):
        parse_roster(file_bytes=buf.getvalue(), filename="a.xlsx")
    with pytest.raises(DrawError, match="无法读取"):
        parse_roster(file_bytes=b"not a zip file at all", filename="a.xlsx")
    with pytest.raises(DrawError, match="无法读取"):  # .xls is read now; a broken one is refused
        parse_roster(file_bytes=b"\xd0\xcf\x11\xe0", filename="a.xls")
    with pytest.raises(DrawError, match="名单为空"):
        parse_roster(file_bytes="姓名,类型\n".encode(), filename="a.csv")


def test_every_non_empty_stratum_gets_one_even_when_tiny():
    sizes = {("城区", "小学"): 24, ("城区", "初中"): 3, ("镇区", "小学"): 1, ("乡村", "初中"): 1, ("乡村", "小学"): 1}
    pop, i = [], 0
    for (area, section), n in sizes.items():
        for _ in range(n):
            i += 1
            pop.append(school(i, area, section))
    for seed in SEEDS[:4]:
        r = draws.draw_schools(pop, {"count": 8}, seed)
        assert len(r["strata"]) == 5  # empty strata are not listed
        assert all(v["drawn"] >= 1 for v in r["strata"].values())
        assert r["strata"]["小学·城区"]["drawn"] == 4  # quota 6.4, after the three tiny strata take 1 each
        assert len(r["selected"]) == 8
