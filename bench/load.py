"""Load: N simulated inspectors against gunicorn as `make run` serves it (-w 2 --threads 4), on
SQLite and on the throwaway PostgreSQL of scripts/with-postgres.sh. Prints figures; exit code 0
even when a target is missed.

Each inspector (a thread) logs in (GET /login, POST /login, GET /csrf-token); once all have, each
saves --saves answers (fresh UUID, unique note "bench-<user>-<n>", base_version as last seen; sent
as a phone's autosave sends them, Accept JSON, or with --htmx as the 保存 button's HTMX partial) to
items of its team's school and uploads --photos small noise JPEGs, in random order,
with think times between. Teams of several inspectors share a school and its 15 items (the ones
without a measure block), so saves collide on the same records. A --double-tap fraction of saves
and photos is sent twice at once (two connections, same UUID), as a phone's double tap.

Printed per database: count, ops/s, p50/p99 ms per operation (login = GET and POST /login; each
request of a double tap counts); errors by HTTP status (a failed twin of a double tap is an error,
not a lost save; a UUID is acknowledged if any of its requests got a 2xx); then, from the
database: lost (acknowledged distinct saves per record against its final version; acknowledged
notes missing from both the audit trail and record_conflicts; acknowledged UUIDs without a
client_op; acknowledged photos not stored), doubled (duplicate check_records per item, client_ops
or photos per UUID) and conflicts stored.

Targets: 0 errors, 0 lost, 0 doubled, save p99 ≤ 500 ms on both databases (client on the same
2-core machine).
    .venv/bin/python bench/load.py                      # SQLite, then PostgreSQL (with-postgres.sh)
    .venv/bin/python bench/load.py --db sqlite -n 5 --saves 20 --photos 2
"""
import argparse
import http.client
import io
import json
import math
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import date, datetime, timezone
from http.cookies import SimpleCookie
from urllib.parse import urlencode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
BIN = os.path.dirname(sys.executable)
PASSWORD = "bench1234"
VERDICTS = ["达标", "不达标", "存疑", "不适用"]
OPS = ("login", "token", "save", "photo")
SAVE_P99_MS = 500


# ------------------------------------------------------------------ server and seed data

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(url, n, n_schools):
    """N inspectors, one county with n_schools schools, one running inspection with all of them as
    members; team k (inspectors k, k+S, k+2S, …) is a group visiting school k."""
    from werkzeug.security import generate_password_hash

    from app import create_app
    from app.extensions import db
    from app.models import County, Group, GroupMember, Inspection, InspectionMember, School, User, Visit

    app = create_app("development", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        pw = generate_password_hash(PASSWORD)  # hashed once: the same password for all
        users = [User(username=f"bench{i + 1:02d}", name=f"压测督学{i + 1:02d}", role="inspector",
                      password_hash=pw) for i in range(n)]
        county = County(code="519999", name="压测县", province="四川省", city="压测市")
        schools = [School(county=county, code=f"5199990{k + 1:04d}", name=f"压测第{k + 1}小学",
                          school_type="小学", urban_rural="城区") for k in range(n_schools)]
        insp = Inspection(county=county, standard_id="quality-2017", level="省级评估", year=date.today().year,
                          title="压测县实地督导检查（压测）", start_date=date.today(), status="running", current_step=3)
        db.session.add_all([*users, county, *schools, insp])
        db.session.add_all(InspectionMember(inspection=insp, user=u, role="member") for u in users)
        for k, school in enumerate(schools):
            team = users[k::n_schools]
            group = Group(inspection=insp, name=f"第{k + 1}组", lead=team[0] if team else None)
            db.session.add_all([group, *(GroupMember(group=group, user=u) for u in team)])
            db.session.add(Visit(inspection=insp, school=school, group=group, inspector=team[0] if team else None,
                                 planned_date=date.today()))
        db.session.commit()
        items = [c["code"] for c in insp.standard.checklist if not c.get("measure")]
        out = insp.id, [s.id for s in schools], items
        db.session.remove()
        db.engine.dispose()
    return out


def server_env(url, tmp):
    return dict(os.environ, DATABASE_URL=url, SECRET_KEY=uuid.uuid4().hex, APP_ENV="development",
                UPLOAD_DIR=os.path.join(tmp, "uploads"), QR_CACHE_DIR=os.path.join(tmp, "qr"))


def migrate(env, log):
    subprocess.run([os.path.join(BIN, "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   stdout=log, stderr=subprocess.STDOUT)


def start_server(env, port, log):
    return subprocess.Popen([os.path.join(BIN, "gunicorn"), "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}",
                             "--access-logfile", "-", "wsgi:app"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)


def wait_healthy(port, proc, limit=60):
    end = time.time() + limit
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited during start")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz")


def stop_server(proc):
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ------------------------------------------------------------------ client

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.ms = defaultdict(list)
        self.errors = defaultdict(Counter)
        self.span = {}  # op: [first start, last end]
        self.counts = Counter()

    def count(self, what):
        with self.lock:
            self.counts[what] += 1

    def add(self, op, t0, t1, status, ok):
        with self.lock:
            self.ms[op].append((t1 - t0) * 1000)
            if not ok:
                self.errors[op][status] += 1
            s = self.span.setdefault(op, [t0, t1])
            s[0], s[1] = min(s[0], t0), max(s[1], t1)


class Inspector:
    def __init__(self, i, cfg, stats, acked):
        self.name, self.cfg, self.stats, self.acked = f"bench{i + 1:02d}", cfg, stats, acked
        self.rng = random.Random(i)
        self.school = cfg["schools"][i % len(cfg["schools"])]
        self.cookies, self.lock, self.token, self.seen = {}, threading.Lock(), None, {}

    def request(self, op, method, path, body=None, headers=None, ok=range(200, 300)):
        """One request on a fresh connection; returns (status, headers, text) or None on a connection
        error. Time, status and success are recorded under op."""
        h = dict(headers or {})
        with self.lock:
            if self.cookies:
                h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        t0 = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.cfg["port"], timeout=120)
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
            conn.close()
        except (OSError, http.client.HTTPException) as e:
            self.stats.add(op, t0, time.perf_counter(), type(e).__name__, False)
            return None
        self.stats.add(op, t0, time.perf_counter(), resp.status, resp.status in ok)
        for value in resp.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(value)
            with self.lock:
                self.cookies.update((k, m.value) for k, m in jar.items())
        return resp.status, resp.headers, text

    def think(self):
        lo, hi = self.cfg["think"]
        time.sleep(self.rng.uniform(lo, hi) / 1000)

    def login(self):
        r = self.request("login", "GET", "/login", ok=(200,))
        m = r and re.search(r'name="csrf_token"[^>]*value="([^"]+)"', r[2])
        if not m:
            return False
        body = urlencode({"username": self.name, "password": PASSWORD, "csrf_token": m.group(1), "remember": "y"})
        r = self.request("login", "POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"},
                         ok=(302,))
        if not r or r[0] != 302:
            return False
        r = self.request("token", "GET", "/csrf-token", ok=(200,))
        if not r or r[0] != 200:
            return False
        self.token = json.loads(r[2])["token"]
        return True

    def maybe_twice(self, fn):
        """fn() once, or (a --double-tap fraction of the time) twice at the same moment."""
        if self.rng.random() >= self.cfg["double"]:
            return [fn()], False
        out, gate = [None, None], threading.Barrier(2)

        def run(k):
            gate.wait()
            out[k] = fn()
        t = threading.Thread(target=run, args=(1,))
        t.start()
        run(0)
        t.join()
        return out, True

    def save(self, n):
        item = self.rng.choice(self.cfg["items"])
        u, note = str(uuid.uuid4()), f"bench-{self.name}-{n}"
        body = urlencode({"csrf_token": self.token, "client_uuid": u, "verdict": self.rng.choice(VERDICTS),
                          "observed_value": "", "note": note, "base_version": self.seen.get(item, "")})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": self.token}
        if self.cfg["htmx"]:  # the 保存 button's HTMX partial
            headers["HX-Request"] = "true"
            version_re = r'name="base_version" value="(\d+)"'
        else:  # what a phone's autosave sends (outbox.js, mode "json")
            headers["Accept"] = "application/json"
            version_re = r'"version":\s*(\d+)'
        path = f"/inspections/{self.cfg['iid']}/schools/{self.school}/items/{item}"
        results, twice = self.maybe_twice(lambda: self.request("save", "POST", path, body, headers))
        versions = [int(m.group(1)) for r in results if r
                    for m in [re.search(version_re, r[2])] if m]
        if versions:
            self.seen[item] = max(versions)
        if any(r and 200 <= r[0] < 300 for r in results):
            self.acked["saves"].append((self.school, item, u, note))
        if twice:
            self.stats.count("save_twins")

    def photo(self):
        from PIL import Image

        buf = io.BytesIO()  # random noise: no two photos alike, so no deduplication by content
        Image.merge("RGB", [Image.effect_noise((640, 480), 40) for _ in range(3)]).save(buf, "JPEG", quality=80)
        u, item = str(uuid.uuid4()), self.rng.choice(self.cfg["items"])
        fields = {"csrf_token": self.token, "client_uuid": u, "subject_type": "school", "subject_id": self.school,
                  "item_code": item, "taken_at": datetime.now(timezone.utc).isoformat()}
        b = uuid.uuid4().hex
        body = b"".join(f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                        for k, v in fields.items())
        body += (f'--{b}\r\nContent-Disposition: form-data; name="photo"; filename="photo.jpg"\r\n'
                 f"Content-Type: image/jpeg\r\n\r\n").encode() + buf.getvalue() + f"\r\n--{b}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={b}", "X-CSRFToken": self.token,
                   "Accept": "application/json"}
        results, twice = self.maybe_twice(
            lambda: self.request("photo", "POST", f"/inspections/{self.cfg['iid']}/photos", body, headers))
        if any(r and 200 <= r[0] < 300 for r in results):
            self.acked["photos"].append(u)
        if twice:
            self.stats.count("photo_twins")

    def run(self, ready):
        try:
            ok = self.login()
        except Exception as e:  # still reach the barrier, or everyone else waits for us
            print(f"{self.name}: login failed: {e!r}", file=sys.stderr)
            ok = False
        try:
            ready.wait(300)  # the work starts when everyone has logged in
        except threading.BrokenBarrierError:
            pass
        if not ok:
            return
        plan = ["save"] * self.cfg["saves"] + ["photo"] * self.cfg["photos"]
        self.rng.shuffle(plan)
        n = 0
        for op in plan:
            self.think()
            if op == "save":
                n += 1
                self.save(n)
            else:
                self.photo()


# ------------------------------------------------------------------ checking the database

def rows(conn, sql, **params):
    from sqlalchemy import text

    return conn.execute(text(sql), params).all()


def as_json(value):
    return json.loads(value) if isinstance(value, str) else (value or {})


def verify(url, iid, acked):
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as c:
        records = rows(c, "SELECT id, subject_id, item_code, version FROM check_records "
                          "WHERE inspection_id = :i AND subject_type = 'school'", i=iid)
        notes = {(eid, as_json(after).get("note")) for eid, after in
                 rows(c, "SELECT entity_id, after FROM audit_entries WHERE entity = 'check_record'")}
        conflicts = rows(c, "SELECT record_id, overwritten, incoming FROM record_conflicts WHERE kind = 'check_record'")
        for rid, overwritten, incoming in conflicts:
            notes |= {(rid, as_json(overwritten).get("note")), (rid, as_json(incoming).get("note"))}
        dup = "SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM {} GROUP BY {} HAVING COUNT(*) > 1) d"
        item_key = "inspection_id, subject_type, subject_id, item_code"
        doubled = {"records": rows(c, dup.format("check_records", item_key))[0][0],
                   "client_ops": rows(c, dup.format("client_ops", "client_uuid"))[0][0],
                   "photos": rows(c, dup.format("photos", "client_uuid"))[0][0]}
        ops = {u for (u,) in rows(c, "SELECT client_uuid FROM client_ops WHERE kind = 'check_record'")}
        photos = [u for (u,) in rows(c, "SELECT client_uuid FROM photos WHERE inspection_id = :i", i=iid)]
    engine.dispose()
    by_item = {(s, item): (rid, v) for rid, s, item, v in records}
    per_item = Counter((s, item) for s, item, _u, _n in acked["saves"])
    diffs = [n - by_item.get(k, (None, 0))[1] for k, n in per_item.items()]
    diffs += [-v for k, (_rid, v) in by_item.items() if k not in per_item]
    acked_uuids = {u for _s, _i, u, _n in acked["saves"]}
    return {
        "acked": len(acked["saves"]), "records": len(records), "versions": sum(v for *_x, v in records),
        "lost": sum(max(0, d) for d in diffs), "drift": sum(abs(d) for d in diffs),
        "notes_missing": sum((by_item.get((s, i), (None,))[0], n) not in notes for s, i, _u, n in acked["saves"]),
        "ops_missing": len(acked_uuids - ops), "stored_unacked": len(ops - acked_uuids),
        "photos_acked": len(set(acked["photos"])), "photos_rows": len(photos),
        "photos_lost": len(set(acked["photos"]) - set(photos)),
        "photos_unacked": len(set(photos) - set(acked["photos"])), "conflicts": len(conflicts), "doubled": doubled,
    }


# ------------------------------------------------------------------ one database

def pct(values, p):
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)] if s else float("nan")


def server_exceptions(log_path):
    """Exception lines of tracebacks in the gunicorn log, counted (what the 5xx were)."""
    with open(log_path, encoding="utf-8", errors="replace") as f:
        found = re.findall(r"^([\w.]+(?:Error|Exception|Violation)\b.{0,70})", f.read(), re.M)
    return Counter(found).most_common(6)


def run_one(label, url, args):
    tmp = tempfile.mkdtemp(prefix="ddt-bench-")
    log_path = os.path.join(tmp, "gunicorn.log")
    port = free_port()
    if url is None:
        url = f"sqlite:///{os.path.join(tmp, 'bench.db')}"
    proc = None
    try:
        with open(log_path, "w") as log:
            env = server_env(url, tmp)
            migrate(env, log)  # as make run: db upgrade, (our seed instead of the demo), gunicorn
            iid, schools, items = seed(url, args.inspectors, args.schools)
            proc = start_server(env, port, log)
            wait_healthy(port, proc)
            stats, acked = Stats(), {"saves": [], "photos": []}
            cfg = {"port": port, "iid": iid, "schools": schools, "items": items, "saves": args.saves,
                   "photos": args.photos, "think": args.think, "double": args.double_tap,
                   "htmx": args.htmx}
            ready = threading.Barrier(args.inspectors)
            threads = [threading.Thread(target=Inspector(i, cfg, stats, acked).run, args=(ready,))
                       for i in range(args.inspectors)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
            stop_server(proc)
            proc = None
        result = verify(url, iid, acked)
        report(label, args, stats, result, wall, server_exceptions(log_path), len(items))
    finally:
        if proc is not None:
            stop_server(proc)
        shutil.rmtree(tmp, ignore_errors=True)


def report(label, args, stats, r, wall, exceptions, n_items):
    print(f"\n== {label}: {args.inspectors} inspectors × ({args.saves} saves + {args.photos} photos), "
          f"{args.schools} schools × {n_items} items, think {args.think[0]:g}–{args.think[1]:g} ms, "
          f"double taps {args.double_tap:.0%}; {wall:.1f} s ==")
    print(f"{'op':<6}{'count':>7}{'ops/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for op in OPS:
        ms = stats.ms.get(op, [])
        span = stats.span.get(op, [0, 0])
        rate = len(ms) / (span[1] - span[0]) if span[1] > span[0] else 0
        print(f"{op:<6}{len(ms):>7}{rate:>8.1f}{pct(ms, 50):>9.0f}{pct(ms, 99):>9.0f}"
              f"{sum(stats.errors[op].values()):>8}")
    errs = ", ".join(f"{op} {st}×{n}" for op in OPS for st, n in sorted(stats.errors[op].items(), key=str))
    print(f"errors by status: {errs or 'none'}")
    for line, n in exceptions:
        print(f"  server: {n}× {line}")
    print(f"double taps: {stats.counts['save_twins']} saves, {stats.counts['photo_twins']} photos "
          "(both requests of each counted above)")
    print(f"saves acknowledged {r['acked']} on {r['records']} records, versions stored {r['versions']}: "
          f"lost {r['lost']} (Σ|acknowledged − version| {r['drift']}), notes missing {r['notes_missing']}, "
          f"acknowledged without client_op {r['ops_missing']}")
    print(f"photos acknowledged {r['photos_acked']}, rows {r['photos_rows']}: lost {r['photos_lost']}")
    d = r["doubled"]
    print(f"doubled: check_records {d['records']}, client_ops {d['client_ops']}, photos {d['photos']}")
    print(f"conflicts stored {r['conflicts']}; stored though the client got no 2xx: {r['stored_unacked']} saves, "
          f"{r['photos_unacked']} photos")
    errors = sum(sum(c.values()) for c in stats.errors.values())
    lost = r["lost"] + r["notes_missing"] + r["ops_missing"] + r["photos_lost"]
    doubled = sum(d.values())
    p99 = pct(stats.ms.get("save", []), 99)
    print(f"targets ({label}):")
    for name, value, met in (("0 errors", errors, errors == 0), ("0 lost", lost, lost == 0),
                             ("0 doubled", doubled, doubled == 0),
                             (f"save p99 ≤ {SAVE_P99_MS} ms", f"{p99:.0f} ms", p99 <= SAVE_P99_MS)):
        print(f"  {name:<20}{str(value):>10}  {'met' if met else 'MISSED'}")
    sys.stdout.flush()


def postgres(args):
    """In a with-postgres.sh cluster (TEST_DATABASE_URL): a fresh database per run, dropped after."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = "bench_" + uuid.uuid4().hex[:8]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}"))
    try:
        run_one("PostgreSQL", base.set(database=name).render_as_string(hide_password=False), args)
    finally:
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("-n", "--inspectors", type=int, default=50)
    p.add_argument("--saves", type=int, default=100, help="answers saved per inspector (100)")
    p.add_argument("--photos", type=int, default=5, help="photos uploaded per inspector (5)")
    p.add_argument("--schools", type=int, default=10, help="schools the inspectors share (10)")
    p.add_argument("--think-ms", dest="think", default="20-100", help="think time range between operations (20-100)")
    p.add_argument("--double-tap", type=float, default=0.1, help="fraction of saves and photos sent twice (0.1)")
    p.add_argument("--htmx", action="store_true",
                   help="save through the 保存 button's HTMX partial instead of the phone's autosave (JSON)")
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    args = p.parse_args()
    raw = args.think
    lo, _, hi = args.think.partition("-")
    args.think = (float(lo), float(hi or lo))
    if args.db in ("sqlite", "both"):
        run_one("SQLite", None, args)
    if args.db in ("postgres", "both"):
        if os.environ.get("TEST_DATABASE_URL"):
            postgres(args)
        else:
            sys.stdout.flush()
            subprocess.run([os.path.join(ROOT, "scripts", "with-postgres.sh"), sys.executable,
                            os.path.abspath(__file__), "--db", "postgres", "-n", str(args.inspectors),
                            "--saves", str(args.saves), "--photos", str(args.photos), "--schools", str(args.schools),
                            "--think-ms", raw, "--double-tap", str(args.double_tap)], cwd=ROOT)


if __name__ == "__main__":
    main()
