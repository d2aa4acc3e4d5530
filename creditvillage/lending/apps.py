from django.apps import AppConfig


class LendingConfig(AppConfig):
    name = "creditvillage.lending"
    label = "lending"
    verbose_name = "信贷"
