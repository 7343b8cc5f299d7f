"""Background jobs on Celery with Redis as the broker."""

from celery import Celery

from shop.config import settings

app = Celery("shop", broker=settings.redis_url, backend=None)
app.conf.task_acks_late = True
app.conf.worker_prefetch_multiplier = 1
app.conf.task_reject_on_worker_lost = True
app.conf.broker_transport_options = {"visibility_timeout": 3600}


def enqueue(task, *args, countdown: int = 0, **kwargs):
    return task.apply_async(args=args, kwargs=kwargs, countdown=countdown)
