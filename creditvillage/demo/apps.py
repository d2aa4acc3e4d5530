from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data set (``creditvillage demo``): no models, only a builder and its command."""

    name = "creditvillage.demo"
    label = "demo"
    verbose_name = "演示数据"
