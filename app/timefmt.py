"""Times are stored as naive UTC; people read them in the deployment's time zone (China: UTC+8)."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"


def to_local(dt, tz_name=DEFAULT_TZ):
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(ZoneInfo(tz_name))


def local_time(dt, fmt="%m-%d %H:%M", tz_name=DEFAULT_TZ):
    """Format a stored UTC time for people; '' for None."""
    if dt is None:
        return ""
    if not isinstance(dt, datetime):  # a date stays as it is
        return dt.strftime(fmt)
    return to_local(dt, tz_name).strftime(fmt)


def local_today(tz_name=DEFAULT_TZ):
    """Today's date where the inspection happens (not the server's UTC date)."""
    return datetime.now(ZoneInfo(tz_name)).date()
