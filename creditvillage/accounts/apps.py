from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "creditvillage.accounts"
    label = "accounts"
    verbose_name = "账号与角色"

    def ready(self) -> None:
        # Connects the login throttle's receiver (it follows axes resets) at start-up.
        from creditvillage.accounts import lockout  # noqa: F401
