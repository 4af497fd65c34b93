from opendso_db.migrations import run_env
from opendso_risk.store import metadata

run_env(metadata)
