from opendso_db.migrations import run_env
from opendso_importer.store import metadata

run_env(metadata)
