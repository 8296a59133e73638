"""Flask CLI commands (flask --app wsgi …)."""
import click
from flask import current_app

from .extensions import db


def register_cli(app):
    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--name", default=None, help="显示姓名")
    @click.option("--role", type=click.Choice(["admin", "lead", "inspector"]), default="inspector")
    @click.password_option(prompt="密码")
    def create_user(username, name, role, password):
        """Create a user (role admin / lead / inspector)."""
        from .models import User

        if len(password) < 8:
            raise click.ClickException("密码至少 8 位。")
        if db.session.execute(db.select(User).filter_by(username=username)).scalar():
            raise click.ClickException(f"用户 {username} 已存在。")
        user = User(username=username, name=name or username, role=role)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        click.echo(f"已创建用户 {username}（{user.role_label}）。")

    @app.cli.command("demo")
    @click.option("--if-empty", is_flag=True, help="只在数据库没有用户时创建")
    def demo(if_empty):
        """Build the demo county, inspection, groups and users."""
        from .demo import DEMO_PASSWORD, DEMO_USERS, build_demo
        from .models import User

        if if_empty and db.session.execute(db.select(User.id)).first():
            click.echo("数据库已有数据，跳过示范数据。")
            return
        try:
            result = build_demo()
        except RuntimeError as e:
            raise click.ClickException(str(e))
        base = current_app.config.get("PUBLIC_BASE_URL") or "http://<本机地址>:5000"
        click.echo(f"已创建示范县「{result['county'].name}」（{result['county'].code}）："
                   f"{len(result['schools'])} 所学校，检查「{result['inspection'].title}」（编号 {result['inspection'].id}）。")
        click.echo("登录账号（密码均为 %s）：" % DEMO_PASSWORD)
        for username, name, role in DEMO_USERS:
            click.echo(f"  {username:<12} {name}（{ {'admin': '督导办', 'lead': '检查组组长', 'inspector': '督学'}[role] }）")
        click.echo(f"打开 {base}/login 登录；二维码打印页：{base}/counties/{result['county'].code}/qr")
