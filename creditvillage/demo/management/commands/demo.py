"""``creditvillage demo [--reset] [--if-empty] [--logins]``: build the demo, or print its logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from creditvillage.demo.builder import demo_build, demo_is_empty, demo_reset, demo_users_exist, logins_table


class Command(BaseCommand):
    help = "生成演示数据（两个县、约1600户档案、各角色演示账号，密码 cv-demo-2026）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="先清空数据库中的全部数据，再生成")
        parser.add_argument("--if-empty", action="store_true", help="数据库中还没有任何区划时才生成，否则什么也不做")
        parser.add_argument("--logins", action="store_true", help="打印演示账号表（单独使用时不生成数据）")

    def handle(self, *args: Any, **options: Any) -> None:
        build = options["reset"] or options["if_empty"] or not options["logins"]
        if options["reset"]:
            demo_reset()
        if build and options["if_empty"] and not demo_is_empty():
            build = False
        elif build and not demo_is_empty():
            if demo_users_exist():
                raise CommandError("演示数据已存在；要重建请用 --reset（会清空数据库）")
            raise CommandError("数据库中已有数据；要生成演示数据请用 --reset（会清空数据库）")
        if build:
            self.stdout.write(str(demo_build()))
        if options["logins"]:
            self.stdout.write(logins_table())
