from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "creditvillage.merchants"
    label = "merchants"
    verbose_name = "信用商圈"
