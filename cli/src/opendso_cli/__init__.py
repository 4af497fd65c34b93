"""The `opendso` command."""
