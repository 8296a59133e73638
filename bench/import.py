"""A whole province in one import: 20,000 school sections through the office pages, stage by
stage (upload → preview → confirm), with the preview's size, beside `flask metrics` on the same
file. Prints figures; no pass/fail here.

Targets (issue 13): upload → preview → confirm ≤ 3 s for 20,000 rows; a preview page ≤ ~200 KB.
    .venv/bin/python bench/import.py [N]
"""
import io
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

from metrics import generate  # noqa: E402  (bench/metrics.py: the same generated schools)


def workbook(rows):
    from openpyxl import Workbook

    from app.indicators.school_data import header_to_key, headers

    keys = header_to_key()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("学校数据")
    ws.append(headers())
    for r in rows:
        ws.append([r.get(keys[h]) for h in headers()])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def province_rows(rows, counties):
    """The same schools under other codes ("8…" for "9…"), spread over `counties` by code."""
    out = []
    for r in rows:
        r = dict(r, code="8" + r["code"][1:], parent_code=("8" + r["parent_code"][1:]) if r.get("parent_code") else r.get("parent_code"))
        out.append(dict(r, county_code=counties[int(r["code"]) % len(counties)]))
    return out


def stages(client, token, upload_url, data, confirm_url):
    """upload → preview → confirm through the pages: (seconds of each, preview bytes)."""
    c0, t0 = time.process_time(), time.perf_counter()
    resp = client.post(upload_url, data={"csrf_token": token, "year": "2025", "file": (io.BytesIO(data), "province.xlsx")},
                       content_type="multipart/form-data")
    c1, t1 = time.process_time(), time.perf_counter()
    assert resp.status_code == 302, resp.get_data(as_text=True)[:400]
    preview_url = resp.headers["Location"]
    page = client.get(preview_url)
    c2, t2 = time.process_time(), time.perf_counter()
    assert page.status_code == 200
    import_id = int(re.search(r"/imports/(\d+)", preview_url).group(1))
    done = client.post(confirm_url.format(import_id), data={"csrf_token": token, "replace": "1"})
    c3, t3 = time.process_time(), time.perf_counter()
    assert done.status_code == 302, done.get_data(as_text=True)[:400]
    return ((t1 - t0, c1 - c0), (t2 - t1, c2 - c1), (t3 - t2, c3 - c2)), len(page.data), page


def report(title, times, size):
    """Wall-clock seconds, and the CPU seconds of this process beside them (SQLite runs in it):
    on a busy machine the CPU figure is the one that compares between runs."""
    (up, up_c), (pre, pre_c), (conf, conf_c) = times
    print(title)
    print(f"{'stage':<28}{'seconds':>9}{'cpu s':>8}")
    print(f"{'upload (read, check, keep)':<28}{up:>9.2f}{up_c:>8.2f}")
    print(f"{'preview page':<28}{pre:>9.2f}{pre_c:>8.2f}   {size / 1024:.0f} KB")
    print(f"{'confirm (store)':<28}{conf:>9.2f}{conf_c:>8.2f}")
    print(f"{'upload → stored':<28}{up + pre + conf:>9.2f}{up_c + pre_c + conf_c:>8.2f}   (target ≤ 3 s)")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    from app import create_app
    from app.extensions import db
    from app.models import County, User

    tmp = tempfile.mkdtemp(prefix="ddt-import-")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/bench.sqlite3", UPLOAD_DIR=tmp,
                     QR_CACHE_DIR=tmp)
    province_codes = ["900001", "900002", "900003"]
    with app.app_context():
        db.create_all()
        county = County(code="900000", name="基准县")
        admin = User(username="bench", name="基准", role="admin")
        admin.set_password("bench-pass-1")
        db.session.add_all([county, admin] + [County(code=c, name=f"基准县{c[-1]}") for c in province_codes])
        db.session.commit()
    rows = generate(n)
    data = workbook(rows)
    path = os.path.join(tmp, "province.xlsx")
    with open(path, "wb") as f:
        f.write(data)
    client = app.test_client()
    token = client.get("/csrf-token").get_json()["token"]
    client.post("/login", data={"username": "bench", "password": "bench-pass-1", "csrf_token": token})
    token = client.get("/csrf-token").get_json()["token"]

    times, size, _ = stages(client, token, "/counties/900000/data/upload", data,
                            "/counties/900000/data/imports/{}/confirm")
    prov_data = workbook(province_rows(rows, province_codes))
    prov_times, prov_size, _ = stages(client, token, "/school-data/province/upload", prov_data,
                                      "/school-data/province/imports/{}/confirm")
    # the county filter on the province preview (one county's rows)
    t = time.perf_counter()
    filtered = client.get(f"/school-data/province/imports/2?county={province_codes[0]}&warned=1")
    t_filter = time.perf_counter() - t
    with app.app_context():
        from app.models import School

        counts = {c: db.session.scalar(db.select(db.func.count(School.id)).join(County).where(County.code == c))
                  for c in province_codes}

    t = time.perf_counter()
    cli = subprocess.run([os.path.join(os.path.dirname(sys.executable), "flask"), "--app", "wsgi", "metrics", path,
                          "--json"], cwd=ROOT, capture_output=True, env=dict(os.environ, SECRET_KEY="bench"))
    t_cli = time.perf_counter() - t
    assert cli.returncode == 0, cli.stderr[-400:]

    report(f"one county: {n} rows, file {len(data) / 1024:.0f} KB", times, size)
    print()
    report(f"province ({len(province_codes)} counties): {n} rows, file {len(prov_data) / 1024:.0f} KB", prov_times, prov_size)
    print(f"{'  (stored schools per county':<28} {counts})")
    print(f"{'preview, one county+warned':<28}{t_filter:>9.2f}   {len(filtered.data) / 1024:.0f} KB")
    print()
    print(f"{'flask metrics (same file)':<28}{t_cli:>9.2f}   (a new process: imports included)")


if __name__ == "__main__":
    main()
