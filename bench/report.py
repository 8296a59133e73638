"""Report building at county scale. Prints figures; no pass/fail here.

A generated county of 300 schools (with their data), 12,000 checklist answers, 600 feedback
problems with rectification measures and 300 evidence photos (distinct 1600×1200 JPEGs), in a
throwaway SQLite database. Prints the seconds to collect the data and build the .docx, the
rectification .xlsx and the records export, and the page count of the .docx as LibreOffice lays it
out. Target (issues 6, 11): ≤ 5 s for the .docx.
    .venv/bin/python bench/report.py
"""
import io
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from PIL import Image  # noqa: E402


def main():
    tmp = tempfile.mkdtemp(prefix="ddt-bench-")
    from app import create_app
    from app.extensions import db

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/bench.sqlite3", UPLOAD_DIR=f"{tmp}/uploads")
    with app.app_context():
        db.create_all()
        t0 = time.perf_counter()
        inspection, counts = build(db, app)
        print(f"generated: {counts} in {time.perf_counter() - t0:.1f} s")

        from app.reports.collect import collect_rectification, collect_report
        from app.reports.docx_report import build_docx
        from app.reports.xlsx_lists import build_export_xlsx, build_rectification_xlsx
        from app.routes.reports import export_sheets
        from app.media.storage import make_storage

        storage = make_storage(app.config)
        t = time.perf_counter()
        data = collect_report(inspection, storage=storage)
        t_collect = time.perf_counter() - t
        t = time.perf_counter()
        docx = build_docx(data)
        t_docx = time.perf_counter() - t
        print(f".docx: collect {t_collect:.2f} s + build {t_docx:.2f} s = {t_collect + t_docx:.2f} s "
              f"({len(docx) / 1e6:.1f} MB, {len(data.problem_list)} problems, {len(data.photos)} photos)   (target ≤ 5 s)")
        print(f".docx as LibreOffice lays it out: {libreoffice_pages(docx, tmp)} pages")
        t = time.perf_counter()
        xlsx = build_rectification_xlsx(collect_rectification(inspection, date.today()))
        print(f"rectification .xlsx: {time.perf_counter() - t:.2f} s ({len(xlsx) / 1e3:.0f} kB)")
        t = time.perf_counter()
        export = build_export_xlsx(export_sheets(inspection, "Asia/Shanghai"))
        print(f"records export .xlsx: {time.perf_counter() - t:.2f} s ({len(export) / 1e6:.1f} MB)")


def libreoffice_pages(docx, tmp):
    """The page count of the .docx converted to PDF by LibreOffice (soffice --headless)."""
    import shutil
    import subprocess

    if not shutil.which("soffice"):
        return "? (soffice missing: make browser-deps)"
    path = os.path.join(tmp, "feedback.docx")
    with open(path, "wb") as f:
        f.write(docx)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp}/lo-profile", "--headless", "--convert-to", "pdf",
                    "--outdir", tmp, path], check=True, capture_output=True, timeout=600)
    info = subprocess.run(["pdfinfo", os.path.join(tmp, "feedback.pdf")], capture_output=True, text=True).stdout
    return next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")


def build(db, app):
    from app.demo import synthetic_rows
    from app.models import (
        CheckRecord, County, Feedback, FeedbackProblem, Group, Inspection, InspectionMember, Photo, RectificationItem,
        School, User, Visit,
    )
    from app.media.photos import process_photo
    from app.indicators.school_data import find_warnings, frame_from_rows
    from app.indicators.school_import import store_rows
    from app.media.storage import content_key, make_storage

    rng = random.Random(7)
    user = User(username="lead", name="李组长", role="lead")
    user.set_password("benchmark-only")
    db.session.add(user)
    county = County(code="519999", name="基准县")
    db.session.add(county)
    kinds = ["小学"] * 6 + ["初中"] * 3 + ["九年一贯制学校"]
    schools = [School(county=county, code=f"51999{i:05d}", name=f"第{i + 1}学校", school_type=rng.choice(kinds),
                      urban_rural=rng.choice(["城区", "镇区", "乡村"])) for i in range(300)]
    db.session.add_all(schools)
    db.session.flush()
    rows = synthetic_rows([(s.code, s.name, s.school_type, s.urban_rural, None) for s in schools], rng)
    for i, r in enumerate(rows):
        r["row"] = i + 2
    year = date.today().year
    store_rows(county, year - 1, rows, find_warnings(frame_from_rows(rows)), user=user)
    inspection = Inspection(county=county, standard_id="quality-2017", level="省级评估", title="基准县省级评估",
                            year=year, start_date=date.today(), end_date=date.today() + timedelta(days=3), status="running")
    db.session.add(inspection)
    db.session.flush()
    db.session.add(InspectionMember(inspection_id=inspection.id, user_id=user.id, role="team_lead"))
    group = Group(inspection=inspection, name="第一组", lead_user_id=user.id)
    db.session.add(group)
    db.session.flush()
    visits = [Visit(inspection_id=inspection.id, school_id=s.id, group_id=group.id) for s in schools]
    db.session.add_all(visits)
    db.session.flush()
    std = inspection.standard
    items = std.checklist
    recs = []
    n = 0
    for s, v in zip(schools, visits):
        for k in range(40):  # 40 answers a school: 18 items + archives etc. → 12,000 in all
            item = items[k % len(items)]
            n += 1
            recs.append(dict(client_uuid=f"00000000-0000-4000-8000-{n:012d}", inspection_id=inspection.id,
                             subject_type="school", subject_id=s.id, school_id=s.id, visit_id=v.id,
                             item_code=f"{item['code']}#{k}", indicator_code=item["indicator"],
                             verdict=rng.choice(["达标"] * 8 + ["不达标", "存疑"]), observed_value="",
                             note="现场查看情况记录" * 3, author_id=user.id, version=1))
    db.session.execute(db.insert(CheckRecord), recs)
    fb = Feedback(inspection_id=inspection.id, vetoes={}, conclusion="整改后复核",
                  achievements="\n".join(f"成绩{i}：经费保障有力，办学条件明显改善。" for i in range(8)),
                  requirements="\n".join(f"要求{i}：限期整改。" for i in range(6)))
    db.session.add(fb)
    db.session.flush()
    parts = ["R", "G", "Q"]
    problems = []
    for i in range(600):
        s = schools[i % 300]
        code = rng.choice(list(std.indicators))
        problems.append(FeedbackProblem(feedback_id=fb.id, position=i + 1, part=rng.choice(parts), indicator_code=code,
                                        school_id=s.id if i % 5 else None, target="school" if i % 5 else "county",
                                        text=f"{s.name}存在问题{i + 1}：实测值低于标准，需要整改。",
                                        evidence=[{"kind": "check_record", "id": (i * 17) % 12000 + 1}]))
    db.session.add_all(problems)
    db.session.flush()
    db.session.add_all([RectificationItem(problem_id=p.id, measures="制定整改方案，落实经费。", deadline=date(2027, 6, 1))
                        for p in problems])
    storage = make_storage(app.config)
    grad = Image.linear_gradient("L").resize((1600, 1200)).convert("RGB")
    # photo-like detail at every scale: coarse noise (survives the 480 px rendition) over a gradient
    detail = Image.effect_noise((400, 300), 70).resize((1600, 1200)).convert("RGB")
    base = Image.blend(Image.blend(grad, detail, 0.45), Image.effect_noise((1600, 1200), 28).convert("RGB"), 0.2)
    for i in range(300):
        img = base.copy()
        img.paste((i % 255, 80, 120), (0, 0, 40, 40))  # each photo distinct
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=80)
        out = process_photo(buf.getvalue(), max_bytes=12 * 1024 * 1024)
        storage.put(content_key(out.sha256), out.data, "image/jpeg")
        storage.put(content_key(out.thumb_sha256), out.thumb, "image/jpeg")
        db.session.add(Photo(client_uuid=f"00000000-0000-4000-9000-{i:012d}", inspection_id=inspection.id,
                             school_id=schools[i].id, subject_type="school", subject_id=schools[i].id, item_code="R5",
                             data_key=content_key(out.sha256), thumb_key=content_key(out.thumb_sha256),
                             sha256=out.sha256, width=out.width, height=out.height, size=len(out.data),
                             is_evidence=True, caption="运动场", author_id=user.id))
    db.session.commit()
    return inspection, {"schools": len(schools), "answers": len(recs), "problems": len(problems), "photos": 300}


if __name__ == "__main__":
    main()
