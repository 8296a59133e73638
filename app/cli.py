"""Flask CLI commands (flask --app wsgi …)."""
import click
from flask import current_app

from .extensions import db


def register_cli(app):
    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--name", default=None, help="显示姓名")
    @click.option("--role", type=click.Choice(["admin", "lead", "inspector", "expert"]), default="inspector")
    @click.password_option(prompt="密码")
    def create_user(username, name, role, password):
        """Create a user (role admin / lead / inspector / expert; a 学校填报员 is created on the admin page, with its school); the password rule is app/account-rules.json's."""
        from .accounts import create_user as create_account
        from .fieldwork.operations import OperationError

        try:
            user = create_account(None, username, name or username, role, password)
        except OperationError as e:
            db.session.rollback()
            raise click.ClickException(str(e))
        db.session.commit()
        click.echo(f"已创建用户 {username}（{user.role_label}）。")

    def _user(username):
        from .models import User

        user = db.session.execute(db.select(User).filter_by(username=username)).scalar()
        if user is None:
            raise click.ClickException(f"用户 {username} 不存在。")
        return user

    @app.cli.command("sign-out")
    @click.argument("username")
    def sign_out(username):
        """End every session and remember-me cookie of a user (all devices)."""
        from .accounts import sign_out_everywhere

        user = _user(username)
        sign_out_everywhere(user, None, "命令行强制退出所有设备")
        db.session.commit()
        click.echo(f"{username} 在所有设备上的登录已结束。")

    @app.cli.command("set-role")
    @click.argument("username")
    @click.argument("role", type=click.Choice(["admin", "lead", "inspector"]))
    def set_role_cmd(username, role):
        """Change a user's role (their sessions end)."""
        from .accounts import change_role
        from .fieldwork.operations import OperationError

        user = _user(username)
        try:
            change_role(None, user, role)
        except OperationError as e:
            raise click.ClickException(str(e))
        db.session.commit()
        click.echo(f"{username} 的角色已改为 {user.role_label}，原有登录已结束。")

    @app.cli.command("set-active")
    @click.argument("username")
    @click.argument("state", type=click.Choice(["on", "off"]))
    def set_active_cmd(username, state):
        """Enable (on) or disable (off) an account; disabling ends its sessions."""
        from .accounts import set_active
        from .fieldwork.operations import OperationError

        user = _user(username)
        try:
            set_active(None, user, state == "on")
        except OperationError as e:
            raise click.ClickException(str(e))
        db.session.commit()
        click.echo(f"{username} 已{'启用' if state == 'on' else '停用'}。")

    @app.cli.command("demo")
    @click.option("--if-empty", is_flag=True, help="只在数据库没有用户时创建")
    def demo(if_empty):
        """Build the demo county, inspection, groups and users."""
        from .demo import DEMO_PASSWORD, DEMO_USERS, build_demo
        from .models import User

        if if_empty and db.session.execute(db.select(User.id)).first():
            click.echo("数据库已有数据，跳过示范数据。")
            return
        from .demo import add_demo_activity

        try:
            result = build_demo()
        except RuntimeError as e:
            raise click.ClickException(str(e))
        add_demo_activity(result)
        from .media.storage import make_storage
        from .reporting.demo import DEMO_REPORTING_USERS, add_demo_reports

        add_demo_reports(result, DEMO_PASSWORD, storage=make_storage(current_app.config))
        base = current_app.config.get("PUBLIC_BASE_URL") or "http://<本机地址>:5000"
        click.echo(f"已创建示范县「{result['county'].name}」（{result['county'].code}）："
                   f"{len(result['schools'])} 所学校，检查「{result['inspection'].title}」（编号 {result['inspection'].id}）。")
        click.echo("登录账号（密码均为 %s）：" % DEMO_PASSWORD)
        for username, name, role in DEMO_USERS:
            click.echo(f"  {username:<12} {name}（{ {'admin': '督导办', 'lead': '检查组组长', 'inspector': '督学'}[role] }）")
        for username, name, role, school_index in DEMO_REPORTING_USERS:
            where = f"，{result['schools'][school_index].name}" if school_index is not None else ""
            click.echo(f"  {username:<12} {name}（{ {'expert': '评估专家', 'reporter': '学校填报员'}[role] }{where}）")
        click.echo(f"打开 {base}/login 登录；二维码打印页：{base}/counties/{result['county'].code}/qr")

    @app.cli.command("metrics")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--standard", "standard_id", type=click.Choice(["quality-2017", "basic-2012"]), default="quality-2017")
    @click.option("--year", type=int, default=None, help="数据年度（写入 JSON）")
    @click.option("--json", "as_json", is_flag=True, help="只输出 JSON（见数据模板约定）")
    def metrics_cmd(file, standard_id, year, as_json):
        """Compute indicators, difference coefficients and school verdicts from a template file (nothing stored)."""
        import json
        import sys

        from .indicators.metrics import evaluate, to_json
        from .indicators.school_data import read_table
        from .standards import get_standard

        standard = get_standard(standard_id)
        table = read_table(file, standard=standard)
        if not table.ok:
            for e in table.errors:
                click.echo(e.text(), err=True)
            click.echo(f"文件有 {len(table.errors)} 处错误，未计算。", err=True)
            sys.exit(1)
        ev = evaluate(table.frame, standard)
        if as_json:
            click.echo(json.dumps(to_json(ev, year, table.warnings), ensure_ascii=False, indent=2))
            return
        click.echo(format_evaluation(ev, table.warnings))

    @app.cli.command("indicators")
    @click.argument("county_code")
    @click.option("--year", type=int, required=True, help="数据年度")
    @click.option("--standard", "standard_id", type=click.Choice(["quality-2017", "basic-2012"]), default="quality-2017")
    @click.option("--json", "as_json", is_flag=True, help="输出 JSON：每项指标的计算结论、数据和未达标学校")
    def indicators_cmd(county_code, year, standard_id, as_json):
        """Every indicator of a county and year: R from the school data, G/Q from the approved reports, with the on-site verdicts."""
        import json

        from .indicators.school_import import stored_frame
        from .reporting.facts import county_by_code, county_indicators
        from .reporting.view import format_table, indicator_list
        from .standards import get_standard

        county = county_by_code(county_code)
        if county is None:
            raise click.ClickException(f"县代码 {county_code} 不存在。")
        standard = get_standard(standard_id)
        frame, _ = stored_frame(county.id, year)
        items = indicator_list(county_indicators(county, year, standard), frame)
        if as_json:
            click.echo(json.dumps(items, ensure_ascii=False, indent=2))
            return
        click.echo(format_table(items, county.name, year, standard))

    @app.cli.command("import-schools")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--county", "county_code", required=True, help="县（市、区）行政区划代码")
    @click.option("--year", type=int, required=True, help="数据年度")
    def import_schools(file, county_code, year):
        """Store a template file's schools and data for a year (all or nothing; schools updated by 学校标识码)."""
        import os
        import sys

        from .models import County
        from .indicators.school_data import read_table, rows_from_frame
        from .indicators.school_import import ImportRefused, store_rows

        county = db.session.execute(db.select(County).filter_by(code=county_code)).scalar()
        if county is None:
            click.echo(f"县代码 {county_code} 不存在。", err=True)
            sys.exit(1)
        table = read_table(file)
        if not table.ok:
            for e in table.errors:
                click.echo(e.text(), err=True)
            click.echo(f"文件有 {len(table.errors)} 处错误，未导入任何数据。", err=True)
            sys.exit(1)
        rows = rows_from_frame(table.frame)
        try:
            store_rows(county, year, rows, table.warnings, filename=os.path.basename(file))
        except ImportRefused as e:
            for err in e.errors:
                click.echo(err.text(), err=True)
            click.echo("未导入任何数据。", err=True)
            sys.exit(1)
        click.echo(f"已导入 {county.name} {year} 年 {len(rows)} 行学校数据（{len({r['code'] for r in rows})} 所学校）。")
        for w in table.warnings:
            click.echo(f"提醒：{w.text()}")


    @app.cli.command("report")
    @click.argument("inspection_id", type=int)
    @click.option("--format", "fmt", type=click.Choice(["docx", "html"]), default="docx")
    @click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, writable=True))
    def report_cmd(inspection_id, fmt, output):
        """Write the findings report of an inspection (.docx or printable .html)."""
        from .models import Inspection
        from .reports.collect import collect_report
        from .reports.docx_report import build_docx
        from .reports.html_report import render_html
        from .media.storage import make_storage

        inspection = db.session.get(Inspection, inspection_id)
        if inspection is None:
            raise click.ClickException(f"检查 {inspection_id} 不存在。")
        data = collect_report(inspection, storage=make_storage(current_app.config), tz=current_app.config["TIMEZONE"])
        if fmt == "docx":
            with open(output, "wb") as f:
                f.write(build_docx(data))
        else:
            with open(output, "w", encoding="utf-8") as f:
                f.write(render_html(data))
        click.echo(f"已生成 {output}（{len(data.problems)} 个问题，{len(data.photos)} 张证据照片）。")

    @app.cli.command("rectification")
    @click.argument("inspection_id", type=int)
    @click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, writable=True))
    def rectification_cmd(inspection_id, output):
        """Write the rectification lists of an inspection (.xlsx, 002's attachments 1 and 2)."""
        from .models import Inspection
        from .reports.collect import collect_rectification
        from .reports.xlsx_lists import build_rectification_xlsx
        from .timefmt import local_today

        inspection = db.session.get(Inspection, inspection_id)
        if inspection is None:
            raise click.ClickException(f"检查 {inspection_id} 不存在。")
        data = collect_rectification(inspection, local_today(current_app.config["TIMEZONE"]))
        with open(output, "wb") as f:
            f.write(build_rectification_xlsx(data))
        click.echo(f"已生成 {output}（学校 {len(data.schools)} 所，县级问题 {len(data.county_rows)} 个）。")

    @app.cli.command("backup")
    @click.argument("directory", type=click.Path(file_okay=False))
    def backup_cmd(directory):
        """Back up the database and every photo into a new folder (see app/ops/backup.py)."""
        from .media.storage import StorageUnavailable, make_storage
        from .ops.backup import BackupError, backup

        try:
            m = backup(db.engine, make_storage(current_app.config), directory,
                       app_info={"photo_storage": current_app.config.get("PHOTO_STORAGE", "local")})
        except BackupError as e:
            raise click.ClickException(str(e))
        except StorageUnavailable as e:
            raise click.ClickException(f"照片存储无法访问，备份未完成：{e}")
        click.echo(f"已备份到 {directory}：{len(m['tables'])} 张表 {m['rows']} 行，"
                   f"照片文件 {m['photos']['count']} 个（{m['photos']['bytes'] / 1024 / 1024:.1f} MB）。")
        if m["missing_photos"]:
            click.echo(f"提醒：数据库登记的 {len(m['missing_photos'])} 个照片文件在存储中已找不到，未能备份。", err=True)

    @app.cli.command("restore")
    @click.argument("directory", type=click.Path(exists=True, file_okay=False))
    @click.option("--force", is_flag=True, help="目标数据库已有数据时仍然覆盖")
    def restore_cmd(directory, force):
        """Rebuild an empty database and the photo storage from a backup folder, then verify it."""
        import sys

        from .media.storage import StorageUnavailable, make_storage
        from .ops.backup import BackupError, restore

        db.session.remove()
        try:
            r = restore(db.engine, make_storage(current_app.config), directory, force=force)
        except BackupError as e:
            raise click.ClickException(str(e))
        except StorageUnavailable as e:
            raise click.ClickException(f"照片存储无法访问，恢复未完成：{e}")
        click.echo(f"已从 {directory} 恢复：{len(r.tables)} 张表 {sum(r.tables.values())} 行，"
                   f"照片文件 {r.photos} 个（{r.photo_bytes / 1024 / 1024:.1f} MB）。")
        if not r.ok:
            for line in r.problems:
                click.echo(f"不一致：{line}", err=True)
            click.echo(f"核对发现 {len(r.problems)} 处与备份清单不一致。", err=True)
            sys.exit(1)
        click.echo("核对通过：每张表的行数和每个照片文件的校验和都与备份清单一致。")


def format_evaluation(ev, warnings=()):
    """A readable Chinese text table of an Evaluation (the CLI's default output)."""
    std = ev.standard
    lines = [f"{std.name}（{std.document}）"]
    for sec, res in ev.sections.items():
        lines.append("")
        lines.append(f"【{sec}】纳入测算 {res.schools} 所，在校生 {res.students} 人"
                     + ("（仅 1 所学校：差异系数按公式为 0）" if res.schools == 1 else ""))
        if not res.schools:
            continue
        lines.append(f"  {'指标':<6}{'县域值':>12}{'差异系数':>10}{'上限':>8}  结论")
        for code, r in res.indicators.items():
            cv = "无法计算" if r.cv is None else f"{r.cv:.4f}"
            cap = "" if r.cap is None else f"{r.cap:.2f}"
            verdict = {True: "达标", False: "未达标", None: ""}[r.ok]
            value = "" if r.value is None else f"{r.value:.2f}"
            lines.append(f"  {code:<6}{value:>12}{cv:>10}{cap:>8}  {verdict}")
        if res.composite_cv is not None or res.cap is not None:
            cv = "无法计算" if res.composite_cv is None else f"{res.composite_cv:.4f}"
            lines.append(f"  综合差异系数 {cv}（上限 {res.cap:.2f}）")
        lines.append(f"  {sec}校际均衡：{ {True: '达标', False: '未达标', None: '无法判定'}[res.ok] }")
    if ev.rule_codes:
        failing = [rec for rec in ev.school_records() if rec["ok"] is False]
        lines.append("")
        lines.append(f"校校达标：{len(ev.schools) - len(failing)}/{len(ev.schools)} 个学段学校达标")
        for rec in failing:
            lines.append(f"  未达标 {rec['code']} {rec['name']}（{rec['section']}）未达指标：{'、'.join(rec['short'])}")
    if ev.excluded:
        lines.append("")
        lines.append("未纳入测算：")
        for e in ev.excluded:
            lines.append(f"  {e['code']} {e['name']}（{e['section']}）：{e['reason']}")
    if warnings:
        lines.append("")
        lines.append(f"数据提醒（{len(warnings)} 条）：")
        for w in warnings:
            lines.append(f"  {w.text()}")
    return "\n".join(lines)
