"""The shared kernel's tables: the audit log and background-job progress."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["AuditEvent", "DailyRun", "DailyRunStatus", "Job", "JobStatus"]


class AuditEvent(models.Model):
    """One audited change: who, when, what (old → new) and why. Append-only.

    Written by services (never by signals) through ``creditvillage.core.audit.record``.
    """

    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人名称"), max_length=150, blank=True)
    action = models.CharField(_("动作"), max_length=64, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=64)
    target_id = models.CharField(_("对象编号"), max_length=64)
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True, db_index=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    channel = models.CharField(_("渠道"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_type}#{self.target_id}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


class Job(models.Model):
    """A long-running piece of work the user waits for, with its progress (done / total)."""

    kind = models.CharField(_("类型"), max_length=64)
    status = models.CharField(_("状态"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    total = models.PositiveIntegerField(_("总数"), default=0)
    done = models.PositiveIntegerField(_("已完成"), default=0)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    result_file = models.CharField(_("结果文件"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk} {self.status}"

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.pk,
            "kind": self.kind,
            "status": self.status,
            "total": self.total,
            "done": self.done,
            "percent": self.percent,
            "message": self.message,
        }


class DailyRunStatus(models.TextChoices):
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class DailyRun(models.Model):
    """One daily job for one day (``creditvillage daily``): at most one successful run per job and day."""

    job = models.CharField(_("任务"), max_length=64)
    day = models.DateField(_("日期"))
    status = models.CharField(_("状态"), max_length=16, choices=DailyRunStatus.choices, default=DailyRunStatus.RUNNING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=1)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("每日任务")
        verbose_name_plural = _("每日任务")
        ordering = ["-day", "job"]
        constraints = [models.UniqueConstraint(fields=["job", "day"], name="core_dailyrun_job_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.job} {self.status}"
