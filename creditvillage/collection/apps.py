from django.apps import AppConfig


class CollectionConfig(AppConfig):
    name = "creditvillage.collection"
    label = "collection"
    verbose_name = "采集校核"
