"""Backup and restore of a whole deployment: the database and every photo. No Flask here.

A backup is a folder:

    manifest.json        what is in it: row counts per table, one sha256 per photo file, the
                         database's alembic revision, the dump file's sha256
    database.sqlite3     SQLite, copied with the online backup API (a consistent copy while the
                         app keeps serving), or
    database.pgdump      PostgreSQL, `pg_dump --format=custom` of the app's schema, taken in an
                         exported snapshot so the manifest's counts are those of the dump
    photos/<key>         every object of the photo storage (local folder or bucket)

The photos are copied after the database snapshot. Photo objects are content-addressed and never
overwritten or removed, so every photo the snapshot refers to is in the backup (a photo uploaded
during the backup may be there too, which restores harmlessly). The folder is written under a
temporary name and renamed when complete: a backup that stopped half-way never looks whole.

restore() rebuilds an empty database (refused if it holds data, unless force) and the configured
photo storage, then checks every count and checksum against the manifest.
"""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import text

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
PHOTOS = "photos"
# bookkeeping tables that a freshly migrated, still empty database already fills
IGNORED_WHEN_EMPTY = {"alembic_version"}


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message is Chinese and meant for the operator."""


class RestoreRefused(BackupError):
    """The target already holds data (restore --force overwrites it)."""


@dataclass
class RestoreResult:
    tables: dict  # table -> rows in the restored database
    photos: int
    photo_bytes: int
    problems: list = field(default_factory=list)  # Chinese lines; empty when everything matches

    @property
    def ok(self):
        return not self.problems


def sha256_file(path, chunk=1024 * 1024):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _quote(name):
    return '"' + name.replace('"', '""') + '"'


def _counts(conn, tables):
    return {t: conn.execute(text(f"SELECT count(*) FROM {_quote(t)}")).scalar_one() for t in sorted(tables)}


def _revision(conn, tables):
    if "alembic_version" not in tables:
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _photo_refs(conn, tables):
    if "photos" not in tables:
        return set()
    return {k for row in conn.execute(text("SELECT data_key, thumb_key FROM photos")) for k in row}


# --- database dialects ------------------------------------------------------------------------

def _sqlite_path(engine):
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        raise BackupError("只能备份、恢复文件形式的 SQLite 数据库（不支持内存数据库）。")
    return os.path.abspath(path)


def _sqlite_tables(conn):
    return {r[0] for r in conn.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))}


def _pg_tables(conn, schema):
    return {r[0] for r in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema})}


def _pg_schema(conn):
    """The schema the app's tables live in: the first one of its search_path."""
    schema = conn.execute(text("SELECT current_schema()")).scalar()
    if schema is None:  # the search_path names a schema that does not exist (yet)
        path = conn.execute(text("SELECT current_setting('search_path')")).scalar()
        first = [p.strip().strip('"') for p in path.split(",") if p.strip() and p.strip() != '"$user"']
        schema = first[0] if first else "public"
    return schema


def _pg_cli(engine):
    """A libpq URI (without the password) and an environment carrying the password, for pg_dump and
    pg_restore: the password never shows in the process list."""
    url = engine.url.set(drivername="postgresql", password=None)
    env = dict(os.environ)
    if engine.url.password:
        env["PGPASSWORD"] = engine.url.password
    return url.render_as_string(hide_password=False), env


def _run(cmd, env=None):
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"找不到 {cmd[0]}：请安装 PostgreSQL 客户端（Debian：apt install postgresql-client）。") from None
    if proc.returncode != 0:
        raise BackupError(f"{os.path.basename(cmd[0])} 失败：{proc.stderr.strip()[-2000:]}")
    return proc


def _backup_database(engine, work, pg_dump):
    """Write the database into work/; returns the manifest's database part, table counts and
    the photo keys the snapshot refers to."""
    if engine.dialect.name == "sqlite":
        src_path = _sqlite_path(engine)
        dest = os.path.join(work, SQLITE_FILE)
        src = sqlite3.connect(src_path)
        try:
            dst = sqlite3.connect(dest)
            try:
                src.backup(dst)  # online backup API: a consistent copy, writers keep going
            finally:
                dst.close()
        finally:
            src.close()
        # the counts, revision and photo references are read from the copy itself
        from sqlalchemy import create_engine

        copy = create_engine(f"sqlite:///{dest}")
        try:
            with copy.connect() as conn:
                tables = _sqlite_tables(conn)
                counts, revision, refs = _counts(conn, tables), _revision(conn, tables), _photo_refs(conn, tables)
        finally:
            copy.dispose()
        return {"dialect": "sqlite", "file": SQLITE_FILE, "schema": None, "alembic_revision": revision}, counts, refs
    if engine.dialect.name == "postgresql":
        uri, env = _pg_cli(engine)
        dest = os.path.join(work, PG_FILE)
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                # pg_dump reads the very snapshot the counts below are taken in
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                schema = _pg_schema(conn)
                tables = _pg_tables(conn, schema)
                counts, revision, refs = _counts(conn, tables), _revision(conn, tables), _photo_refs(conn, tables)
                _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                      f"--schema={schema}", f"--file={dest}", f"--dbname={uri}"], env)
        return {"dialect": "postgresql", "file": PG_FILE, "schema": schema, "alembic_revision": revision}, counts, refs
    raise BackupError(f"不支持备份 {engine.dialect.name} 数据库（支持 SQLite 和 PostgreSQL）。")


# --- backup -----------------------------------------------------------------------------------

def backup(engine, storage, dest, *, pg_dump="pg_dump", app_info=None):
    """Write a backup of the database behind engine and every object of storage into the new
    folder dest; returns the manifest (a dict, also written as dest/manifest.json)."""
    dest = os.path.abspath(dest)
    if os.path.exists(dest) and (not os.path.isdir(dest) or os.listdir(dest)):
        raise BackupError(f"备份目录 {dest} 已存在且不为空，请换一个新目录（例如按日期命名）。")
    work = dest.rstrip(os.sep) + ".partial"
    if os.path.exists(work):
        shutil.rmtree(work)  # what an interrupted earlier run left
    os.makedirs(os.path.join(work, PHOTOS))
    os.chmod(work, 0o700)  # password hashes and every photo: for the operator's eyes only
    try:
        started = datetime.now(timezone.utc)
        database, counts, refs = _backup_database(engine, work, pg_dump)
        database["sha256"] = sha256_file(os.path.join(work, database["file"]))
        files, total = {}, 0
        for key in storage.keys():
            data = storage.get(key)
            path = os.path.join(work, PHOTOS, *key.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            files[key] = hashlib.sha256(data).hexdigest()
            total += len(data)
        manifest = {
            "format": FORMAT,
            "created_at": started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "app": dict(app_info or {}, alembic_revision=database["alembic_revision"]),
            "database": database,
            "tables": counts,
            "rows": sum(counts.values()),
            "photos": {"count": len(files), "bytes": total, "files": files},
            # photo rows whose object was already missing from the storage when the backup ran
            "missing_photos": sorted(refs - set(files)),
        }
        with open(os.path.join(work, MANIFEST), "w", encoding="utf-8") as f:
            json.dump(manifest, f, ensure_ascii=False, indent=1, sort_keys=True)
        if os.path.isdir(dest):
            os.rmdir(dest)  # empty (checked above)
        os.rename(work, dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


# --- restore ----------------------------------------------------------------------------------

def read_manifest(src):
    path = os.path.join(src, MANIFEST)
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except FileNotFoundError:
        raise BackupError(f"{src} 不是备份目录：缺少 {MANIFEST}。") from None
    except ValueError:
        raise BackupError(f"{path} 已损坏，无法读取。") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不认识的备份格式 {manifest.get('format')!r}。")
    return manifest


def tables_with_data(engine):
    """The target's tables holding rows (bookkeeping tables left out)."""
    if engine.dialect.name == "sqlite" and not os.path.exists(_sqlite_path(engine)):
        return []  # a new deployment: the file is made by the restore
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            tables = _sqlite_tables(conn)
        else:
            tables = _pg_tables(conn, _pg_schema(conn))
        tables -= IGNORED_WHEN_EMPTY
        return sorted(t for t in tables
                      if conn.execute(text(f"SELECT 1 FROM {_quote(t)} LIMIT 1")).first() is not None)


def _restore_database(engine, src, manifest, pg_restore):
    database = manifest["database"]
    path = os.path.join(src, database["file"])
    if not os.path.exists(path):
        raise BackupError(f"备份不完整：缺少 {database['file']}。")
    if sha256_file(path) != database["sha256"]:
        raise BackupError(f"{database['file']} 的校验和与清单不符，备份已损坏。")
    if database["dialect"] != engine.dialect.name:
        raise BackupError(f"这是 {database['dialect']} 数据库的备份，不能恢复到 {engine.dialect.name} 数据库。")
    engine.dispose()  # no pooled connection may keep the old database open
    if engine.dialect.name == "sqlite":
        target = _sqlite_path(engine)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        src_db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(target)
            try:
                src_db.backup(dst)  # replaces every page of the target
            finally:
                dst.close()
        finally:
            src_db.close()
        return
    # PostgreSQL: the dump creates its schema; it is renamed to the target's when they differ
    # (a dump of schema "public" restores into "public" as is)
    uri, env = _pg_cli(engine)
    source = database["schema"]
    with engine.begin() as conn:
        target = _pg_schema(conn)
        if source != target and conn.execute(
                text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": source}).first():
            raise BackupError(f"目标数据库中已有模式 {source}，无法把备份恢复为模式 {target}。")
        conn.execute(text(f"DROP SCHEMA IF EXISTS {_quote(target)} CASCADE"))
    try:
        _run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              f"--dbname={uri}", path], env)
    except BackupError:
        with engine.begin() as conn:  # leave an empty schema, as before, not none
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {_quote(target)}"))
        raise
    if source != target:
        with engine.begin() as conn:
            conn.execute(text(f"ALTER SCHEMA {_quote(source)} RENAME TO {_quote(target)}"))
    engine.dispose()


def restore(engine, storage, src, *, force=False, pg_restore="pg_restore"):
    """Rebuild the database behind engine and the photo storage from the backup folder src, then
    check them against its manifest. Refused (RestoreRefused) when the database holds data and
    force is not set. Returns a RestoreResult; result.problems lists every mismatch."""
    src = os.path.abspath(src)
    manifest = read_manifest(src)
    full = tables_with_data(engine)
    if full and not force:
        shown = "、".join(full[:5]) + ("等" if len(full) > 5 else "")
        raise RestoreRefused(f"目标数据库已有数据（{len(full)} 张表有记录：{shown}），为防误覆盖已拒绝恢复。"
                             f"请恢复到新建的空数据库；确认要覆盖现有数据，请加 --force。")
    problems = []
    # photos first: when the database is back, every photo it names is already in the storage
    files = manifest["photos"]["files"]
    total = 0
    for key, digest in sorted(files.items()):
        path = os.path.join(src, PHOTOS, *key.split("/"))
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            problems.append(f"备份中缺少照片文件 {key}")
            continue
        if hashlib.sha256(data).hexdigest() != digest:
            problems.append(f"备份中的照片文件 {key} 校验和不符（已损坏），未恢复")
            continue
        storage.put(key, data, "image/jpeg" if key.endswith((".jpg", ".jpeg")) else "application/octet-stream")
        total += len(data)
    _restore_database(engine, src, manifest, pg_restore)
    # check what is now there against the manifest: every count, every photo read back
    with engine.connect() as conn:
        tables = _sqlite_tables(conn) if engine.dialect.name == "sqlite" else _pg_tables(conn, _pg_schema(conn))
        counts = _counts(conn, tables)
    for table, expected in sorted(manifest["tables"].items()):
        got = counts.get(table)
        if got != expected:
            problems.append(f"表 {table}：清单 {expected} 行，恢复后 {'缺表' if got is None else f'{got} 行'}")
    from ..media.storage import StorageMissing

    for key, digest in sorted(files.items()):
        try:
            if hashlib.sha256(storage.get(key)).hexdigest() != digest:
                problems.append(f"照片 {key} 恢复后校验和不符")
        except StorageMissing:
            problems.append(f"照片 {key} 恢复后在存储中找不到")
    return RestoreResult(tables=counts, photos=len(files), photo_bytes=total, problems=problems)
