from opendso_db.migrations import run_env
from opendso_gateway.store import metadata

run_env(metadata)
