"""``manage.py load_divisions FILE.csv``: load statistical division codes, all rows or none."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from creditvillage.regions.errors import DivisionFileInvalid
from creditvillage.regions.services import DIVISION_COLUMNS, regions_load_csv


class Command(BaseCommand):
    help = f"导入统计用区划代码（CSV，UTF-8，表头 {','.join(DIVISION_COLUMNS)}；任何一行有错则不写入）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="CSV 文件路径")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = regions_load_csv(path_or_file=options["path"])
        except FileNotFoundError as exc:
            raise CommandError(f"找不到文件：{options['path']}") from exc
        except DivisionFileInvalid as exc:
            raise CommandError(exc.report()) from exc
        self.stdout.write(str(report))
