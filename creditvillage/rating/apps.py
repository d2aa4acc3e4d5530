from django.apps import AppConfig


class RatingConfig(AppConfig):
    name = "creditvillage.rating"
    label = "rating"
    verbose_name = "信用评定"
