from opendso_db.migrations import run_env
from opendso_messaging.store import metadata

run_env(metadata)
