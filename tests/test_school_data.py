"""Reading the school-data template: every error class on a real .xlsx, warnings, the CLI, and
all-or-nothing storing."""
import json

import openpyxl
import pytest

from app.extensions import db
from app.models import County, DataImport, School, SchoolSectionData
from app.indicators.school_data import header_to_key, headers, read_table
from app.indicators.template_file import template_workbook
from app.standards import get_standard
from tests.test_metrics import row

KEYS = header_to_key()  # 表头 → the row dicts' keys, as the template file names them


def write_xlsx(path, rows, drop=(), header_override=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    cols = [h for h in headers() if h not in drop]
    ws.append(header_override or cols)
    for r in rows:
        ws.append([r.get(KEYS[h]) if KEYS[h] in r else None for h in cols])
    wb.save(path)
    return str(path)


def good_rows():
    return [
        row("5100000001", "小学"), row("5100000002", "初中"),
        row("5100000003", "小学", kind="九年一贯制学校"), row("5100000003", "初中", kind="九年一贯制学校"),
        row("5100000004", "小学", kind="教学点", students=60, parent="5100000001"),
    ]


def messages(table):
    return [e.text() for e in table.errors]


def test_template_round_trip(tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(template_workbook())
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["学校数据", "填表说明"]
    assert [c.value for c in wb["学校数据"][1]] == headers()
    notes = {r[0].value: r[3].value for r in wb["填表说明"].iter_rows(min_row=2) if r[0].value}
    assert "万元" in notes["教学仪器设备值"]
    table = read_table(str(path))
    assert table.ok and len(table.frame) == 1


def test_a_good_file_reads(tmp_path):
    table = read_table(write_xlsx(tmp_path / "a.xlsx", good_rows()))
    assert table.ok, messages(table)
    assert list(table.frame["row"]) == [2, 3, 4, 5, 6]


@pytest.mark.parametrize("mutate, expected", [
    # (change to the 3rd data row = Excel row 4, the expected message)
    (lambda rs: rs[2].update(students="一百二"), "第 4 行「在校生数」: \"一百二\" 不是整数"),
    (lambda rs: rs[2].update(students=12.5), "第 4 行「在校生数」: \"12.5\" 不是整数"),
    (lambda rs: rs[2].update(teaching_area="很大"), "第 4 行「教学及辅助用房面积」: \"很大\" 不是数字"),
    (lambda rs: rs[2].update(books=-3), "第 4 行「图书册数」: -3 是负数"),
    (lambda rs: rs[2].update(section="高中"), "第 4 行「学段」: \"高中\" 不是可选值"),
    (lambda rs: rs[2].update(school_type="幼儿园"), "第 4 行「办学类型」: \"幼儿园\" 不是可选值"),
    (lambda rs: rs[2].update(urban_rural="郊区"), "第 4 行「城乡类型」: \"郊区\" 不是可选值"),
    (lambda rs: rs[2].update(name=None), "第 4 行「学校名称」: 必填，不能为空"),
    (lambda rs: rs[2].update(teachers=None), "第 4 行「专任教师数」: 必填，不能为空"),
    (lambda rs: rs[2].update(qualified_teachers=999), "第 4 行「高于规定学历教师数」: 999 大于专任教师数 50"),
    (lambda rs: rs[2].update(senior_teachers=999), "第 4 行「中级及以上职称教师数」: 999 大于专任教师数 50"),
    (lambda rs: rs[3].update(section="小学"), "第 5 行「学校标识码」: 学校标识码 5100000003（小学）与第 4 行重复"),
    (lambda rs: rs[0].update(students=0), "第 2 行「在校生数」: 在校生数为 0"),
    (lambda rs: rs[4].update(parent_code="5199999999"), "第 6 行「所属学校标识码」: 所属学校 5199999999 不在本文件中"),
    (lambda rs: rs[4].update(parent_code=None), "第 6 行「所属学校标识码」: 教学点必须填写所属学校标识码"),
])
def test_each_error_names_row_and_column(tmp_path, mutate, expected):
    rows = good_rows()
    mutate(rows)
    table = read_table(write_xlsx(tmp_path / "bad.xlsx", rows), standard=get_standard("quality-2017"))
    assert not table.ok and table.frame is None
    assert any(m.startswith(expected) for m in messages(table)), messages(table)


def test_missing_column_and_all_errors_at_once(tmp_path):
    table = read_table(write_xlsx(tmp_path / "m.xlsx", good_rows(), drop=("图书册数",)))
    assert messages(table) == ["「图书册数」: 缺少必填列（表头须与模板一致）"]
    rows = good_rows()
    rows[0]["students"] = "abc"
    rows[3]["books"] = -1
    rows[4]["urban_rural"] = "外星"
    table = read_table(write_xlsx(tmp_path / "many.xlsx", rows))
    assert [(e.row, e.column) for e in table.errors] == [(2, "在校生数"), (5, "图书册数"), (6, "城乡类型")]


def test_zero_students_allowed_where_out_of_scope(tmp_path):
    rows = good_rows() + [row("5100000009", "小学", kind="教学点", students=0, parent="5100000001")]
    assert read_table(write_xlsx(tmp_path / "z.xlsx", rows)).ok


def test_csv_utf8_and_bad_encoding(tmp_path):
    import csv

    path = tmp_path / "a.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(headers())
        for r in good_rows():
            w.writerow(["" if r.get(KEYS[h]) is None else r.get(KEYS[h]) for h in headers()])
    utf8 = read_table(str(path))
    assert utf8.ok
    # the same file as Chinese Excel saves it (GBK, no BOM) reads the same
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(path.read_text(encoding="utf-8-sig").encode("gbk"))
    assert read_table(str(gbk)).ok
    assert read_table(str(gbk)).frame.equals(utf8.frame)
    assert "只接受" in messages(read_table(b"xx", filename="a.pdf"))[0]


def test_warnings(tmp_path):
    rows = good_rows() + [row(f"51000001{i:02d}", "小学") for i in range(6)]
    rows[0]["equipment_value"] = 500 * 3000  # entered in 元, not 万元
    rows[1]["sports_area"] = 500 * 150.0  # 150 ㎡ per pupil
    rows[5]["books"] = 500 * 30 * 7  # 7× the median
    rows[6]["classes"] = 5  # 100 per class
    rows[7]["max_class"] = 56
    table = read_table(write_xlsx(tmp_path / "w.xlsx", rows), standard=get_standard("quality-2017"))
    assert table.ok
    texts = [w.text() for w in table.warnings]
    assert any(t.startswith("第 2 行「教学仪器设备值」: 生均 30,000,000 元") and "万元" in t for t in texts), texts
    assert any(t.startswith("第 3 行「体育运动场馆面积」: 生均 150.0 ㎡") for t in texts), texts
    assert any(t.startswith("第 7 行「图书册数」: 生均值是全县同学段中位数的 7.0 倍") for t in texts), texts
    assert any(t.startswith("第 8 行「班级数」: 平均班额 100.0 人，超过班额上限 45 人") for t in texts), texts
    assert any(t.startswith("第 9 行「最大班额」: 最大班额 56 人，超过班额上限 45 人") for t in texts), texts


def test_cli_metrics(app, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", good_rows())
    runner = app.test_cli_runner()
    result = runner.invoke(args=["metrics", path, "--json", "--year", "2025"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["year"] == 2025 and data["sections"]["小学"]["schools"] == 3
    result = runner.invoke(args=["metrics", path, "--standard", "basic-2012"])
    assert result.exit_code == 0 and "综合差异系数" in result.stdout
    rows = good_rows()
    rows[1]["students"] = "很多"
    rows[2]["books"] = -1
    bad = write_xlsx(tmp_path / "bad.xlsx", rows)
    result = runner.invoke(args=["metrics", bad, "--json"])
    assert result.exit_code != 0
    assert result.stdout == ""
    assert "第 3 行「在校生数」" in result.stderr and "第 4 行「图书册数」" in result.stderr


def test_cli_import_is_all_or_nothing_and_updates_by_code(app, tmp_path):
    county = County(code="510888", name="测试县")
    db.session.add(county)
    db.session.commit()
    runner = app.test_cli_runner()
    rows = good_rows()
    rows[3]["books"] = "一千"
    result = runner.invoke(args=["import-schools", write_xlsx(tmp_path / "bad.xlsx", rows), "--county", "510888", "--year", "2025"])
    assert result.exit_code != 0 and "第 5 行「图书册数」" in result.stderr
    assert db.session.scalar(db.select(db.func.count(School.id))) == 0
    assert db.session.scalar(db.select(db.func.count(SchoolSectionData.id))) == 0
    assert db.session.scalar(db.select(db.func.count(DataImport.id))) == 0

    rows = good_rows()
    result = runner.invoke(args=["import-schools", write_xlsx(tmp_path / "ok.xlsx", rows), "--county", "510888", "--year", "2025"])
    assert result.exit_code == 0, result.stderr
    assert db.session.scalar(db.select(db.func.count(School.id))) == 4
    assert db.session.scalar(db.select(db.func.count(SchoolSectionData.id))) == 5
    school = db.session.execute(db.select(School).filter_by(code="5100000001")).scalar_one()
    token = school.qr_token

    rows[0].update(name="城关第一小学", books=12345)
    result = runner.invoke(args=["import-schools", write_xlsx(tmp_path / "ok2.xlsx", rows), "--county", "510888", "--year", "2025"])
    assert result.exit_code == 0
    db.session.expire_all()
    school = db.session.execute(db.select(School).filter_by(code="5100000001")).scalar_one()
    assert school.name == "城关第一小学" and school.qr_token == token  # updated, QR code unchanged
    data = db.session.execute(db.select(SchoolSectionData).filter_by(school_id=school.id, year=2025)).scalar_one()
    assert data.books == 12345
    assert db.session.scalar(db.select(db.func.count(SchoolSectionData.id))) == 5

    result = runner.invoke(args=["import-schools", write_xlsx(tmp_path / "ok3.xlsx", rows), "--county", "999999", "--year", "2025"])
    assert result.exit_code != 0 and "县代码 999999 不存在" in result.stderr


# ---------------------------------------------------------------- the data checked against itself (indicators.md §4)

def test_section_must_fit_the_school_type(tmp_path):
    rows = good_rows() + [
        row("5100000011", "小学", kind="完全中学"),                       # a 完全中学 has no 小学 row
        row("5100000012", "初中", kind="教学点", parent="5100000001"),     # a 教学点 is a 小学 row
        row("5100000013", "初中", kind="小学"),
    ]
    text = "\n".join(messages(read_table(write_xlsx(tmp_path / "fit.xlsx", rows))))
    assert "第 7 行「学段」: 完全中学没有小学学段" in text
    assert "第 8 行「学段」: 教学点没有初中学段" in text
    assert "第 9 行「学段」: 小学没有初中学段" in text


def test_a_one_row_combined_school_is_warned(tmp_path):
    rows = good_rows() + [row("5100000021", "小学", kind="九年一贯制学校")]
    table = read_table(write_xlsx(tmp_path / "one.xlsx", rows), standard=get_standard("quality-2017"))
    assert table.ok
    assert any("九年一贯制学校只填了小学一行" in w.text() and w.row == 7 for w in table.warnings)


def test_unsplit_shared_assets_are_warned_with_the_split():
    from app.indicators.split import split_shared

    # the published example: 23,226 books, 166 primary and 210 junior pupils, 1 : 1.1
    assert split_shared(23226, {"小学": 166, "初中": 210}, {"小学": 1, "初中": 1.1}) == {"小学": 9711, "初中": 13515}
    assert split_shared(100.0, {"初中": 300, "高中": 200}, {"初中": 1, "高中": 1.2}, integer=False) == {"初中": 55.55, "高中": 44.45}
    rows = good_rows()
    rows[2].update(students=166, books=0)        # 九年一贯制: all its books on the 初中 row
    rows[3].update(students=210, books=23226)
    table = read_table(_xlsx_bytes(rows), filename="s.xlsx", standard=get_standard("quality-2017"))
    text = "\n".join(w.text() for w in table.warnings)
    assert "疑似没有按学段分摊" in text and "1 : 1.1" in text and "小学 9711、初中 13515" in text


def test_private_schools_follow_the_standard_file(tmp_path):
    from app.indicators.school_data import exclusion_reasons
    from app.standards import get_standard

    rows = good_rows()
    rows[0]["ownership"] = "民办"
    table = read_table(write_xlsx(tmp_path / "p.xlsx", rows))
    assert table.ok and table.frame.loc[0, "办学性质"] == "民办" and table.frame.loc[1, "办学性质"] == ""
    standard = get_standard("quality-2017")
    assert exclusion_reasons(table.frame, standard).isna()[0]  # counted, as the file says
    standard.scope["private_schools_count"] = False
    try:
        assert exclusion_reasons(table.frame, standard)[0] == "民办学校不纳入本标准的校际均衡测算"
    finally:
        standard.scope["private_schools_count"] = True


def _xlsx_bytes(rows):
    import io

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers())
    for r in rows:
        ws.append([r.get(KEYS[h]) for h in headers()])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_template_notes_explain_the_split_and_indoor_sports_rooms(tmp_path):
    import io

    notes = openpyxl.load_workbook(io.BytesIO(template_workbook()))["填表说明"]
    text = "\n".join(str(c.value) for r in notes.iter_rows() for c in r if c.value)
    assert "小学：初中 = 1 : 1.1" in text and "分摊为小学 9711 册、初中 13515 册" in text
    assert "室内体育用房" in text and "不计入「教学及辅助用房面积」" in text
    assert "办学性质" in text and "高中在校生数" in text
