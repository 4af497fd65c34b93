"""Bank statements: CAMT.053/052/054, MT940, CSV and XLSX files read into statements and their transactions.

Pure: bytes in, values or a :class:`StatementError` out.
"""

from opendso_importer.domain.statements.csv_statement import CSV_FIELDS, parse_csv_statement
from opendso_importer.domain.statements.detect import FORMATS, detect_format, parse_statements
from opendso_importer.domain.statements.model import (
    Balance,
    Statement,
    StatementError,
    Transaction,
    transaction_id,
)
from opendso_importer.domain.statements.references import (
    classify_reference,
    czech_variable_symbol,
    find_rf_references,
    is_valid_rf,
)
from opendso_importer.domain.statements.xlsx_statement import parse_xlsx_statement

__all__ = [
    "CSV_FIELDS",
    "FORMATS",
    "Balance",
    "Statement",
    "StatementError",
    "Transaction",
    "classify_reference",
    "czech_variable_symbol",
    "detect_format",
    "find_rf_references",
    "is_valid_rf",
    "parse_csv_statement",
    "parse_statements",
    "parse_xlsx_statement",
    "transaction_id",
]
