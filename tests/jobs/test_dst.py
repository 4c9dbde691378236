"""The daily sweep runs once per local day, across daylight-saving changes (time frozen)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.base import BaseScheduler

from tests.builders.settings import mail_settings
from tracker.jobs.scheduler import TrackerScheduler, daily_sweep_trigger

LONDON = ZoneInfo("Europe/London")
SPRING = date(2026, 3, 29)  # 01:00 GMT becomes 02:00 BST: 01:00-01:59 never happens
AUTUMN = date(2026, 10, 25)  # 02:00 BST becomes 01:00 GMT: 01:00-01:59 happens twice


class SteppedScheduler(BaseScheduler):
    """APScheduler driven by the test: each step() runs whatever is due at the frozen now."""

    def shutdown(self, wait=True):
        super().shutdown(wait)

    def wakeup(self):
        pass  # nothing to wake: the test calls step()

    def step(self) -> None:
        self._process_jobs()


@pytest.mark.parametrize("around", [SPRING, AUTUMN])
def test_the_trigger_fires_at_the_local_time_once_a_day(around):
    trigger = daily_sweep_trigger(mail_settings(sweep_time="06:00"))
    fired, previous = [], None
    now = datetime.combine(around - timedelta(days=2), time(), tzinfo=LONDON)
    for _ in range(5):
        previous = trigger.get_next_fire_time(previous, now)
        fired.append(previous)
        now = previous
    assert [f.astimezone(LONDON).date() for f in fired] == [
        around + timedelta(days=n) for n in range(-2, 3)
    ]
    assert {f.astimezone(LONDON).time() for f in fired} == {time(6, 0)}
    # ...which is a 23- or 25-hour day on the day of the change.
    gaps = {fired[n + 1].astimezone(UTC) - fired[n].astimezone(UTC) for n in range(4)}
    assert gaps == {timedelta(hours=24), timedelta(hours=23 if around == SPRING else 25)}


@pytest.mark.parametrize("sweep_time", ["06:00", "01:30", "00:00"])
@pytest.mark.parametrize("around", [SPRING, AUTUMN])
def test_the_scheduler_sweeps_once_per_local_day(committed_engine, around, sweep_time):
    settings = mail_settings(
        timezone="Europe/London", sweep_time=sweep_time, mail_backend="log", pharmacy_email=None
    )
    scheduler = SteppedScheduler(timezone=LONDON, executors={"default": DebugExecutor()})
    start = datetime.combine(around - timedelta(days=2), time(0, 5), tzinfo=LONDON)
    end = datetime.combine(around + timedelta(days=3), time(0, 0), tzinfo=LONDON)
    ran_at: list[datetime] = []
    with time_machine.travel(start, tick=False) as traveller:
        service = TrackerScheduler(settings, committed_engine, scheduler=scheduler)
        service.configure()
        scheduler.start()
        now = start
        while now < end:
            before = len(service.sweeps)
            scheduler.step()
            ran_at += [now] * (len(service.sweeps) - before)
            # Twenty minutes of real time (UTC arithmetic: the repeated hour is lived twice).
            now = now.astimezone(UTC) + timedelta(minutes=20)
            traveller.move_to(now)
        scheduler.shutdown()
        service.leadership.release()

    swept_days = [r.on for r in service.sweeps]
    assert swept_days == [around + timedelta(days=n) for n in range(-2, 3)]
    at = time.fromisoformat(sweep_time)
    for day, moment in zip(swept_days, ran_at, strict=True):
        local = moment.astimezone(LONDON)
        assert local.date() == day
        # On time, or (when the local time did not exist that day) within the hour after.
        wall = local.replace(tzinfo=None)
        assert (
            datetime.combine(day, at)
            <= wall
            <= datetime.combine(day, at) + timedelta(hours=1, minutes=20)
        ), (day, local)
