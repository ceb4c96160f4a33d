"""SQL migration files: `NNNN_name.sql` in a package (each service's `migrations`, and `legacy` here)."""

from importlib import resources


def sql_files(package: str) -> list[tuple[int, str, str]]:
    """(version, name, sql) of every `NNNN_name.sql` in `package`, in version order."""
    found = []
    for entry in resources.files(package).iterdir():
        if entry.name.endswith(".sql"):
            version, _, name = entry.name.removesuffix(".sql").partition("_")
            found.append((int(version), name, entry.read_text(encoding="utf-8")))
    return sorted(found)
