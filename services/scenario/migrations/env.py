from opendso_db.migrations import run_env
from opendso_scenario.store import metadata

run_env(metadata)
