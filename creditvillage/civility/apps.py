from django.apps import AppConfig


class CivilityConfig(AppConfig):
    name = "creditvillage.civility"
    label = "civility"
    verbose_name = "乡风文明评议"
