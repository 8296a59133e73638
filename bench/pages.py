"""Benchmark: the school checklist page under gunicorn (2 workers) beside a bare Flask "hello".

Prints requests/s and p50/p99 latency of both and their ratio, and the SQL queries one
checklist page makes with the standard's items and with twice as many.
Targets: checklist ≥ 25 % of hello's throughput, p99 ≤ 50 ms, query count independent of items.

    .venv/bin/python bench/pages.py [--seconds 10] [--clients 20]
Needs wrk (Debian package `wrk`); `make bench` installs it.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
VENV_BIN = os.path.dirname(sys.executable)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"server did not come up: {url}")


def gunicorn(app_path, port, env, cwd):
    cmd = [os.path.join(VENV_BIN, "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", app_path]
    return subprocess.Popen(cmd, env=env, cwd=cwd, start_new_session=True)


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except Exception:
        pass


def login_cookie(base):
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": "inspector1", "password": "demo1234", "csrf_token": token}).encode()
    opener.open(base + "/login", data=data)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def run_wrk(url, seconds, clients, cookie=None):
    cmd = ["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds}s", "--latency", url]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

    def ms(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rps, "p50": ms("50"), "p99": ms("99"), "errors": int(non2xx.group(1)) if non2xx else 0}


def query_counts():
    """SQL statements for one checklist page, with the standard's items and with twice as many."""
    from sqlalchemy import event

    from app import create_app
    from app.demo import build_demo
    from app.extensions import db
    from app.models import CheckRecord
    from app.standards import Standard, get_standard

    tmp = tempfile.mkdtemp()
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/q.sqlite3", WTF_CSRF_ENABLED=False)
    results = {}
    with app.app_context():
        db.create_all()
        demo = build_demo()
        inspection = demo["inspection"]
        school = inspection.visits[0].school
        user = demo["users"]["inspector1"]
        iid, sid, uid = inspection.id, school.id, user.id
        base = get_standard("quality-2017")
        doubled = dict(base.data)
        doubled["checklist"] = base.data["checklist"] + [
            {**item, "code": item["code"] + "9" if "." in item["code"] else item["code"] + ".9"}
            for item in base.data["checklist"]
        ]
        for label, std in (("items", base), ("2x items", Standard(doubled))):
            db.session.query(CheckRecord).delete()
            for n, item in enumerate(std.checklist):  # every item answered: the worst case
                db.session.add(CheckRecord(client_uuid=f"00000000-0000-4000-8000-{n:012d}", inspection_id=iid,
                                           subject_type="school", subject_id=sid, school_id=sid,
                                           item_code=item["code"], indicator_code=item["indicator"],
                                           verdict="达标", author_id=uid))
            db.session.commit()
            import app.models.inspection as insp_mod

            insp_mod.Inspection.standard = property(lambda self, std=std: std)
            client = app.test_client()
            from app.models import User

            login_id = db.session.get(User, uid).get_id()  # '<id>:<session token>:<login time>'
            with client.session_transaction() as s:
                s["_user_id"] = login_id
                s["_fresh"] = True
            count = [0]

            def on_exec(*a, **k):
                count[0] += 1

            client.get(f"/inspections/{iid}/schools/{sid}")  # warm: the reported figures are cached per data version
            event.listen(db.engine, "before_cursor_execute", on_exec)
            resp = client.get(f"/inspections/{iid}/schools/{sid}")
            event.remove(db.engine, "before_cursor_execute", on_exec)
            assert resp.status_code == 200, resp.status_code
            results[label] = (len(std.checklist), count[0])
        db.session.remove()
        db.engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--clients", type=int, default=20)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install wrk (make bench does it)")

    tmp = tempfile.mkdtemp(prefix="bench-pages-")
    env = dict(os.environ, APP_ENV="production", SECRET_KEY="bench-secret", SESSION_COOKIE_SECURE="0",
               DATABASE_URL=f"sqlite:///{tmp}/bench.sqlite3", UPLOAD_DIR=f"{tmp}/uploads", QR_CACHE_DIR=f"{tmp}/qr")
    flask = [os.path.join(VENV_BIN, "flask"), "--app", "wsgi"]
    subprocess.run(flask + ["db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run(flask + ["demo"], env=env, cwd=ROOT, check=True, capture_output=True)

    app_port, hello_port = free_port(), free_port()
    real = gunicorn("wsgi:app", app_port, env, ROOT)
    hello = gunicorn("hello_app:app", hello_port, env, os.path.join(ROOT, "bench"))
    try:
        base = f"http://127.0.0.1:{app_port}"
        wait_up(base + "/healthz")
        wait_up(f"http://127.0.0.1:{hello_port}/hello")
        cookie = login_cookie(base)
        # The first visit of the demo: inspection 1, its first visited school.
        req = urllib.request.Request(base + "/", headers={"Cookie": cookie})
        home = urllib.request.urlopen(req).read().decode()
        path = re.search(r'href="(/inspections/\d+/schools/\d+)"', home).group(1)
        check = urllib.request.urlopen(urllib.request.Request(base + path, headers={"Cookie": cookie}))
        assert check.status == 200 and "检查清单" in check.read().decode()
        run_wrk(base + path, 2, args.clients, cookie)  # warm-up
        run_wrk(f"http://127.0.0.1:{hello_port}/hello", 2, args.clients)
        page = run_wrk(base + path, args.seconds, args.clients, cookie)
        bare = run_wrk(f"http://127.0.0.1:{hello_port}/hello", args.seconds, args.clients)
    finally:
        stop(real)
        stop(hello)
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"gunicorn 2 workers, {args.clients} concurrent clients, {args.seconds} s each (wrk)")
    print(f"{'page':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    print(f"{'school checklist':<22}{page['rps']:>10.0f}{page['p50']:>10.1f}{page['p99']:>10.1f}{page['errors']:>8}")
    print(f"{'hello':<22}{bare['rps']:>10.0f}{bare['p50']:>10.1f}{bare['p99']:>10.1f}{bare['errors']:>8}")
    ratio = page["rps"] / bare["rps"]
    print(f"checklist / hello throughput: {ratio:.1%}  (target ≥ 25 %)   checklist p99: {page['p99']:.1f} ms (target ≤ 50 ms)")
    counts = query_counts()
    for label, (items, n) in counts.items():
        print(f"SQL queries for one checklist page with {items} items ({label}): {n}")
    same = len({n for _, n in counts.values()}) == 1
    print("query count independent of the number of items:", "yes" if same else "NO")


if __name__ == "__main__":
    main()
