"""The bus contracts: generated protobuf classes (package ``opendso``), the
subject and stream registry, and conversions between proto and domain values."""
