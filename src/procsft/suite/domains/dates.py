"""Built-in skills: dates and time."""

from __future__ import annotations

import calendar
import datetime as dt
import random

from procsft.suite.skill import Problem, SkillSpec, define


def _days_between(rng: random.Random) -> Problem:
    year = rng.randint(2019, 2030)
    first, last = sorted(rng.sample(range(1, 13), 2))
    start = dt.date(year, first, rng.randint(1, calendar.monthrange(year, first)[1]))
    end = dt.date(year, last, rng.randint(1, calendar.monthrange(year, last)[1]))
    rest = calendar.monthrange(year, first)[1] - start.day
    middle = [calendar.monthrange(year, m)[1] for m in range(first + 1, last)]
    total = (end - start).days
    return Problem(
        prompt=f"How many days are there from {start.isoformat()} to {end.isoformat()}?",
        answer=str(total),
        work=(
            f"The start date is {start.isoformat()} and the end date is {end.isoformat()}.",
            f"Days left in the start month after the start date: {rest}.",
            f"Full months in between add {' + '.join(map(str, middle)) or '0'} = {sum(middle)}.",
            f"The end date adds {end.day} days of its month.",
            f"{rest} + {sum(middle)} + {end.day} = {total} days.",
        ),
    )


def _month_length(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _add_days(rng: random.Random) -> Problem:
    start = dt.date(rng.randint(2019, 2030), rng.randint(1, 12), 1)
    start = start.replace(day=rng.randint(1, _month_length(start.year, start.month)))
    days = rng.randint(32, 150)  # more than any month's remainder, so step 2 always applies
    rest = _month_length(start.year, start.month) - start.day
    left, year, month, skipped = days - rest, start.year, start.month, []
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        length = _month_length(year, month)
        if left <= length:
            break
        skipped.append((calendar.month_name[month], length))
        left -= length
    result = dt.date(year, month, left)
    whole = (
        f"Subtract whole months ({', '.join(f'{n} {d}' for n, d in skipped)}): "
        f"{days - rest} - {sum(d for _, d in skipped)} = {left}."
        if skipped
        else f"No whole month is needed: {left} days fit in {calendar.month_name[month]}."
    )
    return Problem(
        prompt=(
            f"What date is {days} days after {start.isoformat()}? Give the date in the form "
            "YYYY-MM-DD."
        ),
        answer=(start + dt.timedelta(days=days)).isoformat(),
        work=(
            f"The start date is {start.isoformat()} and {days} days are to be added.",
            f"{rest} days are left in {calendar.month_name[start.month]}: {days} - {rest} = "
            f"{days - rest} days remain after the end of the month.",
            whole,
            f"The remaining {left} days land on day {left} of {calendar.month_name[month]} {year}.",
            f"The date is {result.isoformat()}.",
        ),
    )


def _day_of_week(rng: random.Random) -> Problem:
    reference = dt.date(rng.randint(2019, 2030), rng.randint(1, 12), rng.randint(1, 28))
    target = reference + dt.timedelta(days=rng.randint(10, 500))
    days = (target - reference).days
    names = list(calendar.day_name)
    start, shift = reference.weekday(), days % 7
    weekday = names[(start + shift) % 7]
    return Problem(
        prompt=(
            f"{reference.isoformat()} was a {names[start]}. What day of the week is "
            f"{target.isoformat()}? Answer with the full English name of the weekday."
        ),
        answer=weekday,
        work=(
            f"The reference date {reference.isoformat()} is a {names[start]}.",
            f"From {reference.isoformat()} to {target.isoformat()} is {days} days.",
            f"{days} = 7 x {days // 7} + {shift}, so the remainder is {shift}.",
            f"Moving {shift} days forward from {names[start]} gives {weekday}.",
            f"{target.isoformat()} is a {weekday}.",
        ),
    )


def _elapsed_clock_time(rng: random.Random) -> Problem:
    start, end = sorted(rng.sample(range(24 * 60), 2))
    start_text, end_text = f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"
    return Problem(
        prompt=(
            f"A shift starts at {start_text} and ends at {end_text} on the same day (24-hour "
            "clock). How many minutes long is it? Give a whole number of minutes."
        ),
        answer=str(end - start),
        work=(
            f"The start time is {start_text} and the end time is {end_text}.",
            f"{start_text} is {start // 60} x 60 + {start % 60} = {start} minutes after midnight.",
            f"{end_text} is {end // 60} x 60 + {end % 60} = {end} minutes after midnight.",
            f"{end} - {start} = {end - start}.",
            f"The elapsed time is {end - start} minutes.",
        ),
    )


def _age_on_date(rng: random.Random) -> Problem:
    # Birthdays avoid 29 February, whose anniversary in common years is a matter of convention.
    month = rng.randint(1, 12)
    birth = dt.date(rng.randint(1940, 2015), month, rng.randint(1, _month_length(2023, month)))
    on_month = month if rng.random() < 0.4 else rng.randint(1, 12)
    on_year = rng.randint(birth.year + 5, 2035)
    on = dt.date(on_year, on_month, rng.randint(1, _month_length(on_year, on_month)))
    years = on.year - birth.year
    before = (on.month, on.day) < (birth.month, birth.day)
    age = years - int(before)
    return Problem(
        prompt=(
            f"A person was born on {birth.isoformat()}. How old are they, in whole completed "
            f"years, on {on.isoformat()}? Give a whole number."
        ),
        answer=str(age),
        work=(
            f"The birth date is {birth.isoformat()} and the given date is {on.isoformat()}.",
            f"{on.year} - {birth.year} = {years}.",
            f"The birthday is {birth.month:02d}-{birth.day:02d}; the given date is "
            f"{on.month:02d}-{on.day:02d}, which is {'before' if before else 'on or after'} it.",
            f"{years} - 1 = {age}, because the birthday has not come yet."
            if before
            else f"The birthday has been reached, so nothing is subtracted: {age}.",
            f"The person is {age} years old.",
        ),
    )


SKILLS: tuple[SkillSpec, ...] = (
    define(
        "days-between",
        "Days between two dates",
        "dates and time",
        "integer",
        [
            "Write down the start date and the end date.",
            "Count the days left in the start month after the start date.",
            "Add the number of days of every full month in between.",
            "Add the day of the month of the end date.",
            "State the total number of days.",
        ],
        _days_between,
    ),
    define(
        "add-days",
        "Add days to a date",
        "dates and time",
        "date",
        [
            "Write down the start date and the number of days to add.",
            "Subtract the days left in the start month to reach the end of that month.",
            "Subtract the lengths of following whole months while the rest exceeds the next month.",
            "Take the remaining days as the day of the month in the next month.",
            "State the resulting date as YYYY-MM-DD.",
        ],
        _add_days,
    ),
    define(
        "day-of-week",
        "Day of the week from a reference date",
        "dates and time",
        "string",
        [
            "Write down the reference date and its weekday.",
            "Count the days from the reference date to the target date.",
            "Divide the day count by 7 and keep the remainder.",
            "Move forward from the reference weekday by the remainder.",
            "State the weekday of the target date.",
        ],
        _day_of_week,
    ),
    define(
        "elapsed-clock-time",
        "Minutes between two clock times",
        "dates and time",
        "integer",
        [
            "Write down the start time and the end time.",
            "Convert the start time to minutes after midnight.",
            "Convert the end time to minutes after midnight.",
            "Subtract the start minutes from the end minutes.",
            "State the elapsed time in minutes.",
        ],
        _elapsed_clock_time,
    ),
    define(
        "age-on-date",
        "Age on a given date",
        "dates and time",
        "integer",
        [
            "Write down the birth date and the given date.",
            "Subtract the birth year from the year of the given date.",
            "Compare the month and day of the given date with the birthday.",
            "Subtract one if the birthday has not yet come that year.",
            "State the age in whole years.",
        ],
        _age_on_date,
    ),
)
