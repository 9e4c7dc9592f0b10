"""`/api/v1/analytics` and `/api/v1/admin/analytics`: counts, render minutes, credits and costs,
publishing and YouTube views, over a window of days."""

from __future__ import annotations

from pydantic import BaseModel


class JobFigures(BaseModel):
    total: int
    done: int
    failed: int
    cancelled: int
    active: int
    # Minutes workers spent on finished jobs.
    render_minutes: float


class ProjectFigures(BaseModel):
    total: int
    published: int
    # Minutes of video the projects hold.
    video_minutes: float


class CreditFigures(BaseModel):
    credits: float
    cost_usd: float


class Dashboard(BaseModel):
    since: str
    jobs: JobFigures
    projects: ProjectFigures
    credits: CreditFigures
    views: int


class TrendDay(BaseModel):
    date: str
    jobs: int
    done: int
    failed: int
    render_minutes: float
    projects: int
    published: int
    credits: float
    cost_usd: float
    views: int


class Trends(BaseModel):
    since: str
    days: list[TrendDay]


class CostReason(BaseModel):
    reason: str
    credits: float
    cost_usd: float


class CostDay(BaseModel):
    date: str
    credits: float
    cost_usd: float


class Costs(BaseModel):
    since: str
    total: CreditFigures
    by_reason: list[CostReason]
    daily: list[CostDay]


class DailyViews(BaseModel):
    date: str
    views: int


class VideoAnalytics(BaseModel):
    id: str
    title: str
    status: str | None
    duration_seconds: float
    youtube_video_id: str | None
    jobs: JobFigures
    views: int
    daily_views: list[DailyViews]


class ChannelAnalytics(BaseModel):
    id: str
    since: str
    projects: ProjectFigures
    views: int


class WeeklyReport(BaseModel):
    week_start: str
    week_end: str
    this_week: Dashboard
    last_week: Dashboard
    days: list[TrendDay]


class ReportMailed(BaseModel):
    sent_to: str


class UserActivity(BaseModel):
    user_id: str | None
    jobs: int
    render_minutes: float


class SystemLoad(BaseModel):
    # The one-minute load average over the cores, and memory in use, in percent (None where
    # the host does not tell).
    cpuUsage: float | None
    memoryUsage: float | None
    queueDepth: int


class AdminAnalytics(BaseModel):
    """Seed 001's platform figures, then the window's totals over every user."""

    totalUsers: int
    # Users who started a job in the window.
    activeUsers: int
    totalProjects: int
    totalVideosGenerated: int
    avgGenerationTime: str
    systemLoad: SystemLoad
    since: str
    totals: Dashboard
    top_users: list[UserActivity]
