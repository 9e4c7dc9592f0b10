"""Jobs: long work queued in Redis (Celery), run by worker processes, recorded in MongoDB.

`store` keeps each job's state (the source of truth), `queue` builds the Celery app and sends
work, `tasks` and `steps` are what workers run, `worker` is a worker process's context,
`events` tells clients live, `routes` is the HTTP side.
"""
