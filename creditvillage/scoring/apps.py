from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "creditvillage.scoring"
    label = "scoring"
    verbose_name = "评分模型"
