from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "creditvillage.accounts"
    label = "accounts"
    verbose_name = "账号与角色"
