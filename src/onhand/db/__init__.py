"""Storage: the only package that imports SQLAlchemy (tables, engine, unit of work, queries)."""
