from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "creditvillage.core"
    label = "core"
    verbose_name = "核心"
