"""Revenue reports for finance."""

import csv
import io
from datetime import date, timedelta

from shop.db.queries import revenue_by_day
from shop.workers.queue import app


@app.task
def nightly_revenue() -> str:
    yesterday = date.today() - timedelta(days=1)
    rows = revenue_by_day(yesterday, yesterday + timedelta(days=1))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["day", "revenue_eur"])
    for day, cents in rows:
        writer.writerow([day.date().isoformat(), f"{cents / 100:.2f}"])
    return out.getvalue()
